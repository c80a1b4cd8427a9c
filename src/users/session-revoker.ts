import type { EntityManager } from 'typeorm';
import type { User } from './user.entity.js';

/**
 * What the users module asks of the sessions module, inside the caller's transaction.
 * Provided by SessionsModule; without it (as in a users-only build) the session effects
 * are no-ops.
 */
export interface UserSessionRevoker {
  /**
   * Deactivation, force-logout, or a password set by an admin: every session ends. The API
   * key stays: while the user is inactive it is refused, and it works again on reactivation.
   */
  endSessions(manager: EntityManager, userId: string, reason: 'deactivated' | 'force_logout' | 'password_changed'): Promise<number>;
  /** A new API key, returned once; the previous key stops at once. */
  resetApiKey(manager: EntityManager, user: User): Promise<string>;
  /** reset-tfa: the enrolment and recovery codes go; the user enrols again at next login. */
  resetTfa(manager: EntityManager, userId: string): Promise<void>;
}

export const USER_SESSION_REVOKER = Symbol('USER_SESSION_REVOKER');
