import { encodeCursor } from '../src/common/cursor.js';
import { DEFAULT_TENANT_SETTINGS, Tenant } from '../src/tenants/tenant.entity.js';
import { lockTenantRow, TenantsRepository } from '../src/tenants/tenants.repository.js';
import { useMysql } from './helpers/app.js';
import { SNAPSHOT_VALUES, sqlSnapshotSuite } from './helpers/sql-snapshot.js';

/**
 * What reaches the database for tenants: the SQL each TenantsRepository method runs, per
 * dialect, compared with the checked-in src/queries/tenants.repository.<dialect>.sql (as
 * test/repository-sql.spec.ts does for UsersRepository). A tenant refers to no other row, so
 * the cases write one (insert), read, change and lock it, and delete it. After a deliberate
 * change, regenerate the files and review the diff:
 *
 *   UPDATE_SQL_SNAPSHOTS=1 npm test -- test/tenants-repository-sql.spec.ts
 *   UPDATE_SQL_SNAPSHOTS=1 npm run test:mysql -- test/tenants-repository-sql.spec.ts
 */
const { TENANT, AT } = SNAPSHOT_VALUES;

describe('the SQL of TenantsRepository', () => {
  const suite = sqlSnapshotSuite('test/tenants-repository-sql.spec.ts');

  it('TenantsRepository matches src/queries/tenants.repository.<dialect>.sql', async () => {
    const { t, db } = suite;
    const tenants = t.app.get(TenantsRepository);
    const tenant = Object.assign(new Tenant(), { id: TENANT, slug: 'acme', name: 'Acme', active: true, ...DEFAULT_TENANT_SETTINGS, createdAt: AT, updatedAt: AT });
    await suite.matches(
      'TenantsRepository',
      'tenants.repository',
      [
        ['insert(tenant)', () => db.transaction((m) => tenants.insert(tenant, m))],
        ['byRef(id)', () => tenants.byRef(TENANT)],
        ['byRef(slug)', () => tenants.byRef('ACME')],
        ['find(id)', () => tenants.find(TENANT)],
        ['find(id, locked for writing), in a transaction', () => db.transaction((m) => tenants.find(TENANT, m, 'pessimistic_write'))],
        ['lockoutPolicy(id)', () => tenants.lockoutPolicy(TENANT)],
        ['passwordMinLength(id)', () => tenants.passwordMinLength(TENANT)],
        ['page(the first page)', () => tenants.page(20)],
        ['page(after a cursor)', () => tenants.page(20, encodeCursor([TENANT]))],
        ['save(tenant, { name })', () => db.transaction((m) => tenants.save(Object.assign(tenant, { name: 'Acme Corp' }), m))],
        ['lockTenantRow(id) (MySQL/MariaDB only; SQLite needs no lock)', () => db.transaction((m) => lockTenantRow(TENANT, m))],
        ['remove(id)', () => db.transaction((m) => tenants.remove(TENANT, m))],
      ],
      (name) => name.startsWith('lockTenantRow') && !useMysql,
    );
  });

  it('finds nothing by an id that is not a UUID, and says so for a tenant that is gone', async () => {
    const tenants = suite.t.app.get(TenantsRepository);
    expect(await tenants.find('acme')).toBeNull();
    expect(await tenants.find(TENANT)).toBeNull();
    expect(await tenants.passwordMinLength(TENANT)).toBeNull();
    expect(await suite.db.transaction((m) => tenants.remove(TENANT, m))).toBe(false);
  });
});
