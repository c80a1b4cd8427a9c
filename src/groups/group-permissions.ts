import { PERMISSIONS, isPermission, type Permission } from '../auth/permissions.js';
import { hasPermission, type Principal } from '../auth/principal.js';
import { DomainError, type FieldError } from '../common/errors.js';

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
