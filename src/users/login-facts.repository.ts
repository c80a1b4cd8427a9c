import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { readRows } from '../database/fast-query.js';
import { UserPlan } from './user-relations.entity.js';
import { User } from './user.entity.js';
import { todayUtc } from '../common/dates.js';

/**
 * What a login needs to know of a user besides its row, in one read: its allow-list, whether
 * TFA is confirmed, and its plans' session limits with their validity (filtered in code).
 * Plans are joined within the user's tenant.
 */
export const LOGIN_FACTS_SQL = `SELECT 'w' AS kind, w.entry AS entry, NULL AS sessions_limit, NULL AS valid_from, NULL AS valid_to
  FROM user_ip_whitelist w WHERE +w.tenant_id = ? AND w.user_id = ?
UNION ALL
SELECT 'f', NULL, NULL, NULL, NULL FROM user_tfa f WHERE +f.tenant_id = ? AND f.user_id = ? AND f.confirmed = 1
UNION ALL
SELECT 'p', NULL, p.sessions_limit, up.valid_from, up.valid_to
  FROM user_plans up JOIN plans p ON p.id = up.plan_id AND p.tenant_id = up.tenant_id
 WHERE +up.tenant_id = ? AND up.user_id = ?`;

export interface LoginFacts {
  ipWhitelist: string[];
  tfaConfirmed: boolean;
  /** Session limits of the plans valid now (null: that plan sets none). */
  planLimits: (number | null)[];
}

/**
 * The user tables' side of a login, the tenant first: its facts in one statement, and the
 * lockout's counters on the user's row (failed_logins, locked_until), which count guesses at a
 * user's secrets at sign-in and on the user's own routes (see sessions/lockout.service.ts).
 */
@Injectable()
export class LoginFactsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async loginFacts(tenantId: string, userId: string, now: Date): Promise<LoginFacts> {
    const rows = await readRows<{ kind: 'w' | 'f' | 'p'; entry: unknown; sessions_limit: unknown; valid_from: unknown; valid_to: unknown }>(
      this.dataSource.manager,
      LOGIN_FACTS_SQL,
      [tenantId, userId, tenantId, userId, tenantId, userId],
    );
    const { driver } = this.dataSource;
    const plan = this.dataSource.getMetadata(UserPlan);
    const validFrom = plan.findColumnWithPropertyName('validFrom')!;
    const validTo = plan.findColumnWithPropertyName('validTo')!;
    const today = todayUtc(now);
    const facts: LoginFacts = { ipWhitelist: [], tfaConfirmed: false, planLimits: [] };
    for (const row of rows) {
      if (row.kind === 'w') facts.ipWhitelist.push(String(row.entry));
      else if (row.kind === 'f') facts.tfaConfirmed = true;
      else {
        const from = driver.prepareHydratedValue(row.valid_from, validFrom) as Date;
        const to = driver.prepareHydratedValue(row.valid_to, validTo) as string | null;
        if (from <= now && (to === null || to >= today)) facts.planLimits.push(row.sessions_limit === null ? null : Number(row.sessions_limit));
      }
    }
    return facts;
  }

  /**
   * Counts one guess, in one statement, unless the user is locked or (a threshold above 0)
   * `threshold` guesses are counted already; false when it was not counted.
   */
  async claimGuess(tenantId: string, userId: string, threshold: number): Promise<boolean> {
    const metadata = this.dataSource.getMetadata(User);
    const now = this.dataSource.driver.preparePersistentValue(new Date(), metadata.findColumnWithPropertyName('lockedUntil')!);
    const qb = this.dataSource
      .createQueryBuilder()
      .update(User)
      .set({ failedLogins: () => 'failed_logins + 1' })
      .where('id = :userId AND tenant_id = :tenantId', { userId, tenantId })
      .andWhere('(locked_until IS NULL OR locked_until <= :now)', { now });
    if (threshold > 0) qb.andWhere('failed_logins < :threshold', { threshold });
    const result = await qb.execute();
    return Boolean(result.affected);
  }

  /** A right guess: the count starts again. */
  async clearGuesses(tenantId: string, userId: string, manager: EntityManager): Promise<void> {
    await manager.update(User, { id: userId, tenantId }, { failedLogins: 0 });
  }

  /** A guess that proved nothing gives its place back. */
  async returnGuess(tenantId: string, userId: string): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(User)
      .set({ failedLogins: () => 'failed_logins - 1' })
      .where('id = :userId AND tenant_id = :tenantId AND failed_logins > 0', { userId, tenantId })
      .execute();
  }

  /** Locks the user until `lockedUntil` when `threshold` wrong guesses are counted (the count starts again); true when it did. */
  async lockAtThreshold(tenantId: string, userId: string, threshold: number, lockedUntil: Date, manager: EntityManager): Promise<boolean> {
    const locked = await manager
      .createQueryBuilder()
      .update(User)
      .set({ lockedUntil, failedLogins: 0 })
      .where('id = :userId AND tenant_id = :tenantId AND failed_logins >= :threshold', { userId, tenantId, threshold })
      .execute();
    return Boolean(locked.affected);
  }

  /** Until when the user is locked (null: never locked, or not since the last sign-in); undefined when the tenant has no such user. */
  async lockedUntil(tenantId: string, userId: string): Promise<Date | null | undefined> {
    const user = await this.dataSource.getRepository(User).findOne({ where: { id: userId, tenantId }, select: { id: true, lockedUntil: true } });
    return user ? user.lockedUntil : undefined;
  }
}
