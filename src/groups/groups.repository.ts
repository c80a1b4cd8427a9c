import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { compileCondition, type Condition, type Dialect, type FieldSql, type TableSql } from '../database/condition.js';
import { hydrate } from '../database/fast-query.js';
import { slices, TenantRowsRepository } from '../database/tenant-rows.js';
import { GROUP_MEMBERS, touchUsers, touchUsersLinkedTo } from '../users/linked-users.js';
import { UserGroup } from '../users/user-relations.entity.js';
import { Group } from './group.entity.js';

export interface GroupSearch {
  where: Condition;
  sort?: { field: string; descending: boolean };
  offset: number;
  limit: number;
}

export interface UserStanding {
  id: string;
  admin: boolean;
  planAdmin: boolean;
  groups: Pick<Group, 'permissions'>[];
}

export interface GroupMember {
  groupId: string;
  userId: string;
  name: string;
}

const text = (column: string, mode: FieldSql['text'], nullable = true): FieldSql => ({ type: 'text', column, text: mode, nullable });

function groupTable(tenantId: string, users: string): TableSql {
  return {
    fields: {
      id: text('g.id', 'lower', false),
      externalId: text('g.external_id', 'exact'),
      name: text('g.name', 'fold', false),
      createdAt: { type: 'timestamp', column: 'g.created_at', nullable: false },
      updatedAt: { type: 'timestamp', column: 'g.updated_at', nullable: false },
      version: { type: 'integer', column: 'g.version', nullable: false },
    },
    relations: {
      members: {
        open: (params) => {
          params.push(tenantId);
          return `EXISTS (SELECT 1 FROM user_groups ug JOIN ${users} mu ON mu.id = ug.user_id WHERE ug.tenant_id = ? AND ug.group_id = g.id AND `;
        },
        fields: { id: text('ug.user_id', 'lower', false), name: text('mu.name', 'fold', false) },
      },
    },
  };
}

export const GROUP_SORT_FIELDS = ['id', 'externalId', 'name', 'createdAt', 'updatedAt'] as const;

/**
 * The groups table and its memberships: one group, a page of groups and the writes of one
 * (TenantRowsRepository, shared with plans), reads that take a condition, and the membership rows read and written in bulk (a SCIM group PATCH
 * adds a thousand members in a handful of statements). Tenant first in every method and
 * every statement.
 */
@Injectable()
export class GroupsRepository extends TenantRowsRepository<Group> {
  constructor(dataSource: DataSource) {
    super(dataSource, Group, 'g');
  }

  private get dialect(): Dialect {
    return this.dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
  }

  private escape(name: string): string {
    return this.dataSource.driver.escape(name);
  }

  /** Moves on the version of the group's members (their representation lists it). */
  touchMembers(tenantId: string, groupId: string, now: Date, manager: EntityManager): Promise<void> {
    return touchUsersLinkedTo(tenantId, GROUP_MEMBERS, groupId, now, manager);
  }

  whereSql(tenantId: string, where: Condition): { sql: string; params: unknown[] } {
    const params: unknown[] = [tenantId];
    const condition = compileCondition(where, groupTable(tenantId, this.escape('users')), this.dialect, params);
    return { sql: `g.tenant_id = ? AND ${condition}`, params };
  }

  async search(tenantId: string, search: GroupSearch, manager: EntityManager = this.dataSource.manager): Promise<Group[]> {
    if (search.limit <= 0) return [];
    const { sql: where, params } = this.whereSql(tenantId, search.where);
    const metadata = this.dataSource.getMetadata(Group);
    const columns = metadata.columns.map((c) => `g.${this.escape(c.databaseName)} AS ${this.escape(c.databaseName)}`).join(', ');
    const direction = search.sort?.descending ? 'DESC' : 'ASC';
    let order = `g.id ${direction}`;
    if (search.sort) {
      const field = groupTable(tenantId, '').fields[search.sort.field];
      if (!field || !(GROUP_SORT_FIELDS as readonly string[]).includes(search.sort.field)) throw new Error(`groups cannot be sorted by ${search.sort.field}`);
      const column = field.text === 'fold' && this.dialect === 'sqlite' ? `LOWER(${field.column})` : field.column;
      order = `(${field.column} IS NULL) ASC, ${column} ${direction}, ${order}`;
    }
    const sql = `SELECT ${columns} FROM ${this.escape('groups')} g WHERE ${where} ORDER BY ${order} LIMIT ${Math.trunc(search.limit)} OFFSET ${Math.max(0, Math.trunc(search.offset))}`;
    const rows = (await manager.query(sql, params)) as Record<string, unknown>[];
    return rows.map((row) => hydrate(metadata, row, new Group()));
  }

