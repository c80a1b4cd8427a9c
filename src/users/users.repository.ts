import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { compileCondition, type Condition, type Dialect, type FieldSql, type TableSql } from '../database/condition.js';
import { hydrate, insertEntities, readEntities, readRows } from '../database/fast-query.js';
import { UserClientTag, UserGroup, UserIpWhitelistEntry, UserPlan } from './user-relations.entity.js';
import { User } from './user.entity.js';

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

  async count(tenantId: string, where: Condition, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const { sql, params } = this.whereSql(tenantId, where);
    const [row] = (await manager.query(`SELECT COUNT(*) AS n FROM users u WHERE ${sql}`, params)) as { n: number | string }[];
    return Number(row?.n ?? 0);
  }
}
