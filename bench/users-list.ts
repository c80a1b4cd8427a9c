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
import { createConnection, createPool, type RowDataPacket } from 'mysql2/promise';
import { CursorSeal } from '../src/common/cursor.js';
import {
  DURATION, ENCRYPTION_KEY, MYSQL_SERVER, OPERATOR, POINT_SELECT, WARMUP_SECONDS, baselineFigure, boundedFigure, measureLoop, rate,
  runBench, startService, type Child, type Report
} from './lib.js';
import { DB, DB_URL, isSeeded, mysqlDate, SCALE, seed, target, TENANT_SIZES } from './users-seed.js';

const CONCURRENCIES = (process.env.BENCH_CONNECTIONS ?? '1,10').split(',').map(Number);
const BUFFER_POOL_BYTES = Number(process.env.BENCH_BUFFER_POOL_MB ?? '2048') * 1024 * 1024;
/** p99 targets in ms: the list's first page, a deep keyset page, and a filter by email. */
const TARGET_MS = 20;

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
    // The list's cursors are sealed with the service's key (the one startService gives it), as the service seals them.
    const deepCursor = new CursorSeal(Buffer.from(ENCRYPTION_KEY, 'base64'), 'users list').seal(['createdAt', big.middle.createdAt.toISOString(), big.middle.id]);
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
