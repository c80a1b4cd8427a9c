/**
 * The sessions issue's speed figures, each printed next to a baseline measured in the same
 * run on the same machine:
 *
 *   (a) logins per second            ≥ 90 % of raw argon2id verifications per second
 *                                       (same parameters, same concurrency as the server's
 *                                       libuv threadpool, in this process)
 *   (b) refresh grants per second    ≥ 1,000
 *   (c) authenticated GET /api/v2/me ≥ 85 % of the requests per second of its own statement
 *                                       ceiling (bench/reads-server.ts: a bare Fastify route that
 *                                       runs only the statements of GET /me on the raw driver),
 *                                       on SQLite; a bare Fastify hello-world beside it for scale
 *
 * plus the service's peak RSS over the three loads (≤ 300 MB; argon2id holds 19 MiB per
 * verification in flight).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/sessions.js
 *
 * The service runs as it ships, in its own process (`node dist/src/main.js`, SQLite file in a
 * temporary directory, LOG_LEVEL=warn), and the hello-world in another; autocannon runs in
 * this one. Everything is seeded through the API.
 *
 * Environment: BENCH_DURATION (seconds per measurement, default 10), BENCH_CONNECTIONS
 * (autocannon connections for refresh, /me and hello-world, default 10), UV_THREADPOOL_SIZE
 * (libuv threads, default 4: argon2 runs there, in the server and in the baseline alike),
 * BENCH_ONLY (login, refresh or me: measure that figure alone, e.g. to profile it),
 * BENCH_CPU_PROF (a directory: the service runs with --cpu-prof and writes its profile there
 * on exit; summarise it with dist/bench/cpuprofile-top.js), BENCH_RESULTS_JSON (see lib.ts).
 */
import argon2 from 'argon2';
import type { Options } from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORD_HASH_PARAMS } from '../src/users/passwords.js';
import {
  DURATION, JSON_HEADERS, WARMUP_SECONDS, baselineFigure, boundedFigure, createTenant, createUsers, login, measureLoop,
  rate, referenceFigure, relativeFigure, runBench, sampleRss, startHelloWorld, startReadsCeiling, startService, type Rate, type Report
} from './lib.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? '10');
const THREADPOOL = Number(process.env.UV_THREADPOOL_SIZE ?? '4');
/** Twice the threadpool, so the server always has a verification queued for each thread. */
const LOGIN_CONNECTIONS = THREADPOOL * 2;
const ONLY = process.env.BENCH_ONLY;
const wanted = (figure: 'login' | 'refresh' | 'me'): boolean => ONLY === undefined || ONLY === figure;
const PASSWORD = 'Bench-Password-2024';
const USERS = 8;

/** argon2id verifications per second in this process, `concurrency` at a time. */
async function rawVerifyRate(concurrency: number, seconds: number): Promise<number> {
  const hash = await argon2.hash(PASSWORD, PASSWORD_HASH_PARAMS);
  const result = await measureLoop(concurrency, seconds, async () => {
    if (!(await argon2.verify(hash, PASSWORD))) throw new Error('verify failed');
  });
  return result.perSecond;
}

