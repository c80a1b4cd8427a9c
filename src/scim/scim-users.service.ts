import { Injectable } from '@nestjs/common';
import type { TenantContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { checkVersion, type IfMatch } from '../common/if-match.js';
import { validationPipe } from '../common/validation.js';
import { ALWAYS } from '../database/condition.js';
import { toUserResponse } from '../users/dto/user-response.dto.js';
import { UserInputDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import { attributeKey, translateFilter, USER_FILTER_ATTRIBUTES } from './scim-filter.js';
import { canonicalBody, project, projection, USER_SHAPE } from './scim-attributes.js';
import { patchOperations, patchUser } from './scim-patch.js';
import { descending, listResponse, paging, param, type Query, type Written } from './scim-request.js';
import { changedInput, type ScimDocument, scimUserInput, toScimUser } from './scim-users.mapper.js';
import { SCIM } from './scim.constants.js';

/** sortBy (lower-cased, without the core URN) → the users field it orders by. */
const USER_SORT: Record<string, string> = {
  id: 'id',
  externalid: 'externalId',
  username: 'userName',
  displayname: 'name',
  'name.formatted': 'name',
  'name.givenname': 'firstName',
  'name.familyname': 'lastName',
  emails: 'email',
  'emails.value': 'email',
  'meta.created': 'createdAt',
  'meta.lastmodified': 'updatedAt',
  [`${SCIM.enterprise.toLowerCase()}:employeenumber`]: 'employeeNumber',
  [`${SCIM.enterprise.toLowerCase()}:department`]: 'department',
};

const pipe = validationPipe();

/** The /api/v2 input a SCIM request comes to, checked by the same DTO rules as /api/v2 itself. */
async function validated(input: UserInputDto): Promise<UserInputDto> {
  return (await pipe.transform(input, { type: 'body', metatype: UserInputDto })) as UserInputDto;
}

/**
 * SCIM Users over UsersService: every rule (privilege guard, uniqueness, masking, the
 * deactivation's effects, audit) is the service's; this class only translates.
 */
@Injectable()
export class ScimUsersService {
  constructor(private readonly users: UsersService) {}

  private async document(ctx: TenantContext, id: string, base: string): Promise<{ doc: ScimDocument; version: number }> {
    const loaded = await this.users.get(ctx, { id });
    return { doc: toScimUser(toUserResponse(loaded, ctx.principal), base), version: loaded.user.version };
  }

  async list(ctx: TenantContext, query: Query, base: string): Promise<Record<string, unknown>> {
    const filter = param(query, 'filter');
    const where = filter === undefined ? ALWAYS : translateFilter(filter, USER_FILTER_ATTRIBUTES, SCIM.user);
    const { startIndex, count } = paging(query);
    const sortBy = param(query, 'sortBy');
    let sort: { field: string; descending: boolean } | undefined;
    if (sortBy !== undefined && sortBy !== '') {
      const field = USER_SORT[attributeKey(sortBy, SCIM.user)];
      if (!field) throw new DomainError('invalid_value', `Users cannot be sorted by ${sortBy.slice(0, 100)}`);
      sort = { field, descending: descending(query) };
    }
    const shown = projection(param(query, 'attributes'), param(query, 'excludedAttributes'), USER_SHAPE, SCIM.user);
    const page = await this.users.search(ctx, { where, sort, offset: startIndex - 1, limit: count });
    const resources = page.users.map((u) => project(toScimUser(toUserResponse(u, ctx.principal), base), shown));
    return listResponse(resources, page.total, startIndex);
  }

  async get(ctx: TenantContext, id: string, query: Query, base: string): Promise<Written> {
    const { doc, version } = await this.document(ctx, id, base);
    return { resource: this.shaped(doc, query), version, location: `${base}/Users/${id}` };
  }

  async create(ctx: TenantContext, body: unknown, query: Query, base: string): Promise<Written> {
    const doc = this.resourceBody(body);
    const input = scimUserInput(doc);
    if (input.username === undefined) throw new DomainError('invalid_value', 'userName is required');
    if (input.email === undefined) throw new DomainError('invalid_value', 'emails (or a userName that is an email address) is required');
    // Create leaves out what it would set to nothing: the service's defaults apply.
    const created = await this.users.create(ctx, await validated(withoutNulls(input)));
    return {
      resource: this.shaped(toScimUser(toUserResponse(created, ctx.principal), base), query),
      version: created.user.version,
      location: `${base}/Users/${created.user.id}`,
    };
  }

  async replace(ctx: TenantContext, id: string, body: unknown, ifMatch: IfMatch, query: Query, base: string): Promise<Written> {
    const target = this.resourceBody(body);
    if (target.userName === undefined) throw new DomainError('invalid_value', 'userName is required');
    return this.write(ctx, id, ifMatch, query, base, () => target);
  }

  async patch(ctx: TenantContext, id: string, body: unknown, ifMatch: IfMatch, query: Query, base: string): Promise<Written> {
    const operations = patchOperations(body);
    return this.write(ctx, id, ifMatch, query, base, (current) => patchUser(current, operations));
  }

  async remove(ctx: TenantContext, id: string, ifMatch: IfMatch): Promise<void> {
    await this.users.remove(ctx, { id }, ifMatch);
  }

  /**
   * Read, change, write back only what changed. Without If-Match from the client, the version
   * read is sent as one, so a concurrent change is never overwritten: the change is worked
   * out again on the new version (three tries).
   */
  private async write(
    ctx: TenantContext,
    id: string,
    ifMatch: IfMatch,
    query: Query,
    base: string,
    change: (current: ScimDocument) => ScimDocument,
  ): Promise<Written> {
    for (let attempt = 0; ; attempt++) {
      const { doc, version } = await this.document(ctx, id, base);
      checkVersion(ifMatch, version);
      const input = changedInput(scimUserInput(doc), scimUserInput(change(doc)));
      if (Object.keys(input).length === 0) return { resource: this.shaped(doc, query), version, location: `${base}/Users/${id}` };
      try {
        const updated = await this.users.update(ctx, { id }, await validated(input), ifMatch ?? [String(version)]);
        return {
          resource: this.shaped(toScimUser(toUserResponse(updated, ctx.principal), base), query),
          version: updated.user.version,
          location: `${base}/Users/${id}`,
        };
      } catch (error) {
        const raced = ifMatch === undefined && error instanceof DomainError && error.code === 'precondition_failed';
        if (!raced || attempt >= 2) throw error;
      }
    }
  }

  /** A POST or PUT body: a User resource, its keys in this server's spelling. */
  private resourceBody(body: unknown): ScimDocument {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new DomainError('bad_request', 'The body is a SCIM User resource');
    const doc = canonicalBody(body as Record<string, unknown>, USER_SHAPE, SCIM.user);
    const schemas = doc.schemas;
    if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SCIM.user.toLowerCase())) {
      throw new DomainError('bad_request', `schemas must hold ${SCIM.user}`);
    }
    const unknownSchema = schemas.find((s) => typeof s !== 'string' || ![SCIM.user, SCIM.enterprise].some((known) => known.toLowerCase() === s.toLowerCase()));
    if (unknownSchema !== undefined) throw new DomainError('invalid_value', `Unknown schema: ${String(unknownSchema).slice(0, 200)}`);
    return doc;
  }

  private shaped(doc: ScimDocument, query: Query): ScimDocument {
    return project(doc, projection(param(query, 'attributes'), param(query, 'excludedAttributes'), USER_SHAPE, SCIM.user));
  }
}

function withoutNulls(input: UserInputDto): UserInputDto {
  const out = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null)) as UserInputDto;
  if (input.enterprise) out.enterprise = Object.fromEntries(Object.entries(input.enterprise).filter(([, v]) => v !== null));
  return out;
}
