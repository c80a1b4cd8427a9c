import type { EntityManager } from 'typeorm';
import type { TenantContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import type { Group } from '../groups/group.entity.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { effectivePermissions } from './dto/user-response.dto.js';
import type { UserInputDto } from './dto/user.dto.js';
import { User } from './user.entity.js';

/** Flags only an admin or the operator may change (API.md section 2). */
const PRIVILEGED_FLAGS = ['admin', 'planAdmin', 'canViewMaskedData'] as const;

/**
 * The privilege guard: a caller that is neither the operator nor an admin may not change a
 * privileged flag, nor put a user into a group holding a permission it lacks itself.
 * Values a user already has are no grant, so resending them is allowed. `groups` are the
 * rows that will be written (canonical ids, found in the tenant), never the ids as sent.
 */
export function assertMayGrant(
  ctx: TenantContext,
  input: Pick<UserInputDto, (typeof PRIVILEGED_FLAGS)[number]>,
  current: User | null,
  heldGroupIds: ReadonlySet<string>,
  groups: readonly Pick<Group, 'id' | 'permissions'>[] | undefined,
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
export function assertMayActOn(ctx: TenantContext, target: Pick<User, 'id' | 'admin' | 'planAdmin'>, targetGroups: readonly Pick<Group, 'permissions'>[]): void {
  const { principal } = ctx;
  if (principal.kind === 'operator' || principal.admin) return;
  if (target.admin) throw new DomainError('forbidden', "Only an admin may change an admin's credentials or standing");
  const lacking = effectivePermissions(target, targetGroups).filter((p) => !principal.permissions.has(p));
  if (lacking.length > 0) {
    throw new DomainError('forbidden', `The user holds permissions the caller lacks: ${lacking.join(', ')}`);
  }
}

/**
 * Serialises the changes that can take a tenant's last admin away (demotion, deactivation,
 * deletion): each takes the tenant's row lock first, before any user row, so two admins
 * demoting each other run one after the other and the second sees the first's change.
 * SQLite runs one transaction at a time, so only MySQL/MariaDB needs the lock.
 */
export async function lockTenantAdmins(manager: EntityManager, tenantId: string): Promise<void> {
  if (manager.connection.options.type === 'better-sqlite3') return;
  await manager.createQueryBuilder(Tenant, 't').select('t.id').where('t.id = :tenantId', { tenantId }).setLock('pessimistic_write').getRawOne();
}

/**
 * A tenant keeps at least one active admin: the last one cannot lose the flag, be
 * deactivated or be deleted. Run after lockTenantAdmins, in the same transaction; the count
 * is a locking read, so it sees every committed change whatever the transaction read before.
 */
export async function assertKeepsAnAdmin(manager: EntityManager, user: User, change: { admin?: boolean; active?: boolean; deleted?: boolean }): Promise<void> {
  if (!user.admin || !user.active) return;
  if (change.admin !== false && change.active !== false && change.deleted !== true) return;
  const qb = manager
    .createQueryBuilder(User, 'u')
    .select('u.id')
    .where('u.tenant_id = :tenantId', { tenantId: user.tenantId })
    .andWhere('u.admin = 1 AND u.active = 1')
    .andWhere('u.id <> :id', { id: user.id })
    .limit(1);
  if (manager.connection.options.type !== 'better-sqlite3') qb.setLock('pessimistic_read');
  const other = await qb.getRawOne();
  if (!other) throw new DomainError('last_admin', 'This is the last active admin of the tenant; make another admin first');
}
