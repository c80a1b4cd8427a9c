/**
 * Issue 13 "Speed": `GET /api/v2/users?limit=50` on SQLite at 10 connections, as a tenant admin
 * (a bearer token), over 60 users who each hold two groups, two client tags, two allow-list
 * entries and a plan, so every kind of child row is on the page.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/users-page.js
 *   BENCH_BASELINE=<dir> node dist/bench/users-page.js
 *
 * BENCH_BASELINE names another build of the service (a directory holding its `bin/serve` and
 * `dist/`), or several, comma-separated (each measured in turn, in that order, before ours in
 * every round), e.g. main's, copied into `bench-baseline/` of this checkout (ignored by git and
 * ESLint) so that it resolves the same node_modules:
 *
 *   git checkout <base> && npm run build && mkdir -p bench-baseline/bin && cp -r dist bench-baseline/ \
 *     && cp bin/serve bench-baseline/bin/ && git checkout - && npm run build
 *   BENCH_BASELINE=bench-baseline node dist/bench/users-page.js
 *
 * Both services then run on their own copy of the same seeded data, and are measured in turn,
 * baseline first, BENCH_ROUNDS times (default 3), so that the machine's load weighs on both
 * alike; the figures are the ratios of the medians, of requests per second and of the
 * service's CPU time per request. The two answers are compared byte for byte first (but for
 * the sealed next-page cursor): a faster page that says something else fails the benchmark.
 *
 * Environment: BENCH_PAGE_DURATION (seconds per measurement, default 5, after a 1 s warm-up),
 * BENCH_ROUNDS, BENCH_BASELINE, BENCH_CPU_PROF (a directory: the measured service runs with
 * --cpu-prof; summarise with dist/bench/cpuprofile-top.js), BENCH_RESULTS_JSON (see lib.ts).
 */
import autocannon, { type Options } from 'autocannon';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  OPERATOR, api, baselineFigure, createTenant, createUsers, login, referenceFigure, runBench, startService, type Child, type Report,
} from './lib.js';

const SECONDS = Number(process.env.BENCH_PAGE_DURATION ?? '5');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '3');
const CONNECTIONS = 10;
const USERS = 60;
const PASSWORD = 'Bench-Password-2024';
const ADMIN_EMAIL = 'admin@page.example.com';
const PAGE = '/api/v2/users?limit=50';

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/**
 * Requests per second, and the service's CPU time per request: on a machine shared with other
 * work the rate follows the scheduler, while the CPU a request costs the service does not.
 */
