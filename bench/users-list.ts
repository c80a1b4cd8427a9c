/**
 * Issue 3 "Speed": p99 latency of the user list on MariaDB with 1,000,000 users in one tenant
 * and 100,000 in each of four others (first page, a deep keyset page and a filter by email,
 * all with limit=50; target p99 ≤ 20 ms), each figure printed next to a baseline measured in
 * the same run at the same concurrency: a raw mysql2 point select by primary key (a prepared
 * statement, `pool.execute`).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/users-list.js                  # full size
 *   npx tsc -p tsconfig.json && BENCH_USERS_SCALE=0.01 node dist/bench/users-list.js
 *
 * The service runs as it ships, in its own process (`node dist/src/main.js`, LOG_LEVEL=warn);
 * autocannon and the baseline run in this one, so the load generator never shares the
 * server's event loop.
 *
 * Data: the database identity_bench_<scale> (e.g. identity_bench_1, identity_bench_0_01) is
 * reused when it already holds the five bench tenants at their full size, so a re-run skips
 * seeding; otherwise it is dropped and seeded again with multi-row INSERTs (unique and
 * foreign-key checks off for the session: the generated rows are unique by construction).
 * Drop it by hand to free the disk: DROP DATABASE identity_bench_1.
 *
 * MariaDB: the default 128 MiB InnoDB buffer pool cannot hold the users table and its indexes
 * at full size, so the benchmark raises innodb_buffer_pool_size (dynamic since 10.2) to
 * BENCH_BUFFER_POOL_MB (default 2048) with SET GLOBAL when it is smaller, says so, and sets
 * it back when it ends.
 *
 * Environment: BENCH_MYSQL_URL (server, default mysql://root@127.0.0.1:3306),
 * BENCH_CONNECTIONS (comma-separated concurrencies, default "1,10"), BENCH_DURATION (seconds
 * per measurement, default 10), BENCH_CPU_PROF (a directory: the server runs with --cpu-prof
 * and writes its profile there on exit; summarise it with dist/bench/cpuprofile-top.js),
 * BENCH_RESULTS_JSON (see lib.ts).
 */
import { performance } from 'node:perf_hooks';
import { createConnection, createPool, type Connection, type RowDataPacket } from 'mysql2/promise';
import { v7 as uuidv7 } from 'uuid';
import { encodeCursor } from '../src/common/cursor.js';
import {
  DURATION, MYSQL_SERVER, OPERATOR, POINT_SELECT, WARMUP_SECONDS, baselineFigure, boundedFigure, measureLoop, rate,
  runBench, startService, type Child, type Report
} from './lib.js';

const SCALE = Number(process.env.BENCH_USERS_SCALE ?? '1');
const CONCURRENCIES = (process.env.BENCH_CONNECTIONS ?? '1,10').split(',').map(Number);
const BUFFER_POOL_BYTES = Number(process.env.BENCH_BUFFER_POOL_MB ?? '2048') * 1024 * 1024;
const DB = `identity_bench_${String(SCALE).replace(/\W/g, '_')}`;
const DB_URL = `${MYSQL_SERVER}/${DB}`;
const BATCH = 10_000;
/** p99 targets in ms: the list's first page, a deep keyset page, and a filter by email. */
const TARGET_MS = 20;
const TENANT_SIZES = [1_000_000, 100_000, 100_000, 100_000, 100_000].map((n) => Math.max(10, Math.round(n * SCALE)));
const SEED_START = Date.UTC(2020, 0, 1);
const FIRST = ['Ann', 'Bob', 'Carla', 'Dmitri', 'Eve', 'Fatima', 'Gus', 'Hana', 'Ivan', 'Jo', 'Kemal', 'Lia', 'Mary', 'Noor', 'Omar', 'Pia'];
const LAST = ['Smith', 'Jones', 'García', 'Müller', 'Rossi', 'Kowalski', 'Nguyen', 'Ito', 'Okafor', 'Silva'];
const USER_COLUMNS =
  'id, tenant_id, external_id, name, first_name, last_name, username, email, phone, active, admin, plan_admin, tfa, reset_password, ' +
  'reset_tfa, password_reset_allowed, can_view_masked_data, only_sees_readable, sessions_limit, password_hash, version, ' +
  'last_login_at, last_action_at, locked_until, failed_logins, created_at, updated_at';

const mysqlDate = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');
const slugOf = (index: number): string => `bench-${index}`;
const emailOf = (index: number, i: number): string => `user${i}@tenant${index}.example.com`;

// ---------------------------------------------------------------------------------- data

