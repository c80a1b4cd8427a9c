import type { EntityManager } from 'typeorm';
import type { User } from './user.entity.js';

/**
 * What the users module asks of the sessions module about a user's credentials, inside the
 * caller's transaction. Implemented by `sessions/credentials-revoker.ts`.
 */
export interface CredentialsRevoker {
  /**
   * Deactivation, force-logout, or a password set by an admin: every session ends. The API
   * key stays: while the user is inactive it is refused, and it works again on reactivation.
   */
  endSessions(manager: EntityManager, user: Pick<User, 'id' | 'tenantId'>, reason: 'deactivated' | 'force_logout' | 'password_changed'): Promise<number>;
  /** A new API key, returned once; the previous key stops at once. */
  resetApiKey(manager: EntityManager, user: Pick<User, 'id' | 'tenantId'>): Promise<string>;
  /** reset-tfa: the enrolment and recovery codes go; the user enrols again at next login. */
  resetTfa(manager: EntityManager, user: Pick<User, 'id' | 'tenantId'>): Promise<void>;
}

export const CREDENTIALS_REVOKER = Symbol('CREDENTIALS_REVOKER');
