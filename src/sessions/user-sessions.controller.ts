import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/access.decorators.js';
import { TenantCtx, type TenantContext } from '../auth/request-context.js';
import { UsersService } from '../users/users.service.js';
import { SessionList, toSessionResponse } from './dto/auth.dto.js';
import { SessionsService } from './sessions.service.js';

/** An admin's view of a user's sessions. */
@ApiTags('sessions')
@Controller('api/v2/users/:id/sessions')
export class UserSessionsController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  @Get()
  @ApiOperation({ summary: "List a user's sessions" })
  @RequirePermission('sessions:read')
  @ApiOkResponse({ type: SessionList })
  async list(@TenantCtx() ctx: TenantContext, @Param('id') id: string): Promise<SessionList> {
    const userId = await this.users.idOf(ctx, { id });
    const current = ctx.principal.kind === 'user' ? ctx.principal.sessionId : null;
    return { data: (await this.sessions.listLive(ctx.tenantId, userId)).map((s) => toSessionResponse(s, current)) };
  }

  @Delete(':sessionId')
  @ApiOperation({ summary: "End one of a user's sessions" })
  @RequirePermission('sessions:write')
  @HttpCode(204)
  @ApiNoContentResponse()
  async end(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Param('sessionId') sessionId: string): Promise<void> {
    const userId = await this.users.idOf(ctx, { id });
    await this.sessions.endSessionOf(ctx, userId, sessionId, (manager) => this.users.assertMayActOnUser(manager, ctx, userId));
  }
}