/** True when every bench tenant exists with exactly its size (a tenant row is written last). */
async function isSeeded(admin: Connection): Promise<boolean> {
  const [dbs] = await admin.query<RowDataPacket[]>('SELECT 1 FROM information_schema.schemata WHERE schema_name = ?', [DB]);
  if (!dbs.length) return false;
  const [tables] = await admin.query<RowDataPacket[]>(
    "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name IN ('tenants', 'users')",
    [DB],
  );
  if (tables.length !== 2) return false;
  for (const [index, size] of TENANT_SIZES.entries()) {
    const [rows] = await admin.query<RowDataPacket[]>(
      `SELECT COUNT(*) AS n FROM ${DB}.users u JOIN ${DB}.tenants t ON t.id = u.tenant_id WHERE t.slug = ?`,
      [slugOf(index)],
    );
    if (Number(rows[0]!.n) !== size) return false;
  }
  return true;
}

function userRow(tenantId: string, index: number, i: number, size: number): unknown[] {
  const created = new Date(SEED_START + i * 1000);
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[(i * 7) % LAST.length]!;
  const login = i % 3 === 0 ? null : mysqlDate(new Date(SEED_START + ((i * 7919) % size) * 1000));
  // Ids follow created_at, as the service's UUIDv7 ids do, so the primary key grows in order.
  const id = uuidv7({ msecs: created.getTime(), seq: i });
  const at = mysqlDate(created);
  return [id, tenantId, i % 2 ? `ext-${i}` : null, `${first} ${last}`, first, last, null, emailOf(index, i), null, i % 10 === 0 ? 0 : 1,
    i % 1000 === 0 ? 1 : 0, i % 500 === 0 ? 1 : 0, 0, 0, 0, 1, 0, 0, null, null, 1, login, null, null, 0, at, at];
}

/** Users first, the tenant row last: a tenant that exists is complete (see isSeeded). */
async function seedTenant(conn: Connection, index: number, size: number): Promise<void> {
  const tenantId = uuidv7();
  let pending: Promise<unknown> = Promise.resolve();
  for (let offset = 0; offset < size; offset += BATCH) {
    const rows: unknown[][] = [];
    for (let i = offset; i < Math.min(size, offset + BATCH); i++) rows.push(userRow(tenantId, index, i, size));
    // Build the next batch while the server inserts this one.
    await pending;
    pending = conn.query(`INSERT INTO users (${USER_COLUMNS}) VALUES ?`, [rows]);
    if (size >= 100_000) process.stdout.write(`  tenant ${index}: ${offset + rows.length}/${size}\r`);
  }
  await pending;
  const now = mysqlDate(new Date());
  await conn.query(
    'INSERT INTO tenants (id, slug, name, active, password_min_length, lockout_threshold, lockout_minutes, sessions_limit_default, ' +
      'access_token_ttl_seconds, refresh_token_ttl_seconds, created_at, updated_at) VALUES (?, ?, ?, 1, 8, 5, 15, NULL, 900, 2592000, ?, ?)',
    [tenantId, slugOf(index), `Bench ${index}`, now, now],
  );
}

