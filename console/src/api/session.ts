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
/** Refresh this long before the access token expires, so a request never races its expiry. */
const EARLY_REFRESH_MS = 30_000;

interface StoredRefresh {
  tenant: string;
  refreshToken: string;
}

function readStored(): StoredRefresh | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<StoredRefresh>;
    return typeof value.tenant === 'string' && typeof value.refreshToken === 'string'
      ? { tenant: value.tenant, refreshToken: value.refreshToken }
      : null;
  } catch {
    return null;
  }
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

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getState = (): SessionState => this.state;

  private set(state: Partial<SessionState>): void {
    this.state = { ...this.state, ...state };
    for (const listener of this.listeners) listener();
  }

  /** On load: a refresh token left by this tab is exchanged for a new pair. */
  async restore(): Promise<void> {
    const stored = readStored();
    if (!stored) {
      this.set({ status: 'signed-out' });
      return;
    }
    try {
      const tokens = await postJson<TokenResponse>('/auth/refresh', { refreshToken: stored.refreshToken });
      this.accept(stored.tenant, tokens);
    } catch (error) {
      this.clear(error instanceof ApiError && error.statusCode === 401 ? 'Your session has ended. Sign in again.' : null);
    }
  }

  async signIn(input: { tenant: string; email: string; password: string; otp?: string; recoveryCode?: string }): Promise<void> {
    const tokens = await postJson<TokenResponse>('/auth/login', input);
    this.accept(input.tenant, tokens);
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
    sessionStorage.removeItem(STORAGE_KEY);
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
    if (current?.kind !== 'user') return;
    this.set({ credentials: { ...current, restriction: { ...current.restriction, [part]: false } } });
  }

  private accept(tenant: string, tokens: TokenResponse): void {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ tenant, refreshToken: tokens.refreshToken } satisfies StoredRefresh));
    this.set({
      status: 'signed-in',
      notice: null,
      credentials: {
        kind: 'user',
        tenant,
        accessToken: tokens.accessToken,
        expiresAt: Date.now() + tokens.expiresIn * 1000,
        refreshToken: tokens.refreshToken,
        sessionId: tokens.session.id,
        restriction: { password: tokens.passwordChangeRequired, tfa: tokens.tfaEnrollmentRequired },
      },
    });
  }

  /** One refresh at a time: concurrent callers wait for the same rotation. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const current = this.state.credentials;
      if (current?.kind !== 'user') return;
      try {
        const tokens = await postJson<TokenResponse>('/auth/refresh', { refreshToken: current.refreshToken });
        this.accept(current.tenant, tokens);
      } catch (error) {
        if (error instanceof ApiError && error.statusCode === 401) this.clear('Your session has ended. Sign in again.');
        throw error;
      }
    })().finally(() => {
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
    this.clear(null);
  }

  clear(notice: string | null): void {
    sessionStorage.removeItem(STORAGE_KEY);
    this.set({ status: 'signed-out', credentials: null, notice });
  }
}

export const session = new SessionStore();
