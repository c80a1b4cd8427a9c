/**
 * The data the MariaDB benchmarks share: 1,000,000 users in one tenant and 100,000 in each of
 * four others (times BENCH_USERS_SCALE), in the database identity_bench_<scale>, seeded once with
 * multi-row INSERTs and reused while it holds the five tenants at their full size. See
 * bench/users-list.ts for how and why.
 */
import { performance } from 'node:perf_hooks';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { v7 as uuidv7 } from 'uuid';
import { MYSQL_SERVER } from './lib.js';

export const SCALE = Number(process.env.BENCH_USERS_SCALE ?? '1');
export const DB = `identity_bench_${String(SCALE).replace(/\W/g, '_')}`;
export const DB_URL = `${MYSQL_SERVER}/${DB}`;
const BATCH = 10_000;
export const TENANT_SIZES = [1_000_000, 100_000, 100_000, 100_000, 100_000].map((n) => Math.max(10, Math.round(n * SCALE)));
const SEED_START = Date.UTC(2020, 0, 1);
const FIRST = ['Ann', 'Bob', 'Carla', 'Dmitri', 'Eve', 'Fatima', 'Gus', 'Hana', 'Ivan', 'Jo', 'Kemal', 'Lia', 'Mary', 'Noor', 'Omar', 'Pia'];
const LAST = ['Smith', 'Jones', 'García', 'Müller', 'Rossi', 'Kowalski', 'Nguyen', 'Ito', 'Okafor', 'Silva'];
const USER_COLUMNS =
  'id, tenant_id, external_id, name, first_name, last_name, username, email, phone, active, admin, plan_admin, tfa, reset_password, ' +
  'reset_tfa, password_reset_allowed, can_view_masked_data, only_sees_readable, sessions_limit, password_hash, version, ' +
  'last_login_at, last_action_at, locked_until, failed_logins, created_at, updated_at';

export const mysqlDate = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');
export const slugOf = (index: number): string => `bench-${index}`;
export const emailOf = (index: number, i: number): string => `user${i}@tenant${index}.example.com`;

// ---------------------------------------------------------------------------------- data

/** True when every bench tenant exists with exactly its size (a tenant row is written last). */
export async function isSeeded(admin: Connection): Promise<boolean> {
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

export async function seed(): Promise<void> {
  const conn = await createConnection({ uri: DB_URL, timezone: 'Z' });
  const started = performance.now();
  await conn.query('SET SESSION unique_checks = 0, foreign_key_checks = 0');
  for (const [index, size] of TENANT_SIZES.entries()) await seedTenant(conn, index, size);
  await conn.query('ANALYZE TABLE users');
  await conn.end();
  const total = TENANT_SIZES.reduce((a, b) => a + b, 0);
  console.log(`\nseeded ${total} users in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

export interface Target {
  tenantId: string;
  middle: { createdAt: Date; id: string };
  sample: { email: string; id: string };
}

/** The big tenant, its middle row (for the deep cursor) and a row to find by email. */
export async function target(conn: Connection): Promise<Target> {
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
