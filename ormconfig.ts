import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { parseDatabaseUrl } from './src/config/app-config.js';
import { dataSourceOptions, withServerFlavor } from './src/database/data-source-options.js';

/** The DataSource the TypeORM CLI uses: DATABASE_URL picks the database and its migrations. */
export default new DataSource(
  dataSourceOptions(await withServerFlavor(parseDatabaseUrl(process.env.DATABASE_URL)), { migrationsRun: false }),
);
