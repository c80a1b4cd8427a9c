import { Global, Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { BEARER_RESOLVER } from '../auth/bearer-resolver.port.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { CREDENTIALS_REVOKER } from '../users/credentials-revoker.port.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController, JwksController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { AuthStateService } from './auth-state.service.js';
import { SessionBearerResolver } from './bearer-resolver.js';
import { SessionCredentialsRevoker } from './credentials-revoker.js';
import { JwtStrategy } from './jwt.strategy.js';
import { LockoutService } from './lockout.service.js';
import { LoginRateLimiter } from './rate-limiter.js';
import { SecondFactorRepository } from './second-factor.repository.js';
import { SecondFactorService } from './second-factor.service.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { SigningKeysRepository } from './signing-keys.repository.js';
import { SigningKeysService } from './signing-keys.service.js';
import { UserSessionsController } from './user-sessions.controller.js';

/**
 * Signing in and tokens: login, refresh, logout, access tokens and their signing keys, the
 * bearer credential of every request, lockout, the sign-in rate limit, and the sessions
 * themselves. The own account (`/me`, TFA enrolment, password reset) is `account/`.
 */
@Global()
@Module({
  imports: [PassportModule, TenantsModule, UsersModule],
  controllers: [AuthController, JwksController, UserSessionsController],
  providers: [
    SigningKeysService,
    SigningKeysRepository,
    JwtStrategy,
    AuthStateService,
    SessionsRepository,
    SessionsService,
    SecondFactorRepository,
    SecondFactorService,
    LockoutService,
    AuthService,
    LoginRateLimiter,
    { provide: BEARER_RESOLVER, useClass: SessionBearerResolver },
    { provide: CREDENTIALS_REVOKER, useClass: SessionCredentialsRevoker },
  ],
  exports: [BEARER_RESOLVER, CREDENTIALS_REVOKER, SessionsService, SecondFactorRepository, SecondFactorService, LockoutService, LoginRateLimiter],
})
export class SessionsModule {}
