/**
 * The webhooks issue's speed figures (issue 17), each beside a baseline measured in the same run:
 *
 *   (a) deliveries per second to a receiver on loopback        ≥ 1,000 /s
 *       (baseline, for scale: the same POSTs sent by a bare loop in this process)
 *   (b) POST /api/v2/users per second with an endpoint subscribed to user.*, its deliveries
 *       being sent meanwhile                                    ≥ 90 % of the same with no endpoint
 *   (c) GET /api/v2/users/{id} p99 while 100,000 pending deliveries drain
 *                                                               ≤ 2 × the p99 with the outbox idle
 *
 *   npx tsc -p tsconfig.json && node dist/bench/webhooks.js      (npm run bench:webhooks)
 *
 * The service runs as it ships (bin/serve, SQLite file in a temporary directory, LOG_LEVEL=warn)
 * in its own process; the receiver (answers 200 at once), the load loops and the baselines run in
 * this one. Backlogs are written straight into the outbox table while the service is stopped:
 * copies of a real delivery, each about another user, so none waits on another's order.
 * Figures go to bench/WEBHOOKS.md with the machine's load average.
 *
 * Environment: BENCH_DURATION (seconds per rate, default 10), BENCH_WEBHOOK_BACKLOG (default
 * 100,000), BENCH_RESULTS_JSON (see lib.ts).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  DURATION, OPERATOR, WARMUP_SECONDS, api, baselineFigure, boundedFigure, createTenant, markdownTable, measureLoop, referenceFigure, relativeFigure, runBench, sleep,
  startService, type Child, type Report,
} from './lib.js';

const BACKLOG = Number(process.env.BENCH_WEBHOOK_BACKLOG ?? '100000');
const RESULTS = fileURLToPath(new URL('../../bench/WEBHOOKS.md', import.meta.url));
const CONCURRENCY = 8;

/** A receiver that counts what it is sent and answers 200 at once. */
async function startReceiver(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    count: () => received,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The ceiling of (a): the same POSTs from a bare loop, 200 at a time like the dispatcher's rounds. */
async function rawPostRate(url: string, body: string, seconds: number): Promise<number> {
  const agent = new Agent({ keepAlive: true });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  const result = await measureLoop(200, seconds, post);
  agent.destroy();
  return result.perSecond;
}

/** Copies the tenant's one delivery `n` times as pending, each with an ordering key of its own. */
function writeBacklog(file: string, n: number, prefix: string): void {
  const db = new Database(file);
  try {
    const template = db.prepare(`SELECT * FROM webhook_deliveries ORDER BY id LIMIT 1`).get() as Record<string, unknown>;
    if (!template) throw new Error('no delivery to copy');
    const insert = db.prepare(
      `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, ordering_key, payload, status, attempts, next_attempt_at,
        lease_until, lease_owner, last_attempt_at, last_status_code, last_error, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, NULL, NULL, NULL, NULL, NULL, ?, ?)`,
    );
    const fill = db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const id = `${prefix}-${String(i).padStart(9, '0')}`;
        insert.run(id, template.tenant_id, template.endpoint_id, template.event_id, template.event_type, id, template.payload, template.next_attempt_at, template.created_at, template.updated_at);
      }
    });
    fill();
  } finally {
    db.close();
  }
}

