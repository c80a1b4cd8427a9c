import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AllowRestricted, Authenticated, OperatorOnly, Public } from '../auth/access.decorators.js';
import { Ctx, type RequestContext } from '../auth/request-context.js';
import { AuthService, type Client } from './auth.service.js';
import { LoginDto, RefreshDto, TokenResponse } from './dto/auth.dto.js';
import { PasswordResetConfirmDto, PasswordResetRequestDto } from './dto/me.dto.js';
import { PasswordResetService } from './password-reset.service.js';
import { LoginRateLimiter } from './rate-limiter.js';
import { SigningKeysService } from './signing-keys.service.js';

function clientOf(request: FastifyRequest): Client {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent : null, requestId: String(request.id) };
}

@ApiTags('auth')
@Controller('api/v2/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly resets: PasswordResetService,
    private readonly limiter: LoginRateLimiter,
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOkResponse({ type: TokenResponse })
  login(@Req() request: FastifyRequest, @Body() body: LoginDto): Promise<TokenResponse> {
    this.limiter.hit(request.ip);
    return this.auth.login(body, clientOf(request));
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOkResponse({ type: TokenResponse, description: 'A new pair; the refresh token sent is spent' })
  refresh(@Req() request: FastifyRequest, @Body() body: RefreshDto): Promise<TokenResponse> {
    return this.auth.refresh(body.refreshToken, clientOf(request));
  }

  @Post('logout')
  @Authenticated()
  @AllowRestricted('tfa', 'password')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The current session has ended' })
  async logout(@Ctx() ctx: RequestContext): Promise<void> {
    await this.auth.logout(ctx);
  }

  @Post('password-reset/request')
  @Public()
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'Always 202; a token is mailed when the account may reset its password' })
  async requestReset(@Req() request: FastifyRequest, @Body() body: PasswordResetRequestDto): Promise<void> {
    this.limiter.hit(request.ip);
    await this.resets.request(body.tenant, body.email, clientOf(request));
  }

  @Post('password-reset/confirm')
  @Public()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Password set; every session of the user has ended' })
  async confirmReset(@Req() request: FastifyRequest, @Body() body: PasswordResetConfirmDto): Promise<void> {
    this.limiter.hit(request.ip);
    await this.resets.confirm(body.token, body.newPassword, clientOf(request));
  }
}

@ApiTags('auth')
@Controller()
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get('.well-known/jwks.json')
  @Public()
  @ApiOkResponse({ description: 'The public keys that verify access tokens' })
  jwks(): { keys: object[] } {
    return this.keys.jwks();
  }

  @Post('api/v2/signing-keys/rotate')
  @OperatorOnly()
  @HttpCode(200)
  @ApiOkResponse({ description: 'A new signing key; the old one stays published until its tokens expire' })
  async rotate(): Promise<{ kid: string }> {
    return { kid: await this.keys.rotate() };
  }
}
