import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/access.decorators.js';
import { clientOf } from '../sessions/client.js';
import { LoginRateLimiter } from '../sessions/rate-limiter.js';
import { PasswordResetConfirmDto, PasswordResetRequestDto } from './dto/me.dto.js';
import { PasswordResetService } from './password-reset.service.js';

/** Password reset by mail; the attempts count toward the same per-address limit as sign-in. */
@ApiTags('auth')
@Controller('api/v2/auth/password-reset')
export class PasswordResetController {
  constructor(
    private readonly resets: PasswordResetService,
    private readonly limiter: LoginRateLimiter,
  ) {}

  @Post('request')
  @ApiOperation({ summary: 'Request a password reset', description: 'Always answers 202. When the account exists, is active and may reset its password, a single-use token valid for an hour is mailed.' })
  @Public()
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'Always 202; a token is mailed when the account may reset its password' })
  @ApiTooManyRequestsResponse({ description: 'Too many sign-in and password-reset attempts from this address' })
  async requestReset(@Req() request: FastifyRequest, @Body() body: PasswordResetRequestDto): Promise<void> {
    await this.limiter.hit(request.ip);
    await this.resets.request(body.tenant, body.email, clientOf(request));
  }

  @Post('confirm')
  @ApiOperation({ summary: 'Set a new password with a reset token', description: 'Ends every session of the user.' })
  @Public()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Password set; every session of the user has ended' })
  @ApiUnauthorizedResponse({ description: 'The reset token is not valid, has expired or was already used' })
  @ApiTooManyRequestsResponse({ description: 'Too many sign-in and password-reset attempts from this address' })
  async confirmReset(@Req() request: FastifyRequest, @Body() body: PasswordResetConfirmDto): Promise<void> {
    await this.limiter.hit(request.ip);
    await this.resets.confirm(body.token, body.newPassword, clientOf(request));
  }
}
