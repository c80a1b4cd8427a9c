import { createContext, useContext, type ReactNode } from 'react';
import { PERMISSIONS, type Permission, type User } from './types.js';

/**
 * Who is looking, and what the console may offer them. Permissions come from `/api/v2/me`
 * for a user; the operator holds every permission in every tenant.
 */
export interface Viewer {
  kind: 'user' | 'operator';
  me: User | null;
  permissions: ReadonlySet<string>;
  /** An admin or the operator: may set admin flags and grant any permission. */
  privileged: boolean;
  /** Sees e-mails, phones and allow-lists unmasked. */
  unmasked: boolean;
  can(permission: Permission): boolean;
  /**
   * Whether the viewer may change another user's credentials or standing (API.md section 2):
   * an admin target is reserved to admins and the operator; otherwise the viewer must hold
   * every permission the target holds.
   */
  canActOn(target: Pick<User, 'id' | 'admin' | 'permissions'>): boolean;
}

export function viewerOf(kind: 'user' | 'operator', me: User | null): Viewer {
  const privileged = kind === 'operator' || me?.admin === true;
  const permissions = new Set<string>(privileged ? PERMISSIONS : (me?.permissions ?? []));
  return {
    kind,
    me,
    permissions,
    privileged,
    unmasked: kind === 'operator' || me?.canViewMaskedData === true,
    can: (permission) => permissions.has(permission),
    canActOn: (target) => {
      if (privileged) return true;
      if (target.admin) return false;
      return target.permissions.every((p) => permissions.has(p));
    },
  };
}

const ViewerContext = createContext<Viewer | null>(null);

export function ViewerProvider({ viewer, children }: { viewer: Viewer; children: ReactNode }) {
  return <ViewerContext.Provider value={viewer}>{children}</ViewerContext.Provider>;
}

export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error('useViewer outside ViewerProvider');
  return viewer;
}
