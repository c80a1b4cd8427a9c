import { Global, Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { BEARER_RESOLVER } from '../auth/bearer-resolver.js';
import { MailModule } from '../mail/mail.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { USER_SESSION_REVOKER } from '../users/session-revoker.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController, JwksController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { AuthStateService } from './auth-state.service.js';
import { SessionBearerResolver } from './bearer.resolver.js';
import { EncryptionKey } from './encryption-key.service.js';
import { JwtStrategy } from './jwt.strategy.js';
import { LockoutService } from './lockout.service.js';
import { MeController, UserSessionsController } from './me.controller.js';
import { MeService } from './me.service.js';
import { PasswordResetService } from './password-reset.service.js';
import { LoginRateLimiter } from './rate-limiter.js';
import { SessionsService } from './sessions.service.js';
import { SigningKeysService } from './signing-keys.service.js';
import { TfaService } from './tfa.service.js';
import { UserCredentialsRevoker } from './user-credentials.revoker.js';

/** Login, tokens, sessions, API keys, TFA and password reset. */
@Global()
@Module({
  imports: [PassportModule, TenantsModule, UsersModule, MailModule],
  controllers: [AuthController, JwksController, MeController, UserSessionsController],
  providers: [
    EncryptionKey,
    SigningKeysService,
    JwtStrategy,
    AuthStateService,
    SessionsService,
    TfaService,
    LockoutService,
    AuthService,
    MeService,
    PasswordResetService,
    LoginRateLimiter,
    { provide: BEARER_RESOLVER, useClass: SessionBearerResolver },
    { provide: USER_SESSION_REVOKER, useClass: UserCredentialsRevoker },
  ],
  exports: [BEARER_RESOLVER, USER_SESSION_REVOKER, EncryptionKey],
})
export class SessionsModule {}
