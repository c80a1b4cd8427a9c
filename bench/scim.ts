/**
 * Issue 15 "Speed": SCIM on MariaDB with 1,000,000 users in one tenant (the users-list data,
 * bench/users-seed.ts, reused when already seeded):
 * - `GET /scim/v2/Users?filter=userName eq "…"` p99 at 10 connections, target ≤ 10 ms, beside the
 *   same lookup through `/api/v2/users?filter[email]=` and a raw mysql2 point select measured in
 *   the same run. The seeded users have no username, so userName is their email: the lookup goes
 *   through both unique indexes (username, then email), the costlier path.
 * - a group PATCH adding 1,000 members, target ≤ 1 s (the slowest of BENCH_SCIM_PATCHES runs, each
 *   adding 1,000 other users), beside a raw multi-row INSERT of 1,000 membership rows.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/scim.js
 *   npx tsc -p tsconfig.json && BENCH_USERS_SCALE=0.01 BENCH_DURATION=2 node dist/bench/scim.js
 *
 * Environment: as bench/users-list.ts (BENCH_USERS_SCALE, BENCH_MYSQL_URL, BENCH_DURATION,
 * BENCH_BUFFER_POOL_MB, BENCH_RESULTS_JSON), and BENCH_SCIM_PATCHES (default 5).
 */
import { performance } from 'node:perf_hooks';
import { createConnection, createPool, type RowDataPacket } from 'mysql2/promise';
import { v7 as uuidv7 } from 'uuid';
import {
  api, baselineFigure, boundedFigure, DURATION, measureLoop, MYSQL_SERVER, OPERATOR, POINT_SELECT, rate, referenceFigure, runBench, startService,
  type Child, type Report,
} from './lib.js';
import { DB, DB_URL, isSeeded, SCALE, seed, target, TENANT_SIZES } from './users-seed.js';

const BUFFER_POOL_BYTES = Number(process.env.BENCH_BUFFER_POOL_MB ?? '2048') * 1024 * 1024;
const PATCHES = Number(process.env.BENCH_SCIM_PATCHES ?? '5');
const CONNECTIONS = 10;
const LOOKUP_TARGET_MS = 10;
const PATCH_TARGET_MS = 1000;
const MEMBERS = 1000;

