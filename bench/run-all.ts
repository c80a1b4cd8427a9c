/**
 * Every benchmark, one after the other, each in its own process, and one table of all their
 * figures written to bench/RESULTS.md (overwritten) and printed:
 *
 *   npm run bench          (= npx tsc -p tsconfig.json && node dist/bench/run-all.js)
 *
 * Each benchmark appends its figures to a JSON-lines file named by BENCH_RESULTS_JSON as it
 * measures them (bench/lib.ts), so a benchmark that exits 1 because it missed a target still
 * has all its rows in the table (met: no), and one that crashes keeps what it measured before
 * and is reported as crashed, with the end of its error output. The run exits 1 when a
 * benchmark crashed; missed targets show in the table.
 *
 * The environment passes through: BENCH_DURATION, BENCH_USERS_SCALE (users-list runs at full
 * size, 1,000,000 + 4 × 100,000 users, unless told otherwise), BENCH_CONNECTIONS,
 * BENCH_GET_USERS, BENCH_MYSQL_URL, BENCH_REDIS_URL, BENCH_BUFFER_POOL_MB, UV_THREADPOOL_SIZE.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { CRASHED, DURATION, MYSQL_SERVER, WARMUP_SECONDS, markdownTable, type Figure } from './lib.js';

const BENCHES = ['users-get', 'sessions', 'peers', 'instances', 'webhooks', 'users-list', 'scim', 'import', 'console'] as const;
const RESULTS = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
/** The variables that change what is measured, shown in the command line of the header. */
const SHOWN_VARIABLES = [
  'BENCH_DURATION',
  'BENCH_PEER_DURATION',
  'BENCH_USERS_SCALE',
  'BENCH_CONNECTIONS',
  'BENCH_GET_USERS',
  'BENCH_ONLY',
  'BENCH_MYSQL_URL',
  'BENCH_REDIS_URL',
  'BENCH_BUFFER_POOL_MB',
  'UV_THREADPOOL_SIZE',
];

interface Outcome {
  name: string;
  rows: Figure[];
  status: 'ok' | 'targets missed' | 'crashed';
  exit: string;
  seconds: number;
  /** The last lines the benchmark wrote to stderr. */
  errorTail: string[];
}

/** Machine-specific paths out of what goes into the file. */
const scrub = (text: string): string => text.split(REPO).join('.').split(tmpdir()).join('<tmp>');

async function runBenchmark(name: string, resultsFile: string): Promise<Outcome> {
  console.log(`\n==================== ${name} ====================`);
  const started = performance.now();
  const child = spawn(process.execPath, [fileURLToPath(new URL(`./${name}.js`, import.meta.url))], {
    env: { ...process.env, BENCH_RESULTS_JSON: resultsFile },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const errorTail: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    errorTail.push(...chunk.toString().split('\n').filter((line) => line.trim() !== ''));
    errorTail.splice(0, Math.max(0, errorTail.length - 15));
  });
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  const rows = existsSync(resultsFile)
    ? readFileSync(resultsFile, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Figure)
    : [];
  const missed = rows.some((r) => r.met === false);
  // A clean exit with no figures measured nothing: count it as a crash too.
  const status = code === 0 && rows.length > 0 ? 'ok' : code === 1 && missed ? 'targets missed' : 'crashed';
  const exit = signal ? `killed by ${signal}` : `exit code ${code}${code === CRASHED ? ', failed to measure' : ''}`;
  return { name, rows, status, exit, seconds: (performance.now() - started) / 1000, errorTail };
}

