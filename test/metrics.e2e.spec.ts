import { Metrics } from '../src/metrics/metrics.service.js';
import { createTenant, startApp, type TestApp, useMysql } from './helpers/app.js';
import { login, PASSWORD, signedInUser } from './helpers/sessions.js';
import { createUser, uniqueEmail } from './helpers/users.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format: one sample per line, comments skipped. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of match[2]?.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g) ?? []) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe('GET /metrics on METRICS_PORT', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startApp({ METRICS_PORT: '0', HOST: '127.0.0.1', LOGIN_RATE_LIMIT: '4' });
    const address = await t.app.get(Metrics).listen();
    base = `http://127.0.0.1:${address!.port}`;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function scrape(): Promise<{ text: string; samples: Sample[] }> {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    return { text, samples: parse(text) };
  }

  it('is not served on the API port', async () => {
    expect((await t.call('GET', '/metrics')).status).toBe(404);
    expect((await t.call('GET', '/metrics', { as: 'operator' })).status).toBe(404);
  });

  it('serves only /metrics on its own port', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(404);
    expect((await fetch(`${base}/api/v2/tenants`)).status).toBe(404);
  });

  it('counts requests by route template and status, logins, refreshes and lockouts; no label carries an id, email, IP or URL', async () => {
    const tenant = await createTenant(t, { settings: { lockoutThreshold: 2 } });
    const secret = `Secret.Person+${Date.now()}@example.com`;
    const user = await createUser(t, tenant, { email: secret, password: PASSWORD, externalId: 'ext-4711-private' });
    const signed = await signedInUser(t, tenant);
    const before = parse((await scrape()).text);

    // Ids, an email and an external id in paths and query strings; clients at several addresses.
    expect((await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id })).status).toBe(200);
    expect((await t.call('GET', `/api/v2/users/${user.id.toUpperCase()}?x=${encodeURIComponent(secret)}`, { tenant: tenant.id })).status).toBe(200);
    expect((await t.call('GET', `/api/v2/users/external/ext-4711-private`, { tenant: tenant.id })).status).toBe(200);
    expect((await t.call('GET', `/api/v2/users/0190c0de-0000-7000-8000-00000000dead`, { tenant: tenant.id })).status).toBe(404);
    expect((await t.call('GET', `/no/such/${encodeURIComponent(secret)}/route`)).status).toBe(404);
    expect((await t.call('PROPFIND', `/api/v2/users/${user.id}`, { tenant: tenant.id })).status).toBeGreaterThanOrEqual(400);
    expect((await t.call('GET', '/api/v2/me', { as: signed.bearer, ip: '203.0.113.77' })).status).toBe(200);
    expect((await login(t, tenant, secret, 'wrong-password-1', {}, '203.0.113.78')).status).toBe(401);
    expect((await login(t, tenant, secret, 'wrong-password-2', {}, '203.0.113.78')).status).toBe(401); // locks the account
    expect((await login(t, tenant, signed.email, PASSWORD, {}, '203.0.113.79')).status).toBe(200);
    for (let i = 0; i < 4; i++) await login(t, tenant, uniqueEmail(), 'x', {}, '203.0.113.80');
    expect((await login(t, tenant, uniqueEmail(), 'x', {}, '203.0.113.80')).status).toBe(429);
    const refreshed = await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: signed.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect((await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: `${user.id}.not-a-secret` } })).status).toBe(401);

    const { text, samples } = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => value(samples, name, labels) - value(before, name, labels);

    expect(delta('http_request_duration_seconds_count', { route: '/api/v2/users/:id', method: 'GET', status: '200' })).toBe(2);
    expect(delta('http_request_duration_seconds_count', { route: '/api/v2/users/:id', method: 'GET', status: '404' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { route: '/api/v2/users/external/:externalId', status: '200' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(delta('http_request_duration_seconds_count', { route: '/api/v2/me', status: '200' })).toBe(1);
    expect(value(samples, 'http_request_duration_seconds_bucket', { route: '/api/v2/me', le: '+Inf' })).toBeGreaterThanOrEqual(1);
    expect(delta('identity_logins_total', { result: 'success' })).toBe(1);
    expect(delta('identity_logins_total', { result: 'failure' })).toBe(6);
    expect(delta('identity_logins_total', { result: 'rate_limited' })).toBe(1);
    expect(delta('identity_refreshes_total', { result: 'success' })).toBe(1);
    expect(delta('identity_refreshes_total', { result: 'failure' })).toBe(1);
    expect(delta('identity_lockouts_total')).toBe(1);
    expect(delta('identity_audit_events_total', { action: 'auth.locked_out' })).toBe(1);
    // Default process metrics: memory and event-loop delay.
    expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
    if (useMysql) expect(value(samples, 'identity_db_pool_max')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'identity_db_transaction_retries_total')).toBe(true);

    // Every label value, of every sample, comes from a fixed set.
    const values = new Set(samples.flatMap((s) => Object.values(s.labels)));
    const forbidden = [
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i, // an id
      /@|%40/, // an email
      /\b\d{1,3}(\.\d{1,3}){3}\b/, // an IPv4 address
      /::/, // an IPv6 address
      /\?/, // a query string
      /ext-4711|secret\.person|\/no\/such/i, // anything the client sent
    ];
    for (const label of values) for (const pattern of forbidden) expect({ label, matches: pattern.test(label) }).toEqual({ label, matches: false });
    for (const route of samples.map((s) => s.labels.route).filter((r): r is string => r !== undefined)) {
      expect(route === 'unmatched' || /^\/[a-z0-9/._:-]*$/i.test(route)).toBe(true);
    }
    expect(new Set(samples.map((s) => s.labels.method).filter(Boolean))).not.toContain('PROPFIND');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(user.id);
  });
});

describe('metrics off (METRICS_PORT unset)', () => {
  it('starts no listener and measures nothing', async () => {
    const t = await startApp();
    try {
      const metrics = t.app.get(Metrics);
      expect(metrics.enabled).toBe(false);
      expect(await metrics.listen()).toBeNull();
      await t.call('GET', '/health');
      expect((await metrics.registry.getMetricsAsJSON()).flatMap((m) => m.values).filter((v) => v.value !== 0)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
