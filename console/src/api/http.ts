import { ApiError, networkError, problemOf } from './errors.js';

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** The version the caller read: sent as `If-Match: "<version>"`, so a stale write gets 412. */
  ifMatch?: number | string;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
  etag: string | null;
}

/** `filter[name]=x&limit=50`: empty values are left out. */
export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * The console's one way to the API: authenticates as the signed-in principal, refreshes an
 * expired access token once and retries, and turns every failure into an ApiError carrying
 * the problem's detail and field errors.
 */
/** What the client needs of the session: its headers, a refresh, and a way to end it. */
export interface Authenticator {
  authHeaders(path: string): Promise<Record<string, string>>;
  getState(): { credentials: { kind: 'user' | 'operator' } | null };
  refresh(): Promise<void>;
  clear(notice: string | null): void;
}

export function createClient(store: Authenticator, options: { baseUrl?: string; fetch?: typeof fetch } = {}) {
  const baseUrl = options.baseUrl ?? '';
  const fetchImpl = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  async function send<T>(method: string, path: string, options: RequestOptions, retried: boolean): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...(await store.authHeaders(path)) };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.ifMatch !== undefined) headers['if-match'] = `"${String(options.ifMatch).replace(/"/g, '')}"`;
    let response: Response;
    try {
      response = await fetchImpl(`${baseUrl}/api/v2${path}${queryString(options.query)}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        credentials: 'omit',
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw networkError();
    }
    if (response.status === 401 && !retried && store.getState().credentials?.kind === 'user') {
      // An access token that expired early (clock skew) or was revoked: one refresh decides.
      // A session ended elsewhere (force logout, deactivation) fails the refresh and signs out.
      await store.refresh();
      return send<T>(method, path, options, true);
    }
    if (!response.ok) {
      const error = await problemOf(response);
      if (error.statusCode === 401 && store.getState().credentials) store.clear('Your session has ended. Sign in again.');
      throw error;
    }
    const text = response.status === 204 ? '' : await response.text();
    return { status: response.status, data: (text ? JSON.parse(text) : undefined) as T, etag: response.headers.get('etag') };
  }

  /**
   * A request whose body and answer are streams (an import: a file up, NDJSON lines down).
   * Authenticated and refreshed as any other; a failed answer becomes an ApiError. The body
   * must be readable twice (a File or Blob is), for the one retry after a refresh.
   */
  async function stream(method: string, path: string, options: { query?: Query; body: Blob; contentType: string; signal?: AbortSignal }, retried = false): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/x-ndjson, application/json', 'content-type': options.contentType, ...(await store.authHeaders(path)) };
    let response: Response;
    try {
      response = await fetchImpl(`${baseUrl}/api/v2${path}${queryString(options.query)}`, { method, headers, body: options.body, signal: options.signal, credentials: 'omit' });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw networkError();
    }
    if (response.status === 401 && !retried && store.getState().credentials?.kind === 'user') {
      await store.refresh();
      return stream(method, path, options, true);
    }
    if (!response.ok) {
      const error = await problemOf(response);
      if (error.statusCode === 401 && store.getState().credentials) store.clear('Your session has ended. Sign in again.');
      throw error;
    }
    return response;
  }

  return {
    stream,
    request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
      return send<T>(method, path, options, false);
    },
    get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
      return send<T>('GET', path, { query, signal }, false).then((r) => r.data);
    },
    post<T>(path: string, body?: unknown): Promise<T> {
      return send<T>('POST', path, { body: body ?? {} }, false).then((r) => r.data);
    },
    patch<T>(path: string, body: unknown, ifMatch?: number | string): Promise<T> {
      return send<T>('PATCH', path, { body, ifMatch }, false).then((r) => r.data);
    },
    delete<T = void>(path: string, body?: unknown): Promise<T> {
      return send<T>('DELETE', path, { body }, false).then((r) => r.data);
    },
  };
}

export type ApiClient = ReturnType<typeof createClient>;

export { ApiError };
