import type { EntityManager } from 'typeorm';
import { DomainError } from '../common/errors.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { User } from './user.entity.js';

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
