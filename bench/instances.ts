/**
 * What running many instances costs one instance, each figure beside its baseline measured in
 * the same run:
 *
 *   (a) logins per second with the per-IP limit counted in Redis (REDIS_URL)
 *                                      ≥ 95 % of logins per second with the limit in memory
 *   (b) GET /api/v2/me per second with metrics on (METRICS_PORT)
 *                                      beside the same with metrics off (reference)
 *
 *   npx tsc -p tsconfig.json && node dist/bench/instances.js
 *
 * Two services run as they ship, side by side, each in its own process on its own SQLite file,
 * the same in everything but the one setting compared; they are measured in turn, twice each
 * (A, B, A, B), and each side's two runs averaged, so that a change in the machine's load weighs
 * on both alike. Redis: BENCH_REDIS_URL (default redis://127.0.0.1:6379), under a key prefix of
 * this run's own, removed at the end. Environment: BENCH_DURATION (seconds per run, default 10),
 * BENCH_CONNECTIONS (for GET /me, default 10), UV_THREADPOOL_SIZE (default 4; logins use twice
 * as many connections), BENCH_RESULTS_JSON (see lib.ts).
 */
import type { Options } from 'autocannon';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type Child, JSON_HEADERS, baselineFigure, createTenant, createUsers, freePort, login, rate, referenceFigure, relativeFigure, runBench, type Report } from './lib.js';
import { startService } from './lib.js';

const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? '10');
const THREADPOOL = Number(process.env.UV_THREADPOOL_SIZE ?? '4');
const PASSWORD = 'Bench-Password-2024';
const USERS = 8;

interface Seeded {
  service: Child;
  slug: string;
  emails: string[];
}

async function seeded(dir: string, name: string, env: Record<string, string>): Promise<Seeded> {
  const service = await startService({ databaseUrl: `sqlite:${join(dir, `${name}.sqlite`)}`, env });
  const tenant = await createTenant(service.base, `bench-${name}`);
  const emails = Array.from({ length: USERS }, (_, i) => `bench${i}@example.com`);
  await createUsers(service.base, tenant.id, emails.map((email) => ({ email, password: PASSWORD })));
  return { service, slug: tenant.slug, emails };
}

function loginOptions(s: Seeded): Options {
  let next = 0;
  return {
    url: s.service.base,
    connections: THREADPOOL * 2,
    requests: [
      {
        method: 'POST',
        path: '/api/v2/auth/login',
        headers: JSON_HEADERS,
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ tenant: s.slug, email: s.emails[next++ % USERS], password: PASSWORD }) }),
      },
    ],
  };
}

/** Measures a and b in turn, twice each; each side's mean. */
async function sideBySide(label: string, a: Options, b: Options): Promise<{ a: number; b: number; runs: string }> {
  const aRuns: number[] = [];
  const bRuns: number[] = [];
  for (let round = 0; round < 2; round++) {
    aRuns.push((await rate(`${label} A`, a)).rps);
    bRuns.push((await rate(`${label} B`, b)).rps);
  }
  const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
  return { a: mean(aRuns), b: mean(bRuns), runs: `${label}: A ${aRuns.map((r) => r.toFixed(1)).join(', ')}; B ${bRuns.map((r) => r.toFixed(1)).join(', ')}` };
}

async function main(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'identity-bench-instances-'));
  const prefix = `identity-bench:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const started: Child[] = [];
  const runs: string[] = [];
  try {
    // (a) the per-IP limit in memory against the same limit in Redis.
    const memory = await seeded(dir, 'limit-memory', {});
    started.push(memory.service);
    const shared = await seeded(dir, 'limit-redis', { REDIS_URL: REDIS, REDIS_KEY_PREFIX: prefix });
    started.push(shared.service);
    const logins = await sideBySide('logins/s', loginOptions(memory), loginOptions(shared));
    runs.push(logins.runs);
    const counted = Number(await redis.get(`${prefix}limit:login:127.0.0.1`));
    if (!(counted > 0)) throw new Error('the Redis-backed service counted nothing in Redis');
    const loginBaseline = 'logins/s, per-IP limit in memory (SQLite)';
    report.add(
      baselineFigure(loginBaseline, logins.a, 'logins/s'),
      relativeFigure('logins/s, per-IP limit in Redis (REDIS_URL; SQLite)', logins.b, 'logins/s', logins.a, loginBaseline, 0.95),
    );
    for (const child of started.splice(0)) await child.stop();

    // (b) GET /me with and without metrics.
    const plain = await seeded(dir, 'metrics-off', {});
    started.push(plain.service);
    const metered = await seeded(dir, 'metrics-on', { METRICS_PORT: String(await freePort()) });
    started.push(metered.service);
    const meOptions = async (s: Seeded): Promise<Options> => {
      const { accessToken } = await login(s.service.base, s.slug, s.emails[0]!, PASSWORD);
      return { url: `${s.service.base}/api/v2/me`, connections: CONNECTIONS, headers: { authorization: `Bearer ${accessToken}` } };
    };
    const me = await sideBySide('GET /me req/s', await meOptions(plain), await meOptions(metered));
    runs.push(me.runs);
    const meBaseline = 'GET /api/v2/me req/s, metrics off (SQLite)';
    report.add(
      baselineFigure(meBaseline, me.a, 'req/s'),
      referenceFigure('GET /api/v2/me req/s, metrics on (METRICS_PORT; SQLite)', me.b, 'req/s', me.a, meBaseline),
    );
    console.log(`\nruns (A = baseline, B = compared):\n  ${runs.join('\n  ')}`);
  } finally {
    for (const child of started) await child.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

await runBench(main);
