import type { EntityManager } from 'typeorm';

type Row = Record<string, unknown>;

interface Statement {
  all(...params: unknown[]): Row[];
}

interface SqliteConnection {
  prepare(sql: string): Statement;
}

const statements = new WeakMap<object, Map<string, Statement>>();

/**
 * A read for the hot paths (every authenticated request, every GET of a user). On SQLite
 * outside a transaction it runs a prepared statement straight on the driver's connection,
 * which skips TypeORM's query runner (created, connected, broadcast to and released per
 * query: more CPU than the statement itself); anywhere else it is `manager.query`. Rows come
 * back as the driver gives them, as with `manager.query`.
 */
export function readRows<T = Row>(manager: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const { driver } = manager.connection;
  if (manager.queryRunner || driver.options.type !== 'better-sqlite3') return manager.query(sql, params);
  const connection = (driver as unknown as { databaseConnection?: SqliteConnection }).databaseConnection;
  if (!connection) return manager.query(sql, params);
  let cache = statements.get(connection);
  if (!cache) statements.set(connection, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) cache.set(sql, (statement = connection.prepare(sql)));
  try {
    return Promise.resolve(statement.all(...params) as T[]);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
