import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequirePermission } from '../auth/access.decorators.js';
import { TenantCtx, type TenantContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { toUserResponse, UserResponse, type UserWithRelations } from './dto/user-response.dto.js';
import { UserInputDto } from './dto/user.dto.js';
import { UsersQueryDto } from './dto/users-query.dto.js';
import { type IfMatch, USER_ACTIONS, type UserAction, type UserRef, UsersService } from './users.service.js';

class UserPageMeta {
  @ApiProperty() limit!: number;
  @ApiProperty() offset!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Send as `after` for the next page' }) nextCursor!: string | null;
  @ApiPropertyOptional({ description: 'Only with count=true' }) total?: number;
}

class ApiKeyResponse {
  @ApiProperty({ description: 'Starts with idk_; send as Authorization: Bearer. Not retrievable later.' }) apiKey!: string;
}

class UserPage {
  @ApiProperty({ type: [UserResponse] }) data!: UserResponse[];
  @ApiProperty({ type: UserPageMeta }) meta!: UserPageMeta;
}

/** `"3"`, `"3", "4"` or `*`. Weak tags never match: If-Match compares strongly. */
export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.trim() === '*') return '*';
  return header
    .split(',')
    .map((tag) => /^\s*"([^"]*)"\s*$/.exec(tag)?.[1])
    .filter((tag): tag is string => tag !== undefined);
}

function parseAction(action: string): UserAction {
  if ((USER_ACTIONS as readonly string[]).includes(action)) return action as UserAction;
  throw DomainError.validation([{ field: 'action', message: `must be one of ${USER_ACTIONS.join(', ')}` }]);
}

/** What each action does, for the OpenAPI description of the action routes. */
const ACTIONS_DESCRIPTION = [
  '`deactivate`: the user can no longer log in and every session ends at once. Its API key is kept but refused (401) while the user is inactive, and works again after `reactivate` (as Keycloak and Auth0 keep credentials across a disable). The last active admin cannot be deactivated (409).',
  '`reactivate`: the user can log in again; a kept API key works again.',
  '`allow-password-reset` / `disallow-password-reset`: whether the user may reset its password by mail.',
  '`require-password-reset`: the next session is restricted to `POST /api/v2/me/password`.',
  '`reset-tfa`: the TFA enrolment goes; the next session is restricted to enrolling again.',
  '`unlock`: lifts a lockout and clears the failed-login count.',
  'On a user holding a permission the caller lacks, or on an admin when the caller is not one: 403.',
].join('\n\n');
const ACTIONS_OPERATION = ApiOperation({ summary: 'Act on a user', description: ACTIONS_DESCRIPTION });

const IF_MATCH = ApiHeader({ name: 'If-Match', required: false, description: 'The ETag of the version the change is based on; 412 when stale' });

