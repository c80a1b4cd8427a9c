import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { createTenant, expectProblem, type Reply, startApp, type TestApp } from './helpers/app.js';
import { closedPort, REDIS_URL, redisNamespace } from './helpers/redis.js';
import { freePort } from './helpers/service-process.js';

/**
 * The per-IP limits of login, password reset and failed refreshes, counted in the real Redis
 * by two instances of the service (two apps in this process, each with its own database: the
 * limits need nothing else in common), and what each instance does when Redis cannot answer.
 */
const LIMIT = 3;

function attempt(t: TestApp, tenant: { slug: string }, ip: string): Promise<Reply> {
  return t.call('POST', '/api/v2/auth/login', { as: null, ip, body: { tenant: tenant.slug, email: 'nobody@example.com', password: 'Wrong-password-1' } });
}

function badRefresh(t: TestApp, ip: string): Promise<Reply> {
  return t.call('POST', '/api/v2/auth/refresh', { as: null, ip, body: { refreshToken: `0190c0de-0000-7000-8000-000000000000.${Math.random().toString(36).slice(2)}` } });
}

function resetRequest(t: TestApp, tenant: { slug: string }, ip: string): Promise<Reply> {
  return t.call('POST', '/api/v2/auth/password-reset/request', { as: null, ip, body: { tenant: tenant.slug, email: 'nobody@example.com' } });
}

describe('per-IP limits counted in Redis across instances', () => {
  const redis = redisNamespace();
  let a: TestApp;
  let b: TestApp;
  let tenantA: { slug: string };
  let tenantB: { slug: string };
  beforeAll(async () => {
    const env = { LOGIN_RATE_LIMIT: String(LIMIT), REDIS_URL, REDIS_KEY_PREFIX: redis.prefix };
    a = await startApp(env);
    b = await startApp(env);
    tenantA = await createTenant(a);
    tenantB = await createTenant(b);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis.clean();
  });

  it('holds the login limit across both instances, per address', async () => {
    const ip = '198.51.100.21';
    const statuses = [];
    for (const t of [a, b, a, b, a]) statuses.push((await attempt(t, t === a ? tenantA : tenantB, ip)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const refused = await attempt(b, tenantB, ip);
    expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another address has its own budget.
    expect((await attempt(b, tenantB, '198.51.100.22')).status).toBe(401);
    // The counts are in Redis, under the configured prefix.
    expect(await redis.keys()).toEqual(expect.arrayContaining([`${redis.prefix}limit:login:${ip}`]));
  });

  it('counts password-reset requests in the same budget as logins', async () => {
    const ip = '198.51.100.23';
    expect((await resetRequest(a, tenantA, ip)).status).toBe(202);
    expect((await attempt(b, tenantB, ip)).status).toBe(401);
    expect((await resetRequest(b, tenantB, ip)).status).toBe(202);
    expectProblem(await resetRequest(a, tenantA, ip), 429, 'rate_limited');
    expectProblem(await attempt(b, tenantB, ip), 429, 'rate_limited');
  });

  it('limits failed refreshes across both instances, apart from logins', async () => {
    const ip = '198.51.100.24';
    const statuses = [];
    for (const t of [a, b, a, b]) statuses.push((await badRefresh(t, ip)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    expectProblem(await badRefresh(a, ip), 429, 'rate_limited');
    // Logins from that address still have their own budget.
    expect((await attempt(a, tenantA, ip)).status).toBe(401);
    expect(await redis.keys()).toEqual(expect.arrayContaining([`${redis.prefix}limit:refresh:${ip}`]));
  });
});

describe('per-IP limits when Redis cannot answer', () => {
  let warn: ReturnType<typeof jest.spyOn>;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn');
  });
  afterEach(() => warn.mockRestore());

  async function perInstance(url: string): Promise<void> {
    const env = { LOGIN_RATE_LIMIT: String(LIMIT), REDIS_URL: url };
    const a = await startApp(env);
    const b = await startApp(env);
    try {
      const tenantA = await createTenant(a);
      const tenantB = await createTenant(b);
      const ip = '198.51.100.31';
      const onA = [];
      for (let i = 0; i < LIMIT + 2; i++) onA.push((await attempt(a, tenantA, ip)).status);
      // Each instance counts alone, with the same limit; no request fails for want of Redis.
      expect(onA).toEqual([401, 401, 401, 429, 429]);
      const onB = [];
      for (let i = 0; i < LIMIT + 1; i++) onB.push((await attempt(b, tenantB, ip)).status);
      expect(onB).toEqual([401, 401, 401, 429]);
      const refreshes = [];
      for (let i = 0; i < LIMIT + 1; i++) refreshes.push((await badRefresh(a, ip)).status);
      expect(refreshes).toEqual([401, 401, 401, 429]);
      expect((await resetRequest(b, tenantB, '198.51.100.32')).status).toBe(202);
      // The rest of the service does not depend on Redis.
      expect((await a.call('GET', '/health')).status).toBe(200);
    } finally {
      await a.close();
      await b.close();
    }
    // One warning per instance for the outage, not one per request.
    const redisWarnings = warn.mock.calls.filter(([message]: unknown[]) => /Redis at .* is unreachable/.test(String(message)));
    expect(redisWarnings).toHaveLength(2);
    expect(String(redisWarnings[0]![0])).not.toMatch(/secret/);
  }

  it('falls back to per-instance limits when nothing listens on the port', async () => {
    await perInstance(`redis://:secret@127.0.0.1:${await closedPort()}`);
  });

  it('falls back to per-instance limits when Redis accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    silent.listen(await freePort(), '127.0.0.1');
    await once(silent, 'listening');
    try {
      await perInstance(`redis://:secret@127.0.0.1:${(silent.address() as { port: number }).port}`);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
