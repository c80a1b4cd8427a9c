import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { ENTITIES } from './entities.js';
import { MYSQL_MIGRATIONS } from './migrations/mysql/index.js';
import { SQLITE_MIGRATIONS } from './migrations/sqlite/index.js';
import { SnakeNamingStrategy } from './naming.strategy.js';

/**
 * MariaDB and MySQL report column metadata differently, and TypeORM compares schemas
 * correctly only when told which one it talks to; a mysql:// URL may be either.
 */
export async function withServerFlavor(db: DatabaseConfig): Promise<DatabaseConfig> {
  if (db.type !== 'mysql' || db.flavor) return db;
  const conn = await createConnection({ uri: db.url, connectTimeout: 5000 });
  try {
    const [rows] = await conn.query('SELECT VERSION() AS version');
    const version = String((rows as { version: string }[])[0]?.version ?? '');
    return { ...db, flavor: /mariadb/i.test(version) ? 'mariadb' : 'mysql' };
  } finally {
    await conn.end();
  }
}

/** SQLite's page cache, in KiB (the service's resident memory grows by up to this much). */
export const SQLITE_CACHE_KIB = 64 * 1024;

/** Connections in the MySQL/MariaDB pool of each instance. */
export const MYSQL_POOL_SIZE = 20;
/**
 * Prepared statements each pooled connection keeps. The hot reads are about twenty fixed
 * statements; the server's max_prepared_stmt_count (MariaDB's default 16,382) must hold
 * instances × MYSQL_POOL_SIZE × this.
 */
export const MYSQL_PREPARED_PER_CONNECTION = 32;

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
        // SQLite's own page cache, 2 MiB by default, is per connection and there is one: at
        // 200,000 users most of an import batch's index seeks missed it and went to the OS.
        conn.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
      },
    };
  }
  return {
    ...common,
    type: db.flavor ?? 'mysql',
    url: db.url,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    connectTimeout: 3000,
    poolSize: MYSQL_POOL_SIZE,
    migrations: MYSQL_MIGRATIONS,
    // trace: false stops mysql2 from capturing a stack trace on every query (a measurable
    // share of each list request's CPU); driver errors are mapped by code, never by stack.
    // The hot reads run as prepared statements (src/database/fast-query.ts); each connection
    // keeps at most MYSQL_PREPARED_PER_CONNECTION of them, least recently used dropped first.
    extra: {
      waitForConnections: true,
      queueLimit: 500,
      enableKeepAlive: true,
      trace: false,
      maxPreparedStatements: MYSQL_PREPARED_PER_CONNECTION,
    },
  };
}
