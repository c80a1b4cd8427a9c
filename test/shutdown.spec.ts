import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, useMysql } from './helpers/app.js';
import { buildService, operatorJson, startService } from './helpers/service-process.js';

/** SIGTERM stops accepting, lets in-flight requests finish, closes the pool and exits 0. */
describe('graceful shutdown of the built service', () => {
  let dir: string;
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    buildService();
    dir = mkdtempSync(join(tmpdir(), 'identity-shutdown-'));
    db = useMysql ? await freshDatabase() : { url: `sqlite:${join(dir, 'identity.sqlite')}`, drop: async () => undefined };
  }, 120_000);
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function countSessions(url: string): Promise<number> {
    if (url.startsWith('sqlite:')) {
      const { default: Sqlite } = await import('better-sqlite3');
      const conn = new Sqlite(url.slice('sqlite:'.length), { readonly: true });
      try {
        return (conn.prepare('SELECT COUNT(*) AS n FROM sessions').get() as { n: number }).n;
      } finally {
        conn.close();
      }
    }
    const { createConnection } = await import('mysql2/promise');
    const conn = await createConnection(url);
    try {
      const [rows] = await conn.query('SELECT COUNT(*) AS n FROM sessions');
      return Number((rows as { n: number }[])[0]!.n);
    } finally {
      await conn.end();
    }
  }

  it('finishes in-flight requests and exits 0', async () => {
    const { child, base, output, exited } = await startService(db.url);
    try {
      const json = operatorJson;
      const slug = `shut-${Date.now()}`;
      const tenant = (await (await fetch(`${base}/api/v2/tenants`, { method: 'POST', headers: json, body: JSON.stringify({ slug, name: 's' }) })).json()) as { id: string };
      const user = await fetch(`${base}/api/v2/users`, {
        method: 'POST',
        headers: { ...json, 'x-tenant-id': tenant.id },
        body: JSON.stringify({ email: 'shutdown@example.com', password: 'Long-enough-1' }),
      });
      expect(user.status).toBe(201);

      // Logins take tens of milliseconds each (argon2id), so many are in flight at SIGTERM.
      const inFlight = Array.from({ length: 24 }, () =>
        fetch(`${base}/api/v2/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tenant: slug, email: 'shutdown@example.com', password: 'Long-enough-1' }),
        }).then(
          (r) => ({ status: r.status as number | string, at: Date.now() }),
          (e: Error) => ({ status: e.message as number | string, at: Date.now() }),
        ),
      );
      await new Promise((r) => setTimeout(r, 100));
      const killedAt = Date.now();
      child.kill('SIGTERM');
      const replies = await Promise.all(inFlight);
      const statuses = replies.map((r) => r.status);
      // Requests already running finish; ones arriving after SIGTERM are refused (503 or no connection).
      // How many were running depends on the machine's load; that some finished after the
      // signal, with a 200, is what shows in-flight requests were drained and not dropped.
      const answered = statuses.filter((s) => s === 200).length;
      expect(statuses.filter((s) => s !== 200 && s !== 503 && typeof s === 'number')).toEqual([]);
      expect(replies.filter((r) => r.status === 200 && r.at > killedAt).length).toBeGreaterThanOrEqual(1);
      const [code] = await exited;
      expect(code).toBe(0);
      await expect(fetch(`${base}/health`)).rejects.toThrow();
      expect(output()).not.toMatch(/"level":(50|60)/);
      // Every login that was answered 200 was committed before the pool closed.
      expect(await countSessions(db.url)).toBe(answered);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
