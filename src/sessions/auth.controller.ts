import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AllowRestricted, Authenticated, OperatorOnly, Public } from '../auth/access.decorators.js';
import { Ctx, type RequestContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { AuthService } from './auth.service.js';
import { clientOf } from './client.js';
import { JsonWebKeySet, LoginDto, RefreshDto, RotatedKey, TokenResponse } from './dto/auth.dto.js';
import { LoginRateLimiter } from './rate-limiter.js';
import { SigningKeysService } from './signing-keys.service.js';

@ApiTags('auth')
@Controller('api/v2/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly limiter: LoginRateLimiter,
  ) {}

  @Post('login')
  @ApiOperation({ summary: 'Sign in', description: 'Email and password (and a second factor when the account has one) for an access token and a refresh token.' })
  @Public()
  @HttpCode(200)
  @ApiOkResponse({ type: TokenResponse })
  @ApiUnauthorizedResponse({
    description:
      '`invalid_credentials` for a wrong email or password, an inactive or locked account, or a client address outside ' +
      "the user's allow-list, all answered alike; `otp_required` when the account has a second factor and none was sent",
  })
  @ApiTooManyRequestsResponse({ description: 'Too many sign-in and password-reset attempts from this address' })
  async login(@Req() request: FastifyRequest, @Body() body: LoginDto): Promise<TokenResponse> {
    await this.limiter.hit(request.ip);
    return this.auth.login(body, clientOf(request));
  }

  @Post('refresh')
  @ApiOperation({ summary: 'Refresh the tokens', description: 'Spends the refresh token for a new pair. Presenting a spent token again ends the whole session.' })
  @Public()
  @HttpCode(200)
  @ApiOkResponse({ type: TokenResponse, description: 'A new pair; the refresh token sent is spent' })
  @ApiUnauthorizedResponse({
    description: 'The refresh token is not valid or has expired, its session has ended, or it was already spent (which ends the session)',
  })
  @ApiTooManyRequestsResponse({ description: 'Too many failed refreshes from this address' })
  async refresh(@Req() request: FastifyRequest, @Body() body: RefreshDto): Promise<TokenResponse> {
    await this.limiter.checkRefresh(request.ip);
    try {
      return await this.auth.refresh(body.refreshToken, clientOf(request));
    } catch (error) {
      if (error instanceof DomainError && error.status === 401) await this.limiter.refreshFailed(request.ip);
      throw error;
    }
  }

  @Post('logout')
  @ApiOperation({ summary: 'Sign out', description: 'Ends the session of the access token sent.' })
  @Authenticated({ usersOnly: true })
  @AllowRestricted('tfa', 'password')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The current session has ended' })
  @ApiBadRequestResponse({ description: 'The credential is an API key, which has no session to end' })
  async logout(@Ctx() ctx: RequestContext): Promise<void> {
    await this.auth.logout(ctx);
  }
}

@ApiTags('auth')
@Controller()
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get('.well-known/jwks.json')
  @ApiOperation({ summary: 'Get the public keys that verify access tokens', description: "A JSON Web Key Set (RFC 7517). Match a token's `kid` header to a key." })
  @Public()
  @ApiOkResponse({ type: JsonWebKeySet })
  jwks(): JsonWebKeySet {
    return this.keys.jwks();
  }

  @Post('api/v2/signing-keys/rotate')
  @ApiOperation({ summary: 'Rotate the signing key', description: 'The key staged in the JWKS at the previous rotation signs from now on, and a fresh key is staged (published, not yet signing), so verifiers that cache the JWKS already hold it; the old key stays published until the tokens it signed have expired. Returns the kid that now signs.' })
  @OperatorOnly()
  @HttpCode(200)
  @ApiOkResponse({ type: RotatedKey })
  @ApiConflictResponse({ description: 'The signing key is the one JWT_PRIVATE_KEY gives: rotate it by changing that variable' })
  async rotate(): Promise<RotatedKey> {
    return { kid: await this.keys.rotate() };
  }
}
