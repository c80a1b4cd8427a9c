import { Body, Controller, Delete, Get, Header, Headers, HttpCode, Inject, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiCreatedResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticated, RequirePermission } from '../auth/access.decorators.js';
import type { Permission } from '../auth/permissions.js';
import { TenantCtx, type TenantContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { type IfMatch, parseIfMatch } from '../common/if-match.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { scimBase, type Query as ScimQuery, type Written } from './scim-request.js';
import { resourceTypeDocuments, schemaDocuments, serviceProviderConfig } from './scim-schemas.js';
import { ScimUsersService } from './scim-users.service.js';
import { SCIM, SCIM_CONTENT_TYPE } from './scim.constants.js';

/*
 * SCIM 2.0 (RFC 7644) under /scim/v2. Each handler reads the request and calls one method of
 * the SCIM services, which translate to the users and groups services. Errors are written in
 * SCIM's error schema (ScimErrorFormat).
 */

const SCIM_DOC = { type: 'object', additionalProperties: true, description: 'A SCIM resource (RFC 7643); see GET /scim/v2/Schemas' } as const;
const LIST_DOC = {
  type: 'object',
  description: `A ${SCIM.listResponse}`,
  properties: {
    schemas: { type: 'array', items: { type: 'string' } },
    totalResults: { type: 'integer' },
    itemsPerPage: { type: 'integer' },
    startIndex: { type: 'integer' },
    Resources: { type: 'array', items: SCIM_DOC },
  },
} as const;
const IF_MATCH = ApiHeader({ name: 'If-Match', required: false, description: 'The ETag (meta.version) the change is based on; 412 when stale' });
const LIST_QUERY =
  'filter (RFC 7644 3.4.2.2), startIndex (1-based), count (default 100, at most 200), sortBy, sortOrder, attributes, excludedAttributes';


/** Writes the resource's ETag and, for a create, its Location. */
function written(reply: FastifyReply, { resource, version, location }: Written, created = false): Record<string, unknown> {
  void reply.header('etag', `"${version}"`);
  if (created) void reply.header('location', location);
  return resource;
}

/** A discovery endpoint's documents as one ListResponse, all on one page. */
function listOf(all: Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: [SCIM.listResponse], totalResults: all.length, itemsPerPage: all.length, startIndex: 1, Resources: all };
}

/** The discovery document with this id (in any case), or 404 naming `what`. */
function byId(all: Record<string, unknown>[], id: string, what: string): Record<string, unknown> {
  const found = all.find((s) => String(s.id).toLowerCase() === id.toLowerCase());
  if (!found) throw DomainError.notFound(what);
  return found;
}

@ApiTags('scim')
@ApiProduces('application/scim+json')
@Controller('scim/v2')
export class ScimDiscoveryController {
  @Get('ServiceProviderConfig')
  @Authenticated()
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: SCIM_DOC, description: 'What this SCIM server supports' })
  serviceProviderConfig(@Req() request: FastifyRequest): Record<string, unknown> {
    return serviceProviderConfig(scimBase(request));
  }

  @Get('Schemas')
  @Authenticated()
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: LIST_DOC })
  schemas(@Req() request: FastifyRequest): Record<string, unknown> {
    return listOf(schemaDocuments(scimBase(request)));
  }

  @Get('Schemas/:id')
  @Authenticated()
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: SCIM_DOC })
  schema(@Req() request: FastifyRequest, @Param('id') id: string): Record<string, unknown> {
    return byId(schemaDocuments(scimBase(request)), id, 'Schema');
  }

  @Get('ResourceTypes')
  @Authenticated()
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: LIST_DOC })
  resourceTypes(@Req() request: FastifyRequest): Record<string, unknown> {
    return listOf(resourceTypeDocuments(scimBase(request)));
  }

  @Get('ResourceTypes/:id')
  @Authenticated()
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: SCIM_DOC })
  resourceType(@Req() request: FastifyRequest, @Param('id') id: string): Record<string, unknown> {
    return byId(resourceTypeDocuments(scimBase(request)), id, 'ResourceType');
  }
}

/** What a SCIM resource's service answers: the Users and the Groups services alike. */
interface ScimResources {
  list(ctx: TenantContext, query: ScimQuery, base: string): Promise<Record<string, unknown>>;
  get(ctx: TenantContext, id: string, query: ScimQuery, base: string): Promise<Written>;
  create(ctx: TenantContext, body: unknown, query: ScimQuery, base: string): Promise<Written>;
  replace(ctx: TenantContext, id: string, body: unknown, ifMatch: IfMatch, query: ScimQuery, base: string): Promise<Written>;
  patch(ctx: TenantContext, id: string, body: unknown, ifMatch: IfMatch, query: ScimQuery, base: string): Promise<Written>;
  remove(ctx: TenantContext, id: string, ifMatch: IfMatch): Promise<void>;
}

