import { Body, Controller, Delete, Get, Header, Headers, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiCreatedResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Authenticated, RequirePermission } from '../auth/access.decorators.js';
import { TenantCtx, type TenantContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { parseIfMatch } from '../common/if-match.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { scimBase, type Query as ScimQuery } from './scim-request.js';
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

interface Written {
  resource: Record<string, unknown>;
  version: number;
  location: string;
}

/** Writes the resource's ETag and, for a create, its Location. */
function written(reply: FastifyReply, { resource, version, location }: Written, created = false): Record<string, unknown> {
  void reply.header('etag', `"${version}"`);
  if (created) void reply.header('location', location);
  return resource;
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
    const all = schemaDocuments(scimBase(request));
    return { schemas: [SCIM.listResponse], totalResults: all.length, itemsPerPage: all.length, startIndex: 1, Resources: all };
  }

  @Get('Schemas/:id')
  @Authenticated()
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: SCIM_DOC })
  schema(@Req() request: FastifyRequest, @Param('id') id: string): Record<string, unknown> {
    const found = schemaDocuments(scimBase(request)).find((s) => String(s.id).toLowerCase() === id.toLowerCase());
    if (!found) throw DomainError.notFound('Schema');
    return found;
  }

  @Get('ResourceTypes')
  @Authenticated()
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: LIST_DOC })
  resourceTypes(@Req() request: FastifyRequest): Record<string, unknown> {
    const all = resourceTypeDocuments(scimBase(request));
    return { schemas: [SCIM.listResponse], totalResults: all.length, itemsPerPage: all.length, startIndex: 1, Resources: all };
  }

  @Get('ResourceTypes/:id')
  @Authenticated()
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: SCIM_DOC })
  resourceType(@Req() request: FastifyRequest, @Param('id') id: string): Record<string, unknown> {
    const found = resourceTypeDocuments(scimBase(request)).find((s) => String(s.id).toLowerCase() === id.toLowerCase());
    if (!found) throw DomainError.notFound('ResourceType');
    return found;
  }
}

@ApiTags('scim')
@ApiProduces('application/scim+json')
@ApiConsumes('application/scim+json', 'application/json')
@Controller('scim/v2/Users')
export class ScimUsersController {
  constructor(private readonly users: ScimUsersService) {}

  @Get()
  @RequirePermission('users:read')
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: LIST_DOC, description: LIST_QUERY })
  list(@TenantCtx() ctx: TenantContext, @Query() query: ScimQuery, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    return this.users.list(ctx, query, scimBase(request));
  }

  @Post()
  @RequirePermission('users:write')
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
    return written(reply, await this.users.create(ctx, body, query, scimBase(request)), true);
  }

  @Get(':id')
  @RequirePermission('users:read')
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: SCIM_DOC, description: 'ETag header' })
  async get(
    @TenantCtx() ctx: TenantContext,
    @Param('id') id: string,
    @Query() query: ScimQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    return written(reply, await this.users.get(ctx, id, query, scimBase(request)));
  }

  @Put(':id')
  @RequirePermission('users:write')
  @Header('content-type', SCIM_CONTENT_TYPE)
  @IF_MATCH
  @ApiBody({ schema: SCIM_DOC })
  @ApiOkResponse({ schema: SCIM_DOC, description: 'Replaces the user: optional attributes left out are cleared' })
  async replace(
    @TenantCtx() ctx: TenantContext,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Query() query: ScimQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    return written(reply, await this.users.replace(ctx, id, body, parseIfMatch(ifMatch), query, scimBase(request)));
  }

  @Patch(':id')
  @RequirePermission('users:write')
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
    return written(reply, await this.users.patch(ctx, id, body, parseIfMatch(ifMatch), query, scimBase(request)));
  }

  @Delete(':id')
  @RequirePermission('users:delete')
  @IF_MATCH
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    await this.users.remove(ctx, id, parseIfMatch(ifMatch));
  }
}

@ApiTags('scim')
@ApiProduces('application/scim+json')
@ApiConsumes('application/scim+json', 'application/json')
@Controller('scim/v2/Groups')
export class ScimGroupsController {
  constructor(private readonly groups: ScimGroupsService) {}

  @Get()
  @RequirePermission('groups:read')
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: LIST_DOC, description: LIST_QUERY })
  list(@TenantCtx() ctx: TenantContext, @Query() query: ScimQuery, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    return this.groups.list(ctx, query, scimBase(request));
  }

  @Post()
  @RequirePermission('groups:write')
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
    return written(reply, await this.groups.create(ctx, body, query, scimBase(request)), true);
  }

  @Get(':id')
  @RequirePermission('groups:read')
  @Header('content-type', SCIM_CONTENT_TYPE)
  @ApiOkResponse({ schema: SCIM_DOC, description: 'ETag header' })
  async get(
    @TenantCtx() ctx: TenantContext,
    @Param('id') id: string,
    @Query() query: ScimQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    return written(reply, await this.groups.get(ctx, id, query, scimBase(request)));
  }

  @Put(':id')
  @RequirePermission('groups:write')
  @Header('content-type', SCIM_CONTENT_TYPE)
  @IF_MATCH
  @ApiBody({ schema: SCIM_DOC })
  @ApiOkResponse({ schema: SCIM_DOC, description: 'Replaces the name, externalId and the whole members list' })
  async replace(
    @TenantCtx() ctx: TenantContext,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Query() query: ScimQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    return written(reply, await this.groups.replace(ctx, id, body, parseIfMatch(ifMatch), query, scimBase(request)));
  }

  @Patch(':id')
  @RequirePermission('groups:write')
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
    return written(reply, await this.groups.patch(ctx, id, body, parseIfMatch(ifMatch), query, scimBase(request)));
  }

  @Delete(':id')
  @RequirePermission('groups:write')
  @IF_MATCH
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    await this.groups.remove(ctx, id, parseIfMatch(ifMatch));
  }
}
