import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { TenantContext } from '../auth/request-context.js';
import { hmacHex, randomToken, safeEqualHex, sha256Hex } from '../common/crypto.js';
import { DomainError } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { Database } from '../database/database.service.js';
import type { Tenant } from '../tenants/tenant.entity.js';
import type { User } from '../users/user.entity.js';
import { EncryptionKey } from '../config/encryption-key.service.js';
import { Session } from './session.entities.js';
import { SessionsRepository } from './sessions.repository.js';

/** lastUsedAt / lastActionAt are written at most this often per session. */
const TOUCH_INTERVAL_MS = 60_000;

export type EndReason = 'logout' | 'revoked' | 'force_logout' | 'password_changed' | 'deactivated' | 'refresh_reuse' | 'limit' | 'password_reset';

export interface IssuedSession {
  session: Session;
  refreshToken: string;
}

function splitRefreshToken(token: string): { sessionId: string; secret: string } | null {
  const dot = token.indexOf('.');
  if (dot !== 36 || token.length > 200) return null;
  return { sessionId: token.slice(0, dot), secret: token.slice(dot + 1) };
}

/** Hex characters of the tag that binds a refresh secret to its session. */
const TAG_LENGTH = 32;

@Injectable()
export class SessionsService {
  constructor(
    private readonly db: Database,
    private readonly encryption: EncryptionKey,
    private readonly audit: AuditService,
    private readonly repository: SessionsRepository,
  ) {}

  /**
   * A refresh secret is `<random>.<tag>`, the tag a MAC of the session id and the random
   * part: a secret with a valid tag was issued by the service for that session, so when it
   * is not the session's current one it has been spent (reuse). A secret without a valid
   * tag was never valid, and must not let whoever knows a session id end it.
   */
  private newSecret(sessionId: string): string {
    const random = randomToken(32);
    return `${random}.${this.tag(sessionId, random)}`;
  }

  private tag(sessionId: string, random: string): string {
    return hmacHex(this.encryption.key, `refresh:${sessionId}.${random}`).slice(0, TAG_LENGTH);
  }

  private wasIssued(sessionId: string, secret: string): boolean {
    const dot = secret.lastIndexOf('.');
    if (dot < 0 || secret.length - dot - 1 !== TAG_LENGTH) return false;
    const tag = secret.slice(dot + 1);
    if (!/^[0-9a-f]+$/.test(tag)) return false;
    return safeEqualHex(tag, this.tag(sessionId, secret.slice(0, dot)));
  }

  /** The user's live sessions, newest first. */
  listLive(tenantId: string, userId: string): Promise<Session[]> {
    return this.repository.live(tenantId, userId, new Date(), 'newest');
  }

  /**
   * Ends one live session of a user of the caller's tenant; anything else is a 404.
   * `mayAct` checks, in the transaction, that the caller may act on that user.
   */
  async endSessionOf(ctx: TenantContext, userId: string, sessionId: string, mayAct?: (manager: EntityManager) => Promise<void>): Promise<void> {
    const live = await this.listLive(ctx.tenantId, userId);
    if (!live.some((s) => s.id === sessionId)) throw DomainError.notFound('Session');
    await this.db.transaction(async (manager) => {
      await mayAct?.(manager);
      await this.end(ctx.tenantId, sessionId, 'revoked', manager);
      await this.audit.recordFor(manager, ctx, 'session.revoked', { type: 'session', id: sessionId });
    });
  }

  /** Records activity, at most once a minute per session, whatever the request rate. */
  async touch(session: Pick<Session, 'id' | 'tenantId' | 'userId' | 'lastUsedAt'>): Promise<void> {
    const now = new Date();
    if (now.getTime() - session.lastUsedAt.getTime() < TOUCH_INTERVAL_MS) return;
    await this.repository.touch(session.tenantId, session.id, session.userId, now, new Date(now.getTime() - TOUCH_INTERVAL_MS));
  }

