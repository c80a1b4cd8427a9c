import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuditAction } from '../audit/audit-actions.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../auth/request-context.js';
import { AppConfig } from '../config/app-config.js';
import { canonicalEmail } from '../common/email.js';
import { DomainError } from '../common/errors.js';
import { Database } from '../database/database.service.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { TenantsService } from '../tenants/tenants.service.js';
import { hashPassword, needsRehash, verifyAgainstDecoy, verifyPassword } from '../users/passwords.js';
import { LoginFactsRepository } from '../users/login-facts.repository.js';
import { UsersRepository } from '../users/users.repository.js';
import type { User } from '../users/user.entity.js';
import { AuthStateService, ipAllowed, restrictionsOf, type UserAuthState } from './auth-state.service.js';
import type { Client } from './client.js';
import type { LoginDto, TokenResponse } from './dto/auth.dto.js';
import { SessionsRepository } from './sessions.repository.js';
import { type IssuedSession, SessionsService } from './sessions.service.js';
import { SigningKeysService } from './signing-keys.service.js';
import { LockoutService } from './lockout.service.js';
import { SecondFactorService } from './second-factor.service.js';

const invalid = (): DomainError => new DomainError('invalid_credentials', 'The credentials are not valid');

/** Its own limit, else the smallest among its active plans, else the tenant default; null = unlimited. */
export function sessionLimitOf(user: Pick<User, 'sessionsLimit'>, activePlanLimits: (number | null)[], tenant: Pick<Tenant, 'sessionsLimitDefault'>): number | null {
  if (user.sessionsLimit !== null) return user.sessionsLimit;
  const planLimits = activePlanLimits.filter((l): l is number => l !== null);
  if (planLimits.length > 0) return Math.min(...planLimits);
  return tenant.sessionsLimitDefault;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly config: AppConfig,
    private readonly db: Database,
    private readonly tenants: TenantsService,
    private readonly sessions: SessionsService,
    private readonly keys: SigningKeysService,
    private readonly secondFactor: SecondFactorService,
    private readonly audit: AuditService,
    private readonly state: AuthStateService,
    private readonly lockout: LockoutService,
    private readonly loginFactsRepository: LoginFactsRepository,
    private readonly sessionsRepository: SessionsRepository,
    private readonly usersRepository: UsersRepository,
  ) {}

  async login(input: LoginDto, client: Client): Promise<TokenResponse> {
    const tenant = await this.tenants.findByRef(input.tenant);
    const user = tenant ? await this.usersRepository.findOne(tenant.id, 'email', canonicalEmail(input.email.trim())) : null;
    // Every refusal costs one hash verification, so none answers faster than a wrong password.
    const spendOneHash = (): Promise<boolean> =>
      user?.passwordHash ? verifyPassword(user.passwordHash, input.password).catch(() => false) : verifyAgainstDecoy(input.password);
    if (!tenant || !tenant.active || !user || !user.passwordHash) {
      await spendOneHash();
      if (tenant) await this.recordFailure(tenant.id, null, client);
      throw invalid();
    }
    const passwordHash = user.passwordHash;
    const now = new Date();
    const facts = await this.loginFactsRepository.loginFacts(tenant.id, user.id, now);
    if (!user.active || !ipAllowed(client.ip, facts.ipWhitelist)) {
      await spendOneHash();
      await this.recordFailure(tenant.id, user.id, client);
      throw invalid();
    }
    const { tfaConfirmed } = facts;
    const secondFactor = user.tfa && tfaConfirmed && !user.resetTfa;
    const limit = sessionLimitOf(user, facts.planLimits, tenant);
    let otpMissing = false;
    let upgraded: string | null = null;
    let issued: (IssuedSession & { evicted: string[] }) | undefined;
    const outcome = await this.lockout.guess(
      tenant,
      user.id,
      async () => {
        if (!(await verifyPassword(passwordHash, input.password).catch(() => false))) return 'wrong';
        // An imported hash of another format is replaced by argon2id once the password is known.
        if (needsRehash(passwordHash)) upgraded = await hashPassword(input.password);
        if (!secondFactor) return 'right';
        if (input.otp === undefined && input.recoveryCode === undefined) {
          otpMissing = true;
          return 'uncounted';
        }
        const second =
          input.otp !== undefined
            ? await this.secondFactor.consumeOtp(tenant.id, user.id, input.otp, true)
            : await this.secondFactor.consumeRecoveryCode(tenant.id, user.id, input.recoveryCode ?? '');
        return second ? 'right' : 'wrong';
      },
      { actor: { type: 'anonymous', id: null }, ip: client.ip, requestId: client.requestId, failedAction: 'auth.login_failed' },
      async (manager) => {
        // A login is an action: lastActionAt shows it at once (touch writes at most once a minute).
        await this.usersRepository.recordSignIn(tenant.id, user.id, now, manager);
        // Only if the hash is still the one verified, so a password changed meanwhile stands.
        if (upgraded) await this.usersRepository.upgradePasswordHash(tenant.id, user.id, passwordHash, upgraded, manager);
        const created = await this.sessions.create(manager, user, tenant, limit, client);
        for (const evicted of created.evicted) {
          await this.audit.record(manager, {
            tenantId: tenant.id,
            action: 'session.evicted',
            actor: { type: 'user', id: user.id },
            target: { type: 'session', id: evicted },
            ip: client.ip,
            requestId: client.requestId,
          });
        }
        await this.audit.record(manager, {
          tenantId: tenant.id,
          action: 'auth.logged_in',
          actor: { type: 'user', id: user.id },
          target: { type: 'session', id: created.session.id },
          ip: client.ip,
          requestId: client.requestId,
        });
        issued = created;
      },
    );
    if (outcome === 'locked') {
      await spendOneHash();
      await this.recordFailure(tenant.id, user.id, client);
      throw invalid();
    }
    if (otpMissing) throw new DomainError('otp_required', 'Send the current one-time password as otp');
    if (outcome !== 'right' || !issued) throw invalid();
    const restrictions = restrictionsOf(user, tfaConfirmed);
    return this.tokens(issued, tenant, restrictions.includes('password'), restrictions.includes('tfa'));
  }

  async refresh(refreshToken: string, client: Client): Promise<TokenResponse> {
    const tenantCache = new Map<string, Tenant>();
    const tenantOf = async (id: string): Promise<Tenant> => {
      const tenant = tenantCache.get(id) ?? (await this.tenants.findByRef(id));
      if (!tenant) throw invalid();
      tenantCache.set(id, tenant);
      return tenant;
    };
    let issued: IssuedSession;
    let state: UserAuthState | undefined;
    try {
      issued = await this.sessions.rotate(
        refreshToken,
        async (tenantId) => (await tenantOf(tenantId)).refreshTokenTtlSeconds,
        // The checks of any authenticated request, before the token is spent: a refused
        // refresh (inactive user or tenant, an address outside the allow-list) changes nothing.
        async (session) => {
          const live = await this.state.loadForSession(session.id, session.userId, session.tenantId);
          state = live?.state;
          if (!state || !state.userActive || !state.tenantActive || !ipAllowed(client.ip, state.ipWhitelist)) throw invalid();
        },
      );
    } catch (error) {
      if (error instanceof DomainError) {
        const sessionId = refreshToken.slice(0, 36);
        const row = await this.sessionsRepository.endOf(sessionId);
        if (row?.endReason === 'refresh_reuse') {
          await this.db.transaction((manager) =>
            this.audit.record(manager, {
              tenantId: row.tenantId,
              action: 'auth.refresh_token_reused',
              actor: { type: 'user', id: row.userId },
              target: { type: 'session', id: sessionId },
              ip: client.ip,
              requestId: client.requestId,
            }),
          );
        }
      }
      throw error;
    }
    const tenant = await tenantOf(issued.session.tenantId);
    return this.tokens(issued, tenant, state!.restrictedTo.includes('password'), state!.restrictedTo.includes('tfa'));
  }

  async logout(ctx: RequestContext): Promise<void> {
    if (ctx.principal.kind !== 'user' || ctx.principal.sessionId === null) {
      throw new DomainError('bad_request', 'Only a session can log out; API keys are reset instead');
    }
    const { sessionId, tenantId } = ctx.principal;
    await this.db.transaction(async (manager) => {
      await this.sessions.end(tenantId, sessionId, 'logout', manager);
      await this.audit.recordFor(manager, ctx, 'auth.logged_out', { type: 'session', id: sessionId });
    });
  }

  /** A failure that does not count toward lockout (no such user, locked, inactive, outside the allow-list). */
  private async recordFailure(tenantId: string, userId: string | null, client: Client): Promise<void> {
    await this.db.transaction((manager) => this.anonymousEvent(manager, tenantId, 'auth.login_failed', userId, client));
  }

  private anonymousEvent(manager: EntityManager, tenantId: string, action: AuditAction, userId: string | null, client: Client): Promise<void> {
    return this.audit.record(manager, {
      tenantId,
      action,
      actor: { type: 'anonymous', id: null },
      target: { type: 'user', id: userId },
      ip: client.ip,
      requestId: client.requestId,
    });
  }

  private tokens(issued: IssuedSession, tenant: Tenant, passwordChangeRequired: boolean, tfaEnrollmentRequired: boolean): TokenResponse {
    const { session } = issued;
    const accessToken = this.keys.sign(
      { iss: this.config.auth.issuer, aud: this.config.auth.audience, sub: session.userId, tid: session.tenantId, sid: session.id },
      tenant.accessTokenTtlSeconds,
    );
    return {
      accessToken,
      refreshToken: issued.refreshToken,
      tokenType: 'Bearer',
      expiresIn: tenant.accessTokenTtlSeconds,
      session: { id: session.id, createdAt: session.createdAt.toISOString() },
      passwordChangeRequired,
      tfaEnrollmentRequired,
    };
  }
}
