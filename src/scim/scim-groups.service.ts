import { Injectable } from '@nestjs/common';
import type { TenantContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { checkVersion, type IfMatch } from '../common/if-match.js';
import { validationPipe } from '../common/validation.js';
import { ALWAYS } from '../database/condition.js';
import { CreateGroupDto, UpdateGroupDto } from '../groups/dto/group.dto.js';
import type { Group } from '../groups/group.entity.js';
import type { GroupMember } from '../groups/groups.repository.js';
import { GroupsService } from '../groups/groups.service.js';
import { canonicalBody, GROUP_SHAPE, project, type Projection, projection, returns } from './scim-attributes.js';
import { attributeKey, GROUP_FILTER_ATTRIBUTES, translateFilter } from './scim-filter.js';
import { groupPatch, patchOperations } from './scim-patch.js';
import { descending, listResponse, paging, param, type Query, type Written } from './scim-request.js';
import type { ScimDocument } from './scim-users.mapper.js';
import { SCIM } from './scim.constants.js';

const GROUP_SORT: Record<string, string> = {
  id: 'id',
  externalid: 'externalId',
  displayname: 'name',
  'meta.created': 'createdAt',
  'meta.lastmodified': 'updatedAt',
};

const pipe = validationPipe();

export function toScimGroup(group: Group, members: GroupMember[] | undefined, base: string): ScimDocument {
  const doc: ScimDocument = { schemas: [SCIM.group], id: group.id };
  if (group.externalId !== null) doc.externalId = group.externalId;
  doc.displayName = group.name;
  if (members) doc.members = members.map((m) => ({ value: m.userId, display: m.name, $ref: `${base}/Users/${m.userId}`, type: 'User' }));
  doc.meta = {
    resourceType: 'Group',
    created: group.createdAt.toISOString(),
    lastModified: group.updatedAt.toISOString(),
    version: `"${group.version}"`,
    location: `${base}/Groups/${group.id}`,
  };
  return doc;
}

function memberIds(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new DomainError('invalid_value', 'members must be an array');
  return value.map((entry, i) => {
    const id = entry && typeof entry === 'object' ? (entry as { value?: unknown }).value : undefined;
    if (typeof id !== 'string' || id === '') throw new DomainError('invalid_value', `members[${i}] needs a value (the user id)`);
    return id;
  });
}

/** SCIM Groups over GroupsService (its uniqueness, privilege guard and audit). Permissions stay with /api/v2. */
@Injectable()
export class ScimGroupsService {
  constructor(private readonly groups: GroupsService) {}

  private shown(query: Query): Projection {
    return projection(param(query, 'attributes'), param(query, 'excludedAttributes'), GROUP_SHAPE, SCIM.group);
  }

  /** The document of a group as the query asks for it; members are read only when returned. */
  private async document(ctx: TenantContext, group: Group, query: Query, base: string): Promise<ScimDocument> {
    const shown = this.shown(query);
    const members = returns(shown, 'members') ? (await this.groups.membersOf(ctx, [group.id])).get(group.id) : undefined;
    return project(toScimGroup(group, members, base), shown);
  }

  async list(ctx: TenantContext, query: Query, base: string): Promise<Record<string, unknown>> {
    const filter = param(query, 'filter');
    const where = filter === undefined ? ALWAYS : translateFilter(filter, GROUP_FILTER_ATTRIBUTES, SCIM.group);
    const { startIndex, count } = paging(query);
    const sortBy = param(query, 'sortBy');
    let sort: { field: string; descending: boolean } | undefined;
    if (sortBy !== undefined && sortBy !== '') {
      const field = GROUP_SORT[attributeKey(sortBy, SCIM.group)];
      if (!field) throw new DomainError('invalid_value', `Groups cannot be sorted by ${sortBy.slice(0, 100)}`);
      sort = { field, descending: descending(query) };
    }
    const shown = this.shown(query);
    const page = await this.groups.search(ctx, { where, sort, offset: startIndex - 1, limit: count });
    const members = returns(shown, 'members') ? await this.groups.membersOf(ctx, page.groups.map((g) => g.id)) : undefined;
    const resources = page.groups.map((g) => project(toScimGroup(g, members?.get(g.id), base), shown));
    return listResponse(resources, page.total, startIndex);
  }

  async get(ctx: TenantContext, id: string, query: Query, base: string): Promise<Written> {
    const group = await this.groups.get(ctx, id);
    return { resource: await this.document(ctx, group, query, base), version: group.version, location: `${base}/Groups/${group.id}` };
  }

  async create(ctx: TenantContext, body: unknown, query: Query, base: string): Promise<Written> {
    const doc = this.resourceBody(body);
    const input = (await pipe.transform(
      { name: doc.displayName, ...(doc.externalId === undefined ? {} : { externalId: doc.externalId }) },
      { type: 'body', metatype: CreateGroupDto },
    )) as CreateGroupDto;
    const group = await this.groups.create(ctx, input, memberIds(doc.members));
    return { resource: await this.document(ctx, group, query, base), version: group.version, location: `${base}/Groups/${group.id}` };
  }

  async replace(ctx: TenantContext, id: string, body: unknown, ifMatch: IfMatch, query: Query, base: string): Promise<Written> {
    const doc = this.resourceBody(body);
    const input = (await pipe.transform(
      { name: doc.displayName, externalId: doc.externalId ?? null },
      { type: 'body', metatype: UpdateGroupDto },
    )) as UpdateGroupDto;
    const group = await this.groups.update(ctx, id, input, { ifMatch, members: { replace: memberIds(doc.members) } });
    return { resource: await this.document(ctx, group, query, base), version: group.version, location: `${base}/Groups/${group.id}` };
  }

  async patch(ctx: TenantContext, id: string, body: unknown, ifMatch: IfMatch, query: Query, base: string): Promise<Written> {
    const operations = patchOperations(body);
    const current = await this.groups.get(ctx, id);
    checkVersion(ifMatch, current.version);
    const change = await groupPatch(operations, async () =>
      ((await this.groups.membersOf(ctx, [current.id])).get(current.id) ?? []).map((m) => ({ value: m.userId, display: m.name })),
    );
    const fields: Record<string, unknown> = {};
    if (change.name !== undefined) fields.name = change.name;
    if (change.externalId !== undefined) fields.externalId = change.externalId;
    const input = (await pipe.transform(fields, { type: 'body', metatype: UpdateGroupDto })) as UpdateGroupDto;
    const group = await this.groups.update(ctx, id, input, { ifMatch, members: change.members });
    return { resource: await this.document(ctx, group, query, base), version: group.version, location: `${base}/Groups/${group.id}` };
  }

  async remove(ctx: TenantContext, id: string, ifMatch: IfMatch): Promise<void> {
    await this.groups.remove(ctx, id, ifMatch);
  }

  private resourceBody(body: unknown): ScimDocument {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new DomainError('bad_request', 'The body is a SCIM Group resource');
    const doc = canonicalBody(body as Record<string, unknown>, GROUP_SHAPE, SCIM.group);
    const schemas = doc.schemas;
    if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SCIM.group.toLowerCase())) {
      throw new DomainError('bad_request', `schemas must hold ${SCIM.group}`);
    }
    if (typeof doc.displayName !== 'string' || doc.displayName === '') throw new DomainError('invalid_value', 'displayName is required');
    return doc;
  }
}
