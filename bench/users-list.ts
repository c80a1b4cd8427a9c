/**
 * Issue 3 "Speed": p99 latency of the user list on MariaDB with 1,000,000 users in one tenant
 * and 100,000 in each of four others.
 *
 *   npx tsx bench/users-list.ts                        # full size (seeding takes minutes)
 *   BENCH_USERS_SCALE=0.01 npx tsx bench/users-list.ts # quick run
 *
 * BENCH_MYSQL_URL names the server (default mysql://root@127.0.0.1:3306); the database
 * identity_bench is dropped and recreated. BENCH_DURATION (seconds per scenario, default 10)
 * and BENCH_CONNECTIONS (default 10) tune autocannon. The app runs in this process.
 */
import 'reflect-metadata';
import autocannon from 'autocannon';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import { createApp } from '../src/bootstrap.js';
import { encodeCursor } from '../src/common/cursor.js';
import { loadConfig } from '../src/config/app-config.js';

const SCALE = Number(process.env.BENCH_USERS_SCALE ?? '1');
const SERVER = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const DURATION = Number(process.env.BENCH_DURATION ?? '10');
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? '10');
const DB = 'identity_bench';
const BATCH = 5000;
const ADMIN_KEY = 'bench-operator-key-0123456789';
const TENANT_SIZES = [1_000_000, 100_000, 100_000, 100_000, 100_000].map((n) => Math.max(10, Math.round(n * SCALE)));
const FIRST = ['Ann', 'Bob', 'Carla', 'Dmitri', 'Eve', 'Fatima', 'Gus', 'Hana', 'Ivan', 'Jo', 'Kemal', 'Lia', 'Mary', 'Noor', 'Omar', 'Pia'];
const LAST = ['Smith', 'Jones', 'García', 'Müller', 'Rossi', 'Kowalski', 'Nguyen', 'Ito', 'Okafor', 'Silva'];

const mysqlDate = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
}

interface Seeded {
  tenantId: string;
  size: number;
  /** createdAt and id of the row at the middle of the big tenant, for the deep cursor. */
  middle?: { createdAt: Date; id: string };
  sampleEmail: string;
  sampleId: string;
}

async function seedTenant(conn: Connection, index: number, size: number, start: number): Promise<Seeded> {
  const tenantId = uuidv7();
  const now = mysqlDate(new Date());
  await conn.query(
    'INSERT INTO tenants (id, slug, name, active, password_min_length, lockout_threshold, lockout_minutes, sessions_limit_default, access_token_ttl_seconds, refresh_token_ttl_seconds, created_at, updated_at) VALUES (?, ?, ?, 1, 8, 5, 15, NULL, 900, 2592000, ?, ?)',
    [tenantId, `bench-${index}`, `Bench ${index}`, now, now],
  );
  const seeded: Seeded = { tenantId, size, sampleEmail: '', sampleId: '' };
  const middle = Math.floor(size / 2);
  for (let offset = 0; offset < size; offset += BATCH) {
    const rows: unknown[][] = [];
    for (let i = offset; i < Math.min(size, offset + BATCH); i++) {
      const created = new Date(start + i * 1000);
      const id = uuidv7({ msecs: created.getTime(), seq: i });
      const first = FIRST[i % FIRST.length]!;
      const last = LAST[(i * 7) % LAST.length]!;
      const email = `user${i}@tenant${index}.example.com`;
      const login = i % 3 === 0 ? null : mysqlDate(new Date(start + ((i * 7919) % size) * 1000));
      rows.push([id, tenantId, i % 2 ? `ext-${i}` : null, `${first} ${last}`, first, last, null, email, null, i % 10 === 0 ? 0 : 1,
        i % 1000 === 0 ? 1 : 0, i % 500 === 0 ? 1 : 0, 0, 0, 0, 1, 0, 0, null, null, 1, login, null, null, 0, mysqlDate(created), mysqlDate(created)]);
      if (i === middle) seeded.middle = { createdAt: created, id };
      if (i === Math.floor(size * 0.73)) {
        seeded.sampleEmail = email;
        seeded.sampleId = id;
      }
    }
    await conn.query(
      'INSERT INTO users (id, tenant_id, external_id, name, first_name, last_name, username, email, phone, active, admin, plan_admin, tfa, reset_password, reset_tfa, password_reset_allowed, can_view_masked_data, only_sees_readable, sessions_limit, password_hash, version, last_login_at, last_action_at, locked_until, failed_logins, created_at, updated_at) VALUES ?',
      [rows],
    );
    if (size >= 100_000 && (offset / BATCH) % 20 === 0) process.stdout.write(`  tenant ${index}: ${offset + rows.length}/${size}\r`);
  }
  return seeded;
}

