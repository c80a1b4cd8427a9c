import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { isUuid } from '../common/ids.js';
import { pageById } from '../common/pagination.js';
import { readEntities } from '../database/fast-query.js';
import type { RowLock } from '../database/tenant-rows.js';
import { Tenant } from './tenant.entity.js';

/**
 * The one owner of the tenants table: its reads (by reference, a page, a policy) and its
 * writes. A tenant is the root every tenant-scoped row hangs off, so its id is the argument
 * here rather than a scope; everything else reads a tenant through TenantsService. (The login
 * statement joins the tenant's settings to the user's row in one read, sessions.repository.ts,
 * as its measured fast path.)
 */
@Injectable()
export class TenantsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * A tenant by id or by slug, whichever the reference is, or null: read on every login and every
   * operator request, so without the query builder.
   */
  async byRef(ref: string): Promise<Tenant | null> {
    const [tenant] = await readEntities(this.dataSource.manager, Tenant, isUuid(ref) ? 'e.id = ?' : 'e.slug = ?', [ref.toLowerCase()]);
    return tenant ?? null;
  }

  /**
   * A tenant by id, or null (an id that is not a UUID is not looked up). With `lock`, on
   * MySQL/MariaDB the row stays locked until the caller's transaction ends; SQLite runs one
   * transaction at a time and needs none.
   */
  find(id: string, manager: EntityManager = this.dataSource.manager, lock?: RowLock): Promise<Tenant | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    const qb = manager.createQueryBuilder(Tenant, 't').where('t.id = :id', { id });
    if (lock && manager.connection.options.type !== 'better-sqlite3') qb.setLock(lock);
    return qb.getOne();
  }

  /** The tenant's lockout policy (sessions/lockout.service.ts); throws when there is no such tenant. */
  lockoutPolicy(id: string): Promise<Pick<Tenant, 'id' | 'lockoutThreshold' | 'lockoutMinutes'>> {
    return this.dataSource.getRepository(Tenant).findOneOrFail({ where: { id }, select: { id: true, lockoutThreshold: true, lockoutMinutes: true } });
  }

  /** The shortest password the tenant accepts, or null when there is no such tenant. */
  async passwordMinLength(id: string): Promise<number | null> {
    const tenant = await this.dataSource.getRepository(Tenant).findOne({ where: { id }, select: { id: true, passwordMinLength: true } });
    return tenant?.passwordMinLength ?? null;
  }

  /** A page of every tenant by id, after `after` (an opaque cursor). */
  page(limit: number, after?: string): Promise<{ rows: Tenant[]; nextCursor: string | null }> {
    return pageById(this.dataSource.getRepository(Tenant).createQueryBuilder('t'), limit, after);
  }

  async insert(tenant: Tenant, manager: EntityManager): Promise<void> {
    await manager.insert(Tenant, tenant);
  }

  /** Writes the columns of `tenant` that differ from its stored row. */
  async save(tenant: Tenant, manager: EntityManager): Promise<void> {
    await manager.save(Tenant, tenant);
  }

  /** Deletes the tenant, and by cascade every row of it; false when there was none. */
  async remove(id: string, manager: EntityManager): Promise<boolean> {
    const result = await manager.delete(Tenant, { id });
    return Boolean(result.affected);
  }
}

/**
 * Takes the tenant's row lock (FOR UPDATE) in the caller's transaction: what serialises the
 * changes that can take a tenant's last admin away (see users/privileges.ts). A change of the
 * tenant's settings takes the same lock as it reads the row (find with 'pessimistic_write').
 * SQLite runs one transaction at a time, so only MySQL/MariaDB needs it.
 */
export async function lockTenantRow(tenantId: string, manager: EntityManager): Promise<void> {
  if (manager.connection.options.type === 'better-sqlite3') return;
  await manager.query('SELECT t.id FROM tenants t WHERE t.id = ? FOR UPDATE', [tenantId]);
}
