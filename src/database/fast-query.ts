import type { DataSource, EntityManager, EntityMetadata, ObjectLiteral } from 'typeorm';

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

/** A raw row, keyed by column name, turned into an entity the way TypeORM would (the driver's own conversions). */
export function hydrate<T extends ObjectLiteral>(metadata: EntityMetadata, row: Row, into: T): T {
  const { driver } = metadata.connection;
  for (const column of metadata.columns) {
    if (column.databaseName in row) (into as Row)[column.propertyName] = driver.prepareHydratedValue(row[column.databaseName], column);
  }
  return into;
}

const entitySql = new WeakMap<DataSource, Map<string, string>>();

/**
 * The entities of one table whose rows match `where` (a fixed SQL condition on alias `e`,
 * with `?` parameters), read through readRows and hydrated as TypeORM would: for the reads
 * on hot paths, where building the query through a repository cost more than running it.
 */
export async function readEntities<T extends ObjectLiteral>(manager: EntityManager, target: new () => T, where: string, params: unknown[]): Promise<T[]> {
  const { connection } = manager;
  const metadata = connection.getMetadata(target);
  let cache = entitySql.get(connection);
  if (!cache) entitySql.set(connection, (cache = new Map()));
  const key = `${metadata.tableName}\u0000${where}`;
  let sql = cache.get(key);
  if (!sql) {
    const escape = (name: string) => connection.driver.escape(name);
    const columns = metadata.columns.map((c) => `e.${escape(c.databaseName)} AS ${escape(c.databaseName)}`).join(', ');
    cache.set(key, (sql = `SELECT ${columns} FROM ${escape(metadata.tableName)} e WHERE ${where}`));
  }
  const rows = await readRows(manager, sql, params);
  return rows.map((row) => hydrate(metadata, row, new target()));
}
