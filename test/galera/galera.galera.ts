import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createConnection } from 'mysql2/promise';
import { buildService, freePort, operatorJson, type ServiceProcess, startService } from '../helpers/service-process.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { GaleraCluster } from './cluster.js';

/**
 * The service on a three-node MariaDB Galera cluster of its own (loopback ports, a temporary
 * directory): two instances, each on a different node. `npm run test:galera`; with
 * GALERA_REPORT=<file> the run's figures are also written there as Markdown.
 */
const DATABASE = 'identity_galera';
const PASSWORD = 'Correct-Horse-9';
const report: string[] = [];
const startedAt = Date.now();

function note(line = ''): void {
  report.push(line);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function call(service: ServiceProcess, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  try {
    const res = await fetch(`${service.base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch {
    return { status: 0, body: undefined };
  }
}

async function sumStatus(cluster: GaleraCluster, names: string[]): Promise<number> {
  let sum = 0;
  for (const node of cluster.nodes) {
    const status = await node.status();
    for (const name of names) sum += Number(status?.[name] ?? 0);
  }
  return sum;
}

async function retriesOf(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return Number(/^identity_db_transaction_retries_total (\d+)/m.exec(text)?.[1] ?? 'NaN');
}

function counts(statuses: number[]): string {
  const by = new Map<number, number>();
  for (const s of statuses) by.set(s, (by.get(s) ?? 0) + 1);
  return [...by.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([status, n]) => `${n} × ${status === 0 ? 'no answer' : status}`)
    .join(', ');
}

describe('the service on a three-node MariaDB Galera cluster', () => {
  let cluster: GaleraCluster;
  let a: ServiceProcess;
  let b: ServiceProcess;
  const metricsPorts = { a: 0, b: 0 };
  let tenantId: string;
  let tenantSlug: string;
  const admin = () => ({ ...operatorJson, 'x-tenant-id': tenantId });

  beforeAll(async () => {
    cluster = await GaleraCluster.create(3);
    const clusterStarted = Date.now();
    await cluster.start();
    const clusterMs = Date.now() - clusterStarted;
    const [node1, node2] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const conn = await createConnection(node1.url);
    const [[version]] = (await conn.query('SELECT VERSION() AS version')) as unknown as [{ version: string }[]];
    const provider = (await node1.status())?.wsrep_provider_version ?? 'unknown';
    await conn.query(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await conn.end();

    buildService();
    metricsPorts.a = await freePort();
    metricsPorts.b = await freePort();
    const servicesStarted = Date.now();
    // The first instance migrates the empty database (DDL is replicated to every node); the second finds it ready.
    const hooks = { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_RETRY_SCHEDULE: '0.5,0.5,0.5' };
    a = await startService(`${node1.url}/${DATABASE}`, { METRICS_PORT: String(metricsPorts.a), LOG_LEVEL: 'error', ...hooks });
    b = await startService(`${node2.url}/${DATABASE}`, { METRICS_PORT: String(metricsPorts.b), LOG_LEVEL: 'error', ...hooks });
    const servicesMs = Date.now() - servicesStarted;

    note('# The service on MariaDB Galera Cluster');
    note();
    note(`Written by \`GALERA_REPORT=bench/GALERA.md npm run test:galera\` (\`test/galera/galera.galera.ts\`) on ${new Date().toISOString().slice(0, 10)},`);
    note(`Node.js ${process.version}, ${cpus().length} CPUs, MariaDB ${version!.version}, Galera ${provider}.`);
    note();
    note('Three nodes on loopback ports under a temporary directory, each with its own configuration file');
    note('(`wsrep_sst_method=rsync`, `wsrep_sync_wait=1`, `wsrep_mode=REQUIRED_PRIMARY_KEY,STRICT_REPLICATION`);');
    note('instance A of the service runs against node 1, instance B against node 2, as `node dist/src/main.js`.');
    note();
    note('## Start');
    note();
    note(`- cluster: 3 nodes synced in ${seconds(clusterMs)} (node 1 bootstraps; nodes 2 and 3 join by state transfer)`);
    note(`- service: both instances answering in ${seconds(servicesMs)}; instance A ran every migration under \`REQUIRED_PRIMARY_KEY\``);
  }, 600_000);

  afterAll(async () => {
    for (const service of [a, b]) {
      if (service && service.child.exitCode === null) {
        service.child.kill('SIGTERM');
        await service.exited;
      }
    }
    await cluster?.destroy();
    note();
    note(`Whole run, cluster start to cluster removed: ${seconds(Date.now() - startedAt)}; the machine's load average at the end: ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs.`);
    const text = `${report.join('\n')}\n`;
    process.stdout.write(`\n${text}`);
    if (process.env.GALERA_REPORT) writeFileSync(process.env.GALERA_REPORT, text);
  }, 120_000);

  it('keeps a primary key on every table', async () => {
    const conn = await createConnection(`${cluster.nodes[2]!.url}/${DATABASE}`);
    try {
      const [rows] = await conn.query(
        `SELECT t.table_name AS name FROM information_schema.tables t
          WHERE t.table_schema = DATABASE() AND t.table_type = 'BASE TABLE'
            AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints c
                             WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')`,
      );
      expect(rows).toEqual([]);
      const [tables] = await conn.query(`SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE()`);
      note(`- schema: ${(tables as { n: number }[])[0]!.n} tables, every one with a primary key, replicated to node 3`);
    } finally {
      await conn.end();
    }
  });

  it('writes through both instances, and each sees the other’s writes and revocations at once', async () => {
    const tenant = await call(a, 'POST', '/api/v2/tenants', { slug: `galera-${Date.now()}`, name: 'Galera' }, operatorJson);
    expect(tenant.status).toBe(201);
    tenantId = tenant.body.id;
    tenantSlug = tenant.body.slug;
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        call(i % 2 === 0 ? a : b, 'POST', '/api/v2/users', { email: `both-${i}@example.com`, password: PASSWORD, clientTags: ['x'] }, admin()).then((r) => ({ ...r, via: i % 2 })),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(created.map(() => 201));
    // Each user read through the instance that did not write it, right after the write.
    const crossReads = await Promise.all(created.map((r) => call(r.via === 0 ? b : a, 'GET', `/api/v2/users/${r.body.id}`, undefined, admin())));
    expect(crossReads.map((r) => r.status)).toEqual(crossReads.map(() => 200));

    const login = await call(a, 'POST', '/api/v2/auth/login', { tenant: tenantSlug, email: 'both-0@example.com', password: PASSWORD });
    expect(login.status).toBe(200);
    const bearer = { authorization: `Bearer ${login.body.accessToken}` };
    expect((await call(b, 'GET', '/api/v2/me', undefined, bearer)).status).toBe(200);
    expect((await call(b, 'POST', '/api/v2/auth/logout', undefined, bearer)).status).toBe(204);
    expect((await call(a, 'GET', '/api/v2/me', undefined, bearer)).status).toBe(401);
    note();
    note('## Writes through both nodes');
    note();
    note(`- 40 users created at once, alternately through A and B: ${counts(created.map((r) => r.status))}`);
    note(`- each read back through the other instance right after: ${counts(crossReads.map((r) => r.status))}`);
    note('- a session opened through A and ended through B: refused by A on the next request (401)');
  });

  it('answers every one of many concurrent updates of one user through both nodes, retrying lost certifications', async () => {
    const user = await call(a, 'POST', '/api/v2/users', { email: 'contended@example.com', clientTags: ['start'] }, admin());
    expect(user.status).toBe(201);
    const conflictsBefore = await sumStatus(cluster, ['wsrep_local_cert_failures', 'wsrep_local_bf_aborts']);
    const retriesBefore = (await retriesOf(metricsPorts.a)) + (await retriesOf(metricsPorts.b));
    const updates = 200;
    const lanes = 5;
    const statuses: number[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: lanes * 2 }, async (_, lane) => {
        const service = lane % 2 === 0 ? a : b;
        while (next < updates) {
          const i = next++;
          const res = await call(service, 'PATCH', `/api/v2/users/${user.body.id}`, { firstName: `n${i}`, clientTags: [`t${i}`, 'shared'] }, admin());
          statuses.push(res.status);
        }
      }),
    );
    const elapsed = Date.now() - started;
    const conflicts = (await sumStatus(cluster, ['wsrep_local_cert_failures', 'wsrep_local_bf_aborts'])) - conflictsBefore;
    const retries = (await retriesOf(metricsPorts.a)) + (await retriesOf(metricsPorts.b)) - retriesBefore;
    const final = await call(b, 'GET', `/api/v2/users/${user.body.id}`, undefined, admin());

    // On failure, the first errors the instances logged say why.
    const errors = [...a.output().split('\n'), ...b.output().split('\n')].filter((l) => /request failed/.test(l)).slice(0, 3);
    expect({ refused: statuses.filter((s) => s !== 200), errors }).toEqual({ refused: [], errors: [] });
    expect(final.body.version).toBe(1 + updates);
    // The point of the test: the nodes did refuse transactions, and the service ran them again.
    expect(conflicts).toBeGreaterThan(0);
    expect(retries).toBeGreaterThan(0);
    note();
    note('## One user updated through both nodes at once');
    note();
    note(`- ${updates} PATCHes of one user (name and tags), ${lanes} at a time through each instance, in ${seconds(elapsed)}: ${counts(statuses)}`);
    note(`- certification failures and brute-force aborts counted by the nodes meanwhile: ${conflicts}`);
    note(`- transactions the service ran again after error 1213 (\`identity_db_transaction_retries_total\`, both instances): ${retries}`);
    note(`- the user's version afterwards: ${final.body.version} (1 + ${updates}: no update lost, none applied twice)`);
  });

  it('keeps a last admin when two admins are demoted at once through two nodes', async () => {
    const rounds = 10;
    const outcomes: number[][] = [];
    const adminsLeft: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const tenant = await call(a, 'POST', '/api/v2/tenants', { slug: `admins-${Date.now()}-${round}`, name: 'Admins' }, operatorJson);
      const headers = { ...operatorJson, 'x-tenant-id': tenant.body.id };
      const x = await call(a, 'POST', '/api/v2/users', { email: 'x@example.com', admin: true }, headers);
      const y = await call(a, 'POST', '/api/v2/users', { email: 'y@example.com', admin: true }, headers);
      const [viaA, viaB] = await Promise.all([
        call(a, 'PATCH', `/api/v2/users/${x.body.id}`, { admin: false }, headers),
        call(b, 'PATCH', `/api/v2/users/${y.body.id}`, { admin: false }, headers),
      ]);
      outcomes.push([viaA.status, viaB.status].sort());
      const list = await call(a, 'GET', '/api/v2/users?limit=10', undefined, headers);
      adminsLeft.push((list.body.data as { admin: boolean; active: boolean }[]).filter((u) => u.admin && u.active).length);
    }
    note();
    note('## Two admins demoted at once through two nodes');
    note();
    note(`- ${rounds} tenants with two admins; in each, one demoted through A and the other through B at the same moment`);
    note(`- answers: ${counts(outcomes.flat())}; active admins left per tenant: ${adminsLeft.join(', ')}`);
    expect(adminsLeft.filter((n) => n < 1)).toEqual([]);
    expect(outcomes.flat().filter((s) => s !== 200 && s !== 409)).toEqual([]);
  });

  it('sends each webhook delivery once while both instances dispatch, each from its own node', async () => {
    // FOR UPDATE SKIP LOCKED skips only the rows locked on the same node: both nodes may claim
    // one delivery, and certification refuses the second claim at commit (1213), which the
    // service runs again and then finds the row leased. So no attempt is sent twice.
    const receiver = await new WebhookReceiver().start();
    let hookId: string | null = null;
    try {
      const hook = await call(a, 'POST', '/api/v2/webhooks', { url: receiver.url, events: ['user.created'] }, admin());
      hookId = hook.body?.id ?? null;
      expect(hook.status).toBe(201);
      receiver.secret = hook.body.secret;
      const conflictsBefore = await sumStatus(cluster, ['wsrep_local_cert_failures', 'wsrep_local_bf_aborts']);
      const events = 120;
      const statuses: number[] = [];
      let next = 0;
      const started = Date.now();
      await Promise.all(
        Array.from({ length: 8 }, async (_, lane) => {
          while (next < events) {
            const i = next++;
            statuses.push((await call(lane % 2 === 0 ? a : b, 'POST', '/api/v2/users', { email: `hooked-${i}@example.com` }, admin())).status);
          }
        }),
      );
      expect(counts(statuses)).toBe(`${events} × 201`);
      await receiver.waitFor((r) => new Set(r.delivered.map((p) => p.data.event.id)).size >= events, 60_000);
      const elapsed = Date.now() - started;
      // A second sending of any attempt would arrive within moments of the first.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const ids = receiver.received.map((r) => r.id);
      expect(receiver.received.every((r) => r.verified)).toBe(true);
      expect({ received: ids.length, distinct: new Set(ids).size }).toEqual({ received: events, distinct: events });
      const log = await call(b, 'GET', `/api/v2/webhooks/${hook.body.id}/deliveries?limit=200`, undefined, admin());
      expect(log.body.data.map((d: { status: string; attempts: number }) => `${d.status}/${d.attempts}`)).toEqual(Array(events).fill('delivered/1'));
      const conflicts = (await sumStatus(cluster, ['wsrep_local_cert_failures', 'wsrep_local_bf_aborts'])) - conflictsBefore;
      note();
      note('## Webhooks dispatched by both instances');
      note();
      note(`- ${events} users created through A and B (8 lanes), each event matching one endpoint; both instances dispatch`);
      note(`- received by a loopback consumer within ${seconds(elapsed)} of the first create: ${ids.length} requests, ${new Set(ids).size} distinct webhook-ids, every signature verified`);
      note(`- deliveries log: ${counts(log.body.data.map((d: { attempts: number }) => d.attempts))} attempt(s) each; certification conflicts on the nodes meanwhile: ${conflicts}`);
    } finally {
      // The next test's load should not also feed an endpoint that is gone.
      if (hookId) await call(a, 'PATCH', `/api/v2/webhooks/${hookId}`, { active: false }, admin());
      await receiver.stop();
    }
  });

  it('answers 503 on the instance whose node is killed under write load, recovers when the node is back, and loses no acknowledged write', async () => {
    const node2 = cluster.nodes[1]!;
    type Outcome = { email: string; via: 'A' | 'B'; status: number; at: number };
    const outcomes: Outcome[] = [];
    let running = true;
    let n = 0;
    const lane = async (via: 'A' | 'B'): Promise<void> => {
      const service = via === 'A' ? a : b;
      while (running) {
        const email = `load-${n++}@example.com`;
        const res = await call(service, 'POST', '/api/v2/users', { email, clientTags: ['a', 'b'] }, admin());
        outcomes.push({ email, via, status: res.status, at: Date.now() });
        if (res.status !== 201) await new Promise((r) => setTimeout(r, 50));
      }
    };
    const load = Promise.all([...Array.from({ length: 4 }, () => lane('A')), ...Array.from({ length: 4 }, () => lane('B'))]);
    await new Promise((r) => setTimeout(r, 2000));

    const killedAt = Date.now();
    await node2.kill();
    let readyDuring = 0;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      readyDuring = (await call(b, 'GET', '/health/ready')).status;
      if (readyDuring === 503) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 3000));

    const position = node2.recoveredPosition();
    const restartedAt = Date.now();
    node2.start({ startPosition: position });
    await node2.synced();
    const rejoinMs = Date.now() - restartedAt;
    let recoveredAt = 0;
    while (Date.now() - restartedAt < 60_000) {
      if ((await call(b, 'GET', '/health/ready')).status === 200) {
        recoveredAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 3000));
    running = false;
    await load;

    const viaA = outcomes.filter((o) => o.via === 'A');
    const viaB = outcomes.filter((o) => o.via === 'B');
    const bDuring = viaB.filter((o) => o.at > killedAt && o.at < restartedAt);
    const bAfter = viaB.filter((o) => o.at > recoveredAt && o.status === 201);
    const acknowledged = outcomes.filter((o) => o.status === 201);

    // Every acknowledged user is on every node, whole (both tags); nothing half-written anywhere.
    const stored: Map<string, number>[] = [];
    for (const node of cluster.nodes) {
      const conn = await createConnection(`${node.url}/${DATABASE}`);
      try {
        const [rows] = await conn.query(
          `SELECT u.email, COUNT(t.tag) AS tags FROM users u LEFT JOIN user_client_tags t ON t.user_id = u.id
            WHERE u.email LIKE 'load-%' GROUP BY u.email`,
        );
        stored.push(new Map((rows as { email: string; tags: number }[]).map((r) => [r.email, Number(r.tags)])));
      } finally {
        await conn.end();
      }
    }
    const lost = acknowledged.filter((o) => stored.some((s) => s.get(o.email) !== 2));
    const halfWritten = stored.flatMap((s) => [...s.entries()].filter(([, tags]) => tags !== 2));

    note();
    note('## Node 2 killed (SIGKILL) under write load');
    note();
    note(`- load: 4 lanes creating users through each instance, ${outcomes.length} requests in all`);
    note(`- through A (node 1): ${counts(viaA.map((o) => o.status))}`);
    note(`- through B (node 2) while node 2 was down: ${counts(bDuring.map((o) => o.status))}; \`/health/ready\` on B: ${readyDuring}`);
    note(`- node 2 restarted at its recovered position (\`--wsrep-recover\`) and synced again by incremental state transfer in ${seconds(rejoinMs)}`);
    note(`- B ready again ${seconds(recoveredAt - restartedAt)} after the restart; ${bAfter.length} users created through B afterwards`);
    note(`- acknowledged writes (201): ${acknowledged.length}; missing or incomplete on any of the 3 nodes: ${lost.length}`);
    note(`- users per node: ${stored.map((s) => s.size).join(' / ')}; half-written users on any node: ${halfWritten.length}`);

    // On failure, the errors instance A logged say why (messages only).
    const aErrors = a
      .output()
      .split('\n')
      .filter((l) => /request failed/.test(l))
      .map((l) => /"message":"([^"]*)"/.exec(l)?.[1] ?? l.slice(0, 200))
      .slice(0, 5);
    expect({ refused: viaA.filter((o) => o.status !== 201).map((o) => o.status), errors: aErrors }).toEqual({ refused: [], errors: [] });
    expect(viaB.filter((o) => o.status !== 201 && o.status !== 503).map((o) => o.status)).toEqual([]);
    expect(bDuring.filter((o) => o.status === 503).length).toBeGreaterThan(0);
    expect(readyDuring).toBe(503);
    expect(recoveredAt).toBeGreaterThan(0);
    expect(bAfter.length).toBeGreaterThan(0);
    expect(lost).toEqual([]);
    expect(halfWritten).toEqual([]);
    expect(new Set(stored.map((s) => s.size)).size).toBe(1);
    expect(a.output()).not.toMatch(/"level":60/);
    expect(b.output()).not.toMatch(/"level":60/);
  });
});