async function main(report: Report): Promise<void> {
  console.log(`scim benchmark: scale ${SCALE}, tenants of ${TENANT_SIZES.join(', ')} users, database ${DB}`);
  const admin = await createConnection(MYSQL_SERVER);
  const [[pool]] = await admin.query<RowDataPacket[]>('SELECT @@innodb_buffer_pool_size AS size');
  const originalPool = Number(pool!.size);
  if (originalPool < BUFFER_POOL_BYTES) {
    await admin.query('SET GLOBAL innodb_buffer_pool_size = ?', [BUFFER_POOL_BYTES]);
    console.log(`MariaDB: SET GLOBAL innodb_buffer_pool_size = ${BUFFER_POOL_BYTES / 2 ** 20} MiB (restored at the end)`);
  }
  let server: Child | undefined;
  const groupIds: string[] = [];
  try {
    const reuse = await isSeeded(admin);
    if (!reuse) {
      await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
      await admin.query(`CREATE DATABASE ${DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    }
    server = await startService({ databaseUrl: DB_URL });
    if (reuse) console.log(`reusing the seeded database ${DB}`);
    else await seed();

    const conn = await createConnection({ uri: DB_URL, timezone: 'Z' });
    const big = await target(conn);
    const headers = { ...OPERATOR, 'x-tenant-id': big.tenantId };
    const scimUrl = `${server.base}/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${big.sample.email}"`)}`;
    const restUrl = `${server.base}/api/v2/users?limit=50&filter[email]=${encodeURIComponent(big.sample.email)}`;

    // Sanity: both find the one user.
    const scim = (await (await fetch(scimUrl, { headers })).json()) as { totalResults: number; Resources: { id: string }[] };
    if (scim.totalResults !== 1 || scim.Resources[0]?.id !== big.sample.id) throw new Error(`SCIM lookup is wrong: ${JSON.stringify(scim).slice(0, 300)}`);
    const rest = (await (await fetch(restUrl, { headers })).json()) as { data: { id: string }[] };
    if (rest.data.length !== 1 || rest.data[0]!.id !== big.sample.id) throw new Error('REST lookup is wrong');

    const size = TENANT_SIZES[0]!.toLocaleString('en-US');
    const at = `${size} users, MariaDB, ${CONNECTIONS} conn`;
    const baselinePool = createPool({ uri: DB_URL, timezone: 'Z', connectionLimit: CONNECTIONS });
    const baseline = await measureLoop(CONNECTIONS, DURATION, () => baselinePool.execute(POINT_SELECT, [big.sample.id]));
    await baselinePool.end();
    const baselineLabel = `raw mysql2 point-select p99, ${CONNECTIONS} at a time`;
    report.add(baselineFigure(baselineLabel, baseline.p99, 'ms'));
    const restLoad = await rate(restUrl, { url: restUrl, headers, connections: CONNECTIONS });
    const restLabel = `GET /api/v2/users?filter[email]={one user} p99, ${at}`;
    report.add(referenceFigure(restLabel, restLoad.p99, 'ms', baseline.p99, baselineLabel));
    const scimLoad = await rate(scimUrl, { url: scimUrl, headers, connections: CONNECTIONS });
    report.add(
      boundedFigure(`GET /scim/v2/Users?filter=userName eq "{one user}" p99, ${at}`, scimLoad.p99, 'ms', { max: LOOKUP_TARGET_MS }, { value: restLoad.p99, label: restLabel }),
    );
    console.log(`throughput: SCIM lookup ${scimLoad.rps.toFixed(0)} req/s, REST lookup ${restLoad.rps.toFixed(0)} req/s, raw ${baseline.perSecond.toFixed(0)} q/s`);

    // Group PATCH: each run adds 1,000 users not yet in any bench group.
    const [members] = await conn.query<RowDataPacket[]>('SELECT id FROM users WHERE tenant_id = ? ORDER BY id LIMIT ?', [big.tenantId, MEMBERS * (PATCHES + 1)]);
    const ids = members.map((r) => String(r.id));
    if (ids.length < MEMBERS * (PATCHES + 1)) throw new Error(`need ${MEMBERS * (PATCHES + 1)} users in the big tenant (raise BENCH_USERS_SCALE)`);
    // Baseline: the same 1,000 membership rows, one multi-row INSERT on the raw driver, into a scratch group.
    const scratch = uuidv7();
    const now = new Date();
    await conn.query('INSERT INTO `groups` (id, tenant_id, name, permissions, version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)', [
      scratch,
      big.tenantId,
      `bench-raw-${scratch}`,
      '[]',
      now,
      now,
    ]);
    groupIds.push(scratch);
    const rawStarted = performance.now();
    await conn.query('INSERT INTO user_groups (user_id, group_id, tenant_id) VALUES ?', [ids.slice(0, MEMBERS).map((id) => [id, scratch, big.tenantId])]);
    const rawMs = performance.now() - rawStarted;
    report.add(baselineFigure(`raw multi-row INSERT of ${MEMBERS} membership rows`, rawMs, 'ms'));

    const times: number[] = [];
    for (let run = 0; run < PATCHES; run++) {
      const group = (await api(server.base, 'POST', '/scim/v2/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `bench-${uuidv7()}` }, headers)) as { id: string };
      groupIds.push(group.id);
      const value = ids.slice(MEMBERS * (run + 1), MEMBERS * (run + 2)).map((id) => ({ value: id }));
      const started = performance.now();
      const res = await fetch(`${server.base}/scim/v2/Groups/${group.id}?excludedAttributes=members`, {
        method: 'PATCH',
        headers: { ...headers, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value }] }),
      });
      await res.text();
      times.push(performance.now() - started);
      if (!res.ok) throw new Error(`group PATCH: ${res.status}`);
    }
    console.log(`group PATCH of ${MEMBERS} members: ${times.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    report.add(
      boundedFigure(`PATCH /scim/v2/Groups/{id} adding ${MEMBERS} members, slowest of ${PATCHES}, ${size} users, MariaDB`, Math.max(...times), 'ms', { max: PATCH_TARGET_MS }, {
        value: rawMs,
        label: `raw multi-row INSERT of ${MEMBERS} membership rows`,
      }),
    );
    await conn.end();
  } finally {
    await server?.stop();
    if (groupIds.length) {
      // Leave the seeded database as it was found, for the other benchmarks' reuse.
      const conn = await createConnection({ uri: DB_URL });
      await conn.query(`DELETE FROM \`groups\` WHERE id IN (?)`, [groupIds]);
      await conn.end();
    }
    if (originalPool < BUFFER_POOL_BYTES) await admin.query('SET GLOBAL innodb_buffer_pool_size = ?', [originalPool]);
    await admin.end();
  }
}

await runBench(main);
