import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, IsNull, LessThan, MoreThan } from 'typeorm';
import { readEntities, readRows } from '../database/fast-query.js';
import { User } from '../users/user.entity.js';
import { ApiKey, Session } from './session.entities.js';

/**
 * A credential's user as the database holds it: the user's, tenant's and TFA flags, its
 * groups' permissions and its allow-list. What it may do follows from these by the rules of
 * auth/permissions.ts and the session state service.
 */
export interface CredentialFacts {
  userId: string;
  tenantId: string;
  userActive: boolean;
  tenantActive: boolean;
  admin: boolean;
  planAdmin: boolean;
  canViewMaskedData: boolean;
  tfa: boolean;
  resetTfa: boolean;
  resetPassword: boolean;
  tfaConfirmed: boolean;
  /** Each group's permissions as stored (unknown names included). */
  groupPermissions: string[][];
  ipWhitelist: string[];
}

interface UserRow {
  id: string;
  tenant_id: string;
  active: number | boolean;
  admin: number | boolean;
  plan_admin: number | boolean;
  can_view_masked_data: number | boolean;
  tfa: number | boolean;
  reset_tfa: number | boolean;
  reset_password: number | boolean;
  tenant_active: number | boolean;
  tfa_confirmed: number | boolean | null;
}

const truthy = (v: number | boolean | null | undefined): boolean => v === true || v === 1;

const STATE_COLUMNS = [
  'u.id', 'u.tenant_id', 'u.active', 'u.admin', 'u.plan_admin', 'u.can_view_masked_data', 'u.tfa', 'u.reset_tfa',
  'u.reset_password', 't.active AS tenant_active', 'f.confirmed AS tfa_confirmed',
];

/**
 * A credential's user in one statement: a row of kind 's' with the user's, tenant's and TFA
 * state, one row of kind 'g' per group (its permissions) and one of kind 'w' per allow-list
 * entry. `source` is the credential's table, aliased `c`, whose row names the user and the
 * tenant (`c.user_id`, `c.tenant_id`); `where` picks that row, and is repeated in each part, so
 * the grants come back only when the credential stands. One statement means one round trip
 * on MariaDB for everything a request's authorization needs.
 */
function stateSql(source: string, extra: string[], where: string): string {
  const nulls = (n: number) => Array.from({ length: n }, () => 'NULL').join(', ');
  const padding = nulls(extra.length + STATE_COLUMNS.length);
  return `SELECT 's' AS kind, NULL AS value, ${[...extra, ...STATE_COLUMNS].join(', ')}
  FROM ${source}
  JOIN users u ON u.id = c.user_id AND u.tenant_id = c.tenant_id
  JOIN tenants t ON t.id = u.tenant_id
  LEFT JOIN user_tfa f ON f.user_id = u.id
 WHERE ${where}
UNION ALL
SELECT 'g', g.permissions, ${padding}
  FROM ${source}
  JOIN user_groups ug ON ug.user_id = c.user_id AND +ug.tenant_id = c.tenant_id
  JOIN \`groups\` g ON g.id = ug.group_id
 WHERE ${where}
UNION ALL
SELECT 'w', w.entry, ${padding}
  FROM ${source}
  JOIN user_ip_whitelist w ON w.user_id = c.user_id AND +w.tenant_id = c.tenant_id
 WHERE ${where}`;
}

/** A live session: unended, unexpired, and the token's (id, user, tenant). Parameters: those four, three times. */
export const SESSION_STATE_SQL = stateSql(
  'sessions c',
  ['c.last_used_at AS session_last_used_at'],
  'c.id = ? AND c.user_id = ? AND c.tenant_id = ? AND c.ended_at IS NULL AND c.expires_at > ?',
);

/** An API key: its row names the user and its tenant. Parameter: the key's hash, three times. */
export const API_KEY_STATE_SQL = stateSql('api_keys c', [], 'c.key_hash = ?');

/** How a refresh that failed finds whether its session was ended for reuse. Parameter: the session id. */
export const SESSION_END_SQL = 'SELECT tenant_id, user_id, end_reason FROM sessions WHERE id = ?';

type StateRow = Partial<UserRow> & { kind: 's' | 'g' | 'w'; value: unknown; session_last_used_at?: unknown };

/**
 * The sessions and API keys tables: what a credential's user may do, read on every
 * authenticated request (fixed strings, so the driver reuses their prepared form), and the
 * sessions' life, from sign-in through refreshes to their end. Methods take the tenant first,
 * except those that start from a credential alone (a refresh token, an API key), which is how
 * the tenant becomes known.
 */
