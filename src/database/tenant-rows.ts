import type { DataSource, EntityManager, FindOptionsWhere } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { isUuid } from '../common/ids.js';
import { pageById } from '../common/pagination.js';

/** A MySQL/MariaDB row lock; SQLite needs none, its transactions are serialized by Database. */
export type RowLock = 'pessimistic_write' | 'pessimistic_read';

/**
 * One row of a tenant's table by its id, or null: the tenant is part of the lookup, so another
 * tenant's row is not found, and an id that is not a UUID is not looked up at all. With `lock`,
 * on MySQL/MariaDB the row stays locked until the caller's transaction ends.
 */
export async function findInTenant<T extends { id: string; tenantId: string }>(
  manager: EntityManager,
  target: new () => T,
  tenantId: string,
  id: string,
  lock?: RowLock,
): Promise<T | null> {
  if (!isUuid(id)) return null;
  const qb = manager
    .createQueryBuilder(target, 'e')
    .where('e.tenant_id = :tenantId', { tenantId })
    .andWhere('e.id = :id', { id });
  if (lock && manager.connection.options.type !== 'better-sqlite3') qb.setLock(lock);
  return qb.getOne();
}

/**
 * Whether the tenant's table holds the row with this id: what a write of rows that hang off it
 * (and carry the tenant) checks first, so that no such row can name a tenant its parent is not in.
 */
export function existsInTenant<T extends { id: string; tenantId: string }>(manager: EntityManager, target: new () => T, tenantId: string, id: string): Promise<boolean> {
  if (!isUuid(id)) return Promise.resolve(false);
  return manager.existsBy(target, { id, tenantId } as FindOptionsWhere<T>);
}

/** Lists of ids are sent in slices of this many parameters. */
const SLICE = 500;

/** `values` in slices of at most 500, each to be sent as one statement's IN list. */
export function slices<T>(values: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += SLICE) out.push(values.slice(i, i + SLICE));
  return out;
}

/** A row of a tenant's own table: a UUIDv7 id (so id order is creation order) and its tenant. */
interface TenantRow {
  id: string;
  tenantId: string;
}

/**
 * What the repositories of a tenant's own tables (groups, plans) share: one row by id, a page
 * in id order, and the writes of one row, each with the tenant first and in every statement.
 */
export abstract class TenantRowsRepository<T extends TenantRow> {
  protected constructor(
    protected readonly dataSource: DataSource,
    private readonly target: new () => T,
    /** The table's alias in the page's statement. */
    private readonly alias: string,
  ) {}

  /** One row of the tenant, or null; with `lock`, locked (MySQL/MariaDB) until the transaction ends. */
  find(tenantId: string, id: string, manager: EntityManager = this.dataSource.manager, lock?: RowLock): Promise<T | null> {
    return findInTenant(manager, this.target, tenantId, id, lock);
  }

  /** The tenant's rows oldest first (ids are time-ordered), keyset by id like the other lists. */
  page(tenantId: string, limit: number, after: string | undefined): Promise<{ rows: T[]; nextCursor: string | null }> {
    const qb = this.dataSource.getRepository(this.target).createQueryBuilder(this.alias).where(`${this.alias}.tenant_id = :tenantId`, { tenantId });
    return pageById(qb, limit, after);
  }

  async insert(tenantId: string, row: T, manager: EntityManager): Promise<void> {
    if (row.tenantId !== tenantId) throw new Error(`a row of another tenant in an insert into ${this.target.name}`);
    await manager.insert(this.target, row as QueryDeepPartialEntity<T>);
  }

  async update(tenantId: string, id: string, changes: Partial<Omit<T, 'id' | 'tenantId' | 'tenant'>>, manager: EntityManager): Promise<void> {
    await manager.update(this.target, { id, tenantId } as FindOptionsWhere<T>, changes as QueryDeepPartialEntity<T>);
  }

  /** Deletes the row (what hangs off it cascades); false when it was not there. */
  async remove(tenantId: string, id: string, manager: EntityManager): Promise<boolean> {
    const result = await manager.delete(this.target, { id, tenantId } as FindOptionsWhere<T>);
    return Boolean(result.affected);
  }
}
