import { DataSource } from 'typeorm';
import { parseDatabaseUrl } from '../src/config/app-config.js';
import { dataSourceOptions, withServerFlavor } from '../src/database/data-source-options.js';
import { freshDatabase, useMysql } from './helpers/app.js';

/**
 * Galera replicates row changes by primary key: a table without one cannot be kept
 * consistent across nodes (and MariaDB refuses writes to it with wsrep_mode
 * REQUIRED_PRIMARY_KEY). Only InnoDB tables are replicated at all.
 */
describe(`every table after the migrations (${useMysql ? 'MariaDB' : 'SQLite'})`, () => {
  let db: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  beforeAll(async () => {
    db = await freshDatabase();
    ds = new DataSource(dataSourceOptions(await withServerFlavor(parseDatabaseUrl(db.url))));
    await ds.initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  async function tables(): Promise<{ name: string; primaryKeyColumns: number; engine: string }[]> {
    if (useMysql) {
      const rows = (await ds.query(
        `SELECT t.table_name AS name, t.engine AS engine,
                (SELECT COUNT(*) FROM information_schema.key_column_usage k
                  WHERE k.table_schema = t.table_schema AND k.table_name = t.table_name AND k.constraint_name = 'PRIMARY') AS pk
           FROM information_schema.tables t
          WHERE t.table_schema = DATABASE() AND t.table_type = 'BASE TABLE'`,
      )) as { name: string; engine: string; pk: number }[];
      return rows.map((r) => ({ name: r.name, primaryKeyColumns: Number(r.pk), engine: r.engine }));
    }
    const names = (await ds.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)) as { name: string }[];
    const result = [];
    for (const { name } of names) {
      const columns = (await ds.query(`PRAGMA table_info("${name}")`)) as { pk: number }[];
      result.push({ name, primaryKeyColumns: columns.filter((c) => c.pk > 0).length, engine: 'sqlite' });
    }
    return result;
  }

  it('has a primary key', async () => {
    const all = await tables();
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((table) => table.primaryKeyColumns === 0).map((table) => table.name)).toEqual([]);
  });

  (useMysql ? it : it.skip)('is InnoDB, the only engine Galera replicates', async () => {
    expect((await tables()).filter((table) => table.engine !== 'InnoDB').map((table) => table.name)).toEqual([]);
  });
});