function pending(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return Number((db.prepare(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'`).get() as { n: number }).n);
  } finally {
    db.close();
  }
}

async function main(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'identity-bench-webhooks-'));
  const file = join(dir, 'identity.sqlite');
  const databaseUrl = `sqlite:${file}`;
  const env = { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
  const receiver = await startReceiver();
  const load = [loadavg().map((l) => l.toFixed(2)).join(' ')];
  let service: Child | null = null;
  console.log(`webhooks benchmark: ${DURATION} s per rate after ${WARMUP_SECONDS} s warm-up; backlog ${BACKLOG}; SQLite in ${dir}`);
  try {
    // ---- setup: a tenant with an endpoint, one real delivery, a user to read.
    service = await startService({ databaseUrl, env: { ...env, WEBHOOK_DISPATCH: 'false' } });
    const tenant = await createTenant(service.base, 'bench-webhooks');
    const headers = { ...OPERATOR, 'x-tenant-id': tenant.id };
    await api(service.base, 'POST', '/api/v2/webhooks', { url: receiver.url, events: ['user.*'] }, headers);
    const reader = (await api(service.base, 'POST', '/api/v2/users', { email: 'reader@example.com', admin: true }, headers)) as { id: string };
    await service.stop();
    service = null;

    // ---- (a) deliveries per second: a backlog of 20 s worth at the target, drained.
    const burst = Math.min(BACKLOG, 20_000);
    writeBacklog(file, burst, 'burst');
    const payload = (() => {
      const db = new Database(file, { readonly: true });
      const row = db.prepare(`SELECT payload FROM webhook_deliveries LIMIT 1`).get() as { payload: string };
      db.close();
      return row.payload;
    })();
    const rawRate = await rawPostRate(receiver.url, payload, DURATION);
    const before = receiver.count();
    service = await startService({ databaseUrl, env });
    while (receiver.count() === before) await sleep(5);
    const started = performance.now();
    const first = receiver.count();
    while (receiver.count() - before < burst + 1) await sleep(20);
    const seconds = (performance.now() - started) / 1000;
    const deliveryRate = (receiver.count() - first) / seconds;
    report.add(
      baselineFigure('bare POST loop to the same receiver (200 at a time)', rawRate, 'req/s'),
      boundedFigure(`deliveries/s draining ${burst.toLocaleString('en-US')} pending`, deliveryRate, '/s', { min: 1000 }, { value: rawRate, label: 'bare POST loop' }),
    );
    load.push(loadavg().map((l) => l.toFixed(2)).join(' '));

    // ---- (b) POST /api/v2/users with and without an endpoint, measured in turn twice each: first on
    // an instance that only writes the outbox (WEBHOOK_DISPATCH=false), to show that part of the
    // cost, then on one that also sends the deliveries (the figure with a target).
    const plain = await createTenant(service.base, 'bench-webhooks-none');
    const plainHeaders = { ...OPERATOR, 'x-tenant-id': plain.id };
    let n = 0;
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const compare = async (base: string) => {
      const createIn = (h: Record<string, string>) => () => api(base, 'POST', '/api/v2/users', { email: `u${n++}@example.com`, firstName: 'Bench' }, h);
      const rates = { without: [] as number[], with: [] as number[] };
      for (let round = 0; round < 2; round++) {
        rates.without.push((await measureLoop(CONCURRENCY, DURATION / 2, createIn(plainHeaders))).perSecond);
        rates.with.push((await measureLoop(CONCURRENCY, DURATION / 2, createIn(headers))).perSecond);
      }
      return { without: avg(rates.without), with: avg(rates.with) };
    };
    await service.stop();
    service = await startService({ databaseUrl, env: { ...env, WEBHOOK_DISPATCH: 'false' } });
    const outboxOnly = await compare(service.base);
    report.add(
      baselineFigure('POST /api/v2/users, no endpoint (instance not sending)', outboxOnly.without, 'req/s'),
      referenceFigure('POST /api/v2/users, an endpoint on user.*, outbox written but not sent', outboxOnly.with, 'req/s', outboxOnly.without, 'no endpoint'),
    );
    await service.stop();
    service = await startService({ databaseUrl, env });
    const base = service.base;
    const sending = await compare(base);
    report.add(
      baselineFigure('POST /api/v2/users, no endpoint', sending.without, 'req/s'),
      relativeFigure('POST /api/v2/users, an endpoint on user.* (delivering meanwhile)', sending.with, 'req/s', sending.without, 'no endpoint', 0.9),
    );
    while (pending(file) > 0) await sleep(100);
    load.push(loadavg().map((l) => l.toFixed(2)).join(' '));

    // ---- (c) read p99 idle, then while a backlog of BACKLOG drains.
    const read = () => api(base, 'GET', `/api/v2/users/${reader.id}`, undefined, headers);
    const idle = await measureLoop(CONCURRENCY, DURATION, read);
    await service.stop();
    service = null;
    writeBacklog(file, BACKLOG, 'backlog');
    service = await startService({ databaseUrl, env });
    const drainStart = performance.now();
    const readBase = service.base;
    const busy = await measureLoop(CONCURRENCY, DURATION, () => api(readBase, 'GET', `/api/v2/users/${reader.id}`, undefined, headers));
    const left = pending(file);
    while (pending(file) > 0) await sleep(250);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    report.add(
      baselineFigure('GET /api/v2/users/{id} p99, outbox idle', idle.p99, 'ms'),
      boundedFigure(`GET /api/v2/users/{id} p99 while ${BACKLOG.toLocaleString('en-US')} pending drain (${left.toLocaleString('en-US')} left after the measurement)`, busy.p99, 'ms', { max: 2 * idle.p99 }, { value: idle.p99, label: 'outbox idle' }),
      baselineFigure(`time to drain ${BACKLOG.toLocaleString('en-US')} pending deliveries (with the reads)`, drainSeconds, 's'),
      baselineFigure('GET /api/v2/users/{id} rate while draining (idle, for scale)', busy.perSecond, `req/s (idle ${Math.round(idle.perSecond)})`),
    );
    load.push(loadavg().map((l) => l.toFixed(2)).join(' '));
  } finally {
    await service?.stop();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(
    RESULTS,
    [
      '# Webhooks benchmark (issue 17)',
      '',
      `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, \`npm run bench:webhooks\`, BENCH_DURATION=${DURATION}.`,
      `Load average (1, 5, 15 min) at the start and after each part: ${load.join(' → ')}. The machine was shared with`,
      'other work during the run, so the absolute figures are low; the ratios are what to compare.',
      '',
      markdownTable(report.rows),
      '',
      '- The service: `bin/serve` on SQLite, one process; the receiver, the load loops and the bare POST loop run in the',
      '  benchmark process. Deliveries are signed (Standard Webhooks, HMAC-SHA256) and recorded as for any endpoint.',
      `- (a) ${Math.min(BACKLOG, 20_000).toLocaleString('en-US')} pending deliveries written into the outbox while the service was stopped, timed from`,
      '  the first delivery received to the last.',
      `- (b) ${CONCURRENCY} callers creating users, with and without an endpoint subscribed to user.*, ${DURATION / 2} s each, in turn twice;`,
      '  with the endpoint, each create also writes its delivery (with the user\'s representation) in its transaction. First on an',
      '  instance with WEBHOOK_DISPATCH=false (the outbox\'s own cost), then on one that sends the deliveries meanwhile;',
      '  while the API is serving, the dispatcher takes at most about a quarter of the event loop (small rounds, then a pause).',
      `- (c) ${CONCURRENCY} callers reading one user, idle and then while the backlog drains.`,
      '',
    ].join('\n'),
  );
}

void runBench(main);
