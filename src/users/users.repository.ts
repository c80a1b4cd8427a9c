import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type EntityMetadata } from 'typeorm';
import { compileCondition, type Condition, type Dialect, type FieldSql, type TableSql } from '../database/condition.js';
import { columnConverter, hydrate, hydrateValues, insertEntities, readArrays, readEntities, readRows, readSqliteInTurn, storedDatetimeIso } from '../database/fast-query.js';
import { Group } from '../groups/group.entity.js';
import { byLocale, type ChildRowKind, loadRelations, placeSqliteChildRows, SQLITE_CHILD_ROWS, withChildRowValues, withSqliteChildRows } from './child-rows.repository.js';
import { sqliteReaderFor } from '../database/sqlite-reader.js';
import type { PageColumns, PageConversions, PageRow } from './dto/user-page.json.js';
import type { UserWithRelations } from './dto/user-response.dto.js';
import type { UserSort, UsersFilter } from './dto/users-query.dto.js';
import { UserClientTag, UserGroup, UserIpWhitelistEntry, UserPlan } from './user-relations.entity.js';
import { User } from './user.entity.js';
import { newId } from '../common/ids.js';
import { RecoveryCode, UserTfa } from '../sessions/session.entities.js';

/*
 * Reading users for responses is the service's hot path (a list page is 50..200 users), so it
 * avoids what TypeORM adds on top of the driver:
 * - its query builder and query runner cost more than the statement (on SQLite the page's
 *   statement was prepared again on every request); every statement here is fixed SQL with
 *   `?` parameters, run through readRows (prepared once, kept);
 * - getMany() hydrates entities through its generic result transformer, about twice the cost
 *   of the query itself (MariaDB, 51 users); the rows here are converted column by column with
 *   the driver's own conversion (booleans, UTC dates, transformers), so values come out the same;
 * - one find() per child table meant five more round trips per page, each with a parameter per
 *   user id; the child tables are read in one UNION ALL instead (child-rows.repository.ts).
 * On SQLite a list page's statements run on the reader thread where there is one
 * (database/sqlite-reader.ts), so that the event loop serves other requests meanwhile.
 */

type Row = Record<string, unknown>;

/** A confirmed TOTP enrolment as stored: the sealed secret, its last step, the unused recovery codes' HMACs. */
export interface SourceSecondFactor {
  secretEncrypted: string;
  lastStep: number;
  recoveryCodeHashes: string[];
}

/** A user's credentials as an import with credentialsFrom copies them (API.md section 12). */
export interface SourceCredentials {
  passwordHash: string | null;
  secondFactor: SourceSecondFactor | null;
}

/** What names a user of another tenant to an import with credentialsFrom: the keys its record would be matched by. */
export interface SourceUserKeys {
  externalId: string | null;
  email: string;
}

/** The order of a list page: the column, whether it may be NULL, and the index (tenant_id, column, id) that serves it. */
const LIST_SORTS: Record<string, { column: string; index: string; nullable: boolean }> = {
  createdAt: { column: 'u.created_at', index: 'ix_users_tenant_created', nullable: false },
  name: { column: 'u.name', index: 'ix_users_tenant_name', nullable: false },
  email: { column: 'u.email', index: 'uq_users_tenant_email', nullable: false },
  lastLoginAt: { column: 'u.last_login_at', index: 'ix_users_tenant_last_login', nullable: true },
};

/** A page of the user list (GET /users): filters, a sort, and where the page starts. */
export interface UserListPage {
  filter: UsersFilter;
  sort: UserSort;
  /** Keyset: the page starts after this (sort value, id); a NULL value only for a nullable sort. */
  after?: { value: string | Date | null; id: string };
  offset: number;
  /** Users to show; one more is read, to know whether a next page exists. */
  limit: number;
}

