/**
 * Soak: a mix of logins, refreshes, reads and writes at half the measured peak, for
 * SOAK_SECONDS (default 600). Passes when no request gets a 5xx, the service logs no error,
 * and its RSS grows less than 10% from minute 2 to the end.
 *
 *   npm run bench:soak                       (SOAK_SECONDS=60 for a short run)
 *
 * The service runs as it ships, in its own process, on a SQLite file (or DATABASE_URL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPERATOR, boundedFigure, createTenant, createUsers, runBench, rssMb, startService, type Child, type Report } from './lib.js';

const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? '600');
const PEAK_SECONDS = 15;
const CONCURRENCY = 16;
const PASSWORD = 'Soak-Password-1';

interface Counters {
  total: number;
  byStatus: Map<number | string, number>;
}

async function main(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'identity-soak-'));
  const service = await startService({ databaseUrl: process.env.DATABASE_URL ?? `sqlite:${join(dir, 'soak.sqlite')}`, captureOutput: true });
  try {
    const tenant = await createTenant(service.base, 'soak');
    const emails = Array.from({ length: 50 }, (_, i) => `soak${i}@example.com`);
    await createUsers(service.base, tenant.id, emails.map((email) => ({ email, password: PASSWORD, clientTags: ['soak'] })));
    await soak(report, service, tenant.id, emails);
  } finally {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function soak(report: Report, service: Child, tenantId: string, emails: string[]): Promise<void> {
  const { base, pid } = service;
  const scoped = { ...OPERATOR, 'content-type': 'application/json', 'x-tenant-id': tenantId };
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
  const samples: { minute: number; rss: number }[] = [{ minute: 0, rss: rssMb(pid) }];
  const sampler = setInterval(() => samples.push({ minute: samples.length / 6, rss: rssMb(pid) }), 10_000);
  const soaked = await run(SOAK_SECONDS, rate);
  clearInterval(sampler);
  samples.push({ minute: SOAK_SECONDS / 60, rss: rssMb(pid) });

  const from = samples.find((s) => s.minute >= Math.min(2, SOAK_SECONDS / 120)) ?? samples[0]!;
  const to = samples.at(-1)!;
  const growth = (to.rss - from.rss) / from.rss;
  const fivexx = [...soaked.byStatus].filter(([s]) => typeof s === 'number' && s >= 500).reduce((a, [, c]) => a + c, 0);
  const errors = service.output().split('\n').filter((l) => /"level":(50|60)/.test(l)).length;
  console.log(`requests: ${soaked.total} (${(soaked.total / SOAK_SECONDS).toFixed(0)}/s), statuses: ${JSON.stringify(Object.fromEntries(soaked.byStatus))}`);
  console.log(`RSS: ${from.rss.toFixed(0)} MB at minute ${from.minute.toFixed(1)} -> ${to.rss.toFixed(0)} MB at the end (${(growth * 100).toFixed(1)}%), peak ${Math.max(...samples.map((s) => s.rss)).toFixed(0)} MB`);
  const at = `soak, ${SOAK_SECONDS} s at ${rate.toFixed(0)} req/s`;
  report.add(
    boundedFigure(`5xx replies (${at})`, fivexx, 'replies', { max: 0 }),
    boundedFigure(`error log lines (${at})`, errors, 'lines', { max: 0 }),
    boundedFigure(`RSS growth from minute ${from.minute.toFixed(1)} to the end (${at})`, growth * 100, '%', { max: 10 }),
  );
}

await runBench(main);
