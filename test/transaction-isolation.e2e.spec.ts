import { readFile } from 'node:fs/promises';
import { Database } from '../src/database/database.service.js';
import { hashPassword } from '../src/users/passwords.js';
import { User } from '../src/users/user.entity.js';
import { createTenant, startApp, useMysql, type TestApp } from './helpers/app.js';
import { signedInUser } from './helpers/sessions.js';
import { createUser, uniqueEmail } from './helpers/users.js';

/**
 * A transaction that awaits real I/O (a hash in the thread pool, a file read, a timer) in the
 * middle of its statements neither exposes its uncommitted rows to other requests nor swallows
 * their writes when it rolls back (issue 12, point 4). On SQLite every statement shares one
 * connection, so this holds only because the transaction holds it; on MariaDB it is the
 * database's own isolation.
 */
describe(`a transaction awaiting I/O (${useMysql ? 'MariaDB' : 'SQLite'})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '10000' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('neither exposes its uncommitted rows nor swallows the writes made meanwhile', async () => {
    const tenant = await createTenant(t);
    const bystander = await createUser(t, tenant, { email: uniqueEmail(), name: 'Committed name' });
    const s = await signedInUser(t, tenant);
    let started!: () => void;
    const inside = new Promise<void>((resolve) => (started = resolve));
    const db = t.app.get(Database);
    const doomed = db.transaction(async (manager) => {
      await manager.update(User, { id: bystander.id }, { name: 'Uncommitted name', version: () => 'version + 1' });
      started();
      // Real I/O in the middle of the transaction: the thread pool, the file system, a timer.
      await hashPassword('a password hashed mid-transaction');
      await readFile(new URL(import.meta.url));
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw new Error('rolled back on purpose');
    });
    await inside;
    // Meanwhile, other requests: a read of the row the transaction changed, and a refresh
    // (a bare conditional UPDATE of the session) that must outlive the rollback.
    const read = t.call('GET', `/api/v2/users/${bystander.id}`, { tenant: tenant.id });
    const rotated = t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: s.refreshToken } });
    const edited = t.call('PATCH', `/api/v2/users/${s.user.id}`, { tenant: tenant.id, body: { name: 'Edited meanwhile' } });
    await expect(doomed).rejects.toThrow('rolled back on purpose');

    const seen = await read;
    expect(seen.status).toBe(200);
    expect(seen.body.name).toBe('Committed name');
    const refresh = await rotated;
    expect(refresh.status).toBe(200);
    expect((await edited).status).toBe(200);

    // The rotation survived: the new token works once, the old one is spent.
    const again = await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: refresh.body.refreshToken } });
    expect(again.status).toBe(200);
    expect((await t.call('GET', `/api/v2/users/${s.user.id}`, { tenant: tenant.id })).body.name).toBe('Edited meanwhile');
    expect((await t.call('GET', `/api/v2/users/${bystander.id}`, { tenant: tenant.id })).body.name).toBe('Committed name');
  });

  it('runs many such transactions beside a flood of requests without losing a write', async () => {
    const tenant = await createTenant(t);
    const s = await signedInUser(t, tenant);
    const db = t.app.get(Database);
    let token = s.refreshToken;
    const failing = Array.from({ length: 10 }, (_, i) =>
      db
        .transaction(async (manager) => {
          await manager.update(User, { id: s.user.id }, { name: `Doomed ${i}` });
          await new Promise((resolve) => setTimeout(resolve, 5));
          throw new Error('rolled back');
        })
        .catch(() => undefined),
    );
    for (let i = 0; i < 20; i++) {
      const res = await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: token } });
      expect(res.status).toBe(200);
      token = res.body.refreshToken;
    }
    await Promise.all(failing);
    expect((await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: token } })).status).toBe(200);
    expect((await t.call('GET', `/api/v2/users/${s.user.id}`, { tenant: tenant.id })).body.name).not.toMatch(/^Doomed/);
  });

  (useMysql ? it.skip : it)('refuses, loudly, a SQLite transaction begun around the gate', async () => {
    await expect(t.dataSource.transaction(async () => undefined)).rejects.toThrow(/Database\.transaction/);
  });
});
