/**
 * Issue 16 "Speed": the bulk import and export of users (API.md section 12), on SQLite and on
 * MariaDB, each into a fresh database through the service as it ships (bin/serve):
 * - the first import of BENCH_IMPORT_USERS users (default 1,000,000) with pre-hashed (bcrypt)
 *   passwords, streamed as NDJSON: target ≥ 4,200 rows/s (a million in 4 minutes);
 * - the export of the same users: target ≥ 20,000 rows/s;
 * - the same file imported again (every record "unchanged"): target ≥ 2× the first import's
 *   rate, measured in the same run;
 * - the service's resident memory, sampled throughout all three: target ≤ 300 MB.
 * Beside the first import, a raw-driver ceiling for scale: the same rows written by
 * better-sqlite3 / mysql2 as multi-row INSERTs of 500, with no service in between.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/import.js
 *   npx tsc -p tsconfig.json && BENCH_IMPORT_USERS=50000 node dist/bench/import.js
 *
 * Environment: BENCH_IMPORT_USERS, BENCH_IMPORT_DATABASES (sqlite,mysql), BENCH_MYSQL_URL,
 * BENCH_RESULTS_JSON, BENCH_CPU_PROF (a directory: the service runs with --cpu-prof and writes its
 * profile there when it stops; summarise it with dist/bench/cpuprofile-top.js).
 *
 * BENCH_BASELINE names another build of the service (a directory holding its `bin/serve` and
 * `dist/`, made as bench/users-page.ts describes): each database is then measured with the
 * baseline and with this build in turn, BENCH_ROUNDS times (default 1), each on a fresh
 * database, and the figures gain the ratio of this build's rate to the baseline's.
 */
import Database from 'better-sqlite3';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { createConnection } from 'mysql2/promise';
import { v7 as uuidv7 } from 'uuid';
import { boundedFigure, createTenant, MYSQL_SERVER, OPERATOR, referenceFigure, relativeFigure, runBench, sampleRss, startService, type Report } from './lib.js';

const USERS = Number(process.env.BENCH_IMPORT_USERS ?? '1000000');
const DATABASES = (process.env.BENCH_IMPORT_DATABASES ?? 'sqlite,mysql').split(',');
/** crypt_blowfish's test vector for "U*U": every user's password hash as another system exported it. */
const HASH = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';
const MYSQL_DB = 'identity_bench_import';
const BASELINE = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : undefined;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '1');

const record = (i: number): object => ({
  email: `user${i}@import.example`,
  externalId: `legacy-${i}`,
  firstName: `First${i}`,
  lastName: `Last${i}`,
  clientTags: ['imported'],
  passwordHash: HASH,
});

