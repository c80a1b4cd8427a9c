import type { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { hydrate, readEntities, readRows } from '../database/fast-query.js';
import { Group } from '../groups/group.entity.js';
import type { UserWithRelations } from './dto/user-response.dto.js';
import { UserPlan } from './user-relations.entity.js';
import { User } from './user.entity.js';

/*
 * Reading users for responses is the service's hot path (a list page is 50..200 users), so it
 * avoids two costs TypeORM adds on top of the driver (measured on MariaDB, 51 users):
 * - getMany() hydrates entities through its generic result transformer, about twice the
 *   cost of the query itself; the rows here are converted column by column instead, with the
 *   driver's own conversion (booleans, UTC dates, transformers), so values come out the same.
 * - one find() per child table meant five more round trips per page, each with a
 *   parameter per user id; the child tables are read in one UNION ALL instead.
 */

type Row = Record<string, unknown>;

/**
 * Runs a query over users (alias of the builder) and returns the users it selects, in order.
 * `forceIndex` names the index MySQL/MariaDB must read: MariaDB before 11.0 answers
 * `tenant_id = ? AND created_at > ? ORDER BY created_at, id LIMIT n` with ref access on
 * tenant_id and filters every index entry up to the cursor (120 ms at row 500,000 of a
 * 1,000,000-user tenant) instead of seeking it as a range (0.2 ms); USE INDEX is not enough
 * (MDEV-38072). SQLite plans the seek by itself.
 */
export async function readUsers(qb: SelectQueryBuilder<User>, forceIndex?: string): Promise<User[]> {
  const metadata = qb.connection.getMetadata(User);
  const { driver } = qb.connection;
  const columns = metadata.columns.map((c) => `${qb.alias}.${driver.escape(c.databaseName)} AS ${driver.escape(c.databaseName)}`);
  qb.select(columns);
  let rows: Row[];
  if (forceIndex !== undefined && (qb.connection.options.type === 'mysql' || qb.connection.options.type === 'mariadb')) {
    const [sql, parameters] = qb.getQueryAndParameters();
    const from = `FROM ${driver.escape(metadata.tableName)} ${driver.escape(qb.alias)}`;
    if (!sql.includes(from)) throw new Error(`readUsers: no "${from}" in the query to hint`);
    rows = await qb.connection.query(sql.replace(from, `${from} FORCE INDEX (${driver.escape(forceIndex)})`), parameters);
  } else {
    rows = await qb.getRawMany<Row>();
  }
  return rows.map((row) => hydrate(metadata, row, new User()));
}

/** One user of a tenant by id, externalId or (lower-cased) email, or null. */
export async function readUser(manager: EntityManager, tenantId: string, by: 'id' | 'externalId' | 'email', value: string): Promise<User | null> {
  const column = by === 'id' ? 'e.id' : by === 'externalId' ? 'e.external_id' : 'e.email';
  const [user] = await readEntities(manager, User, `e.tenant_id = ? AND ${column} = ?`, [tenantId, value]);
  return user ?? null;
}

const childRowsSqlCache = new WeakMap<DataSource, Map<number, string>>();

/**
 * The SQL of the child rows of some users: one SELECT per child table, same columns each.
 * The tenant condition is written `+x.tenant_id` so that no planner reads it as an index
 * prefix: SQLite otherwise picks the covering (tenant_id, …) index and walks every row of
 * the tenant; the user ids are what to seek, and the tenant is checked on each row found.
 */
function childRowsSql(manager: EntityManager, userCount: number): string {
  let cache = childRowsSqlCache.get(manager.connection);
  if (!cache) childRowsSqlCache.set(manager.connection, (cache = new Map()));
  let sql = cache.get(userCount);
  if (!sql) cache.set(userCount, (sql = buildChildRowsSql((name) => manager.connection.driver.escape(name), userCount)));
  return sql;
}

/**
 * The child-rows statement for `userCount` users, with `table` quoting table names for the
 * dialect. Parameters: the tenant and the user ids, five times over.
 */
export function buildChildRowsSql(table: (name: string) => string, userCount: number): string {
  const users = `IN (${Array.from({ length: userCount }, () => '?').join(', ')})`;
  return [
    `SELECT 'group' AS kind, ug.user_id AS user_id, g.id AS ref, g.name AS label, g.permissions AS permissions,
            NULL AS valid_from, NULL AS valid_to, 0 AS position
       FROM ${table('user_groups')} ug JOIN ${table('groups')} g ON g.id = ug.group_id
      WHERE +ug.tenant_id = ? AND ug.user_id ${users}`,
    `SELECT 'ip', w.user_id, NULL, w.entry, NULL, NULL, NULL, w.position
       FROM ${table('user_ip_whitelist')} w WHERE +w.tenant_id = ? AND w.user_id ${users}`,
    `SELECT 'tag', t.user_id, NULL, t.tag, NULL, NULL, NULL, t.position
       FROM ${table('user_client_tags')} t WHERE +t.tenant_id = ? AND t.user_id ${users}`,
    `SELECT 'plan', up.user_id, p.id, p.name, NULL, up.valid_from, up.valid_to, 0
       FROM ${table('user_plans')} up JOIN ${table('plans')} p ON p.id = up.plan_id
      WHERE +up.tenant_id = ? AND up.user_id ${users}`,
    `SELECT 'tfa', f.user_id, NULL, NULL, NULL, NULL, NULL, 0
       FROM ${table('user_tfa')} f WHERE +f.tenant_id = ? AND f.user_id ${users} AND f.confirmed = 1`,
  ].join('\nUNION ALL\n');
}

const IN_LIST_SIZES = [1, 2, 5, 10, 20, 50, 100, 200];

/** The smallest of IN_LIST_SIZES that holds n ids; past the largest, the next multiple of it. */
export function inListSize(n: number): number {
  const largest = IN_LIST_SIZES.at(-1)!;
  return IN_LIST_SIZES.find((size) => size >= n) ?? Math.ceil(n / largest) * largest;
}

/**
 * The users with their groups, allow-list, client tags, plans and TFA enrolment, in one query. Allow-list
 * entries and tags keep the order they were sent in; groups and plans are sorted by name.
 */
export async function loadRelations(manager: EntityManager, tenantId: string, users: User[]): Promise<UserWithRelations[]> {
  if (!users.length) return [];
  const ids = users.map((u) => u.id);
  // The IN list is padded (with the first id again) to one of a few sizes, so that a handful of
  // statements serve every page size: on MariaDB each distinct statement is prepared once per
  // pooled connection and kept.
  const padded = [...ids, ...Array.from({ length: inListSize(ids.length) - ids.length }, () => ids[0]!)];
  const rows = await readRows(manager, childRowsSql(manager, padded.length), Array.from({ length: 5 }, () => [tenantId, ...padded]).flat());
  const groupMetadata = manager.connection.getMetadata(Group);
  const planMetadata = manager.connection.getMetadata(UserPlan);
  const byUser = new Map<string, UserWithRelations>(
    users.map((user) => [user.id, { user, groups: [], ipWhitelist: [], clientTags: [], plans: [], tfaEnrolled: false }]),
  );
  // Allow-list entries and tags keep their sent order: the rows are sorted here rather than by
  // an ORDER BY over the UNION, which cost MariaDB a sort of a temporary table (4,000 vs 7,400 reads/s).
  rows.sort((a, b) => Number(a.position) - Number(b.position));
  for (const row of rows) {
    const loaded = byUser.get(String(row.user_id));
    if (!loaded) continue;
    const label = String(row.label);
    switch (row.kind) {
      case 'group': {
        const { permissions } = hydrate(groupMetadata, { permissions: row.permissions }, {} as Pick<Group, 'permissions'>);
        loaded.groups.push({ id: String(row.ref), name: label, permissions });
        break;
      }
      case 'ip':
        loaded.ipWhitelist.push(label);
        break;
      case 'tag':
        loaded.clientTags.push(label);
        break;
      case 'plan': {
        const { validFrom, validTo } = hydrate(planMetadata, { valid_from: row.valid_from, valid_to: row.valid_to }, {} as Pick<UserPlan, 'validFrom' | 'validTo'>);
        loaded.plans.push({ planId: String(row.ref), name: label, validFrom, validTo });
        break;
      }
      case 'tfa':
        loaded.tfaEnrolled = true;
        break;
    }
  }
  for (const loaded of byUser.values()) {
    loaded.groups.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    loaded.plans.sort((a, b) => a.name.localeCompare(b.name) || a.planId.localeCompare(b.planId));
  }
  return [...byUser.values()];
}
