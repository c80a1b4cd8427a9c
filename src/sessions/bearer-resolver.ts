import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { BearerResolver } from '../auth/bearer-resolver.port.js';
import type { UserPrincipal } from '../auth/principal.js';
import { sha256Hex } from '../common/crypto.js';
import { DomainError } from '../common/errors.js';
import { AuthStateService, ipAllowed, type UserAuthState } from './auth-state.service.js';
import { JwtStrategy } from './jwt.strategy.js';
import { SessionsService } from './sessions.service.js';

export const API_KEY_PREFIX = 'idk_';

const denied = (): DomainError => new DomainError('invalid_credentials', 'The credential is not valid');

/**
 * Access tokens and API keys become principals here. Every request re-reads the session
 * and the user, so ending a session, deactivating or deleting a user, or resetting a key
 * takes effect on the very next request, on every instance.
 */
@Injectable()
export class SessionBearerResolver implements BearerResolver {
  constructor(
    private readonly jwt: JwtStrategy,
    private readonly state: AuthStateService,
    private readonly sessions: SessionsService,
  ) {}

  async resolve(credential: string, request: FastifyRequest): Promise<UserPrincipal> {
    if (credential.startsWith(API_KEY_PREFIX)) return this.fromApiKey(credential, request);
    const claims = await this.jwt.verify(request);
    const live = await this.state.loadForSession(claims.sid, claims.sub, claims.tid);
    if (!live) throw denied();
    const state = this.usable(live.state, request);
    await this.sessions.touch(live.session);
    return this.principal(state, 'session', live.session.id);
  }

  private async fromApiKey(key: string, request: FastifyRequest): Promise<UserPrincipal> {
    const state = this.usable(await this.state.loadForApiKey(sha256Hex(key)), request);
    return this.principal(state, 'apiKey', null);
  }

  private usable(state: UserAuthState | null, request: FastifyRequest): UserAuthState {
    if (!state || !state.userActive || !state.tenantActive) throw denied();
    if (!ipAllowed(request.ip, state.ipWhitelist)) throw denied();
    return state;
  }

  private principal(state: UserAuthState, via: 'session' | 'apiKey', sessionId: string | null): UserPrincipal {
    return {
      kind: 'user',
      via,
      userId: state.userId,
      tenantId: state.tenantId,
      sessionId,
      permissions: state.permissions,
      admin: state.admin,
      canViewMaskedData: state.canViewMaskedData,
      restrictedTo: via === 'session' ? state.restrictedTo : [],
    };
  }
}
