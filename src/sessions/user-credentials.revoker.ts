import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { UserSessionRevoker } from '../users/session-revoker.js';
import type { User } from '../users/user.entity.js';
import { SessionsService } from './sessions.service.js';
import { TfaService } from './tfa.service.js';

/** The session side of user changes, for the users module. */
@Injectable()
export class UserCredentialsRevoker implements UserSessionRevoker {
  constructor(
    private readonly sessions: SessionsService,
    private readonly tfa: TfaService,
  ) {}

  endSessions(manager: EntityManager, userId: string, reason: 'deactivated' | 'force_logout' | 'password_changed'): Promise<number> {
    return this.sessions.endAllForUser(manager, userId, reason);
  }

  resetApiKey(manager: EntityManager, user: User): Promise<string> {
    return this.sessions.resetApiKey(manager, user);
  }

  resetTfa(manager: EntityManager, userId: string): Promise<void> {
    return this.tfa.remove(manager, userId);
  }
}
