/**
 * The sessions issue's speed figures, each printed next to a baseline measured in the same
 * run on the same machine:
 *
 *   (a) logins per second            ≥ 90 % of raw argon2id verifications per second
 *                                       (same parameters, same concurrency as the server's
 *                                       libuv threadpool, in this process)
 *   (b) refresh grants per second    ≥ 1,000
 *   (c) authenticated GET /api/v2/me ≥ 40 % of the requests per second of a bare Fastify
 *                                       hello-world, on SQLite
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
 * on exit; summarise it with dist/bench/cpuprofile-top.js).
 */
import argon2 from 'argon2';
import autocannon, { type Options } from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PASSWORD_HASH_PARAMS } from '../src/users/passwords.js';

/** The request hooks this benchmark needs, beyond what bench/autocannon.d.ts declares. */
declare module 'autocannon' {
  interface RequestSpec {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }
  interface Options {
    method?: string;
    body?: string;
    requests?: (RequestSpec & {
      setupRequest?: (request: RequestSpec) => RequestSpec;
      onResponse?: (status: number, body: string) => void;
    })[];
  }
}

const DURATION = Number(process.env.BENCH_DURATION ?? '10');
const WARMUP_SECONDS = 2;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? '10');
const THREADPOOL = Number(process.env.UV_THREADPOOL_SIZE ?? '4');
/** Twice the threadpool, so the server always has a verification queued for each thread. */
const LOGIN_CONNECTIONS = THREADPOOL * 2;
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
const ONLY = process.env.BENCH_ONLY;
const wanted = (figure: 'login' | 'refresh' | 'me'): boolean => ONLY === undefined || ONLY === figure;
const ADMIN_KEY = 'bench-operator-key-0123456789';
const PASSWORD = 'Bench-Password-2024';
const USERS = 8;
const JSON_HEADERS = { 'content-type': 'application/json' };

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

interface Child {
  base: string;
  stop: () => Promise<void>;
}

/** Starts a node script as its own process and waits until `probe` answers 200. */
async function startChild(script: string, args: string[], env: Record<string, string>, probe: string, nodeArgs: string[] = []): Promise<Child> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, fileURLToPath(new URL(script, import.meta.url)), ...args.map((a) => a.replace('{port}', String(port)))], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = once(child, 'exit');
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with code ${child.exitCode}`);
    if (await fetch(`${base}${probe}`).then((res) => res.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`${script} did not come up`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    base,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function api(base: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(`${base}${path}`, { method, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Requests per second over a measured run after a warm-up; any non-2xx reply fails the bench. */
async function rate(label: string, options: Options): Promise<{ rps: number; p50: number; p99: number }> {
  await autocannon({ ...options, duration: WARMUP_SECONDS });
  const result = await autocannon({ ...options, duration: DURATION });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${label}: ${result.non2xx} non-2xx replies, ${result.errors} errors`);
  return { rps: result.requests.total / DURATION, p50: result.latency.p50, p99: result.latency.p99 };
}

/** argon2id verifications per second in this process, `concurrency` at a time. */
async function rawVerifyRate(concurrency: number, seconds: number): Promise<number> {
  const hash = await argon2.hash(PASSWORD, PASSWORD_HASH_PARAMS);
  const run = async (duration: number): Promise<number> => {
    let count = 0;
    const started = performance.now();
    const until = started + duration * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          if (!(await argon2.verify(hash, PASSWORD))) throw new Error('verify failed');
          count += 1;
        }
      }),
    );
    return count / ((performance.now() - started) / 1000);
  };
  await run(WARMUP_SECONDS);
  return run(seconds);
}

interface Row {
  figure: string;
  value: number;
  baseline: number;
  baselineLabel: string;
  ratio: number;
  target: string;
  met: boolean;
}

