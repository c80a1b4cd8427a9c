import { createDataProvider, type ListResult } from '../console/src/api/data-provider.js';
import { ApiError } from '../console/src/api/errors.js';
import { createClient, type Authenticator } from '../console/src/api/http.js';
import { OPERATOR_KEY, createTenant, startApp, type TestApp } from './helpers/app.js';
import { createUser } from './helpers/users.js';

/** The console's data provider against the real API over HTTP: pages, filters, sorts, If-Match, problems. */
describe('console data provider', () => {
  let t: TestApp;
  let base: string;
  let tenant: any;
  let cleared: string[];
  const list = async (params: Parameters<ReturnType<typeof createDataProvider>['getList']>[0]) =>
    (await provider().getList(params)) as unknown as ListResult<any>;

  function provider(tenantId = tenant.id) {
    const operator: Authenticator = {
      authHeaders: async (path): Promise<Record<string, string>> =>
        path.startsWith('/tenants') ? { 'x-admin-key': OPERATOR_KEY } : { 'x-admin-key': OPERATOR_KEY, 'x-tenant-id': tenantId },
      getState: () => ({ credentials: { kind: 'operator', key: OPERATOR_KEY, tenantId } }),
      refresh: async () => undefined,
      clear: (notice) => void cleared.push(String(notice)),
    };
    return createDataProvider(createClient(operator, { baseUrl: base }));
  }

  beforeAll(async () => {
    t = await startApp();
    await t.app.listen(0, '127.0.0.1');
    base = await t.app.getUrl();
    base = base.replace('[::1]', '127.0.0.1');
    tenant = await createTenant(t);
    for (let i = 0; i < 7; i++) await createUser(t, tenant, { name: `Page ${String(i).padStart(2, '0')}`, email: `page${i}@example.com`, clientTags: i % 2 ? ['odd'] : [] });
    await createUser(t, tenant, { name: 'Other Person', email: 'other@example.com' });
  });
  beforeEach(() => {
    cleared = [];
  });
  afterAll(async () => {
    await t.close();
  });

  it('pages by offset with the total', async () => {
    const filters = [{ field: 'name', operator: 'startswith' as const, value: 'page' }];
    const sorters = [{ field: 'name', order: 'asc' as const }];
    const one = await list({ resource: 'users', pagination: { currentPage: 1, pageSize: 3 }, filters, sorters, meta: { count: true } });
    const three = await list({ resource: 'users', pagination: { currentPage: 3, pageSize: 3 }, filters, sorters, meta: { count: true } });
    expect(one.total).toBe(7);
    expect(one.data.map((u) => u.name)).toEqual(['Page 00', 'Page 01', 'Page 02']);
    expect(three.data.map((u) => u.name)).toEqual(['Page 06']);
  });

  it('pages by cursor, to the end', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await list({
        resource: 'users',
        pagination: { pageSize: 2 },
        sorters: [{ field: 'name', order: 'desc' }],
        filters: [{ field: 'name', operator: 'startswith', value: 'Page' }],
        meta: { cursor },
      });
      names.push(...page.data.map((u) => u.name));
      cursor = page.nextCursor;
      if (!page.hasMore) break;
    }
    expect(names).toEqual(['Page 06', 'Page 05', 'Page 04', 'Page 03', 'Page 02', 'Page 01', 'Page 00']);
    expect(cursor).toBeNull();
  });

  it('sends each filter as filter[field]: exact e-mail, tags, flags', async () => {
    const byEmail = await list({ resource: 'users', filters: [{ field: 'email', operator: 'eq', value: 'PAGE3@example.com' }] });
    expect(byEmail.data.map((u) => u.name)).toEqual(['Page 03']);
    const odd = await list({ resource: 'users', filters: [{ field: 'clientTag', operator: 'eq', value: 'odd' }], meta: { count: true } });
    expect(odd.total).toBe(3);
    const admins = await list({ resource: 'users', filters: [{ field: 'admin', operator: 'eq', value: true }], meta: { count: true } });
    expect(admins.total).toBe(0);
    await expect(list({ resource: 'users', filters: [{ field: 'name', operator: 'contains', value: 'x' }] })).rejects.toThrow(/no "contains" filter/);
  });

  it('pages the lists that have no offset by cursor, and says so when asked for an offset', async () => {
    const groups = await list({ resource: 'groups', pagination: { pageSize: 5 }, meta: { cursor: null } });
    expect(groups.data).toEqual([]);
    await expect(list({ resource: 'groups', pagination: { currentPage: 2, pageSize: 5 } })).rejects.toThrow(/cursor only/);
  });

  it('updates with If-Match: the current version saves, a stale one gets 412 and changes nothing', async () => {
    const user = await createUser(t, tenant, { name: 'Versioned' });
    const saved = await provider().update({ resource: 'users', id: user.id, variables: { name: 'Versioned 2' }, meta: { ifMatch: user.version } });
    expect(saved.data).toMatchObject({ name: 'Versioned 2', version: user.version + 1 });
    const stale = provider().update({ resource: 'users', id: user.id, variables: { name: 'Lost update' }, meta: { ifMatch: user.version } });
    await expect(stale).rejects.toMatchObject({ statusCode: 412 });
    const now = await provider().getOne({ resource: 'users', id: user.id });
    expect(now.data).toMatchObject({ name: 'Versioned 2' });
  });

  it("turns a 422 into the problem's detail and one message per field", async () => {
    const error = await provider()
      .create({ resource: 'users', variables: { email: 'not an e-mail', sessionsLimit: 0 } })
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const problem = error as ApiError;
    expect(problem.statusCode).toBe(422);
    expect(problem.message).toBe(problem.detail);
    expect(problem.fieldMessage('email')).toEqual(expect.any(String));
    expect(problem.fieldMessage('sessionsLimit')).toEqual(expect.any(String));
    expect(problem.errors.email).toEqual(expect.any(String));
  });

  it('reads the audit log newest first through the data provider', async () => {
    const page = await list({ resource: 'audit-events', pagination: { pageSize: 3 }, sorters: [{ field: 'at', order: 'desc' }], meta: { cursor: null } });
    const times = page.data.map((e) => e.at as string);
    expect(times.length).toBe(3);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('treats a 401 as the end of the session', async () => {
    const bad: Authenticator = {
      authHeaders: async () => ({ 'x-admin-key': 'wrong-key-0123456789abcdef', 'x-tenant-id': tenant.id }),
      getState: () => ({ credentials: { kind: 'operator', key: 'wrong', tenantId: tenant.id } }),
      refresh: async () => undefined,
      clear: (notice) => void cleared.push(String(notice)),
    };
    await expect(createDataProvider(createClient(bad, { baseUrl: base })).getList({ resource: 'users' })).rejects.toMatchObject({ statusCode: 401 });
    expect(cleared).toHaveLength(1);
  });
});
