import type { DataSource, EntityManager } from 'typeorm';
import { hydrate, readRows } from '../database/fast-query.js';
import { Group } from '../groups/group.entity.js';
import type { UserWithRelations } from './dto/user-response.dto.js';
import { UserPlan } from './user-relations.entity.js';
import type { User } from './user.entity.js';

/*
 * Users' child rows (their groups, allow-list entries, client tags, plans and TFA enrolment):
 * the statements that read them for many users of a tenant at once, each checking the tenant
 * on every row it finds, and their loading into users' representations or page rows. The
 * users themselves are read in users.repository.ts.
 */

const childRowsSqlCache = new WeakMap<DataSource, Map<string, string>>();

/** The kinds of child rows a user has: its groups, allow-list entries, client tags, plans and TFA enrolment. */
export type ChildRowKind = 'group' | 'ip' | 'tag' | 'plan' | 'tfa';
export const CHILD_ROW_KINDS: readonly ChildRowKind[] = ['group', 'ip', 'tag', 'plan', 'tfa'];

/**
 * How the child-row statement names its users: `n` placeholders (an IN list of n ids), or
 * 'json' (MySQL/MariaDB: one JSON array of ids, joined through JSON_TABLE).
 */
export type ChildRowUsers = number | 'json';

/**
 * MySQL/MariaDB name more than this many users as one JSON array rather than an IN list. For
 * a page of 50, the IN lists cost MariaDB a range analysis (an index dive for each id, 250 in
 * all) and mysql2 encoding 255 parameters on every request: the statement alone, timed with
 * mysql2 at 10 connections on the 1,000,000-user database, took MariaDB 1,082-1,545 µs and the
 * client 422-461 µs; through JSON_TABLE 364-374 µs and 169-170 µs.
 */
const JSON_IDS_FROM = 2;

/**
 * The child rows' statement and parameters for the users `ids` of the tenant: an IN list
 * padded (with the first id again) to one of a few sizes, so that a handful of statements
 * serve every page size (on MariaDB each distinct statement is prepared once per pooled
 * connection and kept), or on MySQL/MariaDB, past JSON_IDS_FROM users, one statement for any
 * number of them, the ids as one JSON array.
 */
export function childRowsQuery(tenantId: string, manager: EntityManager, ids: string[], kinds: readonly ChildRowKind[]): { sql: string; params: unknown[] } {
  const type = manager.connection.driver.options.type;
  if ((type === 'mysql' || type === 'mariadb') && ids.length > JSON_IDS_FROM) {
    const json = JSON.stringify(ids);
    return { sql: childRowsSql(manager, 'json', kinds), params: kinds.flatMap(() => [json, tenantId]) };
  }
  const padded = [...ids, ...Array.from({ length: inListSize(ids.length) - ids.length }, () => ids[0]!)];
  return { sql: childRowsSql(manager, padded.length, kinds), params: kinds.flatMap(() => [tenantId, ...padded]) };
}

/**
 * The SQL of the child rows of some users: one SELECT per child table, same columns each.
 * The tenant condition is written `+x.tenant_id` so that no planner reads it as an index
 * prefix: SQLite otherwise picks the covering (tenant_id, …) index and walks every row of
 * the tenant; the user ids are what to seek, and the tenant is checked on each row found.
 */
function childRowsSql(manager: EntityManager, users: ChildRowUsers, kinds: readonly ChildRowKind[] = CHILD_ROW_KINDS): string {
  let cache = childRowsSqlCache.get(manager.connection);
  if (!cache) childRowsSqlCache.set(manager.connection, (cache = new Map()));
  const key = `${users}:${kinds.join(',')}`;
  let sql = cache.get(key);
  if (!sql) cache.set(key, (sql = buildChildRowsSql((name) => manager.connection.driver.escape(name), users, kinds)));
  return sql;
}

