import type { AccessControlProvider, AuthProvider } from '@refinedev/core';
import { ApiError } from './errors.js';
import type { ApiClient } from './http.js';
import type { SessionStore } from './session.js';
import type { Permission, User } from './types.js';
import type { Viewer } from './viewer';

/** refine's view of the session: the console's own store does the work. */
export function createAuthProvider(store: SessionStore, client: ApiClient): AuthProvider {
  return {
    async login(params: { tenant: string; email: string; password: string; otp?: string }) {
      try {
        await store.signIn(params);
        return { success: true };
      } catch (error) {
        return { success: false, error: error as Error };
      }
    },
    async logout() {
      await store.signOut();
      return { success: true };
    },
    async check() {
      return { authenticated: store.getState().status === 'signed-in' };
    },
    async onError(error: unknown) {
      // The client has already tried a refresh: a 401 here means the session is over.
      return error instanceof ApiError && error.statusCode === 401 ? { logout: true } : {};
    },
    async getIdentity() {
      const credentials = store.getState().credentials;
      if (credentials?.kind !== 'user') return credentials ? { id: 'operator', name: 'Operator' } : null;
      return client.get<User>('/me');
    },
  };
}

/** What each page's resource and action need. */
const NEEDS: Record<string, Partial<Record<string, Permission>>> = {
  users: { list: 'users:read', show: 'users:read', create: 'users:write', edit: 'users:write', delete: 'users:delete' },
  groups: { list: 'groups:read', show: 'groups:read', create: 'groups:write', edit: 'groups:write', delete: 'groups:write' },
  plans: { list: 'plans:read', show: 'plans:read', create: 'plans:write', edit: 'plans:write', delete: 'plans:write' },
  sessions: { list: 'sessions:read', delete: 'sessions:write' },
  'audit-events': { list: 'audit:read' },
  tenant: { show: 'tenant:read', edit: 'tenant:write' },
  webhooks: { list: 'webhooks:read', show: 'webhooks:read', create: 'webhooks:write', edit: 'webhooks:write', delete: 'webhooks:write' },
};

export function permissionFor(resource: string | undefined, action: string): Permission | undefined {
  return resource ? NEEDS[resource]?.[action] : undefined;
}

/** refine's access control, answered from the viewer's permissions (from /api/v2/me). */
export function createAccessControl(viewer: () => Viewer | null): AccessControlProvider {
  return {
    can: async ({ resource, action }) => {
      const current = viewer();
      if (!current) return { can: false, reason: 'Not signed in' };
      if (resource === 'tenants') return { can: current.kind === 'operator' };
      const permission = permissionFor(resource, action);
      if (!permission) return { can: false, reason: `No rule for ${resource ?? '?'}:${action}` };
      return current.can(permission) ? { can: true } : { can: false, reason: `Needs ${permission}` };
    },
  };
}