@ApiTags('users')
@Controller('api/v2/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequirePermission('users:read')
  @ApiOkResponse({ type: UserPage })
  async list(@TenantCtx() ctx: TenantContext, @Query() query: UsersQueryDto): Promise<UserPage> {
    const limit = query.limit ?? 20;
    const offset = query.offset ?? 0;
    const page = await this.users.list(ctx, {
      limit,
      offset,
      after: query.after,
      sort: query.sort ?? 'createdAt',
      count: query.count === 'true',
      filter: query.filter ?? {},
    });
    const meta: UserPageMeta = { limit, offset, nextCursor: page.nextCursor };
    if (page.total !== undefined) meta.total = page.total;
    return { data: page.users.map((u) => toUserResponse(u, ctx.principal)), meta };
  }

  @Post()
  @RequirePermission('users:write')
  @ApiCreatedResponse({ type: UserResponse })
  async create(
    @TenantCtx() ctx: TenantContext,
    @Body() body: UserInputDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.create(ctx, body), ctx);
  }

  @Get('external/:externalId')
  @RequirePermission('users:read')
  @ApiOkResponse({ type: UserResponse, description: 'ETag: "<version>"' })
  async getExternal(
    @TenantCtx() ctx: TenantContext,
    @Param('externalId') externalId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.get(ctx, { externalId }), ctx);
  }

  @Put('external/:externalId')
  @RequirePermission('users:write')
  @IF_MATCH
  @ApiOkResponse({ type: UserResponse, description: 'Updated' })
  @ApiCreatedResponse({ type: UserResponse, description: 'Created (upsert)' })
  async upsertExternal(
    @TenantCtx() ctx: TenantContext,
    @Param('externalId') externalId: string,
    @Body() body: UserInputDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    const { user, created } = await this.users.upsertByExternalId(ctx, externalId, body, parseIfMatch(ifMatch));
    void reply.status(created ? 201 : 200);
    return respond(reply, user, ctx);
  }

  @Patch('external/:externalId')
  @RequirePermission('users:write')
  @IF_MATCH
  @ApiOkResponse({ type: UserResponse })
  async patchExternal(
    @TenantCtx() ctx: TenantContext,
    @Param('externalId') externalId: string,
    @Body() body: UserInputDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.update(ctx, { externalId }, body, parseIfMatch(ifMatch)), ctx);
  }

  @Delete('external/:externalId')
  @RequirePermission('users:delete')
  @IF_MATCH
  @HttpCode(204)
  @ApiNoContentResponse()
  async removeExternal(
    @TenantCtx() ctx: TenantContext,
    @Param('externalId') externalId: string,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    await this.users.remove(ctx, { externalId }, parseIfMatch(ifMatch));
  }

  @Post('external/:externalId/actions/force-logout')
  @RequirePermission('sessions:write')
  @HttpCode(200)
  @ApiOkResponse({ type: UserResponse, description: 'Every session of the user ends at once' })
  async forceLogoutExternal(
    @TenantCtx() ctx: TenantContext,
    @Param('externalId') externalId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.forceLogout(ctx, { externalId }), ctx);
  }

  @Post('external/:externalId/actions/reset-api-key')
  @RequirePermission('users:write')
  @HttpCode(200)
  @ApiOkResponse({ type: ApiKeyResponse, description: 'The new key, shown this once' })
  async resetApiKeyExternal(@TenantCtx() ctx: TenantContext, @Param('externalId') externalId: string): Promise<ApiKeyResponse> {
    return { apiKey: await this.users.resetApiKey(ctx, { externalId }) };
  }

  @Post('external/:externalId/actions/:action')
  @RequirePermission('users:write')
  @HttpCode(200)
  @ApiParam({ name: 'action', enum: USER_ACTIONS })
  @ACTIONS_OPERATION
  @ApiOkResponse({ type: UserResponse })
  async actExternal(
    @TenantCtx() ctx: TenantContext,
    @Param('externalId') externalId: string,
    @Param('action') action: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.act(ctx, { externalId }, parseAction(action)), ctx);
  }

  @Get(':id')
  @RequirePermission('users:read')
  @ApiOkResponse({ type: UserResponse, description: 'ETag: "<version>"' })
  async get(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<UserResponse> {
    return respond(reply, await this.users.get(ctx, { id }), ctx);
  }

  @Put(':id')
  @RequirePermission('users:write')
  @IF_MATCH
  @ApiOkResponse({ type: UserResponse, description: 'Partial, like PATCH: only the fields sent change' })
  async put(
    @TenantCtx() ctx: TenantContext,
    @Param('id') id: string,
    @Body() body: UserInputDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.update(ctx, { id }, body, parseIfMatch(ifMatch)), ctx);
  }

  @Patch(':id')
  @RequirePermission('users:write')
  @IF_MATCH
  @ApiOkResponse({ type: UserResponse })
  async patch(
    @TenantCtx() ctx: TenantContext,
    @Param('id') id: string,
    @Body() body: UserInputDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.update(ctx, { id }, body, parseIfMatch(ifMatch)), ctx);
  }

  @Delete(':id')
  @RequirePermission('users:delete')
  @IF_MATCH
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    await this.users.remove(ctx, { id }, parseIfMatch(ifMatch));
  }

  @Post(':id/actions/force-logout')
  @RequirePermission('sessions:write')
  @HttpCode(200)
  @ApiOkResponse({ type: UserResponse, description: 'Every session of the user ends at once' })
  async forceLogout(
    @TenantCtx() ctx: TenantContext,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.forceLogout(ctx, { id }), ctx);
  }

  @Post(':id/actions/reset-api-key')
  @RequirePermission('users:write')
  @HttpCode(200)
  @ApiOkResponse({ type: ApiKeyResponse, description: 'The new key, shown this once' })
  async resetApiKey(@TenantCtx() ctx: TenantContext, @Param('id') id: string): Promise<ApiKeyResponse> {
    return { apiKey: await this.users.resetApiKey(ctx, { id }) };
  }

  @Post(':id/actions/:action')
  @RequirePermission('users:write')
  @HttpCode(200)
  @ApiParam({ name: 'action', enum: USER_ACTIONS })
  @ACTIONS_OPERATION
  @ApiOkResponse({ type: UserResponse })
  async act(
    @TenantCtx() ctx: TenantContext,
    @Param('id') id: string,
    @Param('action') action: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.act(ctx, { id } satisfies UserRef, parseAction(action)), ctx);
  }
}

/** Every single-user response carries its version as the ETag. */
function respond(reply: FastifyReply, user: UserWithRelations, ctx: TenantContext): UserResponse {
  void reply.header('etag', `"${user.user.version}"`);
  return toUserResponse(user, ctx.principal);
}
