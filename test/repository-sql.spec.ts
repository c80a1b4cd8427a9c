import type { Condition } from '../src/database/condition.js';
import { hasAnotherActiveAdmin, UsersRepository } from '../src/users/users.repository.js';
import { User } from '../src/users/user.entity.js';
import { SNAPSHOT_VALUES, type SnapshotCase, sqlSnapshotSuite } from './helpers/sql-snapshot.js';

/**
 * What reaches the database: the SQL each UsersRepository method runs, per dialect (the
 * inserts, which need real rows to refer to, are left out), compared
 * with the checked-in src/queries/users.repository.<dialect>.sql, so that a change to a
 * statement shows in review (as immich keeps server/src/queries/*.sql). After a deliberate
 * change, regenerate both files and review the diff:
 *
 *   UPDATE_SQL_SNAPSHOTS=1 npm test -- test/repository-sql.spec.ts
 *   UPDATE_SQL_SNAPSHOTS=1 npm run test:mysql -- test/repository-sql.spec.ts
 */
const { TENANT, USER, GROUP, PLAN, AT } = SNAPSHOT_VALUES;
const ADA: Condition = { kind: 'compare', field: 'userName', op: 'eq', value: 'ada' };

describe('the SQL of UsersRepository', () => {
  const suite = sqlSnapshotSuite('test/repository-sql.spec.ts');

  it('matches src/queries/users.repository.<dialect>.sql', async () => {
    const { t, db } = suite;
    const repository = t.app.get(UsersRepository);
    const user = Object.assign(new User(), { id: USER, tenantId: TENANT });
    const fifty = Array.from({ length: 50 }, (_, i) => Object.assign(new User(), { id: `00000000-0000-7000-8001-${String(i).padStart(12, '0')}`, tenantId: TENANT }));
    const noFilter = {};
    const everyFilter = {
      name: 'Ad', email: 'ada@example.com', active: '1', deactivated: '1', admin: '1', planAdmin: '1',
      externalId: 'x-1', group: GROUP, clientTag: 'vip', plan: PLAN,
    } as const;
    const cases: SnapshotCase[] = [
      ['findOne(tenantId, "id", id)', () => repository.findOne(TENANT, 'id', USER)],
      ['findOne(tenantId, "externalId", externalId)', () => repository.findOne(TENANT, 'externalId', 'x-1')],
      ['findOne(tenantId, "email", email)', () => repository.findOne(TENANT, 'email', 'ada@example.com')],
      ['findForUpdate(tenantId, "id", id), in a transaction', () => db.transaction((m) => repository.findForUpdate(TENANT, 'id', USER, m))],
      ['findForUpdate(tenantId, "externalId", externalId), in a transaction', () => db.transaction((m) => repository.findForUpdate(TENANT, 'externalId', 'x-1', m))],
      ['listPage(tenantId, the first page, by createdAt)', () => repository.listPage(TENANT, { filter: noFilter, sort: 'createdAt', offset: 0, limit: 50 })],
      ['listPage(tenantId, after a cursor, by createdAt)', () => repository.listPage(TENANT, { filter: noFilter, sort: 'createdAt', after: { value: AT, id: USER }, offset: 0, limit: 50 })],
      ['listPage(tenantId, after a cursor, by -lastLoginAt)', () => repository.listPage(TENANT, { filter: noFilter, sort: '-lastLoginAt', after: { value: AT, id: USER }, offset: 0, limit: 50 })],
      ['listPage(tenantId, after a NULL, by lastLoginAt)', () => repository.listPage(TENANT, { filter: noFilter, sort: 'lastLoginAt', after: { value: null, id: USER }, offset: 0, limit: 50 })],
      ['listPage(tenantId, every filter, by -name, at an offset)', () => repository.listPage(TENANT, { filter: everyFilter, sort: '-name', offset: 20, limit: 20 })],
      ['countList(tenantId, no filter)', () => repository.countList(TENANT, noFilter)],
      ['countList(tenantId, every filter)', () => repository.countList(TENANT, everyFilter)],
      ['withChildRows(tenantId, 1 user)', () => repository.withChildRows(TENANT, [user])],
      ['withChildRows(tenantId, 50 users)', () => repository.withChildRows(TENANT, fifty)],
      ['search(tenantId, userName eq, by name)', () => repository.search(TENANT, { where: ADA, sort: { field: 'name', descending: false }, offset: 0, limit: 10 })],
      ['count(tenantId, userName eq)', () => repository.count(TENANT, ADA)],
      ['idByExternalId(tenantId, externalId)', () => repository.idByExternalId(TENANT, 'x-1')],
      ['exists(tenantId, id)', () => repository.exists(TENANT, USER, t.dataSource.manager)],
      ['planAssignments(tenantId, userId)', () => repository.planAssignments(TENANT, USER, t.dataSource.manager)],
      ['update(tenantId, userId, { version })', () => db.transaction((m) => repository.update(TENANT, USER, { version: 2 }, m))],
      ['remove(tenantId, userId)', () => db.transaction((m) => repository.remove(TENANT, USER, m))],
      ['replaceGroups(tenantId, userId, none, not new)', () => db.transaction((m) => repository.replaceGroups(TENANT, USER, [], m, false))],
      ['replaceIpWhitelist(tenantId, userId, none, not new)', () => db.transaction((m) => repository.replaceIpWhitelist(TENANT, USER, [], m, false))],
      ['replaceClientTags(tenantId, userId, none, not new)', () => db.transaction((m) => repository.replaceClientTags(TENANT, USER, [], m, false))],
      ['replacePlans(tenantId, userId, none, not new)', () => db.transaction((m) => repository.replacePlans(TENANT, USER, [], m, false))],
      ['hasAnotherActiveAdmin(tenantId, userId)', () => db.transaction((m) => hasAnotherActiveAdmin(TENANT, USER, m))],
      ['findByUniqueKeys(tenantId, an email, an externalId, a username)', () => repository.findByUniqueKeys(TENANT, { emails: ['ada@example.com'], externalIds: ['x-1'], usernames: ['ada'] }, t.dataSource.manager)],
      ['withSomeChildRows(tenantId, 50 users, client tags and plans)', () => repository.withSomeChildRows(TENANT, fifty, ['tag', 'plan'], t.dataSource.manager)],
      ['exportPages(tenantId, no filter), its first page', () => repository.exportPages(TENANT, noFilter, 1000).next()],
      ['sourceCredentials(tenantId, an id)', () => repository.sourceCredentials(TENANT, [USER])],
      ['sourceUserKeys(tenantId, an id)', () => repository.sourceUserKeys(TENANT, [USER])],
    ];
    await suite.matches('UsersRepository', 'users.repository', cases);
  });
});
