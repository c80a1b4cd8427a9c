import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { ENTITIES } from './entities.js';
import { MYSQL_MIGRATIONS } from './migrations/mysql/index.js';
import { SQLITE_MIGRATIONS } from './migrations/sqlite/index.js';
import { SnakeNamingStrategy } from './naming.strategy.js';

/** One place that turns DATABASE_URL into TypeORM options, for the app, the CLI and tests. */
export function dataSourceOptions(db: DatabaseConfig, overrides: { migrationsRun?: boolean } = {}): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: overrides.migrationsRun ?? true,
    migrationsTransactionMode: 'each' as const,
  };
  if (db.type === 'sqlite') {
    if (db.path !== ':memory:') mkdirSync(dirname(db.path), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: db.path,
      enableWAL: db.path !== ':memory:',
      timeout: 5000,
      migrations: SQLITE_MIGRATIONS,
      prepareDatabase: (conn: { pragma: (sql: string) => unknown }) => {
        conn.pragma('foreign_keys = ON');
        conn.pragma('synchronous = NORMAL');
      },
    };
  }
  return {
    ...common,
    type: 'mysql',
    url: db.url,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    connectTimeout: 3000,
    poolSize: 20,
    migrations: MYSQL_MIGRATIONS,
    extra: { waitForConnections: true, queueLimit: 500, enableKeepAlive: true },
  };
}
