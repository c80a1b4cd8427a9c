import type { Permission } from './permissions.js';

export interface OperatorPrincipal {
  kind: 'operator';
}

/** A tenant user, authenticated by an access token (session) or by its API key. */
export interface UserPrincipal {
  kind: 'user';
  via: 'session' | 'apiKey';
  userId: string;
  tenantId: string;
  sessionId: string | null;
  permissions: ReadonlySet<Permission>;
  admin: boolean;
  canViewMaskedData: boolean;
  /** Set when the session may only reach the routes that fix the account. */
  restrictedTo: 'tfa' | 'password' | null;
}

export type Principal = OperatorPrincipal | UserPrincipal;

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.kind === 'operator' || principal.permissions.has(permission);
}
