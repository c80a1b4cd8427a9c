import { SetMetadata } from '@nestjs/common';
import type { Permission } from './permissions.js';
import type { Restriction } from './principal.js';

/**
 * What a route needs. Every route declares exactly one of these; the global AuthGuard
 * refuses a route that declares none.
 * - public: no principal.
 * - operator: the SaaS operator only, no tenant.
 * - permission: a principal of the route's tenant holding the permission.
 * - authenticated: any principal of the tenant; with `usersOnly`, a user of the tenant and never
 *   the operator (the caller's own account: it has a profile, sessions, a second factor).
 */
export type AccessRule =
  | { kind: 'public' }
  | { kind: 'operator' }
  | { kind: 'permission'; permission: Permission }
  | { kind: 'authenticated'; usersOnly?: true };

export const ACCESS_RULE = 'identity:access-rule';

export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_RULE, { kind: 'public' } satisfies AccessRule);

export const OperatorOnly = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_RULE, { kind: 'operator' } satisfies AccessRule);

export const RequirePermission = (permission: Permission): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_RULE, { kind: 'permission', permission } satisfies AccessRule);

export const Authenticated = (options: { usersOnly?: true } = {}): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_RULE, { kind: 'authenticated', ...options } satisfies AccessRule);

export const ALLOW_RESTRICTED = 'identity:allow-restricted';

/**
 * Lets a restricted session (TFA enrolment or a password change pending) reach this route;
 * every other route answers such a session 403.
 */
export const AllowRestricted = (...restrictions: Restriction[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ALLOW_RESTRICTED, restrictions);
