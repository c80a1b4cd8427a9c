/**
 * What the benchmarks share: starting the service (and the hello-world baseline) as their own
 * processes, seeding through the API, measuring with autocannon or with a timed loop in this
 * process, reading the service's RSS, and the one row format every figure is reported in.
 *
 * Environment read here: BENCH_DURATION (seconds per measurement, default 10; each follows a
 * 2 s warm-up), BENCH_MYSQL_URL (MariaDB/MySQL server, default mysql://root@127.0.0.1:3306),
 * BENCH_RESULTS_JSON (a file: every figure is appended to it as a JSON line; set by
 * bench/run-all.ts).
 */
import autocannon, { type Options } from 'autocannon';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const DURATION = Number(process.env.BENCH_DURATION ?? '10');
export const WARMUP_SECONDS = 2;
export const MYSQL_SERVER = (process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
export const ADMIN_KEY = 'bench-operator-key-0123456789';
export const OPERATOR = { 'x-admin-key': ADMIN_KEY };
export const JSON_HEADERS = { 'content-type': 'application/json' };
/**
 * Fixed, so that a database a benchmark keeps between runs (users-list) can still decrypt the
 * signing key it stored the first time.
 */
export const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
/** The exit code of a benchmark that failed to measure (a missed target exits 1). */
export const CRASHED = 2;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

// ------------------------------------------------------------------------------ processes

export interface Child {
  base: string;
  pid: number;
  /** What the process wrote so far, when started with `captureOutput`. */
  output: () => string;
  stop: () => Promise<void>;
}

export interface ChildOptions {
  /** `{port}` in an argument is replaced by the port the child is given. */
  args?: string[];
  env?: Record<string, string>;
  /** The path that must answer 200 before the child counts as up. */
  probe: string;
  nodeArgs?: string[];
  /** Keep stdout and stderr (instead of passing them through). */
  captureOutput?: boolean;
}

/**
 * Starts a compiled script (path relative to dist/bench) as its own node process on a free
 * port; `launcher` runs it through a shell script that execs node instead (the pid stays node's).
 */
export async function startChild(script: string, options: ChildOptions & { launcher?: string }): Promise<Child> {
  const port = await freePort();
  const path = fileURLToPath(new URL(script, import.meta.url));
  const args = (options.args ?? []).map((a) => a.replace('{port}', String(port)));
  const [command, argv] = options.launcher
    ? ['sh', [options.launcher, ...(options.nodeArgs ?? [])]]
    : [process.execPath, [...(options.nodeArgs ?? []), path, ...args]];
  const child = spawn(command, argv, {
    env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', options.captureOutput ? 'pipe' : 'inherit', options.captureOutput ? 'pipe' : 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const base = `http://127.0.0.1:${port}`;
  // The first start on a fresh database runs every migration.
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with code ${child.exitCode}\n${output}`);
    if (await fetch(`${base}${options.probe}`).then((res) => res.ok, () => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${script} did not come up\n${output}`);
    }
    await sleep(200);
  }
  return { base, pid: child.pid!, output: () => output, stop };
}

export interface ServiceOptions {
  databaseUrl: string;
  /** A directory: the service runs with --cpu-prof and writes its profile there on exit. */
  cpuProfDir?: string;
  captureOutput?: boolean;
  /** More environment for the service (REDIS_URL, METRICS_PORT, …). */
  env?: Record<string, string>;
  /** Another build of the service to run instead of this one: a directory holding its bin/serve and dist/. */
  root?: string;
}

/**
 * The build of the service a benchmark runs: this checkout's, or BENCH_SERVICE_ROOT's (a
 * directory holding another build's bin/serve and dist/, e.g. main's copied into this
 * checkout), to measure a baseline with the same benchmark.
 */
const SERVICE_ROOT = process.env.BENCH_SERVICE_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));

/** The service as it ships (bin/serve: dist/src/main.js), LOG_LEVEL=warn, login rate limit out of the way. */
export function startService(options: ServiceOptions): Promise<Child> {
  return startChild('../src/main.js', {
    launcher: join(options.root ?? SERVICE_ROOT, 'bin/serve'),
    env: {
      DATABASE_URL: options.databaseUrl,
      ADMIN_API_KEY: ADMIN_KEY,
      ENCRYPTION_KEY,
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT: '100000',
      ...options.env,
    },
    probe: '/health',
    nodeArgs: options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : [],
    captureOutput: options.captureOutput,
  });
}

