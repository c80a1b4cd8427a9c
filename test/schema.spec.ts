import { DataSource } from 'typeorm';
import { parseDatabaseUrl } from '../src/config/app-config.js';
import { dataSourceOptions, withServerFlavor } from '../src/database/data-source-options.js';
import { freshDatabase, useMysql } from './helpers/app.js';

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
});