function git(...args: string[]): string | undefined {
  const result = spawnSync('git', args, { cwd: REPO, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

async function databaseVersion(): Promise<string> {
  try {
    const conn = await createConnection(MYSQL_SERVER);
    const [rows] = await conn.query<RowDataPacket[]>('SELECT VERSION() AS v');
    await conn.end();
    return String(rows[0]!.v);
  } catch (error) {
    return `unreachable (${(error as Error).message})`;
  }
}

function commandLine(): string {
  const variables = SHOWN_VARIABLES.filter((name) => process.env[name] !== undefined).map((name) => {
    // A password in the server URL stays out of the file.
    const value = process.env[name]!.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@');
    return `${name}=${value}`;
  });
  const command = process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'node dist/bench/run-all.js';
  return [...variables, command].join(' ');
}

function report(outcomes: Outcome[], header: { date: Date; mariadb: string; commit: string }): string {
  const cpuList = cpus();
  const rows = outcomes.flatMap((o) => o.rows.map((row) => ({ bench: o.name, row })));
  const goals = rows.filter(({ row }) => row.met !== null);
  const missed = goals.filter(({ row }) => row.met === false);
  const crashed = outcomes.filter((o) => o.status === 'crashed');
  const lines = [
    '# Benchmark results',
    '',
    `- date: ${header.date.toISOString()}`,
    `- command: \`${commandLine()}\``,
    `- node: ${process.version}`,
    `- CPU: ${cpuList.length} × ${cpuList[0]?.model.trim() ?? 'unknown'}; memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- MariaDB: ${header.mariadb}`,
    `- service: commit ${header.commit}`,
    `- benchmarks: ${outcomes.map((o) => `${o.name} ${o.status === 'crashed' ? '**CRASHED**' : o.status} (${o.seconds.toFixed(0)} s)`).join(', ')}`,
    `- figures: ${goals.length - missed.length} of ${goals.length} targets met, ${missed.length} missed` +
      (crashed.length ? `; ${crashed.length} benchmark(s) crashed, their figures are incomplete (below the table)` : ''),
    '',
    markdownTable(
      rows.map(({ row }) => row),
      { title: 'bench', cell: (_, i) => rows[i]!.bench },
    ),
    '',
    '## How the figures are measured',
    '',
    '- The service runs as it ships, `bin/serve` (`dist/src/main.js` with its memory settings) with `LOG_LEVEL=warn`, in a process of its own; the load',
    '  generator (autocannon) and the raw-driver and argon2id baselines run in the benchmark process, and the bare',
    '  Fastify hello-world (`bench/hello-server.ts`) in a third. Everything shares the machine above.',
    `- Each rate is measured for ${DURATION} s after a ${WARMUP_SECONDS} s warm-up; a non-2xx reply fails the benchmark.`,
    '- ratio = measured / baseline. Baselines are measured in the same run, beside the figure they serve.',
    '- users-get: `GET /api/v2/users/{id}` as a tenant admin (bearer token), 10 connections cycling through the',
    '  seeded users, on SQLite then on a fresh MariaDB database. Raw point selects: `SELECT * FROM users WHERE id = ?`',
    '  as a prepared statement, better-sqlite3 on the service\'s SQLite file (read-only) and mysql2 `pool.execute`',
    '  10 at a time. RSS is the service\'s VmRSS (`/proc/<pid>/status`), every 150 ms under load; idle readings are',
    '  taken after 5 s without requests.',
    '- sessions: logins at twice the libuv threadpool in connections against argon2id verifications at the',
    '  service\'s parameters, as many at a time as the threadpool, in the benchmark process (averaged before and',
    '  after); refresh grants with rotating tokens; `GET /api/v2/me` against the hello-world. SQLite.',
    '- peers: the service beside better-auth (admin and bearer plugins, SQLite, its own process) on the same',
    '  users created through each one\'s API: `/me` vs `get-session`, a user by id, a 50-user page, password login;',
    '  ratio = ours / peer, the two sides of a row measured one after the other (BENCH_PEER_DURATION s each).',
    '- instances: two services side by side, alike but for one setting, measured in turn twice each and averaged:',
    '  logins with the per-IP limit in Redis (`REDIS_URL`) against the limit in memory; `GET /api/v2/me` with',
    '  metrics on (`METRICS_PORT`) against metrics off. SQLite; Redis on the same machine.',
    '- webhooks: deliveries/s draining a backlog to a receiver on loopback (a bare POST loop for scale); user creates',
    '  with an endpoint on user.* against none; a read\'s p99 while 100,000 pending deliveries drain against idle. SQLite.',
    '- users-list: p99 latency on MariaDB, with the tenant sizes shown in the figures, beside a raw mysql2',
    '  point select\'s p99 at the same concurrency.',
    '- scim: on the users-list data, `GET /scim/v2/Users?filter=userName eq "…"` p99 at 10 connections beside the same lookup',
    '  through `/api/v2/users?filter[email]=`; a group PATCH adding 1,000 members (the slowest of five) beside a raw',
    '  multi-row INSERT of the same 1,000 membership rows.',
    '- import: BENCH_IMPORT_USERS users (default 1,000,000) with bcrypt hashes streamed to `POST /api/v2/users/import`',
    '  into a fresh SQLite and MariaDB database, beside raw-driver INSERTs of 500; the export of them; the same file',
    '  again (all unchanged) against the first import\'s rate; the service\'s peak RSS over the three.',
  ];
  for (const o of crashed) {
    lines.push('', `## ${o.name} crashed (${o.exit})`, '', 'The end of its error output:', '', '```', ...o.errorTail.map(scrub), '```');
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const date = new Date();
  const dir = mkdtempSync(join(tmpdir(), 'identity-bench-results-'));
  const outcomes: Outcome[] = [];
  try {
    for (const name of BENCHES) outcomes.push(await runBenchmark(name, join(dir, `${name}.jsonl`)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const head = git('rev-parse', '--short', 'HEAD') ?? 'unknown';
  const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'src') ? ' (with uncommitted changes under src/)' : '';
  const text = report(outcomes, { date, mariadb: await databaseVersion(), commit: `${head}${dirty}` });
  writeFileSync(RESULTS, text);
  console.log(`\n${text}\nwritten to bench/RESULTS.md`);
  if (outcomes.some((o) => o.status === 'crashed')) process.exitCode = 1;
}

await main();
