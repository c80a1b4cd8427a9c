import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { PasswordResetToken } from '../sessions/session.entities.js';
import { User } from '../users/user.entity.js';

/** A live reset token as a confirmation finds it: the row, and the user and tenant it names. */
export interface LiveResetToken {
  id: string;
  userId: string;
  tenantId: string;
}

/**
 * The password reset tokens. A token's row holds only its user, so its statements name the user
 * through the users table within the tenant (a lookup by primary key; a reset is rare and far
 * from the sign-in path). Methods take the tenant first, except `findLive`, which starts from
 * the token alone: that is how the tenant becomes known.
 */
@Injectable()
export class PasswordResetRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The user's one unused token becomes this one; the user is one the caller read within the tenant. */
  async replace(tenantId: string, userId: string, token: { id: string; tokenHash: string; expiresAt: Date }, manager: EntityManager): Promise<void> {
    await manager
      .createQueryBuilder()
      .delete()
      .from(PasswordResetToken)
      .where('user_id = :userId AND used_at IS NULL', { userId })
      .andWhere('user_id IN (SELECT u.id FROM users u WHERE u.tenant_id = :tenantId AND u.id = :userId)', { tenantId })
      .execute();
    await manager.insert(PasswordResetToken, { ...token, userId, usedAt: null });
  }

  /** The unused, unexpired token with this hash, with its user's tenant; null when there is none. */
  async findLive(tokenHash: string, now: Date): Promise<LiveResetToken | null> {
    const row = await this.dataSource
      .createQueryBuilder()
      .select(['t.id AS id', 't.user_id AS user_id', 'u.tenant_id AS tenant_id'])
      .from(PasswordResetToken, 't')
      .innerJoin(User, 'u', 'u.id = t.user_id')
      .where('t.token_hash = :tokenHash AND t.used_at IS NULL AND t.expires_at > :now', {
        tokenHash,
        now: this.dataSource.driver.preparePersistentValue(now, this.dataSource.getMetadata(PasswordResetToken).findColumnWithPropertyName('expiresAt')!),
      })
      .getRawOne<{ id: string; user_id: string; tenant_id: string }>();
    return row ? { id: row.id, userId: row.user_id, tenantId: row.tenant_id } : null;
  }

  /** Spends the token unless it has been spent; false when it had. */
  async markUsed(tenantId: string, tokenId: string, now: Date, manager: EntityManager): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(PasswordResetToken)
      .set({ usedAt: now })
      .where('id = :tokenId AND used_at IS NULL', { tokenId })
      .andWhere('user_id IN (SELECT u.id FROM users u WHERE u.tenant_id = :tenantId)', { tenantId })
      .execute();
    return Boolean(result.affected);
  }
}