function printTable(rows: Row[]): void {
  const header = ['figure', 'measured', 'baseline', 'ratio', 'target', 'met'];
  const cells = rows.map((r) => [
    r.figure,
    r.value.toFixed(0),
    `${r.baseline.toFixed(0)} (${r.baselineLabel})`,
    r.ratio.toFixed(2),
    r.target,
    r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${line(header)}\n| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'identity-bench-'));
  console.log(
    `sessions benchmark: ${DURATION} s per figure after ${WARMUP_SECONDS} s warm-up; ${CONNECTIONS} connections ` +
      `(logins: ${LOGIN_CONNECTIONS}); libuv threadpool ${THREADPOOL}; SQLite in ${dir}`,
  );
  const service = await startChild(
    '../src/main.js',
    [],
    {
      DATABASE_URL: `sqlite:${join(dir, 'identity.sqlite')}`,
      ADMIN_API_KEY: ADMIN_KEY,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT: '100000',
    },
    '/health',
    CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [],
  );
  const rows: Row[] = [];
  try {
    const base = service.base;
    const operator = { 'x-admin-key': ADMIN_KEY };
    const tenant = await api(base, 'POST', '/api/v2/tenants', { slug: 'bench-sessions', name: 'Bench' }, operator);
    const emails = Array.from({ length: USERS }, (_, i) => `bench${i}@example.com`);
    for (const email of emails) {
      await api(base, 'POST', '/api/v2/users', { email, password: PASSWORD }, { ...operator, 'x-tenant-id': tenant.id });
    }
    const loginBody = (i: number) => JSON.stringify({ tenant: tenant.slug, email: emails[i % USERS], password: PASSWORD });
    const login = async (i: number) => api(base, 'POST', '/api/v2/auth/login', JSON.parse(loginBody(i)));

    const latencies: string[] = [];

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
      rows.push({
        figure: 'logins/s',
        value: logins.rps,
        baseline: raw,
        baselineLabel: `argon2id verify/s, ${THREADPOOL} at a time`,
        ratio: logins.rps / raw,
        target: '≥ 0.90 of baseline',
        met: logins.rps >= 0.9 * raw,
      });
    }

    if (wanted('refresh')) {
      // (b) refresh grants: every request spends a refresh token and gives the next one back
      // to the pool; the pool holds more tokens than there are connections, and is topped up
      // before each run because a run's last in-flight replies are never read.
      const pool: string[] = [];
      const topUp = async () => {
        while (pool.length < CONNECTIONS * 3) {
          const batch = await Promise.all(Array.from({ length: THREADPOOL }, (_, i) => login(i)));
          pool.push(...batch.map((b: { refreshToken: string }) => b.refreshToken));
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
      await topUp();
      await autocannon({ ...refreshOptions, duration: WARMUP_SECONDS });
      await topUp();
      const result = await autocannon({ ...refreshOptions, duration: DURATION });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`refresh: ${result.non2xx} non-2xx replies, ${result.errors} errors`);
      const refreshes = result.requests.total / DURATION;
      latencies.push(`refresh ${result.latency.p50}/${result.latency.p99}`);
      rows.push({
        figure: 'refresh grants/s',
        value: refreshes,
        baseline: 1000,
        baselineLabel: 'fixed target',
        ratio: refreshes / 1000,
        target: '≥ 1,000/s',
        met: refreshes >= 1000,
      });
    }

    if (wanted('me')) {
      // (c) GET /me with a bearer token against a bare Fastify hello-world.
      const { accessToken } = (await login(0)) as { accessToken: string };
      const me = await rate('GET /me', { url: `${base}/api/v2/me`, connections: CONNECTIONS, headers: { authorization: `Bearer ${accessToken}` } });
      const hello = await startChild('./hello-server.js', ['{port}'], {}, '/');
      let helloRate: { rps: number; p50: number; p99: number };
      try {
        helloRate = await rate('hello-world', { url: `${hello.base}/`, connections: CONNECTIONS });
      } finally {
        await hello.stop();
      }
      latencies.push(`GET /me ${me.p50}/${me.p99}`, `hello-world ${helloRate.p50}/${helloRate.p99}`);
      rows.push({
        figure: 'GET /api/v2/me req/s',
        value: me.rps,
        baseline: helloRate.rps,
        baselineLabel: 'bare Fastify hello-world req/s',
        ratio: me.rps / helloRate.rps,
        target: '≥ 0.40 of baseline',
        met: me.rps >= 0.4 * helloRate.rps,
      });
    }

    printTable(rows);
    console.log(`\nlatency p50/p99 ms, and the baseline's two halves:\n  ${latencies.join('\n  ')}`);
  } finally {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (rows.some((r) => !r.met)) process.exitCode = 1;
}

await main();
