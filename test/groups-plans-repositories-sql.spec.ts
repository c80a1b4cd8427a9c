import { encodeCursor } from '../src/common/cursor.js';
import type { Condition } from '../src/database/condition.js';
import { GroupsRepository } from '../src/groups/groups.repository.js';
import { PlansRepository } from '../src/plans/plans.repository.js';
import { SNAPSHOT_VALUES, sqlSnapshotSuite } from './helpers/sql-snapshot.js';

/**
 * What reaches the database for groups and plans: the SQL each GroupsRepository and
 * PlansRepository method runs, per dialect (the inserts, which need real rows to refer to,
 * are left out), compared with the checked-in src/queries/<repository>.<dialect>.sql (as
 * test/repository-sql.spec.ts does for UsersRepository). After a deliberate change,
 * regenerate the files and review the diff:
 *
 *   UPDATE_SQL_SNAPSHOTS=1 npm test -- test/groups-plans-repositories-sql.spec.ts
 *   UPDATE_SQL_SNAPSHOTS=1 npm run test:mysql -- test/groups-plans-repositories-sql.spec.ts
 */
const { TENANT, USER, GROUP, PLAN, AT } = SNAPSHOT_VALUES;
const OTHER_USER = '00000000-0000-7000-8000-000000000006';
const NAMED_STAFF: Condition = { kind: 'compare', field: 'name', op: 'eq', value: 'Staff' };
const WITH_MEMBER: Condition = { kind: 'some', relation: 'members', where: { kind: 'compare', field: 'id', op: 'eq', value: USER } };

describe('the SQL of the groups and plans repositories', () => {
  const suite = sqlSnapshotSuite('test/groups-plans-repositories-sql.spec.ts');
  const { matches } = suite;

  it('GroupsRepository matches src/queries/groups.repository.<dialect>.sql', async () => {
    const { t, db } = suite;
    const groups = t.app.get(GroupsRepository);
    const manager = t.dataSource.manager;
    await matches('GroupsRepository', 'groups.repository', [
      ['find(tenantId, id)', () => groups.find(TENANT, GROUP)],
      ['find(tenantId, id, locked for writing), in a transaction', () => db.transaction((m) => groups.find(TENANT, GROUP, m, 'pessimistic_write'))],
      ['page(tenantId, the first page)', () => groups.page(TENANT, 20, undefined)],
      ['page(tenantId, after a cursor)', () => groups.page(TENANT, 20, encodeCursor([GROUP]))],
      ['update(tenantId, groupId, { name, version })', () => db.transaction((m) => groups.update(TENANT, GROUP, { name: 'Staff', version: 2 }, m))],
      ['touchMembers(tenantId, groupId)', () => db.transaction((m) => groups.touchMembers(TENANT, GROUP, AT, m))],
      ['remove(tenantId, groupId)', () => db.transaction((m) => groups.remove(TENANT, GROUP, m))],
      ['search(tenantId, name eq, by name)', () => groups.search(TENANT, { where: NAMED_STAFF, sort: { field: 'name', descending: false }, offset: 0, limit: 10 })],
      ['count(tenantId, a member)', () => groups.count(TENANT, WITH_MEMBER)],
      ['members(tenantId, 1 group)', () => groups.members(TENANT, [GROUP])],
      ['memberIds(tenantId, groupId)', () => groups.memberIds(TENANT, GROUP, manager)],
      ['existingUserIds(tenantId, 2 users)', () => groups.existingUserIds(TENANT, [USER, OTHER_USER], manager)],
      ['standingOf(tenantId, 2 users)', () => groups.standingOf(TENANT, [USER, OTHER_USER], manager)],
      ['removeMembers(tenantId, groupId, 2 users)', () => db.transaction((m) => groups.removeMembers(TENANT, GROUP, [USER, OTHER_USER], m))],
      ['touchUsers(tenantId, 2 users)', () => db.transaction((m) => groups.touchUsers(TENANT, [USER, OTHER_USER], AT, m))],
    ]);
  });

  it('PlansRepository matches src/queries/plans.repository.<dialect>.sql', async () => {
    const { t, db } = suite;
    const plans = t.app.get(PlansRepository);
    const key = { userId: USER, planId: PLAN };
    await matches('PlansRepository', 'plans.repository', [
      ['find(tenantId, id)', () => plans.find(TENANT, PLAN)],
      ['find(tenantId, id, locked for reading), in a transaction', () => db.transaction((m) => plans.find(TENANT, PLAN, m, 'pessimistic_read'))],
      ['find(tenantId, id, locked for writing), in a transaction', () => db.transaction((m) => plans.find(TENANT, PLAN, m, 'pessimistic_write'))],
      ['page(tenantId, the first page)', () => plans.page(TENANT, 20, undefined)],
      ['page(tenantId, after a cursor)', () => plans.page(TENANT, 20, encodeCursor([PLAN]))],
      ['update(tenantId, planId, { name, updatedAt })', () => db.transaction((m) => plans.update(TENANT, PLAN, { name: 'Pro', updatedAt: AT }, m))],
      ['touchHolders(tenantId, planId)', () => db.transaction((m) => plans.touchHolders(TENANT, PLAN, AT, m))],
      ['remove(tenantId, planId)', () => db.transaction((m) => plans.remove(TENANT, PLAN, m))],
      ['assignment(tenantId, { userId, planId })', () => db.transaction((m) => plans.assignment(TENANT, key, m))],
      ['setValidTo(tenantId, { userId, planId }, a day)', () => db.transaction((m) => plans.setValidTo(TENANT, key, '2026-12-31', m))],
      ['removeAssignment(tenantId, { userId, planId })', () => db.transaction((m) => plans.removeAssignment(TENANT, key, m))],
      ['touchUser(tenantId, userId)', () => db.transaction((m) => plans.touchUser(TENANT, USER, AT, m))],
    ]);
  });
});
