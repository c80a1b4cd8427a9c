import { ApiError, networkError, problemOf } from './errors.js';
import type { TokenResponse } from './types.js';

/**
 * Who the console acts as, and the credentials it holds.
 *
 * - A user: the access token lives in memory only; the refresh token is kept in
 *   sessionStorage (this tab only, gone when the tab closes, never in localStorage), so a
 *   reload exchanges it for a new pair and the sign-in lasts as long as the API's session.
 *   Every refresh rotates it, and the API ends the session if a spent one is ever replayed.
 * - The operator: the operator key is kept in memory only. It never expires and cannot be
 *   revoked per sign-in, so it is worth more than any refresh token; a reload asks for it again.
 *
 * Tabs of one session (a tab opened from the console, a duplicated tab: each starts with a
 * copy of this tab's sessionStorage) share one rotation, or the first rotation would leave
 * the others holding a spent token whose replay ends the session for all of them:
 * - a rotation runs under a Web Lock named after the session, so one tab at a time rotates;
 * - the tab that rotated posts the new pair on a BroadcastChannel (same origin, in memory:
 *   nothing is stored), and every tab of the session takes it;
 * - a tab that got the lock asks the session's other tabs (each holds a shared Web Lock while
 *   it is open, so it knows how many answer) for what they hold, and takes a newer pair, or
 *   a fresh access token, instead of rotating a token that may have been spent meanwhile;
 * - signing out, or the session ending, signs out every tab of the session.
 */
export interface Restriction {
  password: boolean;
  tfa: boolean;
}

export type Credentials =
  | {
      kind: 'user';
      tenant: string;
      accessToken: string;
      expiresAt: number;
      refreshToken: string;
      sessionId: string;
      restriction: Restriction;
    }
  | { kind: 'operator'; key: string; tenantId: string | null };

export type SessionStatus = 'restoring' | 'signed-out' | 'signed-in';

export interface SessionState {
  status: SessionStatus;
  credentials: Credentials | null;
  /** Why the console signed out on its own (session ended elsewhere), shown on the sign-in page. */
  notice: string | null;
}

const STORAGE_KEY = 'identity-console.refresh';
const CHANNEL = 'identity-console.session';
/** Held exclusively by the tab rotating the session's refresh token. */
const rotationLock = (sessionId: string) => `identity-console.rotation.${sessionId}`;
/** Held, shared, by every open tab of the session. */
const presenceLock = (sessionId: string) => `identity-console.tab.${sessionId}`;
/** How long a tab waits for the others of its session to say what they hold. */
const ASK_TIMEOUT_MS = 1000;
const ENDED = 'Your session has ended. Sign in again.';
/** Refresh this long before the access token expires, so a request never races its expiry. */
const EARLY_REFRESH_MS = 30_000;

interface StoredRefresh {
  tenant: string;
  refreshToken: string;
  /** Absent in what an older console stored: such a tab rotates on its own. */
  sessionId?: string;
  /** How many rotations the session has had; the highest is the newest pair. */
  generation?: number;
}

/** What one tab holds of a user's session, and what the tabs of a session pass each other. */
interface Held {
  tenant: string;
  sessionId: string;
  generation: number;
  refreshToken: string;
  /** Empty when not known yet (a tab restoring from sessionStorage). */
  accessToken: string;
  expiresAt: number;
  restriction: Restriction;
}

type Message =
  | { type: 'rotated'; held: Held }
  | { type: 'ask'; sessionId: string; nonce: string }
  | { type: 'answer'; nonce: string; held: Held }
  | { type: 'ended'; sessionId: string; notice: string };

function readStored(): StoredRefresh | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<StoredRefresh>;
    return typeof value.tenant === 'string' && typeof value.refreshToken === 'string'
      ? {
          tenant: value.tenant,
          refreshToken: value.refreshToken,
          sessionId: typeof value.sessionId === 'string' ? value.sessionId : undefined,
          generation: typeof value.generation === 'number' ? value.generation : 0,
        }
      : null;
  } catch {
    return null;
  }
}

const fresh = (held: Held) => held.accessToken !== '' && held.expiresAt - Date.now() >= EARLY_REFRESH_MS;

function isHeld(value: unknown): value is Held {
  const held = value as Held | null;
  return (
    typeof held === 'object' &&
    held !== null &&
    typeof held.tenant === 'string' &&
    typeof held.sessionId === 'string' &&
    typeof held.generation === 'number' &&
    typeof held.refreshToken === 'string' &&
    typeof held.accessToken === 'string' &&
    typeof held.expiresAt === 'number' &&
    typeof held.restriction === 'object' &&
    held.restriction !== null
  );
}

function locks(): LockManager | null {
  return typeof navigator !== 'undefined' && navigator.locks ? navigator.locks : null;
}

