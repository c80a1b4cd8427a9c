import type { DataSource } from 'typeorm';
import { GroupsRepository } from '../src/groups/groups.repository.js';
import { GROUP_FILTER_ATTRIBUTES, translateFilter, USER_FILTER_ATTRIBUTES } from '../src/scim/scim-filter.js';
import { SCIM } from '../src/scim/scim.constants.js';
import { UsersRepository } from '../src/users/users.repository.js';
import { createTenant, startApp, type TestApp, useMysql } from './helpers/app.js';
import { queryPlan } from './helpers/query-plan.js';

/**
 * The lookups identity providers make on every sync, `eq` on userName, externalId, emails.value
 * and displayName, must be answered through an index at any tenant size: the plan each
 * database makes for the statement the repository runs is read here (EXPLAIN on MariaDB,
 * EXPLAIN QUERY PLAN on SQLite) over a tenant with thousands of users beside others.
 */
describe(`SCIM lookups use an index (${useMysql ? 'MariaDB' : 'SQLite'})`, () => {
  let t: TestApp;
  let ds: DataSource;
  let tenantId: string;
  const SIZE = 3000;

  beforeAll(async () => {
    t = await startApp();
    ds = t.dataSource;
    tenantId = (await createTenant(t)).id;
    const other = (await createTenant(t)).id;
    const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
    for (const tenant of [tenantId, other]) {
      for (let start = 0; start < SIZE; start += 500) {
        const rows = Array.from({ length: 500 }, (_, k) => {
          const i = start + k;
          const id = `01900000-0000-7000-8${tenant === tenantId ? '0' : '1'}00-${String(i).padStart(12, '0')}`;
          return `('${id}', '${tenant}', 'ext-${i}', 'Name ${i % 700}', ${i % 3 === 2 ? 'NULL' : `'user${i}'`}, 'user${i}@plans.example', 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, '${now}', '${now}')`;
        });
        await ds.query(
          `INSERT INTO users (id, tenant_id, external_id, name, username, email, active, admin, plan_admin, tfa, reset_password, reset_tfa, password_reset_allowed, can_view_masked_data, only_sees_readable, version, failed_logins, created_at, updated_at) VALUES ${rows.join(', ')}`,
        );
      }
      const groups = Array.from({ length: 300 }, (_, i) => `('01900000-0000-7000-9${tenant === tenantId ? '0' : '1'}00-${String(i).padStart(12, '0')}', '${tenant}', 'Group ${i}', 'gext-${i}', '[]', 1, '${now}', '${now}')`);
      await ds.query(`INSERT INTO ${useMysql ? '`groups`' : '"groups"'} (id, tenant_id, name, external_id, permissions, version, created_at, updated_at) VALUES ${groups.join(', ')}`);
    }
    await ds.query(useMysql ? 'ANALYZE TABLE users, `groups`' : 'ANALYZE');
  });
  afterAll(async () => {
    await t.close();
  });

  const plan = (sql: string, params: unknown[]): Promise<string[]> => queryPlan(ds, sql, params);

  /** No step reads the table whole, or the tenant whole. */
  function expectIndexed(lines: string[], table: string): void {
    if (process.env.SHOW_PLANS) console.log(lines.join('\n'));
    const main = lines.filter((line) => (useMysql ? line.startsWith(`${table} `) : new RegExp(`\\b${table}\\b`).test(line)));
    expect(main.length).toBeGreaterThan(0);
    for (const line of main) {
      if (useMysql) {
        expect(line).not.toMatch(/type=(ALL|index) /);
        expect(line).not.toMatch(/key=null/);
        const rows = Number(/rows=(\d+)/.exec(line)?.[1]);
        expect({ line, rows: rows < 50 }).toEqual({ line, rows: true });
      } else {
        expect({ line, indexed: /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|USING PRIMARY KEY|MULTI-INDEX OR/.test(line) || /^INDEX /.test(line) }).toEqual({ line, indexed: true });
      }
    }
  }

  const users = () => t.app.get(UsersRepository);
  const groups = () => t.app.get(GroupsRepository);

  it.each([
    'userName eq "USER1234"',
    // A user without a username goes by its email.
    'userName eq "user1235@plans.example"',
    'externalId eq "ext-1234"',
    'emails.value eq "User1234@plans.example"',
    'emails[type eq "work" and value eq "user1234@plans.example"]',
    'displayName eq "name 123"',
    'id eq "01900000-0000-7000-8000-000000001234"',
  ])('users: %s', async (filter) => {
    const where = translateFilter(filter, USER_FILTER_ATTRIBUTES, SCIM.user);
    const { sql, params } = users().searchSql(tenantId, { where, offset: 0, limit: 100 });
    expect(params[0]).toBe(tenantId);
    expectIndexed(await plan(sql, params), 'u');
    const found = await users().search(tenantId, { where, offset: 0, limit: 100 });
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((u) => u.tenantId === tenantId)).toBe(true);
  });

  it.each(['displayName eq "GROUP 12"', 'externalId eq "gext-12"'])('groups: %s', async (filter) => {
    const where = translateFilter(filter, GROUP_FILTER_ATTRIBUTES, SCIM.group);
    const { sql, params } = groups().whereSql(tenantId, where);
    expectIndexed(await plan(`SELECT g.id FROM ${useMysql ? '`groups`' : '"groups"'} g WHERE ${sql}`, params), 'g');
    const found = await groups().search(tenantId, { where, offset: 0, limit: 10 });
    expect(found.map((g) => g.name)).toEqual(['Group 12']);
  });
});
