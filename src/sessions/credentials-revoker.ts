import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CredentialsRevoker } from '../users/credentials-revoker.port.js';
import type { User } from '../users/user.entity.js';
import { SecondFactorService } from './second-factor.service.js';
import { SessionsService } from './sessions.service.js';

/** The session side of user changes, for the users module. */
@Injectable()
export class SessionCredentialsRevoker implements CredentialsRevoker {
  constructor(
    private readonly sessions: SessionsService,
    private readonly secondFactor: SecondFactorService,
  ) {}

  endSessions(manager: EntityManager, user: Pick<User, 'id' | 'tenantId'>, reason: 'deactivated' | 'force_logout' | 'password_changed'): Promise<number> {
    return this.sessions.endAllForUser(manager, user, reason);
  }

  resetApiKey(manager: EntityManager, user: Pick<User, 'id' | 'tenantId'>): Promise<string> {
    return this.sessions.resetApiKey(manager, user);
  }

  resetTfa(manager: EntityManager, user: Pick<User, 'id' | 'tenantId'>): Promise<void> {
    return this.secondFactor.remove(manager, user.tenantId, user.id);
  }
}
