import type { EntityManager } from 'typeorm';
import { DomainError } from '../common/errors.js';
import { lockTenantRow } from '../tenants/tenants.repository.js';
import type { User } from './user.entity.js';
import { hasAnotherActiveAdmin } from './users.repository.js';

/**
 * Serialises the changes that can take a tenant's last admin away (demotion, deactivation,
 * deletion): each takes the tenant's row lock first, before any user row, so two admins
 * demoting each other run one after the other and the second sees the first's change.
 * SQLite runs one transaction at a time, so only MySQL/MariaDB needs the lock.
 */
export function lockTenantAdmins(manager: EntityManager, tenantId: string): Promise<void> {
  return lockTenantRow(tenantId, manager);
}

/**
 * A tenant keeps at least one active admin: the last one cannot lose the flag, be
 * deactivated or be deleted. Run after lockTenantAdmins, in the same transaction; the count
 * is a locking read, so it sees every committed change whatever the transaction read before.
 */
export async function assertKeepsAnAdmin(manager: EntityManager, user: User, change: { admin?: boolean; active?: boolean; deleted?: boolean }): Promise<void> {
  if (!user.admin || !user.active) return;
  if (change.admin !== false && change.active !== false && change.deleted !== true) return;
  const other = await hasAnotherActiveAdmin(user.tenantId, user.id, manager);
  if (!other) throw new DomainError('last_admin', 'This is the last active admin of the tenant; make another admin first');
}
