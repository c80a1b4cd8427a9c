/**
 * Soak: a mix of logins, refreshes, reads and writes at half the measured peak, for
 * SOAK_SECONDS (default 600). Passes when no request gets a 5xx, the service logs no error,
 * and its RSS grows less than 10% from minute 2 to the end.
 *
 *   npm run bench:soak                       (SOAK_SECONDS=60 for a short run)
 *
 * The service runs as it ships, in its own process, on a SQLite file (or DATABASE_URL).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? '600');
const PEAK_SECONDS = 15;
const CONCURRENCY = 16;
const OPERATOR_KEY = 'soak-operator-key-0123456789';
const PASSWORD = 'Soak-Password-1';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

interface Counters {
  total: number;
  byStatus: Map<number | string, number>;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'identity-soak-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:${join(dir, 'soak.sqlite')}`,
      ADMIN_API_KEY: OPERATOR_KEY,
      ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150 && !(await fetch(`${base}/health`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 200));
  if (child.exitCode !== null) throw new Error(`the service did not start:\n${log}`);

  const admin = { 'content-type': 'application/json', 'x-admin-key': OPERATOR_KEY };
  const tenant = (await (await fetch(`${base}/api/v2/tenants`, { method: 'POST', headers: admin, body: JSON.stringify({ slug: 'soak', name: 'Soak' }) })).json()) as { id: string };
  const scoped = { ...admin, 'x-tenant-id': tenant.id };
  const emails: string[] = [];
  for (let i = 0; i < 50; i++) {
    const email = `soak${i}@example.com`;
    await fetch(`${base}/api/v2/users`, { method: 'POST', headers: scoped, body: JSON.stringify({ email, password: PASSWORD, clientTags: ['soak'] }) });
    emails.push(email);
  }
  const json = { 'content-type': 'application/json' };
  let n = 0;

  /** One step of the mix: 10% login, 10% refresh, 60% reads, 20% writes. */
  async function step(state: { access?: string; refresh?: string }, counters: Counters): Promise<void> {
    const pick = Math.random();
    let res: Response;
    try {
      if (!state.access || pick < 0.1) {
        res = await fetch(`${base}/api/v2/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ tenant: 'soak', email: emails[n++ % emails.length], password: PASSWORD }) });
        const body = (await res.json()) as { accessToken?: string; refreshToken?: string };
        if (res.ok) Object.assign(state, { access: body.accessToken, refresh: body.refreshToken });
      } else if (pick < 0.2) {
        res = await fetch(`${base}/api/v2/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refreshToken: state.refresh }) });
        const body = (await res.json()) as { accessToken?: string; refreshToken?: string };
        if (res.ok) Object.assign(state, { access: body.accessToken, refresh: body.refreshToken });
        else state.access = undefined;
      } else if (pick < 0.8) {
        const path = pick < 0.5 ? '/api/v2/me' : '/api/v2/users?limit=20&filter[clientTag]=soak';
        res = await fetch(`${base}${path}`, { headers: pick < 0.5 ? { authorization: `Bearer ${state.access}` } : scoped });
        await res.arrayBuffer();
      } else {
        res = await fetch(`${base}/api/v2/users/external/soak-${n++ % 500}`, { method: 'PUT', headers: scoped, body: JSON.stringify({ email: `ext${n % 500}@example.com`, lastName: `v${n}` }) });
        await res.arrayBuffer();
      }
      counters.byStatus.set(res.status, (counters.byStatus.get(res.status) ?? 0) + 1);
    } catch (error) {
      counters.byStatus.set('error', (counters.byStatus.get('error') ?? 0) + 1);
      void error;
    }
    counters.total += 1;
  }

  async function run(seconds: number, ratePerSecond: number | null, onMinute?: (minute: number) => void): Promise<Counters> {
    const counters: Counters = { total: 0, byStatus: new Map() };
    const end = Date.now() + seconds * 1000;
    const started = Date.now();
    let minute = 0;
    const lanes = Array.from({ length: CONCURRENCY }, async (_, lane) => {
      const state: { access?: string; refresh?: string } = {};
      let next = Date.now();
      while (Date.now() < end) {
        await step(state, counters);
        if (lane === 0 && onMinute && Math.floor((Date.now() - started) / 60_000) > minute) onMinute(++minute);
        if (ratePerSecond !== null) {
          next += (1000 * CONCURRENCY) / ratePerSecond;
          const wait = next - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      }
    });
    await Promise.all(lanes);
    return counters;
  }

  const peak = await run(PEAK_SECONDS, null);
  const peakRate = peak.total / PEAK_SECONDS;
  const rate = peakRate / 2;
  console.log(`peak of the mix: ${peakRate.toFixed(0)} req/s; soaking at ${rate.toFixed(0)} req/s for ${SOAK_SECONDS} s`);
  const samples: { minute: number; rss: number }[] = [{ minute: 0, rss: rssMb(child.pid!) }];
  const sampler = setInterval(() => samples.push({ minute: samples.length / 6, rss: rssMb(child.pid!) }), 10_000);
  const soak = await run(SOAK_SECONDS, rate);
  clearInterval(sampler);
  samples.push({ minute: SOAK_SECONDS / 60, rss: rssMb(child.pid!) });
  child.kill('SIGTERM');
  await once(child, 'exit');
  rmSync(dir, { recursive: true, force: true });

  const from = samples.find((s) => s.minute >= Math.min(2, SOAK_SECONDS / 120)) ?? samples[0]!;
  const to = samples.at(-1)!;
  const growth = (to.rss - from.rss) / from.rss;
  const fivexx = [...soak.byStatus].filter(([s]) => typeof s === 'number' && s >= 500).reduce((a, [, c]) => a + c, 0);
  const errors = log.split('\n').filter((l) => /"level":(50|60)/.test(l)).length;
  console.log(`requests: ${soak.total} (${(soak.total / SOAK_SECONDS).toFixed(0)}/s), statuses: ${JSON.stringify(Object.fromEntries(soak.byStatus))}`);
  console.log(`RSS: ${from.rss.toFixed(0)} MB at minute ${from.minute.toFixed(1)} -> ${to.rss.toFixed(0)} MB at the end (${(growth * 100).toFixed(1)}%), peak ${Math.max(...samples.map((s) => s.rss)).toFixed(0)} MB`);
  console.log(`| soak | 5xx | error log lines | RSS growth | result |\n|---|---|---|---|---|\n| ${SOAK_SECONDS} s at ${rate.toFixed(0)} req/s | ${fivexx} | ${errors} | ${(growth * 100).toFixed(1)}% (target < 10%) | ${fivexx === 0 && errors === 0 && growth < 0.1 ? 'pass' : 'FAIL'} |`);
  process.exitCode = fivexx === 0 && errors === 0 && growth < 0.1 ? 0 : 1;
}

await main();
