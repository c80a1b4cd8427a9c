import type { DataSource } from 'typeorm';
import { buildChildRowsSql, CHILD_ROW_KINDS, childRowsQuery } from '../src/users/child-rows.repository.js';
import { createTenant, startApp, type TestApp, useMysql } from './helpers/app.js';
import { queryPlan } from './helpers/query-plan.js';

/**
 * A page's child rows (groups, allow-list, tags, plans, TFA) are read by seeking each child
 * table's primary key (user_id, …) with the page's user ids, whatever the tenant holds: never
 * by walking the tenant's (tenant_id, …) index, which a planner may think cheaper for a tenant
 * with few child rows and which reads every child row of a large one. On MariaDB the ids go
 * as one JSON array (JSON_TABLE); the plan is read here for a tenant with thousands of users
 * that each have every kind of child row, and for one with almost none, beside each other.
 */
describe(`A page's child rows seek the users' keys (${useMysql ? 'MariaDB' : 'SQLite'})`, () => {
  let t: TestApp;
  let ds: DataSource;
  let big: string;
  let small: string;
  const SIZE = 3000;
  const q = (name: string) => (useMysql ? `\`${name}\`` : `"${name}"`);
  const userId = (tenant: number, i: number) => `01900000-0000-7000-8${tenant}00-${String(i).padStart(12, '0')}`;

  beforeAll(async () => {
    t = await startApp();
    ds = t.dataSource;
    big = (await createTenant(t)).id;
    small = (await createTenant(t)).id;
    const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
    for (const [n, tenant, size] of [[0, big, SIZE], [1, small, 60]] as const) {
      const group = `01900000-0000-7000-9${n}00-000000000001`;
      const plan = `01900000-0000-7000-a${n}00-000000000001`;
      await ds.query(`INSERT INTO ${q('groups')} (id, tenant_id, name, external_id, permissions, version, created_at, updated_at) VALUES ('${group}', '${tenant}', 'G', NULL, '[]', 1, '${now}', '${now}')`);
      await ds.query(`INSERT INTO plans (id, tenant_id, name, created_at, updated_at) VALUES ('${plan}', '${tenant}', 'P', '${now}', '${now}')`);
      for (let start = 0; start < size; start += 500) {
        const ids = Array.from({ length: Math.min(500, size - start) }, (_, k) => userId(n, start + k));
        const rows = (make: (id: string, i: number) => string) => ids.map((id, k) => make(id, start + k)).join(', ');
        await ds.query(
          `INSERT INTO users (id, tenant_id, name, email, active, admin, plan_admin, tfa, reset_password, reset_tfa, password_reset_allowed, can_view_masked_data, only_sees_readable, version, failed_logins, created_at, updated_at) VALUES ${rows((id, i) => `('${id}', '${tenant}', 'U${i}', 'u${i}@plans.example', 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, '${now}', '${now}')`)}`,
        );
        // The small tenant's users have no child rows but the first two's.
        if (tenant === small && start > 0) continue;
        const some = tenant === small ? ids.slice(0, 2) : ids;
        const each = (make: (id: string) => string) => some.map(make).join(', ');
        await ds.query(`INSERT INTO user_groups (user_id, group_id, tenant_id) VALUES ${each((id) => `('${id}', '${group}', '${tenant}')`)}`);
        await ds.query(`INSERT INTO user_ip_whitelist (user_id, position, tenant_id, entry) VALUES ${each((id) => `('${id}', 0, '${tenant}', '10.0.0.1'), ('${id}', 1, '${tenant}', '10.0.0.2')`)}`);
        await ds.query(`INSERT INTO user_client_tags (user_id, tag, tenant_id, position) VALUES ${each((id) => `('${id}', 'a', '${tenant}', 0), ('${id}', 'b', '${tenant}', 1)`)}`);
        await ds.query(`INSERT INTO user_plans (user_id, plan_id, tenant_id, valid_from, valid_to) VALUES ${each((id) => `('${id}', '${plan}', '${tenant}', '${now}', NULL)`)}`);
        await ds.query(`INSERT INTO user_tfa (user_id, tenant_id, secret_encrypted, confirmed, last_step, created_at) VALUES ${each((id) => `('${id}', '${tenant}', 'x', 1, 0, '${now}')`)}`);
      }
    }
    await ds.query(useMysql ? 'ANALYZE TABLE users, user_groups, user_ip_whitelist, user_client_tags, user_plans, user_tfa' : 'ANALYZE');
  });
  afterAll(async () => {
    await t.close();
  });

  const plan = (sql: string, params: unknown[]): Promise<string[]> => queryPlan(ds, sql, params);

  const sorted = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]))).sort();

  it.each([
    ['a page of 50 of a tenant whose every user has child rows', 0, 50],
    ['a page of 50 of a tenant with almost no child rows', 1, 50],
    ['one user', 0, 1],
  ])('%s', async (_title, n, count) => {
    const tenant = n === 0 ? big : small;
    const ids = Array.from({ length: count }, (_, i) => userId(n, i + (n === 0 ? 1000 : 0)));
    const { sql, params } = childRowsQuery(tenant, ds.manager, ids, CHILD_ROW_KINDS);
    if (useMysql && count > 2) expect(sql).toContain('JSON_TABLE');
    const lines = await plan(sql, params);
    if (process.env.SHOW_PLANS) console.log(lines.join('\n'));
    // The child tables by their keys; on MariaDB the groups and plans they name too (SQLite
    // plans those two by their statistics: a scan of this test's one group and one plan).
    for (const alias of useMysql ? ['ug', 'g', 'w', 't', 'up', 'p', 'f'] : ['ug', 'w', 't', 'up', 'f']) {
      const line = lines.find((l) => (useMysql ? l.startsWith(`${alias} `) : new RegExp(`\\b${alias}\\b`).test(l) && /\bSEARCH\b/.test(l)));
      if (useMysql) expect({ alias, line }).toEqual({ alias, line: expect.stringMatching(/type=(ref|eq_ref|const) key=PRIMARY /) });
      else expect({ alias, line }).toEqual({ alias, line: expect.stringMatching(/USING (COVERING )?(INDEX sqlite_autoindex|PRIMARY KEY)/) });
    }
    // The same rows as the IN list of the ids, which every database answers alike.
    const inList = buildChildRowsSql(q, ids.length);
    const expected = (await ds.query(inList, CHILD_ROW_KINDS.flatMap(() => [tenant, ...ids]))) as Record<string, unknown>[];
    const actual = (await ds.query(sql, params)) as Record<string, unknown>[];
    expect(sorted(actual)).toEqual(sorted(expected));
    expect(actual.length).toBe(n === 0 ? count * 7 : 14);
    // Another tenant's ids find nothing.
    const other = childRowsQuery(tenant === big ? small : big, ds.manager, ids, CHILD_ROW_KINDS);
    expect(await ds.query(other.sql, other.params)).toEqual([]);
  });
});
