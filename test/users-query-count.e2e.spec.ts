import { fastReads } from '../src/database/fast-query.js';
import { createTenant, startApp, type TestApp } from './helpers/app.js';
import { createUser, insertGroup, insertPlan, uniqueEmail } from './helpers/users.js';

/** Listing users costs a fixed number of queries, however many users the page holds. */
describe('users list query count', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The counter sees every query of the process: the webhook dispatcher's idle poll (a claim
    // transaction every 250 ms) would be counted when it falls inside a measured request.
    t = await startApp({ WEBHOOK_DISPATCH: 'false' });
  });
  afterAll(async () => {
    await t.close();
  });

  async function countQueries(run: () => Promise<unknown>): Promise<number> {
    const runner = t.dataSource.createQueryRunner();
    const proto = Object.getPrototypeOf(runner) as { query: (...args: unknown[]) => Promise<unknown> };
    await runner.release();
    const original = proto.query;
    let count = 0;
    proto.query = function (this: unknown, ...args: unknown[]) {
      count += 1;
      return original.apply(this, args);
    };
    // The hot reads (src/database/fast-query.ts) run beside the query runner; they count too.
    const fastBefore = fastReads.count;
    try {
      await run();
    } finally {
      proto.query = original;
    }
    return count + fastReads.count - fastBefore;
  }

  it('is the same for 1 user and for 200 users with groups, plans, tags and allow-lists', async () => {
    const tenant = await createTenant(t);
    const groups = [await insertGroup(t, tenant.id, 'a', ['users:read']), await insertGroup(t, tenant.id, 'b', ['groups:read'])];
    const plan = await insertPlan(t, tenant.id, 'p', 3);
    const body = () => ({
      email: uniqueEmail('qc'),
      groups,
      plans: [{ planId: plan }],
      clientTags: ['x', 'y'],
      ipWhitelist: ['10.0.0.0/8'],
    });
    await createUser(t, tenant, body());
    const one = await countQueries(() => t.call('GET', '/api/v2/users?limit=200', { tenant: tenant.id }));
    for (let i = 0; i < 199; i++) await createUser(t, tenant, body());
    let page: any;
    const many = await countQueries(async () => {
      page = await t.call('GET', '/api/v2/users?limit=200&count=true', { tenant: tenant.id });
    });
    expect(page.body.data).toHaveLength(200);
    expect([...page.body.data[199].permissions].sort()).toEqual(['groups:read', 'users:read']);
    expect(page.body.data[199].groups).toHaveLength(2);
    expect(many).toBeLessThanOrEqual(one + 1); // count=true adds the one COUNT query
    // The counter does see the tenant and the page with its related rows: on SQLite one
    // statement, on MySQL/MariaDB the page and then its related rows.
    expect(one).toBeGreaterThanOrEqual(t.dataSource.options.type === 'better-sqlite3' ? 2 : 3);
    expect(many).toBeLessThan(15);
  });
});