async function main(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'identity-bench-'));
  console.log(
    `sessions benchmark: ${DURATION} s per figure after ${WARMUP_SECONDS} s warm-up; ${CONNECTIONS} connections ` +
      `(logins: ${LOGIN_CONNECTIONS}); libuv threadpool ${THREADPOOL}; SQLite in ${dir}`,
  );
  const service = await startService({ databaseUrl: `sqlite:${join(dir, 'identity.sqlite')}`, cpuProfDir: process.env.BENCH_CPU_PROF });
  try {
    const base = service.base;
    const tenant = await createTenant(base, 'bench-sessions');
    const emails = Array.from({ length: USERS }, (_, i) => `bench${i}@example.com`);
    await createUsers(base, tenant.id, emails.map((email) => ({ email, password: PASSWORD })));
    const loginBody = (i: number) => JSON.stringify({ tenant: tenant.slug, email: emails[i % USERS], password: PASSWORD });
    const loginAs = (i: number) => login(base, tenant.slug, emails[i % USERS]!, PASSWORD);

    const latencies: string[] = [];
    const rss = sampleRss(service.pid);

    if (wanted('login')) {
      // (a) logins against raw argon2id verifications at the server's threadpool concurrency.
      // The baseline is measured before and after and averaged, so that a change in the
      // machine's load during the run weighs on both sides alike.
      const rawBefore = await rawVerifyRate(THREADPOOL, DURATION / 2);
      let next = 0;
      const logins = await rate('login', {
        url: base,
        connections: LOGIN_CONNECTIONS,
        requests: [{ method: 'POST', path: '/api/v2/auth/login', headers: JSON_HEADERS, setupRequest: (req) => ({ ...req, body: loginBody(next++) }) }],
      });
      const rawAfter = await rawVerifyRate(THREADPOOL, DURATION / 2);
      const raw = (rawBefore + rawAfter) / 2;
      latencies.push(`argon2id verify/s before ${rawBefore.toFixed(1)}, after ${rawAfter.toFixed(1)}`);
      latencies.push(`login ${logins.p50}/${logins.p99}`);
      const baselineLabel = `raw argon2id verify/s, ${THREADPOOL} at a time`;
      report.add(
        baselineFigure(baselineLabel, raw, 'verify/s'),
        relativeFigure('logins/s (SQLite)', logins.rps, 'logins/s', raw, baselineLabel, 0.9),
      );
    }

    if (wanted('refresh')) {
      // (b) refresh grants: every request spends a refresh token and gives the next one back
      // to the pool; the pool holds more tokens than there are connections, and is topped up
      // before each run because a run's last in-flight replies are never read.
      const pool: string[] = [];
      const topUp = async () => {
        while (pool.length < CONNECTIONS * 3) {
          const batch = await Promise.all(Array.from({ length: THREADPOOL }, (_, i) => loginAs(i)));
          pool.push(...batch.map((b) => b.refreshToken));
        }
      };
      const refreshOptions: Options = {
        url: base,
        connections: CONNECTIONS,
        requests: [
          {
            method: 'POST',
            path: '/api/v2/auth/refresh',
            headers: JSON_HEADERS,
            setupRequest: (req) => ({ ...req, body: JSON.stringify({ refreshToken: pool.shift() ?? 'pool-ran-dry' }) }),
            onResponse: (status, body) => {
              if (status === 200) pool.push((JSON.parse(body) as { refreshToken: string }).refreshToken);
            },
          },
        ],
      };
      const refreshes = await rate('refresh', refreshOptions, topUp);
      latencies.push(`refresh ${refreshes.p50}/${refreshes.p99}`);
      report.add(boundedFigure('refresh grants/s (SQLite)', refreshes.rps, 'grants/s', { min: 1000 }));
    }

    if (wanted('me')) {
      // (c) GET /me with a bearer token against a bare Fastify hello-world.
      const { accessToken } = await loginAs(0);
      const me = await rate('GET /me', { url: `${base}/api/v2/me`, connections: CONNECTIONS, headers: { authorization: `Bearer ${accessToken}` } });
      // The ceiling: the same statements on the raw driver behind a bare Fastify route, nothing else.
      const ceilingServer = await startReadsCeiling(`sqlite:${join(dir, 'identity.sqlite')}`);
      let ceiling: Rate;
      try {
        ceiling = await rate('ceiling', { url: `${ceilingServer.base}/api/v2/me`, connections: CONNECTIONS, headers: { authorization: `Bearer ${accessToken}` } });
      } finally {
        await ceilingServer.stop();
      }
      const hello = await startHelloWorld();
      let helloRate: Rate;
      try {
        helloRate = await rate('hello-world', { url: `${hello.base}/`, connections: CONNECTIONS });
      } finally {
        await hello.stop();
      }
      latencies.push(`GET /me ${me.p50}/${me.p99}`, `hello-world ${helloRate.p50}/${helloRate.p99}`);
      const baselineLabel = 'bare Fastify hello-world req/s';
      const ceilingLabel = 'ceiling: bare Fastify running only the statements of GET /me (raw driver, no token check, no framework), SQLite';
      report.add(
        baselineFigure(baselineLabel, helloRate.rps, 'req/s'),
        baselineFigure(ceilingLabel, ceiling.rps, 'req/s'),
        relativeFigure('GET /api/v2/me req/s (SQLite)', me.rps, 'req/s', ceiling.rps, ceilingLabel, 0.85),
        referenceFigure('GET /api/v2/me req/s (SQLite), against hello-world', me.rps, 'req/s', helloRate.rps, baselineLabel),
        referenceFigure(`${ceilingLabel}, against hello-world`, ceiling.rps, 'req/s', helloRate.rps, baselineLabel),
      );
    }

    const { peak } = rss.stop();
    report.add(boundedFigure(`peak RSS of the service under the sessions loads (${ONLY ?? 'login, refresh, me'})`, peak, 'MB', { max: 300 }));
    console.log(`\nlatency p50/p99 ms, and the baseline's two halves:\n  ${latencies.join('\n  ')}`);
  } finally {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await runBench(main);