async function measure(title: string, url: string, headers: Record<string, string>): Promise<number> {
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${title}: ${result.non2xx} non-2xx replies, ${result.errors} errors`);
  return result.latency.p99;
}

async function main(): Promise<void> {
  console.log(`users-list benchmark: scale ${SCALE}, tenants of ${TENANT_SIZES.join(', ')} users`);
  const admin = await createConnection(SERVER);
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  await admin.query(`CREATE DATABASE ${DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const dbUrl = `${SERVER.replace(/\/$/, '')}/${DB}`;

  // The app runs the migrations, so the schema is exactly the one that ships.
  const app = await createApp(loadConfig({ DATABASE_URL: dbUrl, ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'silent' }), { logs: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const conn = await createConnection({ uri: dbUrl, timezone: 'Z' });
  const seedStart = performance.now();
  const tenants: Seeded[] = [];
  const start = Date.UTC(2020, 0, 1);
  for (const [index, size] of TENANT_SIZES.entries()) tenants.push(await seedTenant(conn, index, size, start));
  await conn.query('ANALYZE TABLE users');
  console.log(`seeded ${TENANT_SIZES.reduce((a, b) => a + b, 0)} users in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const big = tenants[0]!;
  const headers = { 'x-admin-key': ADMIN_KEY, 'x-tenant-id': big.tenantId };
  const deepCursor = encodeCursor([big.middle!.createdAt.toISOString(), big.middle!.id]);
  const urls = {
    first: `${base}/api/v2/users?limit=50`,
    deep: `${base}/api/v2/users?limit=50&after=${deepCursor}`,
    email: `${base}/api/v2/users?filter[email]=${encodeURIComponent(big.sampleEmail)}`,
  };

  // Sanity: the deep page starts right after the middle row, the email filter finds one user.
  const deep = (await (await fetch(urls.deep, { headers })).json()) as { data: { createdAt: string }[] };
  if (deep.data.length !== 50 || Date.parse(deep.data[0]!.createdAt) <= big.middle!.createdAt.getTime()) throw new Error('deep page is wrong');
  const byEmail = (await (await fetch(urls.email, { headers })).json()) as { data: { id: string }[] };
  if (byEmail.data.length !== 1 || byEmail.data[0]!.id !== big.sampleId) throw new Error('email filter is wrong');

  console.log('\nquery plans (EXPLAIN):');
  const plans: [string, string, unknown[]][] = [
    ['first page', 'SELECT * FROM users u WHERE u.tenant_id = ? ORDER BY u.created_at, u.id LIMIT 51', [big.tenantId]],
    [
      'deep page',
      'SELECT * FROM users u WHERE u.tenant_id = ? AND (u.created_at >= ? AND (u.created_at > ? OR u.id > ?)) ORDER BY u.created_at, u.id LIMIT 51',
      [big.tenantId, mysqlDate(big.middle!.createdAt), mysqlDate(big.middle!.createdAt), big.middle!.id],
    ],
    ['filter[email]', 'SELECT * FROM users u WHERE u.tenant_id = ? AND u.email = ? ORDER BY u.created_at, u.id LIMIT 21', [big.tenantId, big.sampleEmail]],
    ['sort=-lastLoginAt', 'SELECT * FROM users u WHERE u.tenant_id = ? ORDER BY u.last_login_at DESC, u.id DESC LIMIT 51', [big.tenantId]],
    ['sort=name, filter[name]', "SELECT * FROM users u WHERE u.tenant_id = ? AND u.name LIKE 'Mar%' ORDER BY u.name, u.id LIMIT 51", [big.tenantId]],
  ];
  for (const [title, sql, params] of plans) {
    const [rows] = await conn.query<RowDataPacket[]>(`EXPLAIN ${sql}`, params);
    for (const r of rows) console.log(`  ${title.padEnd(24)} type=${r.type} key=${r.key} rows=${r.rows} extra=${r.Extra ?? ''}`);
  }

  // Baseline: what one primary-key lookup costs over the same driver, one connection.
  const samples: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t0 = performance.now();
    await conn.query('SELECT * FROM users WHERE id = ?', [big.sampleId]);
    samples.push(performance.now() - t0);
  }
  await conn.end();

  console.log(`\nautocannon: ${CONNECTIONS} connections, ${DURATION} s per scenario`);
  const firstP99 = await measure('first page', urls.first, headers);
  const deepP99 = await measure('deep page', urls.deep, headers);
  const emailP99 = await measure('filter[email]', urls.email, headers);
  const row = (name: string, value: number, target?: number) =>
    console.log(`  ${name.padEnd(44)} p99 ${value.toFixed(2).padStart(8)} ms${target === undefined ? '' : `   target ${target} ms   ${value <= target ? 'OK' : 'MISSED'}`}`);
  console.log('\nresults:');
  row('GET /api/v2/users?limit=50 (first page)', firstP99, 20);
  row(`GET ...&after=<row ${big.size >> 1}> (deep page)`, deepP99, 20);
  row('GET ...?filter[email]=', emailP99, 5);
  row('baseline: mysql2 point select by primary key', p99(samples));
  await app.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