async function seed(): Promise<void> {
  const conn = await createConnection({ uri: DB_URL, timezone: 'Z' });
  const started = performance.now();
  await conn.query('SET SESSION unique_checks = 0, foreign_key_checks = 0');
  for (const [index, size] of TENANT_SIZES.entries()) await seedTenant(conn, index, size);
  await conn.query('ANALYZE TABLE users');
  await conn.end();
  const total = TENANT_SIZES.reduce((a, b) => a + b, 0);
  console.log(`\nseeded ${total} users in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

interface Target {
  tenantId: string;
  middle: { createdAt: Date; id: string };
  sample: { email: string; id: string };
}

/** The big tenant, its middle row (for the deep cursor) and a row to find by email. */
async function target(conn: Connection): Promise<Target> {
  const size = TENANT_SIZES[0]!;
  const [tenants] = await conn.query<RowDataPacket[]>('SELECT id FROM tenants WHERE slug = ?', [slugOf(0)]);
  const tenantId = String(tenants[0]!.id);
  const byEmail = async (email: string) => {
    const [rows] = await conn.query<RowDataPacket[]>('SELECT id, created_at FROM users WHERE tenant_id = ? AND email = ?', [tenantId, email]);
    return { id: String(rows[0]!.id), createdAt: rows[0]!.created_at as Date, email };
  };
  const middle = await byEmail(emailOf(0, Math.floor(size / 2)));
  const sample = await byEmail(emailOf(0, Math.floor(size * 0.73)));
  return { tenantId, middle, sample };
}

// --------------------------------------------------------------------------------- main

async function main(report: Report): Promise<void> {
  console.log(`users-list benchmark: scale ${SCALE}, tenants of ${TENANT_SIZES.join(', ')} users, database ${DB}`);
  const admin = await createConnection(MYSQL_SERVER);
  const [[pool]] = await admin.query<RowDataPacket[]>('SELECT @@innodb_buffer_pool_size AS size');
  const originalPool = Number(pool!.size);
  if (originalPool < BUFFER_POOL_BYTES) {
    await admin.query('SET GLOBAL innodb_buffer_pool_size = ?', [BUFFER_POOL_BYTES]);
    console.log(`MariaDB: SET GLOBAL innodb_buffer_pool_size = ${BUFFER_POOL_BYTES / 2 ** 20} MiB (was ${originalPool / 2 ** 20} MiB; restored at the end)`);
  }

  let server: Child | undefined;
  try {
    const reuse = await isSeeded(admin);
    if (!reuse) {
      await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
      await admin.query(`CREATE DATABASE ${DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    }
    // The server runs the migrations, so the schema is exactly the one that ships.
    server = await startService({ databaseUrl: DB_URL, cpuProfDir: process.env.BENCH_CPU_PROF });
    if (reuse) console.log(`reusing the seeded database ${DB}`);
    else await seed();

    const conn = await createConnection({ uri: DB_URL, timezone: 'Z' });
    const big = await target(conn);
    const headers = { ...OPERATOR, 'x-tenant-id': big.tenantId };
    const deepCursor = encodeCursor([big.middle.createdAt.toISOString(), big.middle.id]);
    const urls = {
      first: `${server.base}/api/v2/users?limit=50`,
      deep: `${server.base}/api/v2/users?limit=50&after=${deepCursor}`,
      email: `${server.base}/api/v2/users?limit=50&filter[email]=${encodeURIComponent(big.sample.email)}`,
    };

    // Sanity: the deep page starts right after the middle row, the email filter finds one user.
    const deep = (await (await fetch(urls.deep, { headers })).json()) as { data: { createdAt: string }[] };
    if (deep.data.length !== 50 || Date.parse(deep.data[0]!.createdAt) <= big.middle.createdAt.getTime()) throw new Error('deep page is wrong');
    const byEmail = (await (await fetch(urls.email, { headers })).json()) as { data: { id: string }[] };
    if (byEmail.data.length !== 1 || byEmail.data[0]!.id !== big.sample.id) throw new Error('email filter is wrong');

    console.log('\nquery plans (EXPLAIN):');
    const middleAt = mysqlDate(big.middle.createdAt);
    const plans: [string, string, unknown[]][] = [
      ['first page', 'SELECT * FROM users u WHERE u.tenant_id = ? ORDER BY u.created_at, u.id LIMIT 51', [big.tenantId]],
      [
        'deep page',
        'SELECT * FROM users u WHERE u.tenant_id = ? AND (u.created_at >= ? AND (u.created_at > ? OR u.id > ?)) ORDER BY u.created_at, u.id LIMIT 51',
        [big.tenantId, middleAt, middleAt, big.middle.id],
      ],
      ['filter[email]', 'SELECT * FROM users u WHERE u.tenant_id = ? AND u.email = ? ORDER BY u.created_at, u.id LIMIT 51', [big.tenantId, big.sample.email]],
    ];
    for (const [title, sql, params] of plans) {
      const [rows] = await conn.query<RowDataPacket[]>(`EXPLAIN ${sql}`, params);
      for (const r of rows) console.log(`  ${title.padEnd(14)} type=${r.type} key=${r.key} rows=${r.rows} extra=${r.Extra ?? ''}`);
    }
    await conn.end();

    const size = TENANT_SIZES[0]!.toLocaleString('en-US');
    const throughput: string[] = [];
    for (const connections of CONCURRENCIES) {
      console.log(`\nmeasuring at ${connections} connection(s), ${DURATION} s each after a ${WARMUP_SECONDS} s warm-up`);
      const baselinePool = createPool({ uri: DB_URL, timezone: 'Z', connectionLimit: connections });
      const baseline = await measureLoop(connections, DURATION, () => baselinePool.execute(POINT_SELECT, [big.sample.id]));
      await baselinePool.end();
      const at = `MariaDB, ${connections} conn`;
      const baselineLabel = `raw mysql2 point-select p99, ${connections} at a time`;
      report.add(baselineFigure(baselineLabel, baseline.p99, 'ms'));
      throughput.push(`${baselineLabel}: ${baseline.perSecond.toFixed(0)} q/s`);
      const pages: [string, string][] = [
        [`GET /api/v2/users?limit=50 p99, first page, ${size} users, ${at}`, urls.first],
        [`GET /api/v2/users?limit=50&after={row ${(TENANT_SIZES[0]! >> 1).toLocaleString('en-US')}} p99, deep page, ${size} users, ${at}`, urls.deep],
        [`GET /api/v2/users?limit=50&filter[email]={one user} p99, ${size} users, ${at}`, urls.email],
      ];
      for (const [figure, url] of pages) {
        const load = await rate(url, { url, headers, connections });
        report.add(boundedFigure(figure, load.p99, 'ms', { max: TARGET_MS }, { value: baseline.p99, label: baselineLabel }));
        throughput.push(`${figure}: ${load.rps.toFixed(0)} req/s`);
      }
    }
    console.log(`\nthroughput over the measurements (all on this one machine):\n  ${throughput.join('\n  ')}`);
  } finally {
    await server?.stop();
    if (originalPool < BUFFER_POOL_BYTES) await admin.query('SET GLOBAL innodb_buffer_pool_size = ?', [originalPool]);
    await admin.end();
  }
}

await runBench(main);