async function writeFile(path: string): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < USERS; i++) {
    if (!out.write(`${JSON.stringify(record(i))}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

interface Run {
  rows: number;
  seconds: number;
  summary: Record<string, number> | null;
}

/** POST the file as it is read, reading the answer lines as they come (as the CLI does). */
async function importFile(base: string, tenantId: string, file: string): Promise<Run> {
  const started = performance.now();
  const req = http.request(`${base}/api/v2/users/import`, {
    method: 'POST',
    headers: { ...OPERATOR, 'x-tenant-id': tenantId, 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' },
  });
  createReadStream(file).pipe(req);
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  if (res.statusCode !== 200) throw new Error(`import answered ${res.statusCode}`);
  let rows = 0;
  let summary: Record<string, number> | null = null;
  for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
    if (line.startsWith('{"summary"')) summary = (JSON.parse(line) as { summary: Record<string, number> }).summary;
    else if (line.includes('"status":"error"') && rows < 3) console.error(line);
    rows += 1;
  }
  return { rows, seconds: (performance.now() - started) / 1000, summary };
}

async function exportAll(base: string, tenantId: string): Promise<Run> {
  const started = performance.now();
  const res = await fetch(`${base}/api/v2/users/export`, { headers: { ...OPERATOR, 'x-tenant-id': tenantId } });
  if (!res.ok || !res.body) throw new Error(`export answered ${res.status}`);
  let rows = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) rows += 1;
  }
  return { rows, seconds: (performance.now() - started) / 1000, summary: null };
}

/** The same rows (users and their tags) as multi-row INSERTs of 500 on the raw driver, in one transaction per 500. */
async function rawInsertRate(kind: string, databaseUrl: string, tenantId: string): Promise<number> {
  const count = Math.min(USERS, 100_000);
  const columns =
    'id, tenant_id, external_id, name, name_explicit, first_name, last_name, email, active, admin, plan_admin, tfa, reset_password, reset_tfa, password_reset_allowed, can_view_masked_data, only_sees_readable, password_hash, version, failed_logins, created_at, updated_at';
  const values = (i: number, now: string): unknown[] => [uuidv7(), tenantId, `raw-${i}`, `First${i} Last${i}`, 0, `First${i}`, `Last${i}`, `raw${i}@import.example`, 1, 0, 0, 0, 0, 0, 1, 0, 0, HASH, 1, 0, now, now];
  const placeholders = `(${columns.split(',').map(() => '?').join(', ')})`;
  const started = performance.now();
  if (kind === 'sqlite') {
    const db = new Database(databaseUrl.replace(/^sqlite:/, ''));
    const statement = db.prepare(`INSERT INTO users (${columns}) VALUES ${Array.from({ length: 500 }, () => placeholders).join(', ')}`);
    const tags = db.prepare(`INSERT INTO user_client_tags (user_id, tenant_id, tag, position) VALUES ${Array.from({ length: 500 }, () => '(?, ?, ?, 0)').join(', ')}`);
    const batch = db.transaction((from: number) => {
      const now = new Date().toISOString();
      const rows = Array.from({ length: 500 }, (_, j) => values(from + j, now));
      statement.run(rows.flat());
      tags.run(rows.flatMap((row) => [row[0], tenantId, 'imported']));
    });
    for (let i = 0; i < count; i += 500) batch(i);
    db.close();
  } else {
    const conn = await createConnection({ uri: databaseUrl, timezone: 'Z' });
    for (let i = 0; i < count; i += 500) {
      const now = new Date();
      const rows = Array.from({ length: 500 }, (_, j) => values(i + j, now as unknown as string));
      await conn.beginTransaction();
      await conn.query(`INSERT INTO users (${columns}) VALUES ?`, [rows]);
      await conn.query('INSERT INTO user_client_tags (user_id, tenant_id, tag, position) VALUES ?', [rows.map((row) => [row[0], tenantId, 'imported', 0])]);
      await conn.commit();
    }
    await conn.end();
  }
  return count / ((performance.now() - started) / 1000);
}

interface Measured {
  first: Run;
  exported: Run;
  again: Run;
  peak: number;
  load: number;
  raw?: number;
}

/** A fresh database of `kind`: the file or database the service gets, and how to drop it. */
async function freshDatabase(kind: string, dir: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const path = join(dir, `${name}.sqlite`);
    return { url: `sqlite:${path}`, drop: async () => rmSync(path, { force: true }) };
  }
  const database = `${MYSQL_DB}_${name}`;
  const admin = await createConnection(MYSQL_SERVER);
  await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  return {
    url: `${MYSQL_SERVER}/${database}`,
    drop: async () => {
      const conn = await createConnection(MYSQL_SERVER);
      await conn.query(`DROP DATABASE IF EXISTS ${database}`);
      await conn.end();
    },
  };
}

/** The first import, the export and the unchanged re-import through one service, on a fresh database. */
async function measure(kind: string, dir: string, file: string, root: string | undefined, withRaw: boolean): Promise<Measured> {
  const label = `${kind === 'sqlite' ? 'SQLite' : 'MariaDB'}${root ? ' (baseline)' : ''}`;
  const db = await freshDatabase(kind, dir, root ? 'baseline' : 'current');
  const load = loadavg()[0]!;
  try {
    const server = await startService({ databaseUrl: db.url, root, cpuProfDir: root ? undefined : process.env.BENCH_CPU_PROF });
    let result: Measured;
    try {
      const tenant = await createTenant(server.base, `import-${Date.now()}`);
      const rss = sampleRss(server.pid, 500);
      const first = await importFile(server.base, tenant.id, file);
      console.log(`${label}: first import ${first.rows} lines in ${first.seconds.toFixed(1)} s (load ${load.toFixed(1)})`, first.summary);
      const exported = await exportAll(server.base, tenant.id);
      console.log(`${label}: export ${exported.rows} users in ${exported.seconds.toFixed(1)} s`);
      const again = await importFile(server.base, tenant.id, file);
      console.log(`${label}: re-import ${again.rows} lines in ${again.seconds.toFixed(1)} s`, again.summary);
      const memory = rss.stop();
      if (first.summary?.created !== USERS || again.summary?.unchanged !== USERS || exported.rows !== USERS) throw new Error(`${label}: the runs did not cover every user`);
      result = { first, exported, again, peak: memory.peak, load };
      if (withRaw) result.raw = await rawInsertRate(kind, db.url, tenant.id);
    } finally {
      await server.stop();
    }
    return result;
  } finally {
    await db.drop();
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function main(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-import-'));
  const file = join(dir, 'users.ndjson');
  try {
    await writeFile(file);
    console.log(`import benchmark: ${USERS} users, ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB of NDJSON, on ${DATABASES.join(' and ')}${BASELINE ? `, against ${BASELINE} in turn, ${ROUNDS} round(s)` : ''}`);
    for (const kind of DATABASES) {
      const label = kind === 'sqlite' ? 'SQLite' : 'MariaDB';
      const runs: Measured[] = [];
      const baselines: Measured[] = [];
      for (let round = 0; round < (BASELINE ? ROUNDS : 1); round++) {
        if (BASELINE) baselines.push(await measure(kind, dir, file, BASELINE, false));
        runs.push(await measure(kind, dir, file, undefined, round === 0));
      }
      const rates = (list: Measured[], pick: (m: Measured) => Run) => median(list.map((m) => USERS / pick(m).seconds));
      const firstRate = rates(runs, (m) => m.first);
      const exportRate = rates(runs, (m) => m.exported);
      const againRate = rates(runs, (m) => m.again);
      const raw = runs[0]!.raw!;
      report.add(
        boundedFigure(`${label}: first import, ${USERS} users with bcrypt hashes`, firstRate, 'rows/s', { min: 4200 }, { value: raw, label: 'raw driver INSERTs of 500' }),
        referenceFigure(`${label}: first import, seconds`, USERS / firstRate, 's', USERS / 4200, 'the 4,200 rows/s target'),
        boundedFigure(`${label}: export`, exportRate, 'rows/s', { min: 20_000 }, { value: firstRate, label: 'first import' }),
        relativeFigure(`${label}: re-import, every record unchanged`, againRate, 'rows/s', firstRate, 'first import', 2),
        boundedFigure(`${label}: service RSS, peak over the three runs`, Math.max(...runs.map((m) => m.peak)), 'MB', { max: 300 }),
      );
      if (baselines.length) {
        const again = (list: Measured[]) => median(list.map((m) => m.first.seconds / m.again.seconds));
        report.add(
          referenceFigure(`${label}: first import, this build`, firstRate, 'rows/s', rates(baselines, (m) => m.first), 'baseline build'),
          referenceFigure(`${label}: export, this build`, exportRate, 'rows/s', rates(baselines, (m) => m.exported), 'baseline build'),
          referenceFigure(`${label}: re-import, this build`, againRate, 'rows/s', rates(baselines, (m) => m.again), 'baseline build'),
          referenceFigure(`${label}: re-import ÷ first import, this build`, again(runs), '×', again(baselines), 'baseline build'),
          referenceFigure(`${label}: service RSS peak, this build`, Math.max(...runs.map((m) => m.peak)), 'MB', Math.max(...baselines.map((m) => m.peak)), 'baseline build'),
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await runBench(main);