async function measure(label: string, options: Options, pid: number): Promise<{ rps: number; cpuUs: number }> {
  await autocannon({ ...options, duration: 1 });
  const before = cpuSeconds(pid);
  const result = await autocannon({ ...options, duration: SECONDS });
  const cpu = cpuSeconds(pid) - before;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${label}: ${result.non2xx} non-2xx replies, ${result.errors} errors`);
  return { rps: result.requests.total / SECONDS, cpuUs: (cpu / result.requests.total) * 1e6 };
}

/** The tenant, its groups and plans, the admin and the users; the admin's bearer header. */
async function seedService(base: string): Promise<Record<string, string>> {
  const tenant = await createTenant(base, 'bench-page');
  const as = { ...OPERATOR, 'x-tenant-id': tenant.id };
  const groups: string[] = [];
  for (const [i, permissions] of [['users:read'], ['users:read', 'groups:read'], ['plans:read'], ['sessions:read', 'audit:read']].entries()) {
    groups.push(((await api(base, 'POST', '/api/v2/groups', { name: `Group ${i}`, permissions }, as)) as { id: string }).id);
  }
  const plans: string[] = [];
  for (let i = 0; i < 3; i++) plans.push(((await api(base, 'POST', '/api/v2/plans', { name: `Plan ${i}`, sessionsLimit: 5 + i }, as)) as { id: string }).id);
  await createUsers(base, tenant.id, [{ email: ADMIN_EMAIL, password: PASSWORD, admin: true }]);
  await createUsers(
    base,
    tenant.id,
    Array.from({ length: USERS }, (_, i) => ({
      email: `user${i}@page.example.com`,
      firstName: 'Bench',
      lastName: `User ${i}`,
      phone: `+4930123${String(i).padStart(4, '0')}`,
      groups: [groups[i % 4], groups[(i + 1) % 4]],
      clientTags: [`tag-${i % 5}`, 'bench'],
      ipWhitelist: [`10.0.${i}.0/24`, '192.168.1.1'],
      plans: [{ planId: plans[i % 3], validTo: i % 2 ? '2099-12-31' : undefined }],
      enterprise: { department: `Dept ${i % 7}`, employeeNumber: `E${i}` },
    })),
    CONNECTIONS,
  );
  return { authorization: `Bearer ${(await login(base, tenant.slug, ADMIN_EMAIL, PASSWORD)).accessToken}` };
}

async function fetchPage(base: string, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${base}${PAGE}`, { headers });
  const text = await res.text();
  if (!res.ok) throw new Error(`${PAGE}: ${res.status} ${text}`);
  return text;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'identity-bench-page-'));
  const baselineDirs = (process.env.BENCH_BASELINE ?? '').split(',').filter(Boolean).map((dir) => resolve(dir));
  console.log(`users-page benchmark: ${SECONDS} s per measurement, ${ROUNDS} round(s), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const children: Child[] = [];
  try {
    // Seed once, through the service under test, then give each side a copy of the file.
    const seedDb = join(dir, 'seed.sqlite');
    const seeder = await startService({ databaseUrl: `sqlite:${seedDb}` });
    const headers = await seedService(seeder.base);
    await seeder.stop();
    copyFileSync(seedDb, join(dir, 'ours.sqlite'));
    const ours = await startService({ databaseUrl: `sqlite:${join(dir, 'ours.sqlite')}`, cpuProfDir: process.env.BENCH_CPU_PROF });
    children.push(ours);
    const baselines: { name: string; child: Child }[] = [];
    for (const [i, baselineDir] of baselineDirs.entries()) {
      copyFileSync(seedDb, join(dir, `baseline-${i}.sqlite`));
      const child = await startService({ databaseUrl: `sqlite:${join(dir, `baseline-${i}.sqlite`)}`, root: baselineDir });
      children.push(child);
      baselines.push({ name: baselineDirs.length > 1 ? `baseline ${baselineDir.split('/').at(-1)}` : 'baseline', child });
      // The answers must be the same bytes but for the next-page cursor, which is sealed with a
      // fresh nonce each time (the two are read at the same moment of the day).
      const [mine, theirs] = [await fetchPage(ours.base, headers), await fetchPage(child.base, headers)].map((text) =>
        text.replace(/"nextCursor":"[^"]*"/, '"nextCursor":"…"'),
      ) as [string, string];
      if (mine !== theirs) {
        let at = 0;
        while (mine[at] === theirs[at]) at++;
        throw new Error(`the page differs from the baseline's at byte ${at}:\nours     …${mine.slice(at - 100, at + 200)}\nbaseline …${theirs.slice(at - 100, at + 200)}`);
      }
      console.log(`  ${baselines.at(-1)!.name}: both answers are the same ${mine.length} bytes (but for the cursor)`);
    }
    const options = (base: string): Options => ({ url: `${base}${PAGE}`, connections: CONNECTIONS, headers });
    type Measured = { rps: number; cpuUs: number };
    const mine: Measured[] = [];
    const base: Measured[][] = baselines.map(() => []);
    const show = (m: Measured) => `${m.rps.toFixed(0)} req/s, ${m.cpuUs.toFixed(0)} µs CPU/req`;
    for (let round = 0; round < ROUNDS; round++) {
      const line: string[] = [];
      for (const [i, { name, child }] of baselines.entries()) {
        base[i]!.push(await measure(name, options(child.base), child.pid));
        line.push(`${name} ${show(base[i]!.at(-1)!)}`);
      }
      mine.push(await measure('ours', options(ours.base), ours.pid));
      console.log(`  round ${round + 1}: ${[...line, `ours ${show(mine.at(-1)!)}`].join('; ')}; load average ${loadavg()[0]!.toFixed(2)}`);
    }
    const figure = `GET ${PAGE}, SQLite, 10 conns, 50 users with groups, tags, allow-lists and plans (median of ${ROUNDS})`;
    const rates = (side: Measured[]) => median(side.map((m) => m.rps));
    const cpu = (side: Measured[]) => median(side.map((m) => m.cpuUs));
    for (const [i, { name }] of baselines.entries()) {
      report.add(baselineFigure(`${figure}, req/s, ${name} build`, rates(base[i]!), 'req/s'));
      report.add(referenceFigure(`${figure}, req/s, against the ${name} build`, rates(mine), 'req/s', rates(base[i]!), `the ${name} build, same run`));
      report.add(baselineFigure(`${figure}, service CPU per request, ${name} build`, cpu(base[i]!), 'µs'));
      report.add(referenceFigure(`${figure}, service CPU per request, against the ${name} build`, cpu(mine), 'µs', cpu(base[i]!), `the ${name} build, same run`));
    }
    if (!baselines.length) {
      report.add(baselineFigure(`${figure}, req/s`, rates(mine), 'req/s'));
      report.add(baselineFigure(`${figure}, service CPU per request`, cpu(mine), 'µs'));
    }
  } finally {
    for (const child of children.reverse()) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await runBench(main);
