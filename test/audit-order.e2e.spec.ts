import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { createUser } from './helpers/users.js';

/** The audit log read newest first (sort=-at), as the console shows it. */
describe('audit events newest first', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('pages newest first with sort=-at, and oldest first by default', async () => {
    const tenant = await createTenant(t);
    for (let i = 0; i < 5; i++) await createUser(t, tenant, { name: `Audit ${i}` });
    const all = await t.call('GET', '/api/v2/audit-events?limit=200', { tenant: tenant.id });
    expect(all.status).toBe(200);
    const ids: string[] = all.body.data.map((e: any) => e.id);
    expect(ids.length).toBeGreaterThanOrEqual(5);

    const first = await t.call('GET', '/api/v2/audit-events?sort=-at&limit=2', { tenant: tenant.id });
    expect(first.status).toBe(200);
    expect(first.body.data.map((e: any) => e.id)).toEqual([...ids].reverse().slice(0, 2));
    const second = await t.call('GET', `/api/v2/audit-events?sort=-at&limit=2&after=${encodeURIComponent(first.body.meta.nextCursor)}`, { tenant: tenant.id });
    expect(second.body.data.map((e: any) => e.id)).toEqual([...ids].reverse().slice(2, 4));
    const times = [...first.body.data, ...second.body.data].map((e: any) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('keeps filters and the tenant when newest first', async () => {
    const tenant = await createTenant(t);
    const other = await createTenant(t);
    const user = await createUser(t, tenant);
    await createUser(t, other);
    const res = await t.call('GET', `/api/v2/audit-events?sort=-at&filter[targetId]=${user.id}`, { tenant: tenant.id });
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThan(0);
    expect(res.body.data.every((e: any) => e.target.id === user.id)).toBe(true);
  });

  it('refuses another sort with a 422 naming the field', async () => {
    const tenant = await createTenant(t);
    const res = await t.call('GET', '/api/v2/audit-events?sort=action', { tenant: tenant.id });
    expectProblem(res, 422);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'sort' })]));
  });
});
