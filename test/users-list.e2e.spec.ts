import { User } from '../src/users/user.entity.js';
import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { createUser, insertGroup, insertPlan } from './helpers/users.js';

const SORTS = ['createdAt', '-createdAt', 'name', '-name', 'email', '-email', 'lastLoginAt', '-lastLoginAt'];

describe('users list', () => {
  let t: TestApp;
  let tenant: any;
  let other: any;
  let users: any[];
  let group: string;
  let plan: string;
  const list = (query: string) => t.call('GET', `/api/v2/users${query}`, { tenant: tenant.id });

  beforeAll(async () => {
    t = await startApp();
    tenant = await createTenant(t);
    other = await createTenant(t);
    group = await insertGroup(t, tenant.id, 'Staff', ['users:read']);
    plan = await insertPlan(t, tenant.id, 'Gold');
    const specs: Record<string, unknown>[] = [
      { name: 'Ann', email: 'ann1@example.com', groups: [group] },
      { name: 'ann', email: 'ann2@example.com', admin: true },
      { name: 'Ann', email: 'ann3@example.com', clientTags: ['vip'] },
      { name: 'Anna Bell', email: 'anna@example.com', planAdmin: true, plans: [{ planId: plan }] },
      { name: 'Bob', email: 'Bob@Example.com', active: false, externalId: 'ext-bob' },
      { name: 'bob', email: 'bob2@example.com', groups: [group], clientTags: ['vip', 'beta'] },
      { name: '50% off', email: 'pct@example.com' },
      { name: '50x off', email: 'pctx@example.com' },
      { name: 'a_b', email: 'under@example.com' },
      { name: 'axb', email: 'underx@example.com', active: false },
      { name: 'Zed', email: 'zed@example.com', plans: [{ planId: plan }] },
      { name: 'Émile', email: 'emile@example.com' },
      { name: 'Ann', email: 'ann4@example.com' },
    ];
    users = [];
    for (const spec of specs) users.push(await createUser(t, tenant, spec));
    await createUser(t, other, { name: 'Ann', email: 'ann1@example.com' });
    // Equal timestamps make the id tie-breaker matter; NULL lastLoginAt stays on five users.
    const repo = t.dataSource.getRepository(User);
    const same = new Date('2024-05-01T10:00:00.123Z');
    for (const u of users.slice(0, 4)) await repo.update({ id: u.id }, { createdAt: same });
    const logins = ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', '2024-03-01T12:00:00.500Z', '2023-12-31T23:59:59.999Z'];
    for (const [i, u] of users.slice(3, 11).entries()) await repo.update({ id: u.id }, { lastLoginAt: new Date(logins[i % 4]!) });
  });
  afterAll(async () => {
    await t.close();
  });

  const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((u) => u.id);

  it('lists the tenant\'s users by createdAt then id with default paging, and only its own', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    expect(res.body.meta).toEqual({ limit: 20, offset: 0, nextCursor: null });
    expect(res.body.data).toHaveLength(users.length);
    const keys = res.body.data.map((u: any) => `${u.createdAt}|${u.id}`);
    expect(keys).toEqual([...keys].sort());
    expect(res.body.data.every((u: any) => u.tenantId === tenant.id)).toBe(true);
  });

  it.each(SORTS)('walks every row exactly once with the cursor, sorted by %s', async (sort) => {
    const full = await list(`?limit=200&sort=${sort}`);
    expect(full.status).toBe(200);
    expect(full.body.data).toHaveLength(users.length);
    for (const limit of [1, 2, 5]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: any = await list(`?limit=${limit}&sort=${sort}${cursor ? `&after=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        seen.push(...ids(page));
        cursor = page.body.meta.nextCursor;
        pages += 1;
      } while (cursor && pages < 100);
      expect(seen).toEqual(ids(full));
    }
  });

  it('orders by the sort key with ties by id, NULL lastLoginAt first ascending and last descending', async () => {
    const asc = (await list('?limit=200&sort=lastLoginAt')).body.data;
    const desc = (await list('?limit=200&sort=-lastLoginAt')).body.data;
    const key = (u: any) => `${u.lastLoginAt ?? '0'}|${u.id}`;
    expect(asc.map(key)).toEqual(asc.map(key).sort());
    expect(asc.slice(0, 5).every((u: any) => u.lastLoginAt === null)).toBe(true);
    expect(desc.map((u: any) => u.id)).toEqual(asc.map((u: any) => u.id).reverse());
    // Text sorts follow the database collation; descending must be the exact reverse.
    const byEmail = (await list('?limit=200&sort=email')).body.data.map((u: any) => u.email);
    expect((await list('?limit=200&sort=-email')).body.data.map((u: any) => u.email)).toEqual([...byEmail].reverse());
    expect(byEmail.indexOf('ann1@example.com')).toBeLessThan(byEmail.indexOf('zed@example.com'));
    const byCreated = (await list('?limit=200&sort=-createdAt')).body.data.map((u: any) => `${u.createdAt}|${u.id}`);
    expect(byCreated).toEqual([...byCreated].sort().reverse());
    const anns = (await list('?limit=200&sort=name&filter[name]=ann')).body.data.filter((u: any) => u.name === 'Ann');
    expect(anns).toHaveLength(3);
    expect(anns.map((u: any) => u.id)).toEqual(anns.map((u: any) => u.id).sort());
  });

  it('pages with offset and counts with count=true', async () => {
    const all = ids(await list('?limit=200'));
    const page = await list('?limit=3&offset=2&count=true');
    expect(ids(page)).toEqual(all.slice(2, 5));
    expect(page.body.meta).toEqual({ limit: 3, offset: 2, nextCursor: expect.any(String), total: users.length });
    const filtered = await list('?limit=1&count=true&filter[deactivated]=1');
    expect(filtered.body.meta.total).toBe(2);
    expect((await list('?count=false')).body.meta.total).toBeUndefined();
  });

  const names = async (query: string) => (await list(query)).body.data.map((u: any) => u.name).sort();

  it.each([
    ['filter[name]=ANN', ['Ann', 'Ann', 'Ann', 'Anna Bell', 'ann']],
    ['filter[name]=anna', ['Anna Bell']],
    ['filter[name]=50%25', ['50% off']],
    ['filter[name]=a_', ['a_b']],
    ['filter[email]=BOB@example.COM', ['Bob']],
    ['filter[email]=nobody@example.com', []],
    ['filter[active]=1&filter[name]=b', ['bob']],
    ['filter[active]=0&filter[name]=b', ['Bob', 'bob']],
    ['filter[deactivated]=1', ['Bob', 'axb']],
    ['filter[admin]=1', ['ann']],
    ['filter[planAdmin]=1', ['Anna Bell']],
    ['filter[externalId]=ext-bob', ['Bob']],
    ['filter[clientTag]=vip', ['Ann', 'bob']],
    ['filter[clientTag]=beta&filter[name]=bo', ['bob']],
  ])('filters %s', async (query, expected) => {
    expect(await names(`?limit=200&${query}`)).toEqual([...expected].sort());
  });

  it('filters by group and plan', async () => {
    expect(await names(`?filter[group]=${group}`)).toEqual(['Ann', 'bob'].sort());
    expect(await names(`?filter[plan]=${plan}`)).toEqual(['Anna Bell', 'Zed']);
    expect(await names(`?filter[group]=${group}&sort=-name&limit=1`)).toHaveLength(1);
    expect(await names('?filter[group]=0190e0b6-0000-7000-8000-000000000000')).toEqual([]);
  });

  it.each([
    ['?filter[colour]=red', 'filter.colour'],
    ['?filter[active]=2', 'filter.active'],
    ['?filter[deactivated]=0', 'filter.deactivated'],
    ['?filter[admin]=true', 'filter.admin'],
    ['?filter[planAdmin]=0', 'filter.planAdmin'],
    ['?filter[group]=staff', 'filter.group'],
    ['?filter[plan]=1', 'filter.plan'],
    ['?filter[name]=', 'filter.name'],
    ['?filter[clientTag]=' + 'x'.repeat(65), 'filter.clientTag'],
    ['?filter[name]=a&filter[name]=b', 'filter.name'],
    ['?sort=age', 'sort'],
    ['?sort=--name', 'sort'],
    ['?limit=0', 'limit'],
    ['?limit=201', 'limit'],
    ['?limit=ten', 'limit'],
    ['?offset=-1', 'offset'],
    ['?count=yes', 'count'],
    ['?after=garbage!', 'after'],
    ['?colour=red', 'colour'],
  ])('answers 422 to %s', async (query, field) => {
    const res = await list(query);
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('refuses a cursor made for another sort', async () => {
    const byName = await list('?limit=1&sort=name');
    const res = await list(`?limit=1&sort=createdAt&after=${byName.body.meta.nextCursor}`);
    expectProblem(res, 422);
    expect(res.body.errors[0].field).toBe('after');
    const withNull = await list('?limit=1&sort=lastLoginAt');
    expectProblem(await list(`?sort=name&after=${withNull.body.meta.nextCursor}`), 422);
  });
});
