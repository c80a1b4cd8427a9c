import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { assertMayActOn, parsePermissions, ungrantable, type Permission } from '../auth/permissions.js';
import type { TenantContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { checkVersion, type IfMatch } from '../common/if-match.js';
import { isUuid, newId } from '../common/ids.js';
import { Database, type UniqueRule } from '../database/database.service.js';
import type { RowLock } from '../database/tenant-rows.js';
import type { CreateGroupDto, UpdateGroupDto } from './dto/group.dto.js';
import { Group } from './group.entity.js';
import { type GroupMember, GroupsRepository, type GroupSearch } from './groups.repository.js';


/**
 * A change to a group's members, applied in this order: `replace` (the whole set) when given,
 * then `add`, then `remove`. Ids are user ids of the tenant.
 */
export interface MembershipChange {
  replace?: string[];
  add?: string[];
  remove?: string[];
}

export interface GroupWriteOptions {
  members?: MembershipChange;
  ifMatch?: IfMatch;
}

const UNIQUE_RULES: UniqueRule[] = [
  { index: 'uq_groups_tenant_name', column: 'name', code: 'name_taken', detail: 'A group with this name already exists' },
  { index: 'uq_groups_tenant_external_id', column: 'external_id', code: 'external_id_taken', detail: 'A group with this externalId already exists' },
];

function checkGrantable(ctx: TenantContext, before: readonly Permission[], after: readonly Permission[]): void {
  const lacking = ungrantable(ctx.principal, before, after);
  if (lacking.length) {
    throw new DomainError('forbidden', `Only an admin may grant permissions it does not hold itself: ${lacking.join(', ')}`);
  }
}

@Injectable()
export class GroupsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly repository: GroupsRepository,
  ) {}

  /** The groups matching a condition, a page by offset, and how many match in all. */
  async search(ctx: TenantContext, search: GroupSearch): Promise<{ groups: Group[]; total: number }> {
    const rows = await this.repository.search(ctx.tenantId, search);
    const complete = rows.length < search.limit && (rows.length > 0 || search.offset === 0);
    const total = complete ? search.offset + rows.length : await this.repository.count(ctx.tenantId, search.where);
    return { groups: rows, total };
  }

  /** The members of these groups of the tenant (id and name), by group. */
  async membersOf(ctx: TenantContext, groupIds: string[]): Promise<Map<string, GroupMember[]>> {
    const byGroup = new Map<string, GroupMember[]>(groupIds.map((id) => [id, []]));
    if (!groupIds.length) return byGroup;
    for (const member of await this.repository.members(ctx.tenantId, groupIds)) byGroup.get(member.groupId)?.push(member);
    return byGroup;
  }

  async get(ctx: TenantContext, id: string): Promise<Group> {
    return this.find(ctx.tenantId, id);
  }

  /** Oldest first (ids are time-ordered), keyset by id like the other lists. */
  async list(ctx: TenantContext, limit: number, after?: string): Promise<{ groups: Group[]; nextCursor: string | null }> {
    const { rows, nextCursor } = await this.repository.page(ctx.tenantId, limit, after);
    return { groups: rows, nextCursor };
  }

  async create(ctx: TenantContext, input: CreateGroupDto, members: string[] = []): Promise<Group> {
    const permissions = parsePermissions(input.permissions ?? []);
    checkGrantable(ctx, [], permissions);
    const now = new Date();
    const group = Object.assign(new Group(), {
      id: newId(),
      tenantId: ctx.tenantId,
      name: input.name,
      externalId: input.externalId ?? null,
      description: input.description ?? null,
      permissions,
      version: 1,
      createdAt: now,
      updatedAt: now,
    } satisfies Omit<Group, 'tenant'>);
    try {
      await this.db.transaction(async (manager) => {
        await this.repository.insert(ctx.tenantId, group, manager);
        await this.changeMembers(manager, ctx, group, { replace: members }, group.createdAt);
        await this.audit.recordFor(manager, ctx, 'group.created', { type: 'group', id: group.id });
      });
    } catch (error) {
      Database.rethrowUnique(error, UNIQUE_RULES);
    }
    return group;
  }

  /** Only the fields sent change; a new permission set replaces the old one whole. */
  async update(ctx: TenantContext, id: string, input: UpdateGroupDto, options: GroupWriteOptions = {}): Promise<Group> {
    const permissions = input.permissions === undefined ? undefined : parsePermissions(input.permissions);
    try {
      return await this.db.transaction(async (manager) => {
        const group = await this.find(ctx.tenantId, id, manager, 'pessimistic_write');
        checkVersion(options.ifMatch, group.version);
        if (permissions !== undefined) {
          checkGrantable(ctx, group.permissions, permissions);
          group.permissions = permissions;
        }
        if (input.name !== undefined) group.name = input.name;
        if (input.description !== undefined) group.description = input.description;
        if (input.externalId !== undefined) group.externalId = input.externalId;
        group.updatedAt = new Date();
        if (options.members) await this.changeMembers(manager, ctx, group, options.members, group.updatedAt);
        group.version += 1;
        await this.repository.update(
          ctx.tenantId,
          group.id,
          {
            name: group.name,
            externalId: group.externalId,
            description: group.description,
            permissions: group.permissions,
            version: group.version,
            updatedAt: group.updatedAt,
          },
          manager,
        );
        await this.audit.recordFor(manager, ctx, 'group.updated', { type: 'group', id: group.id });
        return group;
      });
    } catch (error) {
      Database.rethrowUnique(error, UNIQUE_RULES);
    }
  }

  /**
   * The memberships go with the group (user_groups cascades from groups). The members'
   * representation loses the group, so their version moves on and a stale If-Match fails.
   */
  async remove(ctx: TenantContext, id: string, ifMatch?: IfMatch): Promise<void> {
    await this.db.transaction(async (manager) => {
      const group = await this.find(ctx.tenantId, id, manager);
      checkVersion(ifMatch, group.version);
      // Users first, then the group: the order in which a user update takes its locks.
      await this.repository.touchMembers(ctx.tenantId, group.id, new Date(), manager);
      if (!(await this.repository.remove(ctx.tenantId, group.id, manager))) throw DomainError.notFound('Group');
      await this.audit.recordFor(manager, ctx, 'group.deleted', { type: 'group', id: group.id });
    });
  }


  /**
   * Applies a membership change inside the caller's transaction, in a few statements whatever
   * its size. The rules of /api/v2 hold: putting users into a group grants them its
   * permissions, so a caller that is neither the operator nor an admin may do it only with a
   * group whose permissions it holds; and a user's groups are part of its standing, so each
   * member added or removed must be one the caller may act on (assertMayActOn). Unknown users
   * are a 400 invalid_value.
   */
  private async changeMembers(manager: EntityManager, ctx: TenantContext, group: Group, change: MembershipChange, now: Date): Promise<void> {
    const ids = (list: string[] | undefined) => [...new Set((list ?? []).map((id) => id.toLowerCase()))];
    const replace = change.replace === undefined ? undefined : ids(change.replace);
    const add = ids(change.add);
    const remove = new Set(ids(change.remove));
    const current = new Set(await this.repository.memberIds(ctx.tenantId, group.id, manager));
    const wanted = new Set(replace ?? current);
    for (const id of add) wanted.add(id);
    for (const id of remove) wanted.delete(id);
    const added = [...wanted].filter((id) => !current.has(id));
    const removed = [...current].filter((id) => !wanted.has(id));
    if (!added.length && !removed.length) return;
    if (added.length) {
      const malformed = added.find((id) => !isUuid(id));
      if (malformed !== undefined) throw new DomainError('invalid_value', `members: ${malformed.slice(0, 64)} is not a user id`);
      checkGrantable(ctx, [], group.permissions);
      const known = await this.repository.existingUserIds(ctx.tenantId, added, manager);
      const unknown = added.find((id) => !known.has(id));
      if (unknown !== undefined) throw new DomainError('invalid_value', `members: no user ${unknown} in the tenant`);
    }
    if (ctx.principal.kind !== 'operator' && !ctx.principal.admin) {
      for (const member of await this.repository.standingOf(ctx.tenantId, [...added, ...removed], manager)) assertMayActOn(ctx, member, member.groups);
    }
    if (added.length) await this.repository.addMembers(ctx.tenantId, group.id, added, manager);
    if (removed.length) await this.repository.removeMembers(ctx.tenantId, group.id, removed, manager);
    await this.repository.touchUsers(ctx.tenantId, [...added, ...removed], now, manager);
  }

  private async find(tenantId: string, id: string, manager?: EntityManager, lock?: RowLock): Promise<Group> {
    const group = await this.repository.find(tenantId, id, manager, lock);
    if (!group) throw DomainError.notFound('Group');
    return group;
  }
}
