import type { EntityManager } from 'typeorm';

/**
 * Ends a user's sessions and stops its API key, inside the caller's transaction. The
 * sessions module provides it; until then deactivation only flips `active`.
 */
export interface UserSessionRevoker {
  revokeAll(manager: EntityManager, tenantId: string, userId: string): Promise<void>;
}

export const USER_SESSION_REVOKER = Symbol('USER_SESSION_REVOKER');