/**
 * The child-rows statement for `users` (see ChildRowUsers), with `table` quoting table names
 * for the dialect: every kind of child row, or only `kinds`. Parameters, once per kind: the
 * tenant and the user ids (an IN list), or the ids' JSON array and the tenant ('json').
 *
 * The JSON form reads the ids first and seeks each child table's primary key (user_id, …)
 * with each: STRAIGHT_JOIN keeps that order and FORCE INDEX (PRIMARY) keeps MariaDB from
 * walking the tenant's (tenant_id, …) index instead, which it estimates cheaper for a tenant
 * with few child rows and which would read every child row of a large one.
 */
export function buildChildRowsSql(table: (name: string) => string, users: ChildRowUsers, kinds: readonly ChildRowKind[] = CHILD_ROW_KINDS): string {
  const json = users === 'json';
  const inList = json ? '' : `IN (${Array.from({ length: users }, () => '?').join(', ')})`;
  /** The FROM clause and the condition on the users and the tenant, for a child table and its alias. */
  const from = (name: string, alias: string): { from: string; where: string } =>
    json
      ? {
          from: `JSON_TABLE(?, '$[*]' COLUMNS (id VARCHAR(36) PATH '$')) ids STRAIGHT_JOIN ${table(name)} ${alias} FORCE INDEX (PRIMARY) ON ${alias}.user_id = ids.id`,
          where: `${alias}.tenant_id = ?`,
        }
      : { from: `${table(name)} ${alias}`, where: `+${alias}.tenant_id = ? AND ${alias}.user_id ${inList}` };
  // The group and plan of each child row by their primary key too (a planner may scan a
  // tenant's few groups instead, and every tenant's with them).
  const join = (name: string, alias: string) => (json ? `STRAIGHT_JOIN ${table(name)} ${alias} FORCE INDEX (PRIMARY)` : `JOIN ${table(name)} ${alias}`);
  // The first SELECT names the result's columns: the groups' when they are read, else the
  // first kind read, with the names written in.
  const named = `AS kind, %.user_id AS user_id, % AS ref, % AS label, NULL AS permissions, % AS valid_from, % AS valid_to, % AS position`;
  const columns = (first: boolean, alias: string, ref: string, label: string, validFrom: string, validTo: string, position: string): string => {
    const values = [alias, ref, label, validFrom, validTo, position];
    return first ? named.replace(/%/g, () => values.shift()!) : `${alias}.user_id, ${ref}, ${label}, NULL, ${validFrom}, ${validTo}, ${position}`;
  };
  const ug = from('user_groups', 'ug');
  const w = from('user_ip_whitelist', 'w');
  const t = from('user_client_tags', 't');
  const up = from('user_plans', 'up');
  const f = from('user_tfa', 'f');
  const parts: Record<ChildRowKind, (first: boolean) => string> = {
    group: () => `SELECT 'group' AS kind, ug.user_id AS user_id, g.id AS ref, g.name AS label, g.permissions AS permissions,
            NULL AS valid_from, NULL AS valid_to, 0 AS position
       FROM ${ug.from} ${join('groups', 'g')} ON g.id = ug.group_id
      WHERE ${ug.where}`,
    ip: (first) => `SELECT 'ip'${first ? ' ' : ', '}${columns(first, 'w', 'NULL', 'w.entry', 'NULL', 'NULL', 'w.position')}
       FROM ${w.from} WHERE ${w.where}`,
    tag: (first) => `SELECT 'tag'${first ? ' ' : ', '}${columns(first, 't', 'NULL', 't.tag', 'NULL', 'NULL', 't.position')}
       FROM ${t.from} WHERE ${t.where}`,
    plan: (first) => `SELECT 'plan'${first ? ' ' : ', '}${columns(first, 'up', 'p.id', 'p.name', 'up.valid_from', 'up.valid_to', '0')}
       FROM ${up.from} ${join('plans', 'p')} ON p.id = up.plan_id
      WHERE ${up.where}`,
    tfa: (first) => `SELECT 'tfa'${first ? ' ' : ', '}${columns(first, 'f', 'NULL', 'NULL', 'NULL', 'NULL', '0')}
       FROM ${f.from} WHERE ${f.where} AND f.confirmed = 1`,
  };
  return CHILD_ROW_KINDS.filter((kind) => kinds.includes(kind))
    .map((kind, index) => parts[kind](index === 0))
    .join('\nUNION ALL\n');
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
export async function loadRelations(tenantId: string, manager: EntityManager, users: User[], kinds: readonly ChildRowKind[] = CHILD_ROW_KINDS): Promise<UserWithRelations[]> {
  if (!users.length) return [];
  const chosen = CHILD_ROW_KINDS.filter((kind) => kinds.includes(kind));
  const query = chosen.length ? childRowsQuery(tenantId, manager, users.map((u) => u.id), chosen) : null;
  const rows = query ? await readRows(manager, query.sql, query.params) : [];
  const groupMetadata = manager.connection.getMetadata(Group);
  const planMetadata = manager.connection.getMetadata(UserPlan);
  const byUser = new Map<string, UserWithRelations>(
    users.map((user) => [user.id, { user, groups: [], ipWhitelist: [], clientTags: [], plans: [], tfaEnrolled: false }]),
  );
  // A page's users share a few groups: each group's permissions are parsed once per page.
  const permissionsOf = new Map<string, Group['permissions']>();
  // Allow-list entries and tags keep their sent order: the rows are sorted here rather than by
  // an ORDER BY over the UNION, which cost MariaDB a sort of a temporary table (4,000 vs 7,400 reads/s).
  rows.sort((a, b) => Number(a.position) - Number(b.position));
  for (const row of rows) {
    const loaded = byUser.get(String(row.user_id));
    if (!loaded) continue;
    const label = String(row.label);
    switch (row.kind) {
      case 'group': {
        const id = String(row.ref);
        let permissions = permissionsOf.get(id);
        if (!permissions) {
          ({ permissions } = hydrate(groupMetadata, { permissions: row.permissions }, {} as Pick<Group, 'permissions'>));
          permissionsOf.set(id, permissions);
        }
        loaded.groups.push({ id, name: label, permissions });
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
    if (loaded.groups.length > 1) loaded.groups.sort((a, b) => byLocale(a.name, b.name) || byLocale(a.id, b.id));
    if (loaded.plans.length > 1) loaded.plans.sort((a, b) => byLocale(a.name, b.name) || byLocale(a.planId, b.planId));
  }
  return [...byUser.values()];
}

/**
 * SQLite: a list page's child rows, one statement a child table for all of the page's users
 * (their ids bound as one JSON array, the tenant after them), each handing over one JSON array
 * of [the user's place in the ids, …] rows: groups [id, name, permissions], allow-list entries
 * and client tags in their sent order, plans [id, name, validFrom, validTo], and the users with
 * a confirmed TFA enrolment. Each statement walks the ids and seeks the child table's primary
 * key for each (CROSS JOIN keeps SQLite's planner to that order, whatever the tenant holds). A correlated subquery a user and child table cost SQLite about as much when
 * the users had no child rows at all as when they had them (250 subqueries on a 50-user page).
 */
export const SQLITE_CHILD_ROWS = [
  `SELECT json_group_array(json_array(i.key, g.id, g.name, g.permissions)) FROM json_each(?) i CROSS JOIN user_groups ug ON ug.user_id = i.value JOIN "groups" g ON g.id = ug.group_id WHERE +ug.tenant_id = ?`,
  `SELECT json_group_array(json_array(i.key, w.entry) ORDER BY w.position) FROM json_each(?) i CROSS JOIN user_ip_whitelist w ON w.user_id = i.value WHERE +w.tenant_id = ?`,
  `SELECT json_group_array(json_array(i.key, t.tag) ORDER BY t.position) FROM json_each(?) i CROSS JOIN user_client_tags t ON t.user_id = i.value WHERE +t.tenant_id = ?`,
  `SELECT json_group_array(json_array(i.key, p.id, p.name, up.valid_from, up.valid_to)) FROM json_each(?) i CROSS JOIN user_plans up ON up.user_id = i.value JOIN plans p ON p.id = up.plan_id WHERE +up.tenant_id = ?`,
  `SELECT json_group_array(i.key) FROM json_each(?) i CROSS JOIN user_tfa f ON f.user_id = i.value WHERE +f.tenant_id = ? AND f.confirmed = 1`,
] as const;

/**
 * SQLite: appends to each user's row (its columns in metadata order, `id` at `idAt`) its child
 * rows as the PageRow has them after the columns: groups, allow-list, client tags, plans, and 1
 * when a confirmed TFA enrolment exists. `all` runs the statements (see readSqliteInTurn).
 */
export function withSqliteChildRows(all: (sql: string, params: unknown[]) => unknown[][], tenantId: string, rows: unknown[][], idAt: number): void {
  const ids = JSON.stringify(rows.map((row) => row[idAt]));
  placeSqliteChildRows(rows, SQLITE_CHILD_ROWS.map((sql) => all(sql, [ids, tenantId])[0]![0]));
}

/**
 * Appends to each row its child rows from what the statements of SQLITE_CHILD_ROWS answered for
 * these rows' ids (one JSON text each, in order), as withSqliteChildRows describes them.
 */
export function placeSqliteChildRows(rows: unknown[][], answers: readonly unknown[]): void {
  const n = rows[0]?.length ?? 0;
  for (const row of rows) row.push([], [], [], [], 0);
  const [groups, ipWhitelist, clientTags, plans, tfa] = answers.map((text) => JSON.parse(text as string) as unknown[]);
  const child = (at: unknown, k: number): unknown[] => rows[at as number]![n + k] as unknown[];
  for (const [at, id, name, permissions] of groups as unknown[][]) child(at, 0).push([id, name, permissions]);
  for (const [at, entry] of ipWhitelist as unknown[][]) child(at, 1).push(entry);
  for (const [at, tag] of clientTags as unknown[][]) child(at, 2).push(tag);
  for (const [at, id, name, validFrom, validTo] of plans as unknown[][]) child(at, 3).push([id, name, validFrom, validTo]);
  for (const at of tfa!) rows[at as number]![n + 4] = 1;
}

/**
 * Users' rows (their columns' values, the id at `idAt`) with their child rows appended, as
 * mysqlPageRows describes them: five values more a row, the rows themselves extended.
 */
export async function withChildRowValues(tenantId: string, manager: EntityManager, rows: unknown[][], idAt: number): Promise<unknown[][]> {
  if (!rows.length) return rows;
  const byUser = new Map<string, unknown[]>();
  const n = rows[0]!.length;
  for (const row of rows) {
    row.push([], [], [], [], 0);
    byUser.set(String(row[idAt]), row);
  }
  const query = childRowsQuery(tenantId, manager, [...byUser.keys()], CHILD_ROW_KINDS);
  const children = await readRows(manager, query.sql, query.params);
  children.sort((a, b) => Number(a.position) - Number(b.position));
  for (const child of children) {
    const row = byUser.get(String(child.user_id));
    if (!row) continue;
    switch (child.kind) {
      case 'group':
        (row[n] as unknown[]).push([String(child.ref), String(child.label), child.permissions]);
        break;
      case 'ip':
        (row[n + 1] as unknown[]).push(String(child.label));
        break;
      case 'tag':
        (row[n + 2] as unknown[]).push(String(child.label));
        break;
      case 'plan':
        (row[n + 3] as unknown[]).push([String(child.ref), String(child.label), child.valid_from, child.valid_to]);
        break;
      case 'tfa':
        row[n + 4] = 1;
        break;
    }
  }
  return rows;
}

/** `a.localeCompare(b)` (the default locale's collation, as ECMA-402 defines it), without building a collator per call. */
export const byLocale = new Intl.Collator().compare;

