import { jest } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../src/database/database.service.js';
import { SqliteReader, sqliteReaderOf } from '../src/database/sqlite-reader.js';
import { SQLITE_CHILD_ROWS } from '../src/users/child-rows.repository.js';
import { UserTfa } from '../src/sessions/session.entities.js';
import { type UserListPage, UsersRepository } from '../src/users/users.repository.js';
import { createTenant, startApp, useMysql, type TestApp } from './helpers/app.js';
import { signedInUser } from './helpers/sessions.js';
import { insertRandomUsers, randomGroup, randomText, randomUser } from './helpers/random-users.js';
import { createUser, insertGroup, insertPlan } from './helpers/users.js';

/*
 * On a SQLite file, a list page is read on the reader thread (src/database/sqlite-reader.ts), on a
 * connection of its own. These hold its rows to those the service's own connection reads, and
 * hold what it may see: every committed change, nothing of a transaction still open, and inside
 * a transaction (read on the transaction's connection) the transaction's own changes.
 */

const PAGE: UserListPage = { filter: {}, sort: 'createdAt', offset: 0, limit: 200 };
const PASSWORD_HASH = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';

type PageRows = Awaited<ReturnType<UsersRepository['listPageRows']>>;
const comparable = (read: PageRows) => ({ rows: read.rows, more: read.more, last: read.last });

