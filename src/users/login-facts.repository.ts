import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { readRows } from '../database/fast-query.js';
import { UserPlan } from './user-relations.entity.js';
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

/** The user tables' side of a login: one statement, the tenant first. */
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
}
