import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { existsInTenant } from '../database/tenant-rows.js';
import { PasswordResetToken } from '../sessions/session.entities.js';
import { User } from '../users/user.entity.js';

/** A live reset token as a confirmation finds it: the row, and the user and tenant it names. */
export interface LiveResetToken {
  id: string;
  userId: string;
  tenantId: string;
}

/**
 * The password reset tokens. A token's row holds its tenant, which every statement over it names,
 * except `findLive`, which starts from the token alone: that is how the tenant becomes known.
 * Methods take the tenant first, `findLive` excepted.
 */
@Injectable()
export class PasswordResetRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The user's one unused token becomes this one; false (and nothing written) when the tenant has no such user. */
  async replace(tenantId: string, userId: string, token: { id: string; tokenHash: string; expiresAt: Date }, manager: EntityManager): Promise<boolean> {
    if (!(await existsInTenant(manager, User, tenantId, userId))) return false;
    await manager.delete(PasswordResetToken, { tenantId, userId, usedAt: IsNull() });
    await manager.insert(PasswordResetToken, { ...token, userId, tenantId, usedAt: null });
    return true;
  }

  /** The unused, unexpired token with this hash, with its tenant; null when there is none. */
  async findLive(tokenHash: string, now: Date): Promise<LiveResetToken | null> {
    const row = await this.dataSource
      .createQueryBuilder()
      .select(['t.id AS id', 't.user_id AS user_id', 't.tenant_id AS tenant_id'])
      .from(PasswordResetToken, 't')
      .where('t.token_hash = :tokenHash AND t.used_at IS NULL AND t.expires_at > :now', {
        tokenHash,
        now: this.dataSource.driver.preparePersistentValue(now, this.dataSource.getMetadata(PasswordResetToken).findColumnWithPropertyName('expiresAt')!),
      })
      .getRawOne<{ id: string; user_id: string; tenant_id: string }>();
    return row ? { id: row.id, userId: row.user_id, tenantId: row.tenant_id } : null;
  }

  /** Spends the token unless it has been spent; false when it had. */
  async markUsed(tenantId: string, tokenId: string, now: Date, manager: EntityManager): Promise<boolean> {
    const result = await manager.update(PasswordResetToken, { tenantId, id: tokenId, usedAt: IsNull() }, { usedAt: now });
    return Boolean(result.affected);
  }
}
