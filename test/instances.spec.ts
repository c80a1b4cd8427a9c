import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freshDatabase, useMysql } from './helpers/app.js';
import { OwnRedis, REDIS_URL, redisNamespace } from './helpers/redis.js';
import { buildService, freePort, operatorJson, type ServiceProcess, startService } from './helpers/service-process.js';

/**
 * The built service, run as it ships (`node dist/src/main.js`), one or two processes at a
 * time: readiness and SIGTERM, the metrics listener, Redis going away and coming back, and
 * two instances sharing one MariaDB database and one Redis.
 */
const PASSWORD = 'Correct-Horse-9';
const json = { 'content-type': 'application/json' };

async function post(service: ServiceProcess, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${service.base}${path}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });
}

/** A login attempt that can never succeed, from the given client address (TRUST_PROXY is on). */
async function wrongLogin(service: ServiceProcess, tenant: string, ip: string): Promise<number> {
  const res = await post(service, '/api/v2/auth/login', { tenant, email: 'nobody@example.com', password: 'Wrong-password-1' }, { 'x-forwarded-for': ip });
  return res.status;
}

async function stop(service: ServiceProcess | undefined): Promise<void> {
  if (!service || service.child.exitCode !== null) return;
  service.child.kill('SIGTERM');
  await service.exited;
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

function lines(output: string, pattern: RegExp): string[] {
  return output.split('\n').filter((line) => pattern.test(line));
}

describe('the built service as a process', () => {
  let dir: string;
  const databases: { drop: () => Promise<void> }[] = [];
  /** A database of its own for each test: a throwaway MariaDB database, or a SQLite file. */
  async function database(): Promise<string> {
    if (!useMysql) return `sqlite:${join(dir, `identity-${databases.length}.sqlite`)}`;
    const db = await freshDatabase();
    databases.push(db);
    return db.url;
  }
  beforeAll(() => {
    buildService();
    dir = mkdtempSync(join(tmpdir(), 'identity-instances-'));
  }, 180_000);
  afterAll(async () => {
    for (const db of databases) await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('turns readiness off at SIGTERM while it still serves, then drains and exits 0; metrics on their own port', async () => {
    const metricsPort = await freePort();
    const service = await startService(await database(), { SHUTDOWN_DELAY_SECONDS: '2', METRICS_PORT: String(metricsPort) });
    try {
      expect((await fetch(`${service.base}/health/ready`)).status).toBe(200);
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/health\/ready",status="200"\} 1$/m);
      expect((await fetch(`${service.base}/metrics`)).status).toBe(404);

      const signalled = Date.now();
      service.child.kill('SIGTERM');
      let ready: Response | undefined;
      await waitFor(async () => {
        ready = await fetch(`${service.base}/health/ready`);
        return ready.status === 503;
      }, 1500, 'readiness off');
      expect(await ready!.json()).toEqual({ status: 'error', database: 'up', shuttingDown: true });
      // Still serving while a load balancer notices: liveness, the API, and scrapes.
      expect((await fetch(`${service.base}/health/live`)).status).toBe(200);
      const tenant = await post(service, '/api/v2/tenants', { slug: `drain-${Date.now()}`, name: 'd' }, operatorJson);
      expect(tenant.status).toBe(201);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
      const [code] = await service.exited;
      expect(code).toBe(0);
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(2000);
      await expect(fetch(`${service.base}/health/live`)).rejects.toThrow();
      await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
      // Nothing went wrong but the readiness answers meant to be 503 (logged as 5xx answers are).
      expect(lines(service.output(), /"level":(50|60)/).filter((line) => !/"path":"\/health\/ready".*"statusCode":503/.test(line))).toEqual([]);
    } finally {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
    }
  });

  it('counts the limits in Redis, falls back to the instance while Redis is gone, and returns to Redis on its own', async () => {
    const redis = await OwnRedis.start();
    const client = redis.client();
    let service: ServiceProcess | undefined;
    try {
      service = await startService(await database(), { REDIS_URL: redis.url, LOGIN_RATE_LIMIT: '3', TRUST_PROXY: 'true', LOG_LEVEL: 'info' });
      const tenant = `t-${Date.now()}`;
      expect((await post(service, '/api/v2/tenants', { slug: tenant, name: 'r' }, operatorJson)).status).toBe(201);

      // Redis up: counted there.
      for (let i = 0; i < 2; i++) expect(await wrongLogin(service, tenant, '192.0.2.1')).toBe(401);
      expect(await client.get('identity:limit:login:192.0.2.1')).toBe('2');

      // Redis gone: answers go on, limited by this instance, never a 5xx.
      await redis.stop();
      const during = [];
      for (let i = 0; i < 5; i++) during.push(await wrongLogin(service, tenant, '192.0.2.2'));
      expect(during).toEqual([401, 401, 401, 429, 429]);
      const ready = await fetch(`${service.base}/health/ready`);
      expect({ status: ready.status, body: await ready.json() }).toMatchObject({ status: 200, body: { status: 'degraded', redis: 'down' } });

      // Redis back (empty): the instance reconnects by itself and counts there again.
      await redis.resume();
      const output = service.output;
      await waitFor(() => lines(output(), /answers again/).length > 0, 10_000, 'reconnection');
      expect(await wrongLogin(service, tenant, '192.0.2.3')).toBe(401);
      expect(await client.get('identity:limit:login:192.0.2.3')).toBe('1');
      expect(((await (await fetch(`${service.base}/health/ready`)).json()) as { redis: string }).redis).toBe('up');

      // One warning for the outage and one line for the recovery, not one per request.
      expect(lines(output(), /Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable/)).toHaveLength(1);
      expect(lines(output(), /"level":40/).filter((line) => !/Redis|request completed/.test(line))).toEqual([]);
      expect(lines(output(), /answers again/)).toHaveLength(1);
      expect(output()).not.toMatch(/"level":(50|60)/);
    } finally {
      await stop(service);
      client.disconnect();
      await redis.remove();
    }
  });
});

/**
 * Two instances on one MariaDB database and one Redis. SQLite cannot be shared by two
 * processes the way the service uses it (an in-memory database is private to its process,
 * and a file is meant for one instance), so this runs on MariaDB only.
 */
const multi = useMysql ? describe : describe.skip;
multi('two instances, one MariaDB database, one Redis (MariaDB only: two processes cannot share an SQLite database)', () => {
  const redis = redisNamespace();
  let db: { url: string; drop: () => Promise<void> };
  let a: ServiceProcess;
  let b: ServiceProcess;
  let tenant: { id: string; slug: string };
  beforeAll(async () => {
    buildService();
    db = await freshDatabase();
    const env = { REDIS_URL, REDIS_KEY_PREFIX: redis.prefix, LOGIN_RATE_LIMIT: '5', TRUST_PROXY: 'true' };
    // The first start migrates the empty database; the second finds it ready.
    a = await startService(db.url, env);
    b = await startService(db.url, env);
    const res = await post(a, '/api/v2/tenants', { slug: `multi-${Date.now()}`, name: 'Multi' }, operatorJson);
    tenant = (await res.json()) as { id: string; slug: string };
    for (const email of ['one@example.com', 'two@example.com']) {
      const user = await post(a, '/api/v2/users', { email, password: PASSWORD }, { ...operatorJson, 'x-tenant-id': tenant.id });
      expect(user.status).toBe(201);
    }
  }, 180_000);
  afterAll(async () => {
    await stop(a);
    await stop(b);
    await db?.drop();
    await redis.clean();
  });

  async function signIn(service: ServiceProcess, email: string, ip: string): Promise<{ accessToken: string; refreshToken: string; userId: string }> {
    const res = await post(service, '/api/v2/auth/login', { tenant: tenant.slug, email, password: PASSWORD }, { 'x-forwarded-for': ip });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accessToken: string; refreshToken: string };
    const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1]!, 'base64url').toString()) as { sub: string };
    return { ...body, userId: claims.sub };
  }

  function me(service: ServiceProcess, accessToken: string): Promise<number> {
    return fetch(`${service.base}/api/v2/me`, { headers: { authorization: `Bearer ${accessToken}` } }).then((r) => r.status);
  }

  function kidOf(token: string): string {
    return (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
  }

  it('refuses on one instance, at once, a token revoked on the other', async () => {
    const session = await signIn(a, 'one@example.com', '10.1.0.1');
    expect(await me(b, session.accessToken)).toBe(200);
    const logout = await fetch(`${a.base}/api/v2/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${session.accessToken}` } });
    expect(logout.status).toBe(204);
    expect(await me(b, session.accessToken)).toBe(401);
    const refreshed = await post(b, '/api/v2/auth/refresh', { refreshToken: session.refreshToken });
    expect(refreshed.status).toBe(401);

    const other = await signIn(b, 'two@example.com', '10.1.0.2');
    expect(await me(a, other.accessToken)).toBe(200);
    const forced = await post(a, `/api/v2/users/${other.userId}/actions/force-logout`, {}, { ...operatorJson, 'x-tenant-id': tenant.id });
    expect(forced.status).toBe(200);
    expect(await me(b, other.accessToken)).toBe(401);
    expect(await me(a, other.accessToken)).toBe(401);
  });

  it('honours on one instance a signing key rotated on the other', async () => {
    const before = await signIn(a, 'one@example.com', '10.1.0.3');
    for (const [rotator, verifier] of [
      [a, b],
      [b, a],
    ] as const) {
      const rotated = await post(rotator, '/api/v2/signing-keys/rotate', {}, operatorJson);
      expect(rotated.status).toBe(200);
      const fresh = await signIn(rotator, 'one@example.com', '10.1.0.4');
      expect(kidOf(fresh.accessToken)).not.toBe(kidOf(before.accessToken));
      expect(await me(verifier, fresh.accessToken)).toBe(200);
      const jwks = (await (await fetch(`${verifier.base}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([kidOf(fresh.accessToken), kidOf(before.accessToken)]));
    }
    // Tokens signed before the rotations are still honoured by both.
    expect(await me(a, before.accessToken)).toBe(200);
    expect(await me(b, before.accessToken)).toBe(200);
  });

  it('holds the per-IP login limit across both instances', async () => {
    const statuses = [];
    for (const service of [a, b, a, b, a, b, a]) statuses.push(await wrongLogin(service, tenant.slug, '198.51.100.90'));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // Another address is unaffected on either.
    expect(await wrongLogin(b, tenant.slug, '198.51.100.91')).toBe(401);
    const client = new Redis(REDIS_URL);
    try {
      expect(Number(await client.get(`${redis.prefix}limit:login:198.51.100.90`))).toBeGreaterThanOrEqual(5);
    } finally {
      client.disconnect();
    }
  });
});