/** `!` escapes LIKE wildcards; both databases accept it (SQLite rejects a two-character '\\'). */
function likePrefix(value: string): string {
  return `${value.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/** A Date parameter as TypeORM binds one: SQLite stores `YYYY-MM-DD HH:MM:SS.mmm` (UTC); mysql2 converts a Date itself. */
function sqlDate(dialect: Dialect, value: Date): Date | string {
  return dialect === 'sqlite' ? value.toISOString().slice(0, 23).replace('T', ' ') : value;
}

/** The list's WHERE clause (after `WHERE`), its tenant first; filters, never spliced. */
function listWhere(tenantId: string, filter: UsersFilter, params: unknown[]): string {
  const where = ['u.tenant_id = ?'];
  params.push(tenantId);
  if (filter.name !== undefined) {
    where.push(`u.name LIKE ? ESCAPE '!'`);
    params.push(likePrefix(filter.name));
  }
  if (filter.email !== undefined) {
    where.push('u.email = ?');
    params.push(filter.email);
  }
  if (filter.active === '1') where.push('u.active = 1');
  if (filter.deactivated === '1') where.push('u.active = 0');
  if (filter.admin === '1') where.push('u.admin = 1');
  if (filter.planAdmin === '1') where.push('u.plan_admin = 1');
  if (filter.externalId !== undefined) {
    where.push('u.external_id = ?');
    params.push(filter.externalId);
  }
  if (filter.group !== undefined) {
    where.push('u.id IN (SELECT ug.user_id FROM user_groups ug WHERE ug.tenant_id = ? AND ug.group_id = ?)');
    params.push(tenantId, filter.group);
  }
  if (filter.clientTag !== undefined) {
    where.push('u.id IN (SELECT uct.user_id FROM user_client_tags uct WHERE uct.tenant_id = ? AND uct.tag = ?)');
    params.push(tenantId, filter.clientTag);
  }
  if (filter.plan !== undefined) {
    where.push('u.id IN (SELECT up.user_id FROM user_plans up WHERE up.tenant_id = ? AND up.plan_id = ?)');
    params.push(tenantId, filter.plan);
  }
  return where.join(' AND ');
}

/**
 * Keyset condition "after (value, id)" in the sort's direction, written as
 * `col >= v AND (col > v OR id > lastId)` so the index gives one range from (tenant, v).
 * NULL sorts first ascending and last descending on both databases.
 */
function keysetCondition(dialect: Dialect, column: string, nullable: boolean, descending: boolean, after: NonNullable<UserListPage['after']>, params: unknown[]): string {
  const op = descending ? '<' : '>';
  if (after.value === null) {
    params.push(after.id);
    return descending ? `(${column} IS NULL AND u.id < ?)` : `((${column} IS NULL AND u.id > ?) OR ${column} IS NOT NULL)`;
  }
  const value = after.value instanceof Date ? sqlDate(dialect, after.value) : after.value;
  params.push(value, value, after.id);
  const range = `(${column} ${op}= ? AND (${column} ${op} ? OR u.id ${op} ?))`;
  return descending && nullable ? `(${range} OR ${column} IS NULL)` : range;
}

/** A page of users matching a condition, in a stable order. */
export interface UserSearch {
  where: Condition;
  /** A field of USER_FIELDS; ties (and no sort) go by creation, then id. */
  sort?: { field: string; descending: boolean };
  offset: number;
  limit: number;
}

const text = (column: string, mode: FieldSql['text'], nullable = true): FieldSql => ({ type: 'text', column, text: mode, nullable });

/**
 * The user fields a condition may name, as columns of `users u`. `userName` is the sign-in
 * name SCIM shows: the username, or the email when there is none. Its `eq` is written as two
 * index lookups, (tenant, username) and (tenant, email), so it is one seek on either
 * database whatever the tenant's size.
 */
function userTable(dialect: Dialect, tenantId: string, quote: (name: string) => string): TableSql {
  const exactOnMysql = (value: string, params: unknown[]): string => {
    if (dialect !== 'mysql') return '';
    params.push(value);
    return ' AND CAST(COALESCE(u.username, u.email) AS BINARY) = CAST(? AS BINARY)';
  };
  return {
    fields: {
      id: text('u.id', 'lower', false),
      externalId: text('u.external_id', 'exact'),
      userName: {
        ...text('COALESCE(u.username, u.email)', 'lower', false),
        eq: (value, params) => {
          params.push(tenantId, value, tenantId, value);
          const either = '((u.tenant_id = ? AND u.username = ?) OR (u.tenant_id = ? AND u.username IS NULL AND u.email = ?))';
          return `(${either}${exactOnMysql(value, params)})`;
        },
      },
      username: text('u.username', 'lower'),
      email: text('u.email', 'lower', false),
      name: text('u.name', 'fold', false),
      firstName: text('u.first_name', 'fold'),
      lastName: text('u.last_name', 'fold'),
      phone: text('u.phone', 'exact'),
      active: { type: 'boolean', column: 'u.active', nullable: false },
      createdAt: { type: 'timestamp', column: 'u.created_at', nullable: false },
      updatedAt: { type: 'timestamp', column: 'u.updated_at', nullable: false },
      version: { type: 'integer', column: 'u.version', nullable: false },
      employeeNumber: text('u.employee_number', 'exact'),
      costCenter: text('u.cost_center', 'fold'),
      organization: text('u.organization', 'fold'),
      division: text('u.division', 'fold'),
      department: text('u.department', 'fold'),
      managerId: text('u.manager_id', 'lower'),
    },
    relations: {
      groups: {
        open: (params) => {
          params.push(tenantId);
          return `EXISTS (SELECT 1 FROM user_groups ug JOIN ${quote('groups')} g ON g.id = ug.group_id WHERE ug.tenant_id = ? AND ug.user_id = u.id AND `;
        },
        fields: { id: text('g.id', 'lower', false), name: text('g.name', 'fold', false) },
      },
    },
  };
}

/** A condition that is only `userName eq "…"`. */
function isUserNameLookup(where: Condition): where is { kind: 'compare'; field: 'userName'; op: 'eq'; value: string } {
  return where.kind === 'compare' && where.field === 'userName' && where.op === 'eq' && typeof where.value === 'string';
}

/** One user of a tenant by id, externalId or (lower-cased) email, or null. */
export async function readUser(tenantId: string, manager: EntityManager, by: 'id' | 'externalId' | 'email', value: string): Promise<User | null> {
  const column = by === 'id' ? 'e.id' : by === 'externalId' ? 'e.external_id' : 'e.email';
  const [user] = await readEntities(manager, User, `e.tenant_id = ? AND ${column} = ?`, [tenantId, value]);
  return user ?? null;
}

/**
 * MySQL/MariaDB: a list page's user rows (as the driver gave them) as PageRows: each user's
 * columns in metadata order, then its groups [[id, name, permissions]], allow-list entries and
 * client tags (in their sent order), plans [[id, name, validFrom, validTo]] and 1 when a
 * confirmed TFA enrolment exists, as SQLite's statement hands them over. The child rows are
 * read in one statement, as loadRelations reads them.
 */
async function mysqlPageRows(tenantId: string, manager: EntityManager, metadata: EntityMetadata, users: Row[]): Promise<unknown[][]> {
  const rows = users.map((user) => metadata.columns.map((c) => user[c.databaseName]));
  return withChildRowValues(tenantId, manager, rows, metadata.columns.findIndex((c) => c.propertyName === 'id'));
}

type GroupJson = [id: string, name: string, permissions: string | null];
type PlanJson = [id: string, name: string, validFrom: string, validTo: string | null];

/**
 * A user and its child rows from a PageRow as UsersRepository.sqlitePage reads it, converted
 * as loadRelations converts the same rows, and in its order (groups and plans by name).
 */
function userFromJson(manager: EntityManager, metadata: EntityMetadata, values: unknown[], permissionsOf: Map<string | null, Group['permissions']>): UserWithRelations {
  const user = hydrateValues(metadata, values, new User());
  const [groups, ipWhitelist, clientTags, plans, tfa] = values.slice(metadata.columns.length) as [GroupJson[], string[], string[], PlanJson[], number];
  const groupMetadata = manager.connection.getMetadata(Group);
  const planMetadata = manager.connection.getMetadata(UserPlan);
  // A page's users share a few groups: each group's permissions are parsed once per page.
  const parsed = (text: string | null): Group['permissions'] => {
    let permissions = permissionsOf.get(text);
    if (!permissions) permissionsOf.set(text, (permissions = hydrate(groupMetadata, { permissions: text }, {} as Pick<Group, 'permissions'>).permissions));
    return permissions;
  };
  const loaded: UserWithRelations = {
    user,
    groups: groups.map(([id, name, permissions]) => ({ id, name, permissions: parsed(permissions) })),
    ipWhitelist,
    clientTags,
    plans: plans.map(([planId, name, validFrom, validTo]) => ({
      planId,
      name,
      ...hydrate(planMetadata, { valid_from: validFrom, valid_to: validTo }, {} as Pick<UserPlan, 'validFrom' | 'validTo'>),
    })),
    tfaEnrolled: tfa === 1,
  };
  if (loaded.groups.length > 1) loaded.groups.sort((a, b) => byLocale(a.name, b.name) || byLocale(a.id, b.id));
  if (loaded.plans.length > 1) loaded.plans.sort((a, b) => byLocale(a.name, b.name) || byLocale(a.planId, b.planId));
  return loaded;
}

/**
 * Whether the tenant has an active admin other than `userId`: on MySQL/MariaDB a locking read
 * (LOCK IN SHARE MODE), so it sees every committed change whatever the transaction read before.
 */
export async function hasAnotherActiveAdmin(tenantId: string, userId: string, manager: EntityManager): Promise<boolean> {
  const lock = manager.connection.options.type === 'better-sqlite3' ? '' : ' LOCK IN SHARE MODE';
  const rows = (await manager.query(`SELECT u.id FROM users u WHERE u.tenant_id = ? AND u.admin = 1 AND u.active = 1 AND u.id <> ? LIMIT 1${lock}`, [tenantId, userId])) as unknown[];
  return rows.length > 0;
}

/** Fields a page may be sorted by; ties go by creation, then id. */
export const USER_SORT_FIELDS = ['id', 'externalId', 'userName', 'email', 'name', 'firstName', 'lastName', 'createdAt', 'updatedAt', 'employeeNumber', 'department'] as const;

/**
 * Reads over the users table that take a condition. Every method takes the tenant first, and
 * every statement starts from `u.tenant_id = ?`; conditions are compiled to parameters, never
 * spliced into the SQL.
 */
@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get dialect(): Dialect {
    return this.dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
  }

  /** `u."column" AS "column"` for every column of User, as hydrate reads them. */
  private get userColumns(): string {
    if (this.columnsSql === undefined) {
      const escape = (name: string) => this.dataSource.driver.escape(name);
      this.columnsSql = this.dataSource.getMetadata(User).columns.map((c) => `u.${escape(c.databaseName)} AS ${escape(c.databaseName)}`).join(', ');
    }
    return this.columnsSql;
  }

  private columnsSql?: string;

  /**
   * The columns the user representation shows: the export reads no hash (nor what only a
   * write needs), so no secret is even read on its way out, and a million users carry less.
   */
  private get exportColumns(): string {
    if (this.exportColumnsSql === undefined) {
      const escape = (name: string) => this.dataSource.driver.escape(name);
      this.exportColumnsSql = this.exportColumnList.map((c) => `u.${escape(c.databaseName)} AS ${escape(c.databaseName)}`).join(', ');
    }
    return this.exportColumnsSql;
  }

  private exportColumnsSql?: string;

  /** The columns of User the export reads (see exportColumns), in metadata order. */
  private get exportColumnList(): EntityMetadata['columns'] {
    const unread = new Set(['passwordHash', 'importedHashDigest', 'failedLogins', 'nameExplicit']);
    return this.dataSource.getMetadata(User).columns.filter((c) => !unread.has(c.propertyName));
  }

  /** One user of the tenant by id, externalId or (lower-cased) email, or null. */
  findOne(tenantId: string, by: 'id' | 'externalId' | 'email', value: string, manager: EntityManager = this.dataSource.manager): Promise<User | null> {
    return readUser(tenantId, manager, by, value);
  }

  /**
   * One user of the tenant by id or externalId, read to be changed in the caller's transaction:
   * on MySQL/MariaDB the row is locked (FOR UPDATE) until it ends; SQLite transactions are
   * serialized by Database, so it needs no lock.
   */
  async findForUpdate(tenantId: string, by: 'id' | 'externalId', value: string, manager: EntityManager): Promise<User | null> {
    const column = by === 'id' ? 'u.id' : 'u.external_id';
    const lock = this.dialect === 'mysql' ? ' FOR UPDATE' : '';
    const rows = (await manager.query(`SELECT ${this.userColumns} FROM users u WHERE u.tenant_id = ? AND ${column} = ?${lock}`, [tenantId, value])) as Row[];
    const metadata = this.dataSource.getMetadata(User);
    return rows[0] ? hydrate(metadata, rows[0], new User()) : null;
  }

  /**
   * The SELECT of a list page and its parameters, the tenant first. `select` is what each row
   * holds (its parameters come first, as the select list comes first); `limit` rows are read.
   */
  private pageSql(tenantId: string, page: UserListPage, limit: number, select: { sql: string; params: unknown[] }): { sql: string; params: unknown[] } {
    const sort = LIST_SORTS[page.sort.replace(/^-/, '')];
    if (!sort) throw new Error(`users cannot be listed by ${page.sort}`);
    const descending = page.sort.startsWith('-');
    const params: unknown[] = [...select.params];
    let where = listWhere(tenantId, page.filter, params);
    if (page.after) where += ` AND ${keysetCondition(this.dialect, sort.column, sort.nullable, descending, page.after, params)}`;
    // MariaDB before 11.0 answers `tenant_id = ? AND created_at > ? ORDER BY created_at, id
    // LIMIT n` with ref access on tenant_id and filters every index entry up to the cursor
    // (120 ms at row 500,000 of a 1,000,000-user tenant) instead of seeking it as a range
    // (0.2 ms); USE INDEX is not enough (MDEV-38072). So an unfiltered page after a cursor, a
    // seek into the sort's index, names the index; with filters, the optimizer's choice of
    // the filter's index stands. SQLite plans the seek by itself.
    const unfiltered = Object.values(page.filter).every((value) => value === undefined);
    const hint = page.after && unfiltered && this.dialect === 'mysql' ? ` FORCE INDEX (${this.dataSource.driver.escape(sort.index)})` : '';
    const direction = descending ? 'DESC' : 'ASC';
    const rows = Math.max(0, Math.trunc(limit));
    const offset = Math.max(0, Math.trunc(page.offset));
    // The limit and offset are bound, so one prepared statement serves every page size (on
    // MySQL/MariaDB, as numbers: the binary protocol and the text one both take them).
    const tail = 'LIMIT ? OFFSET ?';
    params.push(rows, offset);
    return { sql: `SELECT ${select.sql} FROM users u${hint} WHERE ${where} ORDER BY ${sort.column} ${direction}, u.id ${direction} ${tail}`, params };
  }

  /**
   * SQLite: each user of a page as one JSON array of its columns (`read`, in metadata order: a
   * string a user to hand over from SQLite instead of a value a column); its child rows follow
   * from SQLITE_CHILD_ROWS, read right after the page (see sqliteRows).
   */
  private sqliteUserColumns(read: EntityMetadata['columns'] = this.dataSource.getMetadata(User).columns): { sql: string; params: unknown[] } {
    const escape = (name: string) => this.dataSource.driver.escape(name);
    const columns = read.map((c) => `u.${escape(c.databaseName)}`).join(', ');
    return { sql: `json_array(${columns}) AS json`, params: [] };
  }

  /** The SQL of a list page's users, as listPage runs it (the child rows follow it). */
  listPageSql(tenantId: string, page: UserListPage): { sql: string; params: unknown[] } {
    const select = this.dialect === 'sqlite' ? this.sqliteUserColumns() : { sql: this.userColumns, params: [] };
    return this.pageSql(tenantId, page, page.limit + 1, select);
  }

  /**
   * A page of the tenant's users for GET /users, in the sort's order, with their child rows,
   * and whether more follow: as the general representation's input (UserWithRelations), for
   * readers that map users one by one (the export).
   */
  async listPage(tenantId: string, page: UserListPage, manager: EntityManager = this.dataSource.manager): Promise<{ users: UserWithRelations[]; more: boolean }> {
    if (page.limit <= 0) return { users: [], more: false };
    const metadata = this.dataSource.getMetadata(User);
    if (this.dialect === 'mysql') {
      const rows = await this.mysqlPage(tenantId, page, manager);
      const users = rows.slice(0, page.limit).map((row) => hydrate(metadata, row, new User()));
      return { users: await loadRelations(tenantId, manager, users), more: rows.length > page.limit };
    }
    const rows = await this.sqlitePage(tenantId, page, manager);
    const permissionsOf = new Map<string | null, Group['permissions']>();
    const users = rows.slice(0, page.limit).map((row) => userFromJson(manager, metadata, row, permissionsOf));
    return { users, more: rows.length > page.limit };
  }

  /**
   * The same page as rows, for writeUserPage: each user's columns as stored, then its child
   * rows (see PageColumns), with where each value sits and how a stored value converts; and
   * the last user as an entity (for the next page's cursor). On SQLite the page and then one
   * statement a child table, back to back, each prepared once and kept. On MySQL/MariaDB the page and then
   * its child rows, each a prepared statement. (One statement with a correlated JSON_ARRAYAGG
   * subquery per child table measured slower on MariaDB at 10 connections:
   * 575-619 against 663-744 pages a second, its CPU for 250 subquery runs a page outweighing
   * the round trip saved; one run, on a shared machine.)
   */
  async listPageRows(
    tenantId: string,
    page: UserListPage,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ rows: PageRow[]; more: boolean; last: User | null; columns: PageColumns; conversions: PageConversions }> {
    const { columns, conversions } = this.pageShape;
    if (page.limit <= 0) return { rows: [], more: false, last: null, columns, conversions };
    const metadata = this.dataSource.getMetadata(User);
    const read = this.dialect === 'mysql' ? await this.mysqlPage(tenantId, page, manager) : await this.sqlitePage(tenantId, page, manager);
    const more = read.length > page.limit;
    if (more) read.length = page.limit;
    const rows = this.dialect === 'mysql' ? await mysqlPageRows(tenantId, manager, metadata, read as Row[]) : (read as unknown[][]);
    const last = rows.length ? hydrateValues(metadata, rows.at(-1)!, new User()) : null;
    return { rows, more, last, columns, conversions };
  }

  /**
   * SQLite: the page's rows, one more than the limit, with their child rows (see sqliteRows):
   * on the reader thread where there is one (sqlite-reader.ts), the same statements in the same
   * read transaction, each user's id selected beside its JSON for the child rows' statements.
   */
  private async sqlitePage(tenantId: string, page: UserListPage, manager: EntityManager): Promise<unknown[][]> {
    const columns = this.dataSource.getMetadata(User).columns;
    const reader = sqliteReaderFor(manager);
    if (!reader) return this.sqliteRows(tenantId, this.listPageSql(tenantId, page), columns, manager);
    const select = this.sqliteUserColumns(columns);
    const statement = this.pageSql(tenantId, page, page.limit + 1, { sql: `${select.sql}, u.id AS id`, params: select.params });
    const read = await reader.read({ page: statement, keyAt: 1, follow: SQLITE_CHILD_ROWS, followParams: [tenantId] });
    const rows = JSON.parse(read.json) as unknown[][];
    if (rows.length) placeSqliteChildRows(rows, read.follow);
    return rows;
  }

  /**
   * SQLite: the rows of a page's statement (`page`, selecting sqliteUserColumns(`read`)), each
   * user's columns and then its child rows (see withSqliteChildRows): the page and then one
   * statement a child table for its users, run back to back so that they see one state of the
   * database. What the list and the export read on SQLite.
   */
  private sqliteRows(tenantId: string, page: { sql: string; params: unknown[] }, read: EntityMetadata['columns'], manager: EntityManager): Promise<unknown[][]> {
    const idAt = read.findIndex((c) => c.propertyName === 'id');
    return readSqliteInTurn(manager, (all) => {
      const rows = all(page.sql, page.params).map((row) => JSON.parse(row[0] as string) as unknown[]);
      if (rows.length) withSqliteChildRows(all, tenantId, rows, idAt);
      return rows;
    });
  }

  /**
   * MySQL/MariaDB: the page's user rows as the driver gives them, one more than the limit, as
   * a prepared statement (readRows), so that MariaDB does not parse the 37-column SELECT again
   * on every request; one statement serves each sort, with or without a cursor, and each set
   * of filters sent, whatever the page size.
   */
  private mysqlPage(tenantId: string, page: UserListPage, manager: EntityManager): Promise<Row[]> {
    const { sql, params } = this.listPageSql(tenantId, page);
    return readRows(manager, sql, params);
  }

  /** Where a list page's values sit in a PageRow, and how this database's stored values convert (decided once). */
  private get pageShape(): { columns: PageColumns; conversions: PageConversions } {
    return (this.shape ??= this.rowShape(this.dataSource.getMetadata(User).columns));
  }

  /** The same for the export's rows, which hold only the columns the representation shows (exportColumns). */
  get exportShape(): { columns: PageColumns; conversions: PageConversions } {
    return (this.exportRowShape ??= this.rowShape(this.exportColumnList));
  }

  private exportRowShape?: { columns: PageColumns; conversions: PageConversions };

  /** Where the values sit in rows of these columns of User (then the child rows), and how stored values convert. */
  private rowShape(read: EntityMetadata['columns']): { columns: PageColumns; conversions: PageConversions } {
    const metadata = this.dataSource.getMetadata(User);
    const at = (property: string): number => {
      const index = read.findIndex((c) => c.propertyName === property);
      if (index < 0) throw new Error(`User has no column ${property}`);
      return index;
    };
    const n = read.length;
    const properties = [
      'id', 'tenantId', 'externalId', 'name', 'firstName', 'lastName', 'username', 'email', 'phone', 'active', 'admin', 'planAdmin', 'tfa',
      'resetPassword', 'resetTfa', 'passwordResetAllowed', 'canViewMaskedData', 'onlySeesReadable', 'sessionsLimit', 'version', 'lastLoginAt',
      'lastActionAt', 'lockedUntil', 'employeeNumber', 'costCenter', 'organization', 'division', 'department', 'managerId', 'createdAt', 'updatedAt',
    ] as const;
    const columns = {
      ...(Object.fromEntries(properties.map((p) => [p, at(p)])) as Record<(typeof properties)[number], number>),
      groups: n, ipWhitelist: n + 1, clientTags: n + 2, plans: n + 3, tfaEnrolled: n + 4,
    };
    // Every datetime column of User is a TimestampColumn: they all convert alike.
    const datetime = columnConverter(metadata, 'createdAt');
    const sqlite = this.dialect === 'sqlite';
    // MySQL/MariaDB hands a datetime over as a Date, which the driver's hydration keeps as it is
    // (the column has no transformer): its text without the driver's call a value.
    const asGiven = !sqlite && !metadata.findColumnWithPropertyName('createdAt')?.transformer;
    const iso = (value: unknown): string | null => {
      if (value === null || value === undefined) return null;
      if (asGiven && value instanceof Date) return value.toISOString();
      if (sqlite && typeof value === 'string') {
        const text = storedDatetimeIso(value);
        if (text !== null) return text;
      }
      return (datetime(value) as Date).toISOString();
    };
    const planMetadata = this.dataSource.getMetadata(UserPlan);
    const planValidTo = columnConverter(planMetadata, 'validTo');
    const groupMetadata = this.dataSource.getMetadata(Group);
    const conversions: PageConversions = {
      iso,
      plan: (validFrom, validTo) => {
        // SQLite: validFrom as stored in the service's form is written without a Date (see
        // storedDatetimeIso); validTo, a date column, is the stored text either way.
        const text = sqlite && typeof validFrom === 'string' ? storedDatetimeIso(validFrom) : null;
        if (text !== null) return { from: Date.parse(text), validFrom: text, validTo: planValidTo(validTo) as string | null };
        const plan = hydrate(planMetadata, { valid_from: validFrom, valid_to: validTo }, {} as Pick<UserPlan, 'validFrom' | 'validTo'>);
        return { from: plan.validFrom.getTime(), validFrom: plan.validFrom.toISOString(), validTo: plan.validTo };
      },
      permissions: (stored) => hydrate(groupMetadata, { permissions: stored }, {} as Pick<Group, 'permissions'>).permissions,
      compare: byLocale,
    };
    return { columns, conversions };
  }

  private shape?: { columns: PageColumns; conversions: PageConversions };

  /**
   * GET /users/export: the tenant's users matching the list's filters, oldest first, a page of
   * `pageSize` at a time with their child rows, as rows for writeUserLines (in exportShape: the
   * columns the representation shows, no hash). On SQLite a page is read as the list reads it
   * (sqliteRows): its users, then their child rows a table at a time. On MySQL/MariaDB a page's
   * users are one fixed statement (prepared once per pooled connection, read in the binary
   * protocol as arrays), and the next page's users are read on another connection while this
   * page's child rows are: the database's two round trips a page overlap instead of adding up.
   */
  async *exportPages(tenantId: string, filter: UsersFilter, pageSize: number): AsyncGenerator<Iterable<PageRow>> {
    const manager = this.dataSource.manager;
    const { columns, conversions } = this.exportShape;
    const page = (after: UserListPage['after']): UserListPage => ({ filter, sort: 'createdAt', after, offset: 0, limit: pageSize });
    // The keyset value as the column stores it (UTC, milliseconds), whatever the driver's time zone.
    const after = (last: PageRow): UserListPage['after'] => ({ value: conversions.iso(last[columns.createdAt])!.slice(0, 23).replace('T', ' '), id: String(last[columns.id]) });
    if (this.dialect === 'sqlite') {
      const read = this.exportColumnList;
      const select = this.sqliteUserColumns(read);
      let rows: unknown[][] = [];
      do {
        const from = rows.length ? after(rows.at(-1)!) : undefined;
        rows = await this.sqliteRows(tenantId, this.pageSql(tenantId, page(from), pageSize, select), read, manager);
        if (rows.length) yield rows;
      } while (rows.length === pageSize);
      return;
    }
    const read = (from: UserListPage['after']): Promise<unknown[][]> => {
      const { sql, params } = this.pageSql(tenantId, page(from), pageSize, { sql: this.exportColumns, params: [] });
      const users = readArrays(manager, sql, params);
      // Read ahead and never awaited when the client goes away: not an unhandled rejection.
      users.catch(() => undefined);
      return users;
    };
    let next = read(undefined);
    for (;;) {
      const users = await next;
      if (users.length === pageSize) next = read(after(users.at(-1)!));
      if (users.length) yield await withChildRowValues(tenantId, manager, users, columns.id);
      if (users.length < pageSize) return;
    }
  }

  /** How many of the tenant's users the list's filters select. */
  async countList(tenantId: string, filter: UsersFilter, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const params: unknown[] = [];
    const where = listWhere(tenantId, filter, params);
    const [row] = (await manager.query(`SELECT COUNT(*) AS n FROM users u WHERE ${where}`, params)) as { n: number | string }[];
    return Number(row?.n ?? 0);
  }

  /** The users with their groups, allow-list, client tags, plans and TFA enrolment, in one statement. */
  withChildRows(tenantId: string, users: User[], manager: EntityManager = this.dataSource.manager): Promise<UserWithRelations[]> {
    return loadRelations(tenantId, manager, users);
  }

  /**
   * The users with only some kinds of their child rows (the others left empty): what an
   * import's batch compares its records with when they name only those. Not a user's
   * representation; the import reads the rest before it changes a user.
   */
  withSomeChildRows(tenantId: string, users: User[], kinds: readonly ChildRowKind[], manager: EntityManager): Promise<UserWithRelations[]> {
    return loadRelations(tenantId, manager, users, kinds);
  }

  /** The id of the tenant's user with this externalId, or null. */
  async idByExternalId(tenantId: string, externalId: string, manager: EntityManager = this.dataSource.manager): Promise<string | null> {
    const found = await manager.findOne(User, { select: { id: true }, where: { tenantId, externalId } });
    return found?.id ?? null;
  }

  /** Whether the tenant has a user with this id. */
  async exists(tenantId: string, userId: string, manager: EntityManager): Promise<boolean> {
    return (await manager.findOne(User, { select: { id: true }, where: { tenantId, id: userId } })) !== null;
  }

  /** A new user of the tenant. */
  async insert(tenantId: string, user: User, manager: EntityManager): Promise<void> {
    if (user.tenantId !== tenantId) throw new Error('a user of another tenant in an insert');
    await manager.insert(User, user);
  }

  /** Changes to one user of the tenant. */
  async update(tenantId: string, userId: string, changes: Partial<User>, manager: EntityManager): Promise<void> {
    await manager.update(User, { id: userId, tenantId }, changes);
  }

  /** Erases one user of the tenant; the rows hanging off it cascade. */
  async remove(tenantId: string, userId: string, manager: EntityManager): Promise<void> {
    await manager.delete(User, { id: userId, tenantId });
  }

  /** The user's groups become these; `isNew`: it has none yet. */
  async replaceGroups(tenantId: string, userId: string, groupIds: string[], manager: EntityManager, isNew: boolean): Promise<void> {
    if (!isNew) await manager.delete(UserGroup, { tenantId, userId });
    if (groupIds.length) await manager.insert(UserGroup, groupIds.map((groupId) => ({ userId, groupId, tenantId })));
  }

  /** The user's allow-list becomes these entries, in this order. */
  async replaceIpWhitelist(tenantId: string, userId: string, entries: string[], manager: EntityManager, isNew: boolean): Promise<void> {
    if (!isNew) await manager.delete(UserIpWhitelistEntry, { tenantId, userId });
    if (entries.length) await manager.insert(UserIpWhitelistEntry, entries.map((entry, position) => ({ userId, tenantId, position, entry })));
  }

  /** The user's client tags become these (distinct), in this order. */
  async replaceClientTags(tenantId: string, userId: string, tags: string[], manager: EntityManager, isNew: boolean): Promise<void> {
    if (!isNew) await manager.delete(UserClientTag, { tenantId, userId });
    if (tags.length) await manager.insert(UserClientTag, tags.map((tag, position) => ({ userId, tenantId, tag, position })));
  }

  /** The user's plan assignments as stored. */
  planAssignments(tenantId: string, userId: string, manager: EntityManager): Promise<UserPlan[]> {
    return manager.find(UserPlan, { where: { tenantId, userId } });
  }

  /** The user's plan assignments become these. */
  async replacePlans(tenantId: string, userId: string, rows: Pick<UserPlan, 'planId' | 'validFrom' | 'validTo'>[], manager: EntityManager, isNew: boolean): Promise<void> {
    if (!isNew) await manager.delete(UserPlan, { tenantId, userId });
    if (rows.length) await manager.insert(UserPlan, rows.map((row) => ({ ...row, userId, tenantId })));
  }

  /** The WHERE clause (after `WHERE`) and its parameters, the tenant first. */
  whereSql(tenantId: string, where: Condition): { sql: string; params: unknown[] } {
    const params: unknown[] = [tenantId];
    const table = userTable(this.dialect, tenantId, (name) => this.dataSource.driver.escape(name));
    const condition = compileCondition(where, table, this.dialect, params);
    return { sql: `u.tenant_id = ? AND ${condition}`, params };
  }

  /** The SELECT a search runs, for EXPLAIN and for tests of what reaches the database. */
  searchSql(tenantId: string, search: UserSearch): { sql: string; params: unknown[] } {
    const { sql: where, params } = this.whereSql(tenantId, search.where);
    const metadata = this.dataSource.getMetadata(User);
    const escape = (name: string) => this.dataSource.driver.escape(name);
    const columns = metadata.columns.map((c) => `u.${escape(c.databaseName)} AS ${escape(c.databaseName)}`).join(', ');
    const direction = search.sort?.descending ? 'DESC' : 'ASC';
    let order = `u.created_at ${direction}, u.id ${direction}`;
    if (search.sort) {
      const field = userTable(this.dialect, tenantId, escape).fields[search.sort.field];
      if (!field || !(USER_SORT_FIELDS as readonly string[]).includes(search.sort.field)) throw new Error(`users cannot be sorted by ${search.sort.field}`);
      const column = field.text === 'fold' && this.dialect === 'sqlite' ? `LOWER(${field.column})` : field.column;
      // Absent values last, whichever the direction.
      order = `(${field.column} IS NULL) ASC, ${column} ${direction}, ${order}`;
    }
    const limit = Math.max(0, Math.trunc(search.limit));
    const offset = Math.max(0, Math.trunc(search.offset));
    const lookup = this.userNameLookup(tenantId, search.where, columns);
    if (lookup) {
      // The derived table's columns bear the users' column names, so the order reads the same.
      return { sql: `SELECT * FROM (${lookup.sql}) hits ORDER BY ${order.replace(/\bu\./g, 'hits.')} LIMIT ${limit} OFFSET ${offset}`, params: lookup.params };
    }
    return { sql: `SELECT ${columns} FROM users u WHERE ${where} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`, params };
  }

  /**
   * A lone `userName eq` (how Okta and Entra look a user up before every change) as two
   * statements joined by UNION ALL, each an equality on a whole unique key, (tenant, username)
   * then (tenant, email) for the users without a username. As one WHERE with an OR, MariaDB
   * weighed a range over every (tenant, …) index before settling on an index merge: at
   * 1,000,000 users in the tenant, 2,500 against 7,800 lookups a second at 10 connections.
   */
  private userNameLookup(tenantId: string, where: Condition, columns: string): { sql: string; params: unknown[] } | null {
    if (!isUserNameLookup(where)) return null;
    const value = where.value.toLowerCase();
    const exact = this.dialect === 'mysql' ? ' AND CAST(COALESCE(u.username, u.email) AS BINARY) = CAST(? AS BINARY)' : '';
    const params = this.dialect === 'mysql' ? [tenantId, value, value, tenantId, value, value] : [tenantId, value, tenantId, value];
    const sql =
      `SELECT ${columns} FROM users u WHERE u.tenant_id = ? AND u.username = ?${exact} UNION ALL ` +
      `SELECT ${columns} FROM users u WHERE u.tenant_id = ? AND u.username IS NULL AND u.email = ?${exact}`;
    return { sql, params };
  }

  async search(tenantId: string, search: UserSearch, manager: EntityManager = this.dataSource.manager): Promise<User[]> {
    if (search.limit <= 0) return [];
    const { sql, params } = this.searchSql(tenantId, search);
    // The lookup's first page is one fixed statement, worth keeping prepared on MariaDB (read
    // around TypeORM's query runner); other searches vary too much to hold a place among a
    // connection's prepared statements.
    const fixed = isUserNameLookup(search.where) && search.offset === 0;
    const rows = fixed ? await readRows(manager, sql, params) : ((await manager.query(sql, params)) as Record<string, unknown>[]);
    const metadata = this.dataSource.getMetadata(User);
    return rows.map((row) => hydrate(metadata, row, new User()));
  }

  /** New users of one tenant in multi-row INSERTs (an import's batch); each row carries its tenant. */
  async insertMany(tenantId: string, users: User[], manager: EntityManager): Promise<void> {
    if (users.some((user) => user.tenantId !== tenantId)) throw new Error('users of another tenant in a bulk insert');
    await insertEntities(manager, User, users);
  }

  /**
   * The rows hanging off new users of one tenant (an import's batch), in multi-row INSERTs of
   * 500 through insertEntities: TypeORM's insert builder names, checks and rewrites every
   * value as a named parameter, which cost more CPU than SQLite spent on the statements.
   */
  async insertRelationsMany(
    tenantId: string,
    rows: { groups: UserGroup[]; entries: UserIpWhitelistEntry[]; tags: UserClientTag[]; plans: UserPlan[] },
    manager: EntityManager,
  ): Promise<void> {
    const all = [...rows.groups, ...rows.entries, ...rows.tags, ...rows.plans];
    if (all.some((row) => row.tenantId !== tenantId)) throw new Error('rows of another tenant in a bulk insert');
    await insertEntities(manager, UserGroup, rows.groups, 500);
    await insertEntities(manager, UserIpWhitelistEntry, rows.entries, 500);
    await insertEntities(manager, UserClientTag, rows.tags, 500);
    await insertEntities(manager, UserPlan, rows.plans, 500);
  }

  /**
   * The users of a tenant holding any of these emails, externalIds or (lower-cased) usernames:
   * what an import's batch may meet, one statement per kind. Each IN list is padded (with its
   * first value again) to a multiple of 100, so a few statements serve every batch and stay
   * prepared, and each is a seek into its (tenant, …) unique index.
   */
  async findByUniqueKeys(tenantId: string, keys: { emails: string[]; externalIds: string[]; usernames: string[] }, manager: EntityManager): Promise<User[]> {
    const found = new Map<string, User>();
    for (const [column, values] of [['email', keys.emails], ['external_id', keys.externalIds], ['username', keys.usernames]] as const) {
      for (let start = 0; start < values.length; start += 1000) {
        const part = values.slice(start, start + 1000);
        const padded = [...part, ...Array.from({ length: Math.ceil(part.length / 100) * 100 - part.length }, () => part[0]!)];
        const where = `e.tenant_id = ? AND e.${column} IN (${padded.map(() => '?').join(', ')})`;
        for (const user of await readEntities(manager, User, where, [tenantId, ...padded])) found.set(user.id, user);
      }
    }
    return [...found.values()];
  }

  /**
   * What an import with `credentialsFrom` takes from users of another tenant of this service,
   * by their ids: the password hash, a confirmed TOTP enrolment (its secret as stored, sealed
   * with the service's key, which is the same for every tenant) and the unused recovery codes
   * (HMACs under that key). Every row is read with the source tenant in its condition; an id
   * of another tenant is simply not found. Never leaves the service.
   */
  async sourceCredentials(tenantId: string, ids: string[], manager: EntityManager = this.dataSource.manager): Promise<Map<string, SourceCredentials>> {
    const found = new Map<string, SourceCredentials>();
    for (let start = 0; start < ids.length; start += 500) {
      const part = ids.slice(start, start + 500);
      const padded = [...part, ...Array.from({ length: Math.ceil(part.length / 100) * 100 - part.length }, () => part[0]!)];
      const list = padded.map(() => '?').join(', ');
      const users = await readRows<{ id: string; password_hash: string | null; secret_encrypted: string | null; last_step: number | string | null }>(
        manager,
        `SELECT u.id AS id, u.password_hash AS password_hash, f.secret_encrypted AS secret_encrypted, f.last_step AS last_step
           FROM users u LEFT JOIN user_tfa f ON f.user_id = u.id AND f.tenant_id = u.tenant_id AND f.confirmed = 1
          WHERE u.tenant_id = ? AND u.id IN (${list})`,
        [tenantId, ...padded],
      );
      for (const row of users) {
        const secondFactor = row.secret_encrypted === null ? null : { secretEncrypted: row.secret_encrypted, lastStep: Number(row.last_step ?? 0), recoveryCodeHashes: [] as string[] };
        found.set(row.id, { passwordHash: row.password_hash, secondFactor });
      }
      if (![...found.values()].some((c) => c.secondFactor)) continue;
      const codes = await readRows<{ user_id: string; code_hash: string }>(
        manager,
        `SELECT c.user_id AS user_id, c.code_hash AS code_hash FROM recovery_codes c
          WHERE c.tenant_id = ? AND c.user_id IN (${list}) AND c.used_at IS NULL ORDER BY c.id`,
        [tenantId, ...padded],
      );
      for (const code of codes) found.get(code.user_id)?.secondFactor?.recoveryCodeHashes.push(code.code_hash);
    }
    return found;
  }

  /**
   * The externalId and email of users of another tenant, by their ids: what an import with
   * `credentialsFrom` matches a source user's counterpart by, when a record's managerId names
   * that source user. Read with the source tenant in the condition; an id of any other tenant
   * is simply not found.
   */
  async sourceUserKeys(tenantId: string, ids: string[], manager: EntityManager = this.dataSource.manager): Promise<Map<string, SourceUserKeys>> {
    const found = new Map<string, SourceUserKeys>();
    for (let start = 0; start < ids.length; start += 500) {
      const part = ids.slice(start, start + 500);
      const padded = [...part, ...Array.from({ length: Math.ceil(part.length / 100) * 100 - part.length }, () => part[0]!)];
      const rows = await readRows<{ id: string; external_id: string | null; email: string }>(
        manager,
        `SELECT u.id AS id, u.external_id AS external_id, u.email AS email FROM users u WHERE u.tenant_id = ? AND u.id IN (${padded.map(() => '?').join(', ')})`,
        [tenantId, ...padded],
      );
      for (const row of rows) found.set(row.id, { externalId: row.external_id, email: row.email });
    }
    return found;
  }

  /**
   * Second factors copied by an import onto users of this tenant (new, or without a confirmed
   * enrolment): an unconfirmed enrolment the user had is replaced, as enrolling again would.
   */
  async copySecondFactors(tenantId: string, copies: { userId: string; secondFactor: SourceSecondFactor }[], manager: EntityManager): Promise<void> {
    if (!copies.length) return;
    const ids = copies.map((copy) => copy.userId);
    const list = ids.map(() => '?').join(', ');
    await manager.query(`DELETE FROM user_tfa WHERE tenant_id = ? AND user_id IN (${list})`, [tenantId, ...ids]);
    await manager.query(`DELETE FROM recovery_codes WHERE tenant_id = ? AND user_id IN (${list})`, [tenantId, ...ids]);
    const now = new Date();
    const enrolments = copies.map(({ userId, secondFactor }) =>
      Object.assign(new UserTfa(), { userId, tenantId, secretEncrypted: secondFactor.secretEncrypted, confirmed: true, lastStep: secondFactor.lastStep, createdAt: now }),
    );
    const codes = copies.flatMap(({ userId, secondFactor }) =>
      secondFactor.recoveryCodeHashes.map((codeHash) => Object.assign(new RecoveryCode(), { id: newId(), userId, tenantId, codeHash, usedAt: null })),
    );
    await insertEntities(manager, UserTfa, enrolments, 250);
    await insertEntities(manager, RecoveryCode, codes, 250);
  }

  async count(tenantId: string, where: Condition, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const { sql, params } = this.whereSql(tenantId, where);
    const [row] = (await manager.query(`SELECT COUNT(*) AS n FROM users u WHERE ${sql}`, params)) as { n: number | string }[];
    return Number(row?.n ?? 0);
  }

  // ---------------------------------------------------------------------------------------
  // A user's own credentials: sign-in, the own password, a reset by mail, the second factor.
  // Each write names the user by id within the tenant.
  // ---------------------------------------------------------------------------------------

  /**
   * A new password of the user's own (changed, or set through a reset token): a required reset
   * is lifted, and a reset (`unlock`) also clears the lockout counters.
   */
  async setOwnPassword(tenantId: string, userId: string, passwordHash: string, unlock: boolean, manager: EntityManager): Promise<void> {
    const lockout = unlock ? { failedLogins: 0, lockedUntil: null } : {};
    await manager.update(
      User,
      { id: userId, tenantId },
      { passwordHash, resetPassword: false, ...lockout, version: () => 'version + 1', updatedAt: new Date() },
    );
  }

  /** The user's TFA flag; switching it on also lifts a required re-enrolment. */
  async setTfa(tenantId: string, userId: string, on: boolean, manager: EntityManager): Promise<void> {
    const changes = on ? { tfa: true, resetTfa: false } : { tfa: false };
    await manager.update(User, { id: userId, tenantId }, { ...changes, version: () => 'version + 1', updatedAt: new Date() });
  }

  /** A sign-in: the lock goes, and the sign-in is the user's last login and last action. */
  async recordSignIn(tenantId: string, userId: string, now: Date, manager: EntityManager): Promise<void> {
    await manager.update(User, { id: userId, tenantId }, { lockedUntil: null, lastLoginAt: now, lastActionAt: now });
  }

  /** The hash becomes `upgraded` only while it is still `verified`, so a password changed meanwhile stands. */
  async upgradePasswordHash(tenantId: string, userId: string, verified: string, upgraded: string, manager: EntityManager): Promise<void> {
    await manager.update(User, { id: userId, tenantId, passwordHash: verified }, { passwordHash: upgraded });
  }
}
