/**
 * Permissions in one place: the catalogue, what a plan admin holds, a user's effective
 * permissions, what a caller may grant, and the rule for acting on a stronger user.
 */
import { DomainError, type FieldError } from '../common/errors.js';
import { hasPermission, type Principal } from './principal.js';
import type { TenantContext } from './request-context.js';

export const PERMISSIONS = [
  'users:read',
  'users:write',
  'users:delete',
  'groups:read',
  'groups:write',
  'plans:read',
  'plans:write',
  'sessions:read',
  'sessions:write',
  'audit:read',
  'tenant:read',
  'tenant:write',
  'webhooks:read',
  'webhooks:write',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** What a plan admin holds besides its groups' permissions. */
export const PLAN_ADMIN_PERMISSIONS: readonly Permission[] = ['plans:read', 'plans:write', 'users:read'];

/** Flags only an admin or the operator may change (API.md section 2). */
const PRIVILEGED_FLAGS = ['admin', 'planAdmin', 'canViewMaskedData'] as const;
type PrivilegedFlag = (typeof PRIVILEGED_FLAGS)[number];

/** Effective permissions in catalogue order. */
export function effectivePermissions(user: { admin: boolean; planAdmin: boolean }, groups: readonly { permissions: readonly string[] }[]): Permission[] {
  if (user.admin) return [...PERMISSIONS];
  const granted = new Set<string>(groups.flatMap((g) => g.permissions));
  if (user.planAdmin) for (const p of PLAN_ADMIN_PERMISSIONS) granted.add(p);
  return PERMISSIONS.filter((p) => granted.has(p));
}

/**
 * The same as a set, for the state read on every request: union of the groups' permissions
 * (names no longer in the catalogue dropped), plus everything for an admin and the plan set
 * for a plan admin.
 */
export function effectivePermissionSet(admin: boolean, planAdmin: boolean, groupPermissions: string[][]): Set<Permission> {
  if (admin) return new Set(PERMISSIONS);
  const result = new Set<Permission>(planAdmin ? PLAN_ADMIN_PERMISSIONS : []);
  for (const list of groupPermissions) for (const p of list) if (isPermission(p)) result.add(p);
  return result;
}

/** The permission names a body sent, checked against the catalogue, deduplicated, in catalogue order. */
export function parsePermissions(sent: readonly string[], field = 'permissions'): Permission[] {
  const errors: FieldError[] = [];
  sent.forEach((name, index) => {
    if (!isPermission(name)) errors.push({ field: `${field}[${index}]`, message: `is not a permission; see GET /api/v2/permissions` });
  });
  if (errors.length) throw DomainError.validation(errors);
  return PERMISSIONS.filter((p) => sent.includes(p));
}

/**
 * Privilege guard: a caller may not make a group hold a permission it lacks itself, or
 * groups:write would let it hand itself (through a group it belongs to) anything. Only the
 * permissions a change adds count, so a non-admin can still rename a group or take
 * permissions away. The operator and admins hold the whole catalogue and pass.
 */
export function ungrantable(caller: Principal, before: readonly Permission[], after: readonly Permission[]): Permission[] {
  return after.filter((p) => !before.includes(p) && !hasPermission(caller, p));
}

/**
 * The privilege guard: a caller that is neither the operator nor an admin may not change a
 * privileged flag, nor put a user into a group holding a permission it lacks itself.
 * Values a user already has are no grant, so resending them is allowed. `groups` are the
 * rows that will be written (canonical ids, found in the tenant), never the ids as sent.
 */
export function assertMayGrant(
  ctx: TenantContext,
  input: { readonly [flag in PrivilegedFlag]?: boolean },
  current: Readonly<Record<PrivilegedFlag, boolean>> | null,
  heldGroupIds: ReadonlySet<string>,
  groups: readonly { id: string; permissions: readonly Permission[] }[] | undefined,
): void {
  const { principal } = ctx;
  if (principal.kind === 'operator' || principal.admin) return;
  for (const flag of PRIVILEGED_FLAGS) {
    const wanted = input[flag];
    if (wanted !== undefined && wanted !== (current?.[flag] ?? false)) {
      throw new DomainError('forbidden', `Only an admin may set ${flag}`);
    }
  }
  const added = (groups ?? []).filter((group) => !heldGroupIds.has(group.id));
  const lacking = new Set(added.flatMap((g) => g.permissions).filter((p) => !principal.permissions.has(p)));
  if (lacking.size > 0) {
    throw new DomainError('forbidden', `A group grants permissions the caller lacks: ${[...lacking].sort().join(', ')}`);
  }
}

/**
 * Acting on a more privileged user (API.md section 2, Keycloak's IllegalAdminUpgrade rule):
 * changing another user's credentials or standing needs every permission that user holds,
 * and an admin is changed only by an admin or the operator. Otherwise users:write would let
 * its holder take over an admin: reset its API key, set its password, switch its TFA off.
 */
export function assertMayActOn(
  ctx: TenantContext,
  target: { id: string; admin: boolean; planAdmin: boolean },
  targetGroups: readonly { permissions: readonly Permission[] }[],
): void {
  const { principal } = ctx;
  if (principal.kind === 'operator' || principal.admin) return;
  if (target.admin) throw new DomainError('forbidden', "Only an admin may change an admin's credentials or standing");
  const lacking = effectivePermissions(target, targetGroups).filter((p) => !principal.permissions.has(p));
  if (lacking.length > 0) {
    throw new DomainError('forbidden', `The user holds permissions the caller lacks: ${lacking.join(', ')}`);
  }
}