/** A SCIM resource type as its controller serves it. */
interface ScimResourceRoutes {
  /** The controller's class name (the OpenAPI operations are named after it). */
  name: string;
  /** The resource type's endpoint under /scim/v2. */
  endpoint: 'Users' | 'Groups';
  service: new (...args: never[]) => ScimResources;
  read: Permission;
  write: Permission;
  remove: Permission;
  /** What a PUT replaces, for the OpenAPI document. */
  replaces: string;
}

/**
 * The controller of one SCIM resource type: list, create, get, replace (PUT), patch and delete,
 * each reading the request and calling one method of the resource's service. Users and Groups
 * differ only by their endpoint, service, permissions and what a PUT replaces.
 */
function scimResourceController(routes: ScimResourceRoutes): new (resources: ScimResources) => object {
  @ApiTags('scim')
  @ApiProduces('application/scim+json')
  @ApiConsumes('application/scim+json', 'application/json')
  @Controller(`scim/v2/${routes.endpoint}`)
  class ScimResourceController {
    constructor(@Inject(routes.service) private readonly resources: ScimResources) {}

    @Get()
    @RequirePermission(routes.read)
    @Header('content-type', SCIM_CONTENT_TYPE)
    @ApiOkResponse({ schema: LIST_DOC, description: LIST_QUERY })
    list(@TenantCtx() ctx: TenantContext, @Query() query: ScimQuery, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
      return this.resources.list(ctx, query, scimBase(request));
    }

    @Post()
    @RequirePermission(routes.write)
    @Header('content-type', SCIM_CONTENT_TYPE)
    @ApiBody({ schema: SCIM_DOC })
    @ApiCreatedResponse({ schema: SCIM_DOC, description: 'Location and ETag headers' })
    async create(
      @TenantCtx() ctx: TenantContext,
      @Body() body: unknown,
      @Query() query: ScimQuery,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<Record<string, unknown>> {
      return written(reply, await this.resources.create(ctx, body, query, scimBase(request)), true);
    }

    @Get(':id')
    @RequirePermission(routes.read)
    @Header('content-type', SCIM_CONTENT_TYPE)
    @ApiOkResponse({ schema: SCIM_DOC, description: 'ETag header' })
    async get(
      @TenantCtx() ctx: TenantContext,
      @Param('id') id: string,
      @Query() query: ScimQuery,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<Record<string, unknown>> {
      return written(reply, await this.resources.get(ctx, id, query, scimBase(request)));
    }

    @Put(':id')
    @RequirePermission(routes.write)
    @Header('content-type', SCIM_CONTENT_TYPE)
    @IF_MATCH
    @ApiBody({ schema: SCIM_DOC })
    @ApiOkResponse({ schema: SCIM_DOC, description: routes.replaces })
    async replace(
      @TenantCtx() ctx: TenantContext,
      @Param('id') id: string,
      @Body() body: unknown,
      @Headers('if-match') ifMatch: string | undefined,
      @Query() query: ScimQuery,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<Record<string, unknown>> {
      return written(reply, await this.resources.replace(ctx, id, body, parseIfMatch(ifMatch), query, scimBase(request)));
    }

    @Patch(':id')
    @RequirePermission(routes.write)
    @Header('content-type', SCIM_CONTENT_TYPE)
    @IF_MATCH
    @ApiBody({ schema: { type: 'object', description: `A ${SCIM.patchOp} message` } })
    @ApiOkResponse({ schema: SCIM_DOC })
    async patch(
      @TenantCtx() ctx: TenantContext,
      @Param('id') id: string,
      @Body() body: unknown,
      @Headers('if-match') ifMatch: string | undefined,
      @Query() query: ScimQuery,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<Record<string, unknown>> {
      return written(reply, await this.resources.patch(ctx, id, body, parseIfMatch(ifMatch), query, scimBase(request)));
    }

    @Delete(':id')
    @RequirePermission(routes.remove)
    @IF_MATCH
    @HttpCode(204)
    @ApiNoContentResponse()
    async remove(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
      await this.resources.remove(ctx, id, parseIfMatch(ifMatch));
    }
  }
  Object.defineProperty(ScimResourceController, 'name', { value: routes.name });
  return ScimResourceController;
}

export const ScimUsersController = scimResourceController({
  name: 'ScimUsersController',
  endpoint: 'Users',
  service: ScimUsersService,
  read: 'users:read',
  write: 'users:write',
  remove: 'users:delete',
  replaces: 'Replaces the user: optional attributes left out are cleared',
});

export const ScimGroupsController = scimResourceController({
  name: 'ScimGroupsController',
  endpoint: 'Groups',
  service: ScimGroupsService,
  read: 'groups:read',
  write: 'groups:write',
  remove: 'groups:write',
  replaces: 'Replaces the name, externalId and the whole members list',
});
