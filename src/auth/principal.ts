import type { Permission } from './permissions.js';

export type Restriction = 'tfa' | 'password';

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
  /**
   * What the account must fix first (TFA enrolment, a new password); while this is not
   * empty the session reaches only the routes that fix it. Computed from the user's state on
   * every request, so it lifts the moment the account is fixed.
   */
  restrictedTo: readonly Restriction[];
}

export type Principal = OperatorPrincipal | UserPrincipal;

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.kind === 'operator' || principal.permissions.has(permission);
}
