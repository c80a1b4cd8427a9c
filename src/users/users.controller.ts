import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
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
import { parseIfMatch } from '../common/if-match.js';
import { toUserResponse, UserResponse, type UserWithRelations } from './dto/user-response.dto.js';
import { UserInputDto } from './dto/user.dto.js';
import { UsersQueryDto } from './dto/users-query.dto.js';
import { TargetUser, userPaths } from './user-ref.decorator.js';
import { USER_ACTIONS, type UserAction, type UserRef, UsersService } from './users.service.js';

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
const ACTIONS_OPERATION = ApiOperation({ summary: 'Act on a user, by id or by externalId', description: ACTIONS_DESCRIPTION });

const IF_MATCH = ApiHeader({
  name: 'If-Match',
  required: false,
  description: 'The ETag of the version the change is based on, as sent in the ETag header (`"3"`; a bare `3` is taken as `"3"`); 412 when stale',
});

/** Writes that may meet a uniqueness rule or the last-admin rule. */
const CONFLICTS = ApiConflictResponse({
  description: '`email_taken`, `external_id_taken` or `username_taken`; `last_admin` when the change would leave the tenant without an active admin',
});

/** Changes the privilege guard checks: what is set, and whom it is done to. */
const PRIVILEGED = ApiForbiddenResponse({
  description:
    'Setting admin, planAdmin or canViewMaskedData, or a group granting a permission the caller lacks, is for admins and the operator; ' +
    'so is acting on a user who holds a permission the caller lacks (an admin: admins and the operator only)',
});

/** Deleting or deactivating a user. */
const LAST_ADMIN = ApiConflictResponse({ description: '`last_admin`: the tenant would be left without an active admin' });

const ACTS_ON_USER = ApiForbiddenResponse({
  description: 'Acting on a user who holds a permission the caller lacks is refused (an admin: admins and the operator only)',
});

@ApiTags('users')
@Controller('api/v2/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List users', description: 'Keyset pages (`after`) or offsets, sorted and filtered; masked for a viewer without canViewMaskedData.' })
  @RequirePermission('users:read')
  @ApiOkResponse({ type: UserPage })
  async list(@TenantCtx() ctx: TenantContext, @Query() query: UsersQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const page = await this.users.listJson(ctx, {
      limit: query.limit ?? 20,
      offset: query.offset ?? 0,
      after: query.after,
      sort: query.sort ?? 'createdAt',
      count: query.count === 'true',
      filter: query.filter ?? {},
    });
    // Written as Fastify writes an object it serialises, content type included.
    void reply.type('application/json; charset=utf-8');
    return page;
  }

  @Post()
  @ApiOperation({ summary: 'Create a user' })
  @RequirePermission('users:write')
  @ApiCreatedResponse({ type: UserResponse })
  @CONFLICTS
  @PRIVILEGED
  async create(
    @TenantCtx() ctx: TenantContext,
    @Body() body: UserInputDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.create(ctx, body), ctx);
  }

  @Put('external/:externalId')
  @ApiOperation({ summary: 'Create or update a user by externalId', description: 'An upsert: creates the user (201) when no user has this externalId, else changes the fields sent (200).' })
  @RequirePermission('users:write')
  @IF_MATCH
  @ApiOkResponse({ type: UserResponse, description: 'Updated' })
  @ApiCreatedResponse({ type: UserResponse, description: 'Created (upsert)' })
  @CONFLICTS
  @PRIVILEGED
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

  @Get(userPaths())
  @ApiOperation({ summary: 'Get a user, by id or by externalId' })
  @RequirePermission('users:read')
  @ApiOkResponse({ type: UserResponse, description: 'ETag: "<version>"' })
  async get(@TenantCtx() ctx: TenantContext, @TargetUser() user: UserRef, @Res({ passthrough: true }) reply: FastifyReply): Promise<UserResponse> {
    return respond(reply, await this.users.get(ctx, user), ctx);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Update a user (PUT)', description: 'Partial, like PATCH: only the fields sent change.' })
  @RequirePermission('users:write')
  @IF_MATCH
  @ApiOkResponse({ type: UserResponse, description: 'Partial, like PATCH: only the fields sent change' })
  @CONFLICTS
  @PRIVILEGED
  async put(
    @TenantCtx() ctx: TenantContext,
    @Param('id') id: string,
    @Body() body: UserInputDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.update(ctx, { id }, body, parseIfMatch(ifMatch)), ctx);
  }

  @Patch(userPaths())
  @ApiOperation({ summary: 'Update a user, by id or by externalId', description: 'Only the fields sent change.' })
  @RequirePermission('users:write')
  @IF_MATCH
  @ApiOkResponse({ type: UserResponse })
  @CONFLICTS
  @PRIVILEGED
  async patch(
    @TenantCtx() ctx: TenantContext,
    @TargetUser() user: UserRef,
    @Body() body: UserInputDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.update(ctx, user, body, parseIfMatch(ifMatch)), ctx);
  }

  @Delete(userPaths())
  @ApiOperation({
    summary: 'Delete a user, by id or by externalId',
    description: 'Erases the user and everything hanging off it; the audit log keeps only its id.',
  })
  @RequirePermission('users:delete')
  @IF_MATCH
  @HttpCode(204)
  @ApiNoContentResponse()
  @ACTS_ON_USER
  @LAST_ADMIN
  async remove(@TenantCtx() ctx: TenantContext, @TargetUser() user: UserRef, @Headers('if-match') ifMatch: string | undefined): Promise<void> {
    await this.users.remove(ctx, user, parseIfMatch(ifMatch));
  }

  @Post(userPaths('/actions/force-logout'))
  @ApiOperation({
    summary: 'End every session of a user, by id or by externalId',
    description: 'An access token issued before gets 401 on its next request.',
  })
  @RequirePermission('sessions:write')
  @HttpCode(200)
  @ApiOkResponse({ type: UserResponse, description: 'Every session of the user ends at once' })
  @ACTS_ON_USER
  async forceLogout(
    @TenantCtx() ctx: TenantContext,
    @TargetUser() user: UserRef,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.forceLogout(ctx, user), ctx);
  }

  @Post(userPaths('/actions/reset-api-key'))
  @ApiOperation({ summary: 'Issue a new API key for a user, by id or by externalId', description: 'The old key stops at once.' })
  @RequirePermission('users:write')
  @HttpCode(200)
  @ApiOkResponse({ type: ApiKeyResponse, description: 'The new key, shown this once' })
  @ACTS_ON_USER
  async resetApiKey(@TenantCtx() ctx: TenantContext, @TargetUser() user: UserRef): Promise<ApiKeyResponse> {
    return { apiKey: await this.users.resetApiKey(ctx, user) };
  }

  @Post(userPaths('/actions/:action'))
  @RequirePermission('users:write')
  @HttpCode(200)
  @ApiParam({ name: 'action', enum: USER_ACTIONS })
  @ACTIONS_OPERATION
  @ApiOkResponse({ type: UserResponse })
  @ACTS_ON_USER
  @LAST_ADMIN
  async act(
    @TenantCtx() ctx: TenantContext,
    @TargetUser() user: UserRef,
    @Param('action') action: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponse> {
    return respond(reply, await this.users.act(ctx, user, parseAction(action)), ctx);
  }
}

/** Every single-user response carries its version as the ETag. */
function respond(reply: FastifyReply, user: UserWithRelations, ctx: TenantContext): UserResponse {
  void reply.header('etag', `"${user.user.version}"`);
  return toUserResponse(user, ctx.principal);
}