  /** A new session; a login past the user's limit first ends its least recently used sessions. */
  async create(
    manager: EntityManager,
    user: User,
    tenant: Tenant,
    limit: number | null,
    client: { ip: string; userAgent: string | null },
  ): Promise<IssuedSession & { evicted: string[] }> {
    const now = new Date();
    const evicted: string[] = [];
    if (limit !== null) {
      const live = await this.repository.live(tenant.id, user.id, now, 'leastRecentlyUsed', manager);
      const excess = live.length - limit + 1;
      for (const old of live.slice(0, Math.max(0, excess))) evicted.push(old.id);
      if (evicted.length) await this.repository.endMany(tenant.id, evicted, 'limit', now, manager);
    }
    const id = newId();
    const secret = this.newSecret(id);
    const session = Object.assign(new Session(), {
      id,
      tenantId: tenant.id,
      userId: user.id,
      refreshHash: sha256Hex(secret),
      ip: client.ip.slice(0, 45),
      userAgent: client.userAgent?.slice(0, 255) ?? null,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + tenant.refreshTokenTtlSeconds * 1000),
      endedAt: null,
      endReason: null,
    });
    await this.repository.insert(tenant.id, session, manager);
    return { session, refreshToken: `${session.id}.${secret}`, evicted };
  }

  /**
   * Rotates the refresh token. The swap is one conditional UPDATE, so of several refreshes
   * with one token at most one wins; a token the service issued for the session that is not
   * the current one (a replay of a rotated token, or the losers of such a race) ends the
   * whole session. A secret the service never issued changes nothing. `admit` runs before
   * the swap, with the session found, and throws to refuse it (user, tenant, allow-list):
   * a refused refresh leaves the token as it was.
   */
  async rotate(
    token: string,
    refreshTtlSeconds: (tenantId: string) => Promise<number>,
    admit: (session: Session) => Promise<void> = async () => undefined,
  ): Promise<IssuedSession> {
    const parts = splitRefreshToken(token);
    // Made only when thrown: an Error's stack trace cost 2% of a refresh.
    const invalid = (): DomainError => new DomainError('invalid_credentials', 'The refresh token is not valid');
    if (!parts) throw invalid();
    const session = await this.repository.findForRefresh(parts.sessionId);
    if (!session || session.endedAt !== null || session.expiresAt <= new Date()) throw invalid();
    const presented = sha256Hex(parts.secret);
    if (!safeEqualHex(presented, session.refreshHash)) {
      if (this.wasIssued(session.id, parts.secret)) await this.end(session.tenantId, session.id, 'refresh_reuse');
      throw invalid();
    }
    await admit(session);
    const secret = this.newSecret(session.id);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + (await refreshTtlSeconds(session.tenantId)) * 1000);
    const swapped = await this.repository.swapRefresh(session.tenantId, session.id, presented, { refreshHash: sha256Hex(secret), lastUsedAt: now, expiresAt });
    if (!swapped) {
      await this.end(session.tenantId, session.id, 'refresh_reuse');
      throw invalid();
    }
    Object.assign(session, { lastUsedAt: now, expiresAt });
    return { session, refreshToken: `${session.id}.${secret}` };
  }

  /** Ends one session of the tenant; false when it had ended already. */
  end(tenantId: string, sessionId: string, reason: EndReason, manager?: EntityManager): Promise<boolean> {
    return this.repository.end(tenantId, sessionId, reason, new Date(), manager);
  }

  /** Ends every session of the user but `exceptSessionId`; how many it ended. */
  async endAllForUser(manager: EntityManager, user: Pick<User, 'id' | 'tenantId'>, reason: EndReason, exceptSessionId?: string): Promise<number> {
    const ids = (await this.repository.unendedIds(user.tenantId, user.id, manager)).filter((id) => id !== exceptSessionId);
    if (ids.length === 0) return 0;
    await this.repository.endMany(user.tenantId, ids, reason, new Date(), manager);
    return ids.length;
  }

  /** A new API key for the user, shown once; the previous one stops at once. */
  async resetApiKey(manager: EntityManager, user: Pick<User, 'id' | 'tenantId'>): Promise<string> {
    const key = `idk_${randomToken(32)}`;
    await this.repository.replaceApiKey(user.tenantId, user.id, sha256Hex(key), new Date(), manager);
    return key;
  }
}