async function postJson<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/api/v2${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw networkError();
  }
  if (!response.ok) throw await problemOf(response);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export class SessionStore {
  private state: SessionState = { status: 'restoring', credentials: null, notice: null };
  private readonly listeners = new Set<() => void>();
  private refreshing: Promise<void> | null = null;
  /** The newest pair this tab knows of its user's session (also while restoring). */
  private held: Held | null = null;
  private readonly channel: BroadcastChannel | null = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;
  private presence: { sessionId: string; ready: Promise<void>; release: () => void } | null = null;
  private readonly answers = new Map<string, (held: Held) => void>();

  constructor() {
    this.channel?.addEventListener('message', (event: MessageEvent<Message>) => this.onMessage(event.data));
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getState = (): SessionState => this.state;

  private set(state: Partial<SessionState>): void {
    this.state = { ...this.state, ...state };
    for (const listener of this.listeners) listener();
  }

  private post(message: Message): void {
    this.channel?.postMessage(message);
  }

  private onMessage(message: Message): void {
    if (typeof message !== 'object' || message === null) return;
    const mine = this.held;
    switch (message.type) {
      case 'rotated':
        // Another tab rotated this session: its pair replaces the one spent here.
        if (isHeld(message.held) && mine && message.held.sessionId === mine.sessionId && message.held.generation > mine.generation) {
          this.take(message.held);
        }
        break;
      case 'ask':
        if (mine && mine.sessionId === message.sessionId && typeof message.nonce === 'string') this.post({ type: 'answer', nonce: message.nonce, held: mine });
        break;
      case 'answer':
        if (isHeld(message.held)) this.answers.get(message.nonce)?.(message.held);
        break;
      case 'ended':
        if (mine && mine.sessionId === message.sessionId) this.forget(typeof message.notice === 'string' ? message.notice : ENDED);
        break;
    }
  }

  /** Keeps `held` as this tab's pair: in sessionStorage (the refresh token) and, once known, in the state. */
  private take(held: Held): void {
    this.held = held;
    this.holdPresence(held.sessionId);
    sessionStorage.setItem(
      STORAGE_KEY,
      JSON.stringify({ tenant: held.tenant, refreshToken: held.refreshToken, sessionId: held.sessionId, generation: held.generation } satisfies StoredRefresh),
    );
    if (!held.accessToken) return;
    this.set({
      status: 'signed-in',
      notice: null,
      credentials: {
        kind: 'user',
        tenant: held.tenant,
        accessToken: held.accessToken,
        expiresAt: held.expiresAt,
        refreshToken: held.refreshToken,
        sessionId: held.sessionId,
        restriction: held.restriction,
      },
    });
  }

  /** Marks this tab as one of the session's open tabs, for as long as it holds the session. */
  private holdPresence(sessionId: string): void {
    if (this.presence?.sessionId === sessionId) return;
    this.presence?.release();
    this.presence = null;
    const manager = locks();
    if (!manager || !sessionId) return;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let granted!: () => void;
    const ready = new Promise<void>((resolve) => (granted = resolve));
    void manager
      .request(presenceLock(sessionId), { mode: 'shared' }, () => {
        granted();
        return released;
      })
      .catch(() => granted());
    this.presence = { sessionId, ready, release };
  }

  /** Runs `work` while no other tab rotates this session. */
  private async exclusive(sessionId: string, work: () => Promise<void>): Promise<void> {
    const manager = locks();
    if (!manager || !sessionId) return work();
    await manager.request(rotationLock(sessionId), () => work());
  }

  /** What the session's other open tabs hold, the newest first; none when this tab is alone. */
  private async askOthers(sessionId: string): Promise<Held | null> {
    const manager = locks();
    if (!manager || !this.channel || !sessionId) return null;
    await this.presence?.ready;
    const snapshot = await manager.query();
    const others = (snapshot.held ?? []).filter((lock) => lock.name === presenceLock(sessionId)).length - (this.presence?.sessionId === sessionId ? 1 : 0);
    if (others <= 0) return null;
    const nonce = crypto.randomUUID();
    return new Promise((resolve) => {
      let best: Held | null = null;
      let answered = 0;
      const finish = () => {
        clearTimeout(timer);
        this.answers.delete(nonce);
        resolve(best);
      };
      const timer = setTimeout(finish, ASK_TIMEOUT_MS);
      this.answers.set(nonce, (held) => {
        if (held.sessionId !== sessionId) return;
        if (!best || held.generation > best.generation || (held.generation === best.generation && fresh(held) && !fresh(best))) best = held;
        if (++answered >= others) finish();
      });
      this.post({ type: 'ask', sessionId, nonce });
    });
  }

  /**
   * A new access token for this tab's session: from another tab when one already has it,
   * else by rotating the newest refresh token, one tab at a time.
   */
  private async renew(): Promise<void> {
    const from = this.held;
    if (!from) return;
    await this.exclusive(from.sessionId, async () => {
      // Another tab may have rotated while this one waited for the lock.
      const now = this.held;
      if (!now || now.sessionId !== from.sessionId) return;
      if (now.generation > from.generation && fresh(now)) return;
      let base = now;
      const other = await this.askOthers(from.sessionId);
      if (other && other.generation >= base.generation) {
        if (fresh(other) && other.accessToken !== from.accessToken) {
          this.take(other);
          return;
        }
        if (other.generation > base.generation) base = other;
      }
      try {
        const tokens = await postJson<TokenResponse>('/auth/refresh', { refreshToken: base.refreshToken });
        const next = this.heldOf(base.tenant, tokens, base.generation + 1);
        this.take(next);
        this.post({ type: 'rotated', held: next });
      } catch (error) {
        if (error instanceof ApiError && error.statusCode === 401) this.clear(ENDED);
        throw error;
      }
    });
  }

  private heldOf(tenant: string, tokens: TokenResponse, generation: number): Held {
    return {
      tenant,
      sessionId: tokens.session.id,
      generation,
      refreshToken: tokens.refreshToken,
      accessToken: tokens.accessToken,
      expiresAt: Date.now() + tokens.expiresIn * 1000,
      restriction: { password: tokens.passwordChangeRequired, tfa: tokens.tfaEnrollmentRequired },
    };
  }

  /** On load: the pair left by this tab (or copied from the tab that opened it) is renewed. */
  async restore(): Promise<void> {
    const stored = readStored();
    if (!stored) {
      this.set({ status: 'signed-out' });
      return;
    }
    this.take({
      tenant: stored.tenant,
      sessionId: stored.sessionId ?? '',
      generation: stored.generation ?? 0,
      refreshToken: stored.refreshToken,
      accessToken: '',
      expiresAt: 0,
      restriction: { password: false, tfa: false },
    });
    try {
      await this.renew();
    } catch (error) {
      if (this.state.status === 'restoring') this.forget(error instanceof ApiError && error.statusCode === 401 ? ENDED : null);
    }
  }

  async signIn(input: { tenant: string; email: string; password: string; otp?: string; recoveryCode?: string }): Promise<void> {
    const tokens = await postJson<TokenResponse>('/auth/login', input);
    this.take(this.heldOf(input.tenant, tokens, 0));
  }

  /** Checks the operator key against an operator-only route before keeping it. */
  async signInOperator(key: string): Promise<void> {
    let response: Response;
    try {
      response = await fetch('/api/v2/tenants?limit=1', { headers: { 'x-admin-key': key, accept: 'application/json' }, cache: 'no-store' });
    } catch {
      throw networkError();
    }
    if (!response.ok) throw await problemOf(response);
    this.forget(null);
    this.set({ status: 'signed-in', credentials: { kind: 'operator', key, tenantId: null }, notice: null });
  }

  selectTenant(tenantId: string | null): void {
    const current = this.state.credentials;
    if (current?.kind !== 'operator') return;
    this.set({ credentials: { ...current, tenantId } });
  }

  /** The restriction of a user's session is lifted as soon as the account is fixed. */
  lift(part: keyof Restriction): void {
    const current = this.state.credentials;
    if (current?.kind !== 'user' || !this.held) return;
    this.held = { ...this.held, restriction: { ...this.held.restriction, [part]: false } };
    this.set({ credentials: { ...current, restriction: { ...current.restriction, [part]: false } } });
  }

  /** One refresh at a time in this tab: concurrent callers wait for the same renewal. */
  refresh(): Promise<void> {
    this.refreshing ??= this.renew().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Headers that authenticate a request to `path`, refreshing a user's token first when it is about to expire. */
  async authHeaders(path: string): Promise<Record<string, string>> {
    let current = this.state.credentials;
    if (current?.kind === 'user' && current.expiresAt - Date.now() < EARLY_REFRESH_MS) {
      await this.refresh();
      current = this.state.credentials;
    }
    if (!current) return {};
    if (current.kind === 'user') return { authorization: `Bearer ${current.accessToken}` };
    const headers: Record<string, string> = { 'x-admin-key': current.key };
    // Operator-only routes name no tenant; every other route is the selected tenant's.
    if (current.tenantId && !/^\/(tenants|signing-keys)(\/|\?|$)/.test(path)) headers['x-tenant-id'] = current.tenantId;
    return headers;
  }

  async signOut(): Promise<void> {
    if (this.state.credentials?.kind === 'user') {
      // Ends the session on the server too; the console forgets it whatever the answer.
      const headers = await this.authHeaders('/auth/logout').catch(() => null);
      if (headers) await postJson('/auth/logout', {}, headers).catch(() => undefined);
    }
    this.clear(null, 'You signed out in another tab.');
  }

  /** Signs this tab out, and every other tab of the same session with `others` (or `notice`). */
  clear(notice: string | null, others: string | null = notice): void {
    const sessionId = this.held?.sessionId;
    this.forget(notice);
    if (sessionId) this.post({ type: 'ended', sessionId, notice: others ?? ENDED });
  }

  /** Signs this tab out only. */
  private forget(notice: string | null): void {
    this.held = null;
    this.presence?.release();
    this.presence = null;
    sessionStorage.removeItem(STORAGE_KEY);
    this.set({ status: 'signed-out', credentials: null, notice });
  }
}

export const session = new SessionStore();
