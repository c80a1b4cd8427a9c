import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { AllowRestricted, Authenticated } from '../auth/access.decorators.js';
import { TenantCtx, type TenantContext } from '../auth/request-context.js';
import { AppConfig } from '../config/app-config.js';
import { toUserResponse, UserResponse } from '../users/dto/user-response.dto.js';
import type { UserInputDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import { SessionList, toSessionResponse } from '../sessions/dto/auth.dto.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { ChangePasswordDto, OtpDto, RecoveryCodesResponse, TfaEnrollResponse, UpdateMeDto } from './dto/me.dto.js';
import { MeService, userPrincipal } from './me.service.js';
import { TfaService } from './tfa.service.js';

/** The caller's own account. A user always sees its own record unmasked here. */
@ApiTags('me')
@Controller('api/v2/me')
export class MeController {
  constructor(
    private readonly config: AppConfig,
    private readonly me: MeService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly tfa: TfaService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Get my account', description: 'Unmasked: a user always sees its own record.' })
  @Authenticated({ usersOnly: true })
  @ApiOkResponse({ type: UserResponse })
  async get(@TenantCtx() ctx: TenantContext): Promise<UserResponse> {
    const principal = userPrincipal(ctx);
    return toUserResponse(await this.users.get(ctx, { id: principal.userId }), principal);
  }

  @Patch()
  @ApiOperation({ summary: 'Update my profile', description: 'name, firstName, lastName and phone.' })
  @Authenticated({ usersOnly: true })
  @ApiOkResponse({ type: UserResponse })
  async update(@TenantCtx() ctx: TenantContext, @Body() body: UpdateMeDto): Promise<UserResponse> {
    const principal = userPrincipal(ctx);
    const updated = await this.users.update(ctx, { id: principal.userId }, body as UserInputDto, undefined);
    return toUserResponse(updated, principal);
  }

  @Post('password')
  @ApiOperation({ summary: 'Change my password', description: 'Ends my other sessions.' })
  @Authenticated({ usersOnly: true })
  @AllowRestricted('password')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Password changed; the other sessions have ended' })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong current passwords or codes: the account is locked (Retry-After)' })
  async changePassword(@TenantCtx() ctx: TenantContext, @Body() body: ChangePasswordDto): Promise<void> {
    await this.me.changePassword(ctx, body.currentPassword, body.newPassword);
  }

  @Get('sessions')
  @ApiOperation({ summary: 'List my sessions' })
  @Authenticated({ usersOnly: true })
  @ApiOkResponse({ type: SessionList })
  async sessionsList(@TenantCtx() ctx: TenantContext): Promise<SessionList> {
    const principal = userPrincipal(ctx);
    const live = await this.sessions.listLive(ctx.tenantId, principal.userId);
    return { data: live.map((s) => toSessionResponse(s, principal.sessionId)) };
  }

  @Delete('sessions/:sessionId')
  @ApiOperation({ summary: 'End one of my sessions' })
  @Authenticated({ usersOnly: true })
  @HttpCode(204)
  @ApiNoContentResponse()
  async endSession(@TenantCtx() ctx: TenantContext, @Param('sessionId') sessionId: string): Promise<void> {
    await this.me.endOwnSession(ctx, sessionId);
  }

  @Post('tfa/enroll')
  @ApiOperation({ summary: 'Start enrolling a second factor (TOTP)', description: 'Returns the secret and an otpauth:// URL for an authenticator app; confirm with a code to finish.' })
  @Authenticated({ usersOnly: true })
  @AllowRestricted('tfa')
  @HttpCode(200)
  @ApiOkResponse({ type: TfaEnrollResponse })
  @ApiConflictResponse({ description: 'A second factor is already enrolled: turn it off first' })
  async enroll(@TenantCtx() ctx: TenantContext): Promise<TfaEnrollResponse> {
    return this.tfa.enroll(ctx, await this.me.user(ctx), this.config.auth.issuer);
  }

  @Post('tfa/confirm')
  @ApiOperation({ summary: 'Finish enrolling a second factor', description: 'Returns ten single-use recovery codes, shown this once.' })
  @Authenticated({ usersOnly: true })
  @AllowRestricted('tfa')
  @HttpCode(200)
  @ApiOkResponse({ type: RecoveryCodesResponse })
  async confirm(@TenantCtx() ctx: TenantContext, @Body() body: OtpDto): Promise<RecoveryCodesResponse> {
    return { recoveryCodes: await this.tfa.confirm(ctx, await this.me.user(ctx), body.otp) };
  }

  @Delete('tfa')
  @ApiOperation({ summary: 'Turn my second factor off' })
  @Authenticated({ usersOnly: true })
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'TFA is off' })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong current passwords or codes: the account is locked (Retry-After)' })
  async disable(@TenantCtx() ctx: TenantContext, @Body() body: OtpDto): Promise<void> {
    await this.tfa.disable(ctx, await this.me.user(ctx), body.otp);
  }
}
