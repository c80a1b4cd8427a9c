import type { EntityManager } from 'typeorm';
import { Database } from '../src/database/database.service.js';
import { createTenant, startApp, type TestApp, useMysql } from './helpers/app.js';

/**
 * A transaction that loses a deadlock (InnoDB) or a certification conflict (Galera) gets
 * error 1213 and is rolled back whole; the service's transaction helper runs it again, so
 * the caller never sees it. Provoked here on plain MariaDB with a real deadlock: two
 * transactions lock two rows in opposite orders.
 */
const suite = useMysql ? describe : describe.skip;

suite('transactions retried after error 1213 (MariaDB; SQLite runs one transaction at a time and cannot deadlock)', () => {
  let t: TestApp;
  let db: Database;
  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Database);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Resolves when both sides have arrived (or after a second, for a side that runs again alone). */
  function barrier(): () => Promise<void> {
    let arrived = 0;
    let release!: () => void;
    const all = new Promise<void>((resolve) => (release = resolve));
    return async () => {
      arrived += 1;
      if (arrived === 2) release();
      await Promise.race([all, new Promise((r) => setTimeout(r, 1000))]);
    };
  }

  it('runs the deadlock victim again, and both transactions commit', async () => {
    const first = await createTenant(t);
    const second = await createTenant(t);
    const bothLocked = barrier();
    const calls = { left: 0, right: 0 };
    const rename = (manager: EntityManager, id: string, name: string) => manager.query('UPDATE tenants SET name = ? WHERE id = ?', [name, id]);
    const retriesBefore = db.retries;

    const [left, right] = await Promise.allSettled([
      db.transaction(async (manager) => {
        calls.left += 1;
        await rename(manager, first.id, 'left-1');
        await bothLocked();
        await rename(manager, second.id, 'left-2');
        return 'left';
      }),
      db.transaction(async (manager) => {
        calls.right += 1;
        await rename(manager, second.id, 'right-2');
        await bothLocked();
        await rename(manager, first.id, 'right-1');
        return 'right';
      }),
    ]);

    expect([left.status, right.status]).toEqual(['fulfilled', 'fulfilled']);
    // One of them was the victim and ran twice; the other ran once.
    expect([calls.left, calls.right].sort()).toEqual([1, 2]);
    expect(db.retries - retriesBefore).toBe(1);
    // The transaction that ran last wrote both rows: no half of the victim's first try survived.
    const rows = (await t.dataSource.query('SELECT id, name FROM tenants WHERE id IN (?, ?)', [first.id, second.id])) as { id: string; name: string }[];
    const names = Object.fromEntries(rows.map((r) => [r.id, r.name]));
    const lastWriter = calls.left === 2 ? 'left' : 'right';
    expect(names).toEqual({ [first.id]: `${lastWriter}-1`, [second.id]: `${lastWriter}-2` });
  });

  it('does not run a transaction again for any other error', async () => {
    const tenant = await createTenant(t);
    let calls = 0;
    const retriesBefore = db.retries;
    await expect(
      db.transaction(async (manager) => {
        calls += 1;
        await manager.query('INSERT INTO tenants (id, slug, name) SELECT id, slug, name FROM tenants WHERE id = ?', [tenant.id]);
      }),
    ).rejects.toThrow();
    expect(calls).toBe(1);
    expect(db.retries).toBe(retriesBefore);
  });

  it('answers every request when many update one user at once', async () => {
    const tenant = await createTenant(t);
    const created = await t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email: 'contended@example.com', clientTags: ['a'] } });
    expect(created.status).toBe(201);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.call('PATCH', `/api/v2/users/${created.body.id}`, { tenant: tenant.id, body: { firstName: `n${i}`, clientTags: [`t${i}`, 'shared'] } }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    const final = await t.call('GET', `/api/v2/users/${created.body.id}`, { tenant: tenant.id });
    expect(final.body.version).toBe(21);
  });
});