(useMysql ? describe.skip : describe)('list pages read on the SQLite reader thread', () => {
  let dir: string;
  let t: TestApp;
  let repository: UsersRepository;
  let db: Database;
  let tenant: any;
  let reads: ReturnType<typeof jest.spyOn>;

  /** The same page through the service's own connection: inside a transaction, where the reader is never used. */
  const onServiceConnection = (tenantId: string, page: UserListPage): Promise<PageRows> => db.transaction((manager) => repository.listPageRows(tenantId, page, manager));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'identity-reader-'));
    t = await startApp({ DATABASE_URL: `sqlite:${join(dir, 'identity.sqlite')}`, WEBHOOK_DISPATCH: 'false' });
    repository = t.app.get(UsersRepository);
    db = t.app.get(Database);
    reads = jest.spyOn(SqliteReader.prototype, 'read');
    tenant = await createTenant(t);
    const groups = [await insertGroup(t, tenant.id, 'Zeta', ['users:read']), await insertGroup(t, tenant.id, 'alpha "quoted"', ['plans:read', 'groups:read'])];
    const plans = [await insertPlan(t, tenant.id, 'Gold', 5), await insertPlan(t, tenant.id, 'basic', null)];
    const users = [
      await createUser(t, tenant, { email: 'plain@example.com' }),
      await createUser(t, tenant, {
        email: 'every.kind@example.com', firstName: 'Every', lastName: 'Kind \\ "row"', phone: '+1 (804) 325-7762', externalId: 'ext-1',
        groups, clientTags: ['vip', 'beta'], ipWhitelist: ['10.0.0.0/8', '2001:db8::/32'],
        plans: [{ planId: plans[0] }, { planId: plans[1], validTo: '2099-12-31' }],
        enterprise: { employeeNumber: 'E1', department: 'Dept' },
      }),
      await createUser(t, tenant, { email: 'x@example.com', name: 'Ünïcödé ✓ 😀 \u2028', admin: true, groups: [groups[1]] }),
    ];
    await t.dataSource.getRepository(UserTfa).insert({ userId: users[1].id, tenantId: tenant.id, secretEncrypted: 'x', confirmed: true, lastStep: 0, createdAt: new Date() });
  });

  afterAll(async () => {
    reads?.mockRestore();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a page there, with the rows the service’s own connection reads, for each sort, filter and page', async () => {
    const pages: UserListPage[] = [
      PAGE,
      { ...PAGE, sort: '-name', limit: 2 },
      { ...PAGE, sort: 'lastLoginAt', offset: 1 },
      { ...PAGE, sort: '-email', filter: { active: '1' } },
      { ...PAGE, filter: { clientTag: 'vip' } },
      { ...PAGE, filter: { name: 'nobody' } },
    ];
    for (const page of pages) {
      const before = reads.mock.calls.length;
      const read = await repository.listPageRows(tenant.id, page);
      expect(reads.mock.calls.length).toBe(before + 1);
      const own = await onServiceConnection(tenant.id, page);
      expect(reads.mock.calls.length).toBe(before + 1);
      expect(comparable(read)).toEqual(comparable(own));
    }
    // The page after a cursor, through the route.
    const first = await t.call('GET', '/api/v2/users?limit=2', { tenant: tenant.id });
    const next = await t.call('GET', `/api/v2/users?limit=2&after=${(first.body as any).meta.nextCursor}`, { tenant: tenant.id });
    expect(next.status).toBe(200);
    expect((next.body as any).data.map((u: { email: string }) => u.email)).not.toContain((first.body as any).data[1].email);
  });

  it('reads the same rows for random users, child rows and tenants', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(randomUser, { minLength: 0, maxLength: 5 }), fc.array(randomGroup, { minLength: 3, maxLength: 3 }), fc.array(randomText, { minLength: 2, maxLength: 2 }), async (specs, groupSpecs, planNames) => {
        const own = await createTenant(t);
        await insertRandomUsers(t, own.id, specs, groupSpecs, planNames, PASSWORD_HASH);
        expect(comparable(await repository.listPageRows(own.id, PAGE))).toEqual(comparable(await onServiceConnection(own.id, PAGE)));
      }),
      { numRuns: 25 },
    );
  });

  it('gives a tenant’s page only that tenant’s users, whoever asks', async () => {
    const other = await createTenant(t);
    const theirs = await createUser(t, other, { email: 'theirs@example.com' });
    const admin = await signedInUser(t, other, { admin: true });
    const asOther = await t.call('GET', '/api/v2/users?limit=200', { tenant: other.id, as: admin.bearer });
    expect((asOther.body as any).data.map((u: { id: string }) => u.id).sort()).toEqual([theirs.id, admin.user.id].sort());
    // Another tenant's admin naming this tenant is answered as if it did not exist, before any read.
    const across = await t.call('GET', '/api/v2/users?limit=200', { tenant: tenant.id, as: admin.bearer });
    expect(across.status).toBe(404);
    const ours = await repository.listPageRows(tenant.id, PAGE);
    expect(ours.rows.map((row) => row[ours.columns.tenantId])).not.toContain(other.id);
  });

  it('sees each change once its response is sent', async () => {
    const group = await insertGroup(t, tenant.id, 'Fresh', []);
    for (let i = 0; i < 10; i++) {
      const created = await t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email: `fresh${i}@example.com`, groups: [group] } });
      expect(created.status).toBe(201);
      const id = (created.body as { id: string }).id;
      const listed = async () => ((await t.call('GET', '/api/v2/users?limit=200&filter[group]=' + group, { tenant: tenant.id })).body as any).data as { id: string; name: string }[];
      expect((await listed()).map((u) => u.id)).toContain(id);
      expect((await t.call('PATCH', `/api/v2/users/${id}`, { tenant: tenant.id, body: { name: `Renamed ${i}` } })).status).toBe(200);
      expect((await listed()).find((u) => u.id === id)?.name).toBe(`Renamed ${i}`);
      expect((await t.call('DELETE', `/api/v2/users/${id}`, { tenant: tenant.id })).status).toBe(204);
      expect((await listed()).map((u) => u.id)).not.toContain(id);
    }
  });

  it('reads what is committed while another request’s transaction is open, and a transaction reads its own changes', async () => {
    const user = await createUser(t, tenant, { email: 'pending@example.com', name: 'Before' });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    let seenInside: string | undefined;
    const writing = db.transaction(async (manager) => {
      await manager.query('UPDATE users SET name = ? WHERE id = ? AND tenant_id = ?', ['After', user.id, tenant.id]);
      // The transaction's own read, through the repository's default manager, is on its connection.
      const own = await repository.listPageRows(tenant.id, { ...PAGE, filter: { email: 'pending@example.com' } });
      seenInside = own.rows[0]?.[own.columns.name] as string;
      entered();
      await held;
    });
    await inside;
    try {
      expect(seenInside).toBe('After');
      // Another request's read, outside the transaction (the route's own statements, such as the
      // tenant's lookup, wait for it on the service's connection; the page's read does not).
      const during = await repository.listPageRows(tenant.id, { ...PAGE, filter: { email: 'pending@example.com' } });
      expect(during.rows.map((row) => row[during.columns.name])).toEqual(['Before']);
    } finally {
      release();
      await writing;
    }
    const after = await t.call('GET', '/api/v2/users?limit=5&filter[email]=pending@example.com', { tenant: tenant.id });
    expect((after.body as any).data.map((u: { name: string }) => u.name)).toEqual(['After']);
  });

  it('refuses to write, answers a failed statement as an error and goes on', async () => {
    const reader = new SqliteReader(join(dir, 'identity.sqlite'), 1024);
    try {
      const read = (sql: string, params: unknown[] = []) => reader.read({ page: { sql, params }, keyAt: 0, follow: [], followParams: [] });
      await expect(read('DELETE FROM users RETURNING id')).rejects.toThrow(/readonly|read-only|query_only|attempt to write/i);
      expect(await t.dataSource.query('SELECT COUNT(*) AS n FROM users WHERE tenant_id = ?', [tenant.id])).not.toEqual([{ n: 0 }]);
      await expect(read('SELECT missing FROM nowhere')).rejects.toThrow(/no such/);
      expect(JSON.parse((await read("SELECT json_array(id, 'x') FROM users WHERE tenant_id = ? LIMIT 2", [tenant.id])).json)).toEqual([
        [expect.any(String), 'x'],
        [expect.any(String), 'x'],
      ]);
      // Followers run over the page's keys, in the same read.
      const read2 = await reader.read({ page: { sql: 'SELECT json_quote(u.id), u.id FROM users u WHERE u.tenant_id = ?', params: [tenant.id] }, keyAt: 1, follow: SQLITE_CHILD_ROWS, followParams: [tenant.id] });
      expect((JSON.parse(read2.json) as string[]).length).toBeGreaterThan(2);
      expect(read2.follow).toHaveLength(SQLITE_CHILD_ROWS.length);
      const groups = JSON.parse(read2.follow[0] as string) as unknown[];
      expect(groups.length).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
    await expect(reader.read({ page: { sql: 'SELECT 1', params: [] }, keyAt: 0, follow: [], followParams: [] })).rejects.toThrow(/closed/);
  });

  it('starts the thread again after it stopped', async () => {
    const reader = sqliteReaderOf(t.dataSource)!;
    expect(reader).not.toBeNull();
    const worker = (reader as unknown as { worker: { terminate(): Promise<number> } | null }).worker;
    expect(worker).not.toBeNull();
    await worker!.terminate();
    const res = await t.call('GET', '/api/v2/users?limit=1', { tenant: tenant.id });
    expect(res.status).toBe(200);
    expect((reader as unknown as { worker: unknown }).worker).not.toBeNull();
    expect((reader as unknown as { worker: unknown }).worker).not.toBe(worker);
  });
});

describe('where there is no reader thread', () => {
  it('has none for an in-memory database or MySQL/MariaDB', async () => {
    const t = await startApp({ WEBHOOK_DISPATCH: 'false' });
    try {
      expect(sqliteReaderOf(t.dataSource)).toBeNull();
    } finally {
      await t.close();
    }
  });
});
