import { execFileSync } from 'node:child_process';
import { createConnection } from 'mysql2/promise';
import { freshDatabase } from '../helpers/app.js';
import { buildService, operatorJson, type ServiceProcess, startService } from '../helpers/service-process.js';

/**
 * Faults against the real MariaDB and the built service. These stop the shared MariaDB
 * server, so they run on their own (`npm run test:faults`), never beside other suites.
 */
const SERVER = process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';

async function mariadbUp(): Promise<boolean> {
  try {
    const conn = await createConnection({ uri: SERVER, connectTimeout: 1000 });
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${timeoutMs} ms`);
}

function stopMariadb(): void {
  execFileSync('mariadb-admin', ['-uroot', '-h127.0.0.1', 'shutdown']);
}

function startMariadb(): void {
  execFileSync('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd']);
}

interface Outcome {
  email: string;
  status: number | 'error';
  ms: number;
}

/** Creates users in `lanes` parallel loops until stopped; every answer is recorded. */
function writeLoad(service: ServiceProcess, tenantId: string, lanes: number): { stop: () => Promise<Outcome[]> } {
  const outcomes: Outcome[] = [];
  let running = true;
  let n = 0;
  const lane = async (): Promise<void> => {
    while (running) {
      const email = `fault-${Date.now()}-${n++}@example.com`;
      const started = Date.now();
      const status = await fetch(`${service.base}/api/v2/users`, {
        method: 'POST',
        headers: { ...operatorJson, 'x-tenant-id': tenantId },
        body: JSON.stringify({ email, clientTags: ['a', 'b'], ipWhitelist: ['10.0.0.0/8'] }),
        signal: AbortSignal.timeout(15_000),
      }).then(
        (r) => r.status,
        () => 'error' as const,
      );
      outcomes.push({ email, status, ms: Date.now() - started });
      if (status !== 201) await new Promise((r) => setTimeout(r, 50));
    }
  };
  const lanesDone = Promise.all(Array.from({ length: lanes }, lane));
  return {
    stop: async () => {
      running = false;
      await lanesDone;
      return outcomes;
    },
  };
}

/** Users in the database, with how many tags each has: a half-written user would show fewer than 2. */
async function storedUsers(url: string): Promise<Map<string, number>> {
  const conn = await createConnection(url);
  try {
    const [rows] = await conn.query(
      'SELECT u.email, COUNT(t.tag) AS tags FROM users u LEFT JOIN user_client_tags t ON t.user_id = u.id GROUP BY u.email',
    );
    return new Map((rows as { email: string; tags: number }[]).map((r) => [r.email, Number(r.tags)]));
  } finally {
    await conn.end();
  }
}

describe('faults', () => {
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    buildService();
    if (!(await mariadbUp())) startMariadb();
    await waitFor(mariadbUp, 30_000);
    db = await freshDatabase();
  }, 180_000);
  afterAll(async () => {
    if (!(await mariadbUp())) {
      startMariadb();
      await waitFor(mariadbUp, 30_000);
    }
    await db.drop();
  }, 60_000);

  async function tenantOf(service: ServiceProcess): Promise<string> {
    const res = await fetch(`${service.base}/api/v2/tenants`, {
      method: 'POST',
      headers: operatorJson,
      body: JSON.stringify({ slug: `fault-${Date.now()}`, name: 'faults' }),
    });
    return ((await res.json()) as { id: string }).id;
  }

  it('answers 503 quickly while MariaDB is down, recovers on its own, and leaves nothing half-written', async () => {
    const service = await startService(db.url);
    try {
      const tenantId = await tenantOf(service);
      const load = writeLoad(service, tenantId, 8);
      await new Promise((r) => setTimeout(r, 1500));
      stopMariadb();
      await waitFor(async () => !(await mariadbUp()), 30_000);
      const outageStarted = Date.now();
      await new Promise((r) => setTimeout(r, 3000));
      const health = await fetch(`${service.base}/health`);
      expect(health.status).toBe(503);
      startMariadb();
      await waitFor(mariadbUp, 60_000);
      const recovery = await waitFor(async () => (await fetch(`${service.base}/health`)).status === 200, 10_000);
      await new Promise((r) => setTimeout(r, 1500));
      const outcomes = await load.stop();

      const during = outcomes.filter((o) => o.status !== 201);
      expect(outcomes.filter((o) => o.status === 201).length).toBeGreaterThan(10);
      expect(during.length).toBeGreaterThan(0);
      // During the outage: problem answers, 503, fast; never a hang past 5 s or a 500.
      expect(during.filter((o) => o.status !== 503)).toEqual([]);
      expect(Math.max(...during.map((o) => o.ms))).toBeLessThan(5000);
      // Writes succeed again after recovery.
      const afterRecovery = outcomes.filter((o) => o.status === 201 && Number(o.email.split('-')[1]) > outageStarted);
      expect(afterRecovery.length).toBeGreaterThan(0);
      expect(recovery).toBeLessThan(10_000);

      const stored = await storedUsers(db.url);
      for (const o of outcomes.filter((x) => x.status === 201)) expect(stored.get(o.email)).toBe(2);
      for (const [email, tags] of stored) expect({ email, tags }).toEqual({ email, tags: 2 });
      expect(service.output()).not.toMatch(/"level":60/);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  }, 180_000);

  it('loses no acknowledged write when the service is killed with SIGKILL', async () => {
    const service = await startService(db.url);
    const tenantId = await tenantOf(service);
    const load = writeLoad(service, tenantId, 8);
    await new Promise((r) => setTimeout(r, 2000));
    service.child.kill('SIGKILL');
    await service.exited;
    const outcomes = await load.stop();
    const acknowledged = outcomes.filter((o) => o.status === 201);
    expect(acknowledged.length).toBeGreaterThan(10);
    const restarted = await startService(db.url);
    try {
      const stored = await storedUsers(db.url);
      for (const o of acknowledged) expect(stored.get(o.email)).toBe(2);
      for (const [email, tags] of stored) expect({ email, tags }).toEqual({ email, tags: 2 });
    } finally {
      restarted.child.kill('SIGTERM');
      await restarted.exited;
    }
  }, 120_000);
});
