import { DataSource } from 'typeorm';
import { parseDatabaseUrl } from '../src/config/app-config.js';
import { dataSourceOptions, withServerFlavor } from '../src/database/data-source-options.js';
import { SecretsCarryTenant1796053000000 as MysqlSecretsCarryTenant } from '../src/database/migrations/mysql/1796053000000-SecretsCarryTenant.js';
import { SecretsCarryTenant1796053000000 as SqliteSecretsCarryTenant } from '../src/database/migrations/sqlite/1796053000000-SecretsCarryTenant.js';
import { newId } from '../src/common/ids.js';
import { Database } from '../src/database/database.service.js';
import { PasswordResetRepository } from '../src/account/password-reset.repository.js';
import { SecondFactorRepository } from '../src/sessions/second-factor.repository.js';
import { createTenant, freshDatabase, startApp, useMysql } from './helpers/app.js';
import { createUser } from './helpers/users.js';

/** The migrations alone must build exactly the schema the entities describe. */
describe(`migrations (${useMysql ? 'MariaDB' : 'SQLite'})`, () => {
  it('produce the schema of the entities, with nothing left to change', async () => {
    const db = await freshDatabase();
    const ds = new DataSource(dataSourceOptions(await withServerFlavor(parseDatabaseUrl(db.url)), { migrationsRun: false }));
    try {
      await ds.initialize();
      const applied = await ds.runMigrations({ transaction: 'each' });
      expect(applied.length).toBeGreaterThan(0);
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });

  it('can be reverted and applied again', async () => {
    const db = await freshDatabase();
    const ds = new DataSource(dataSourceOptions(await withServerFlavor(parseDatabaseUrl(db.url)), { migrationsRun: false }));
    try {
      await ds.initialize();
      const applied = await ds.runMigrations({ transaction: 'each' });
      for (let i = 0; i < applied.length; i++) await ds.undoLastMigration({ transaction: 'each' });
      await ds.runMigrations({ transaction: 'each' });
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries).toEqual([]);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });

  it('give existing recovery codes and reset tokens the tenant of their user', async () => {
    const t = await startApp();
    try {
      const db = t.app.get(Database);
      const owners: { user_id: string; tenant_id: string }[] = [];
      for (let i = 0; i < 2; i++) {
        const tenant = await createTenant(t);
        const user = await createUser(t, tenant);
        await db.transaction(async (m) => {
          await t.app.get(SecondFactorRepository).replaceRecoveryCodes(tenant.id, user.id, [String(i).repeat(64), `${i}f`.repeat(32)], m);
          await t.app.get(PasswordResetRepository).replace(tenant.id, user.id, { id: newId(), tokenHash: `${i}e`.repeat(32), expiresAt: new Date() }, m);
        });
        owners.push({ user_id: user.id, tenant_id: tenant.id });
      }
      const migration = useMysql ? new MysqlSecretsCarryTenant() : new SqliteSecretsCarryTenant();
      const runner = t.dataSource.createQueryRunner();
      try {
        await migration.down(runner);
        expect(await runner.hasColumn('recovery_codes', 'tenant_id')).toBe(false);
        expect(await runner.hasColumn('password_reset_tokens', 'tenant_id')).toBe(false);
        await migration.up(runner);
      } finally {
        await runner.release();
      }
      const byUser = (rows: { user_id: string; tenant_id: string }[]) => rows.slice().sort((a, b) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0));
      expect(byUser(await t.dataSource.query('SELECT user_id, tenant_id FROM recovery_codes'))).toEqual(byUser(owners.flatMap((owner) => [owner, owner])));
      expect(byUser(await t.dataSource.query('SELECT user_id, tenant_id FROM password_reset_tokens'))).toEqual(byUser(owners));
      const pending = await t.dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