@Injectable()
export class SessionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The session's user when the session is live and belongs to that user and tenant. */
  async liveSessionState(tenantId: string, sessionId: string, userId: string): Promise<{ lastUsedAt: Date; facts: CredentialFacts } | null> {
    const metadata = this.dataSource.getMetadata(Session);
    const { driver } = this.dataSource;
    const now = driver.preparePersistentValue(new Date(), metadata.findColumnWithPropertyName('expiresAt')!);
    const params = [sessionId, userId, tenantId, now];
    const rows = await readRows<StateRow>(this.dataSource.manager, SESSION_STATE_SQL, [...params, ...params, ...params]);
    const row = rows.find((r) => r.kind === 's');
    if (!row) return null;
    const lastUsedAt = driver.prepareHydratedValue(row.session_last_used_at, metadata.findColumnWithPropertyName('lastUsedAt')!) as Date;
    return { lastUsedAt, facts: toFacts(row as StateRow & UserRow, rows) };
  }

  /** The user whose API key hashes to keyHash, or null when there is no such key. */
  async apiKeyState(keyHash: string): Promise<CredentialFacts | null> {
    const rows = await readRows<StateRow>(this.dataSource.manager, API_KEY_STATE_SQL, [keyHash, keyHash, keyHash]);
    const row = rows.find((r) => r.kind === 's');
    return row ? toFacts(row as StateRow & UserRow, rows) : null;
  }

  /** The session a refresh token names, ended or not. */
  async findForRefresh(sessionId: string): Promise<Session | undefined> {
    const [session] = await readEntities(this.dataSource.manager, Session, 'e.id = ?', [sessionId]);
    return session;
  }

  /** Whose session this is and why it ended (null: it has not), for the audit of a failed refresh. */
  async endOf(sessionId: string): Promise<{ tenantId: string; userId: string; endReason: string | null } | undefined> {
    const ended = await this.dataSource.query(SESSION_END_SQL, [sessionId]);
    const row = (ended as { tenant_id: string; user_id: string; end_reason: string | null }[])[0];
    return row && { tenantId: row.tenant_id, userId: row.user_id, endReason: row.end_reason };
  }

  /**
   * The user's sessions neither ended nor expired at `now`: newest first (as listed), or least
   * recently used first (the ones a sign-in past the user's limit ends).
   */
  live(tenantId: string, userId: string, now: Date, order: 'newest' | 'leastRecentlyUsed', manager: EntityManager = this.dataSource.manager): Promise<Session[]> {
    return manager.find(Session, {
      where: { tenantId, userId, endedAt: IsNull(), expiresAt: MoreThan(now) },
      order: order === 'newest' ? { createdAt: 'DESC' } : { lastUsedAt: 'ASC', createdAt: 'ASC' },
    });
  }

  /** The ids of the user's sessions not yet ended, expired or not. */
  async unendedIds(tenantId: string, userId: string, manager: EntityManager): Promise<string[]> {
    const sessions = await manager.find(Session, { where: { tenantId, userId, endedAt: IsNull() }, select: { id: true } });
    return sessions.map((s) => s.id);
  }

  async insert(tenantId: string, session: Session, manager: EntityManager): Promise<void> {
    if (session.tenantId !== tenantId) throw new Error('a session of another tenant in an insert');
    await manager.insert(Session, session);
  }

  /** Ends these sessions of the tenant, for this reason. */
  async endMany(tenantId: string, sessionIds: string[], reason: string, now: Date, manager: EntityManager): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(Session)
      .set({ endedAt: now, endReason: reason })
      .where('tenant_id = :tenantId', { tenantId })
      .andWhere('id IN (:...ids)', { ids: sessionIds })
      .execute();
  }

  /** Ends one session of the tenant unless it has ended already; false when it had, or is not there. */
  async end(tenantId: string, sessionId: string, reason: string, now: Date, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const result = await manager.update(Session, { id: sessionId, tenantId, endedAt: IsNull() }, { endedAt: now, endReason: reason });
    return Boolean(result.affected);
  }

  /**
   * A refresh: the session's refresh hash becomes the new one only while it is still the one
   * presented and the session has not ended, in one conditional UPDATE, so of several refreshes
   * with one token at most one wins (true).
   */
  async swapRefresh(
    tenantId: string,
    sessionId: string,
    presentedHash: string,
    changes: Pick<Session, 'refreshHash' | 'lastUsedAt' | 'expiresAt'>,
  ): Promise<boolean> {
    const result = await this.dataSource.manager.update(Session, { id: sessionId, tenantId, refreshHash: presentedHash, endedAt: IsNull() }, changes);
    return Boolean(result.affected);
  }

  /**
   * Records activity: the session's lastUsedAt when it was last written before `since` (so at
   * most once in that while, whatever the request rate), and then its user's lastActionAt.
   */
  async touch(tenantId: string, sessionId: string, userId: string, now: Date, since: Date): Promise<void> {
    const { manager } = this.dataSource;
    const result = await manager.update(Session, { id: sessionId, tenantId, lastUsedAt: LessThan(since) }, { lastUsedAt: now });
    if (result.affected) await manager.update(User, { id: userId, tenantId }, { lastActionAt: now });
  }

  /** The user's API key becomes the one with this hash; the previous one goes. */
  async replaceApiKey(tenantId: string, userId: string, keyHash: string, now: Date, manager: EntityManager): Promise<void> {
    await manager.delete(ApiKey, { userId, tenantId });
    await manager.insert(ApiKey, { userId, tenantId, keyHash, createdAt: now });
  }
}

function toFacts(row: UserRow, rows: StateRow[]): CredentialFacts {
  return {
    userId: row.id,
    tenantId: row.tenant_id,
    userActive: truthy(row.active),
    tenantActive: truthy(row.tenant_active),
    admin: truthy(row.admin),
    planAdmin: truthy(row.plan_admin),
    canViewMaskedData: truthy(row.can_view_masked_data),
    tfa: truthy(row.tfa),
    resetTfa: truthy(row.reset_tfa),
    resetPassword: truthy(row.reset_password),
    tfaConfirmed: truthy(row.tfa_confirmed),
    groupPermissions: rows.filter((r) => r.kind === 'g').map((r) => parsePermissions(r.value)),
    ipWhitelist: rows.filter((r) => r.kind === 'w').map((r) => String(r.value)),
  };
}

/** A group's permissions column as the driver gives it: an array, or its JSON text. */
function parsePermissions(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(String);
  try {
    const parsed: unknown = JSON.parse(String(raw));
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}