  async count(tenantId: string, where: Condition, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const { sql, params } = this.whereSql(tenantId, where);
    const [row] = (await manager.query(`SELECT COUNT(*) AS n FROM ${this.escape('groups')} g WHERE ${sql}`, params)) as { n: number | string }[];
    return Number(row?.n ?? 0);
  }

  /** The members of some groups with their names, oldest membership order is not kept: by name, then id. */
  async members(tenantId: string, groupIds: string[], manager: EntityManager = this.dataSource.manager): Promise<GroupMember[]> {
    const out: GroupMember[] = [];
    for (const ids of slices(groupIds)) {
      const rows = (await manager.query(
        `SELECT ug.group_id AS group_id, ug.user_id AS user_id, u.name AS name FROM user_groups ug JOIN ${this.escape('users')} u ON u.id = ug.user_id
          WHERE ug.tenant_id = ? AND ug.group_id IN (${ids.map(() => '?').join(', ')}) ORDER BY u.name, ug.user_id`,
        [tenantId, ...ids],
      )) as { group_id: string; user_id: string; name: string }[];
      for (const row of rows) out.push({ groupId: row.group_id, userId: row.user_id, name: row.name });
    }
    return out;
  }

  /** The ids of a group's members. */
  async memberIds(tenantId: string, groupId: string, manager: EntityManager): Promise<string[]> {
    const rows = (await manager.query('SELECT user_id FROM user_groups WHERE tenant_id = ? AND group_id = ?', [tenantId, groupId])) as { user_id: string }[];
    return rows.map((row) => row.user_id);
  }

  /** Which of these ids are users of the tenant. */
  async existingUserIds(tenantId: string, userIds: string[], manager: EntityManager): Promise<Set<string>> {
    const found = new Set<string>();
    for (const ids of slices(userIds)) {
      const rows = (await manager.query(`SELECT id FROM ${this.escape('users')} WHERE tenant_id = ? AND id IN (${ids.map(() => '?').join(', ')})`, [
        tenantId,
        ...ids,
      ])) as { id: string }[];
      for (const row of rows) found.add(row.id);
    }
    return found;
  }

  /** What the rule for acting on a stronger user needs of some users: their flags and their groups' permissions. */
  async standingOf(tenantId: string, userIds: string[], manager: EntityManager): Promise<UserStanding[]> {
    const byId = new Map<string, UserStanding>();
    for (const ids of slices(userIds)) {
      const rows = (await manager.query(
        `SELECT u.id AS id, u.admin AS admin, u.plan_admin AS plan_admin, g.permissions AS permissions
           FROM ${this.escape('users')} u
           LEFT JOIN user_groups ug ON ug.user_id = u.id AND ug.tenant_id = u.tenant_id
           LEFT JOIN ${this.escape('groups')} g ON g.id = ug.group_id
          WHERE u.tenant_id = ? AND u.id IN (${ids.map(() => '?').join(', ')})`,
        [tenantId, ...ids],
      )) as { id: string; admin: number | boolean; plan_admin: number | boolean; permissions: string | null }[];
      const metadata = this.dataSource.getMetadata(Group);
      for (const row of rows) {
        let standing = byId.get(row.id);
        if (!standing) byId.set(row.id, (standing = { id: row.id, admin: row.admin === true || row.admin === 1, planAdmin: row.plan_admin === true || row.plan_admin === 1, groups: [] }));
        if (row.permissions !== null) standing.groups.push(hydrate(metadata, { permissions: row.permissions }, {} as Pick<Group, 'permissions'>));
      }
    }
    return [...byId.values()];
  }

  /** Adds memberships that are not there yet (the caller passes ids that are not members). */
  async addMembers(tenantId: string, groupId: string, userIds: string[], manager: EntityManager): Promise<void> {
    for (const ids of slices(userIds)) {
      await manager.insert(
        UserGroup,
        ids.map((userId) => ({ userId, groupId, tenantId })),
      );
    }
  }

  async removeMembers(tenantId: string, groupId: string, userIds: string[], manager: EntityManager): Promise<void> {
    for (const ids of slices(userIds)) {
      await manager.query(`DELETE FROM user_groups WHERE tenant_id = ? AND group_id = ? AND user_id IN (${ids.map(() => '?').join(', ')})`, [
        tenantId,
        groupId,
        ...ids,
      ]);
    }
  }

  /** A membership is part of a user's representation: its version moves on, so a stale If-Match fails. */
  touchUsers(tenantId: string, userIds: string[], now: Date, manager: EntityManager): Promise<void> {
    return touchUsers(tenantId, userIds, now, manager);
  }
}