/** The bare Fastify hello-world of bench/hello-server.ts, in its own process. */
export function startHelloWorld(): Promise<Child> {
  return startChild('./hello-server.js', { args: ['{port}'], probe: '/' });
}

/**
 * The ceiling of bench/reads-server.ts: bare Fastify running only the service's statements for
 * an authenticated read, on the raw driver, against the service's database.
 */
export function startReadsCeiling(databaseUrl: string): Promise<Child> {
  return startChild('./reads-server.js', { args: ['{port}', databaseUrl], probe: '/health' });
}

/** The NestJS-on-Fastify hello-world of bench/nest-hello-server.ts, in its own process. */
export function startNestHelloWorld(): Promise<Child> {
  return startChild('./nest-hello-server.js', { args: ['{port}'], probe: '/' });
}

// ---------------------------------------------------------------------------------- API

export async function api(base: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(`${base}${path}`, { method, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export async function createTenant(base: string, slug: string): Promise<{ id: string; slug: string }> {
  return api(base, 'POST', '/api/v2/tenants', { slug, name: slug }, OPERATOR);
}

/** Creates the users as the operator, `concurrency` requests at a time; their ids in order. */
export async function createUsers(base: string, tenantId: string, bodies: object[], concurrency = 1): Promise<string[]> {
  const ids: string[] = new Array<string>(bodies.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        ids[i] = ((await api(base, 'POST', '/api/v2/users', bodies[i], { ...OPERATOR, 'x-tenant-id': tenantId })) as { id: string }).id;
      }
    }),
  );
  return ids;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export function login(base: string, tenant: string, email: string, password: string): Promise<Tokens> {
  return api(base, 'POST', '/api/v2/auth/login', { tenant, email, password });
}

// -------------------------------------------------------------------------- measurement

export interface Rate {
  rps: number;
  p50: number;
  p99: number;
}

/**
 * autocannon: a warm-up, then a measured run of BENCH_DURATION; any non-2xx reply or socket
 * error fails the benchmark. `beforeEach` runs before the warm-up and before the measured run.
 */
export async function rate(label: string, options: Options, beforeEach?: () => Promise<void>): Promise<Rate> {
  await beforeEach?.();
  await autocannon({ ...options, duration: WARMUP_SECONDS });
  await beforeEach?.();
  const result = await autocannon({ ...options, duration: DURATION });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${label}: ${result.non2xx} non-2xx replies, ${result.errors} errors`);
  return { rps: result.requests.total / DURATION, p50: result.latency.p50, p99: result.latency.p99 };
}

export interface LoopResult {
  perSecond: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

/**
 * Calls `operation` from `concurrency` callers at once, in this process, for a warm-up and then
 * for `seconds`: calls per second and their latency. `operation` gets a running call number.
 */
export async function measureLoop(concurrency: number, seconds: number, operation: (n: number) => Promise<unknown>): Promise<LoopResult> {
  let n = 0;
  const run = async (duration: number): Promise<LoopResult> => {
    const samples: number[] = [];
    const started = performance.now();
    const until = started + duration * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          const t0 = performance.now();
          await operation(n++);
          samples.push(performance.now() - t0);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    samples.sort((a, b) => a - b);
    return { perSecond: samples.length / elapsed, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
  };
  await run(WARMUP_SECONDS);
  return run(seconds);
}

/** A raw point select as the baseline of a read: the same statement the service's lookup boils down to. */
export const POINT_SELECT = 'SELECT * FROM users WHERE id = ?';

// ------------------------------------------------------------------------------------ RSS

/** Resident set size of a process, from /proc/<pid>/status (VmRSS), in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Samples a process's RSS every `intervalMs` until stopped; the peak includes a last sample at the stop. */
export function sampleRss(pid: number, intervalMs = 150): { stop: () => { peak: number; last: number; samples: number } } {
  let peak = rssMb(pid);
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
    samples += 1;
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      const last = rssMb(pid);
      return { peak: Math.max(peak, last), last, samples: samples + 1 };
    },
  };
}

/** RSS once the process has been left alone for `seconds` (sampled meanwhile, the last reading counts). */
export async function settledRss(pid: number, seconds = 5): Promise<number> {
  const sampler = sampleRss(pid);
  await sleep(seconds * 1000);
  return sampler.stop().last;
}

// --------------------------------------------------------------------------------- report

/** One measured figure, or one baseline (`target: 'baseline'`, `met: null`). */
export interface Figure {
  figure: string;
  value: number;
  unit: string;
  /** The baseline measured in the same run, or null where the target is absolute. */
  baseline: number | null;
  /** What the baseline is. */
  baselineLabel: string;
  /** value / baseline, or null without a baseline. */
  ratio: number | null;
  target: string;
  met: boolean | null;
}

const percent = (fraction: number): string => `${Math.round(fraction * 100)}%`;

/** A figure that must reach `fraction` of a baseline measured in the same run. */
export function relativeFigure(figure: string, value: number, unit: string, baseline: number, baselineLabel: string, fraction: number): Figure {
  const ratio = value / baseline;
  return { figure, value, unit, baseline, baselineLabel, ratio, target: `≥ ${percent(fraction)} of baseline`, met: ratio >= fraction };
}

/** A figure with an absolute bound; a baseline, when given, is shown beside it for scale. */
export function boundedFigure(
  figure: string,
  value: number,
  unit: string,
  bound: { max: number } | { min: number },
  baseline?: { value: number; label: string },
): Figure {
  const met = 'max' in bound ? value <= bound.max : value >= bound.min;
  const target = 'max' in bound ? `≤ ${format(bound.max)} ${unit}` : `≥ ${format(bound.min)} ${unit}`;
  return {
    figure,
    value,
    unit,
    baseline: baseline?.value ?? null,
    baselineLabel: baseline?.label ?? 'none (absolute target)',
    ratio: baseline ? value / baseline.value : null,
    target,
    met,
  };
}

/** A baseline as a row of its own. */
/** A figure shown against a baseline for scale only: it has no target of its own. */
export function referenceFigure(figure: string, value: number, unit: string, baseline: number, baselineLabel: string): Figure {
  return { figure, value, unit, baseline, baselineLabel, ratio: value / baseline, target: 'reference', met: null };
}

export function baselineFigure(figure: string, value: number, unit: string): Figure {
  return { figure, value, unit, baseline: null, baselineLabel: '—', ratio: null, target: 'baseline', met: null };
}

export function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Number.isInteger(value) || Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|');

/** The rows as a Markdown table; `first` adds a leading column (run-all: the benchmark). */
export function markdownTable(rows: Figure[], first?: { title: string; cell: (row: Figure, index: number) => string }): string {
  const header = [...(first ? [first.title] : []), 'figure', 'measured', 'baseline (what)', 'ratio', 'target', 'met'];
  const cells = rows.map((r, i) => [
    ...(first ? [first.cell(r, i)] : []),
    r.figure,
    `${format(r.value)} ${r.unit}`,
    r.baseline === null ? r.baselineLabel : `${format(r.baseline)} (${r.baselineLabel})`,
    r.ratio === null ? '—' : r.ratio.toFixed(2),
    r.target,
    r.met === null ? '—' : r.met ? 'yes' : '**no**',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => escapeCell(c[i]!).length)));
  const line = (c: string[]) => `| ${c.map((v, i) => escapeCell(v).padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...cells.map(line)].join('\n');
}

export function printTable(rows: Figure[]): void {
  console.log(`\n${markdownTable(rows)}`);
}

/** Appends the rows, one JSON line each, to the file named by BENCH_RESULTS_JSON (when set). */
export function recordFigures(rows: Figure[]): void {
  const file = process.env.BENCH_RESULTS_JSON;
  if (!file || rows.length === 0) return;
  appendFileSync(file, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** The figures of one benchmark run: each is recorded the moment it is added, so a later crash keeps it. */
export class Report {
  readonly rows: Figure[] = [];

  add(...rows: Figure[]): void {
    this.rows.push(...rows);
    recordFigures(rows);
  }
}

/**
 * Runs a benchmark and prints its table: exit code 0 when every target is met, 1 when one is
 * missed, CRASHED when the benchmark itself failed (what it measured before is still recorded).
 */
export async function runBench(main: (report: Report) => Promise<void>): Promise<void> {
  const report = new Report();
  try {
    await main(report);
  } catch (error) {
    if (report.rows.length) printTable(report.rows);
    console.error(error);
    process.exit(CRASHED);
  }
  printTable(report.rows);
  if (report.rows.some((r) => r.met === false)) process.exitCode = 1;
}
