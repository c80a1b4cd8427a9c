import { type DataSource, type EntityManager, type EntityMetadata, type ObjectLiteral, QueryFailedError } from 'typeorm';
import { gateOf } from './sqlite-gate.js';

type Row = Record<string, unknown>;

interface Statement {
  all(...params: unknown[]): unknown[][];
  run(...params: unknown[]): unknown;
  raw(toggle: boolean): Statement;
  columns(): { name: string }[];
}

/** A prepared statement that hands back arrays, and the function that makes each one a row. */
interface Prepared {
  statement: Statement;
  toRow: (values: unknown[]) => Row;
}

interface SqliteConnection {
  prepare(sql: string): Statement;
  readonly inTransaction: boolean;
}

const statements = new WeakMap<object, Map<string, Prepared>>();
/** Prepared SQLite statements kept per connection. */
const MAX_PREPARED = 256;

interface MysqlPool {
  execute(sql: string | { sql: string; rowsAsArray: boolean }, params: unknown[], callback: (error: Error | null, rows: unknown) => void): void;
}

/**
 * A read for the hot paths (every authenticated request, every GET of a user, every login).
 * Outside a transaction it skips TypeORM's query runner (created, connected, broadcast to
 * and released per query: on SQLite more CPU than the statement itself):
 * - on SQLite it runs a prepared statement straight on the driver's connection;
 * - on MySQL/MariaDB it runs on the driver's own pool, with the pool's connection options,
 *   so values come back converted as through TypeORM; errors are QueryFailedErrors. It runs
 *   as a prepared statement (binary protocol), which spares MariaDB parsing it again: the
 *   session-state UNION went from 4,300 to 5,600 a second at 10 connections, and
 *   GET /api/v2/users/{id} from 1,566 to 1,786 req/s.
 * Anywhere else (in a transaction, replication set up) it is `manager.query`. Rows come back
 * as the driver gives them, as with `manager.query`.
 */
/**
 * Statements readRows ran around TypeORM's query runner, for tests that count a request's
 * statements or show which ones reach the database (`listener`).
 */
export const fastReads: { count: number; listener?: (sql: string) => void } = { count: 0 };

export function readRows<T = Row>(manager: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const { driver } = manager.connection;
  const type = driver.options.type;
  if (manager.queryRunner) {
    // In a SQLite transaction, its code holds the one connection through the gate: a read on
    // that connection is part of the transaction whichever way it goes, and the prepared
    // statement reading arrays costs half of TypeORM's runner (an import batch's lookups).
    const connection = type === 'better-sqlite3' ? (driver as unknown as { databaseConnection?: SqliteConnection }).databaseConnection : undefined;
    if (!connection || !gateOf(manager.connection)?.holds()) return manager.query(sql, params);
    fastReads.count += 1;
    fastReads.listener?.(sql);
    return runSqlite<T>(connection, sql, params);
  }
  fastReads.count += 1;
  fastReads.listener?.(sql);
  if (type === 'mysql' || type === 'mariadb') {
    const pool = (driver as unknown as { pool?: MysqlPool }).pool;
    if (!pool) return manager.query(sql, params);
    return executeRiding(pool, sql, params) as Promise<T[]>;
  }
  if (type !== 'better-sqlite3') return manager.query(sql, params);
  const connection = (driver as unknown as { databaseConnection?: SqliteConnection }).databaseConnection;
  if (!connection) return manager.query(sql, params);
  // While a transaction holds the one connection, a read from elsewhere waits for it to end.
  const gate = gateOf(manager.connection);
  if (gate?.mustWait()) return gate.exclusive(() => runSqlite<T>(connection, sql, params));
  return runSqlite<T>(connection, sql, params);
}

/**
 * readRows with each row an array of its values in the statement's column order, for a reader
 * that takes the values by position (the export's pages): on MySQL/MariaDB the driver builds
 * the arrays itself (rowsAsArray) instead of an object a row; elsewhere the rows readRows
 * gives, as arrays.
 */
export function readArrays(manager: EntityManager, sql: string, params: unknown[]): Promise<unknown[][]> {
  const { driver } = manager.connection;
  const pool = (driver as unknown as { pool?: MysqlPool }).pool;
  if (!manager.queryRunner && (driver.options.type === 'mysql' || driver.options.type === 'mariadb') && pool) {
    fastReads.count += 1;
    fastReads.listener?.(sql);
    return executeRiding(pool, sql, params, true) as Promise<unknown[][]>;
  }
  return readRows<Row>(manager, sql, params).then((rows) => rows.map((row) => Object.values(row)));
}

/**
 * How long a read rides out a Galera node that is not in the primary component (error 1047,
 * "WSREP has not yet prepared node for application use"). A node answers that for a moment
 * while the cluster installs a new view, for example after another node dies: on a 2-core
 * machine, up to about 2 s, during which every request of a healthy node's instance was a 503.
 * A node cut off for longer still gets its 503 once this has passed.
 */
export const NOT_READY_BUDGET_MS = 5_000;
const NOT_READY_PAUSE_MS = 100;

/** Error 1047 from a Galera node outside the primary component (or still joining). */
export function isNodeNotReady(error: unknown): boolean {
  let current = error as { errno?: unknown; driverError?: unknown } | null;
  for (let depth = 0; depth < 3 && current && typeof current === 'object'; depth++) {
    if (current.errno === 1047) return true;
    current = current.driverError as typeof current;
  }
  return false;
}

/**
 * What a statement may meet while a Galera view is installed: 1047; 1205 for a causal read
 * (wsrep_sync_wait) that could not wait its turn; or 1180 for a row whose write-set key could
 * not be appended because the node had left the primary component for a moment (MariaDB's
 * "Error while appending streaming replication fragment(provider status: Not connected to
 * Primary Component)", raised while the statement runs, before any commit; told by its message,
 * which MariaDB 10.11 sends as error 1180). Either way nothing
 * was applied: a plain read or a whole transaction (TypeORM rolls it back) may run again. A
 * 1180 raised at COMMIT itself ("Got error … during COMMIT") is not among them: whether that
 * commit took effect is not known.
 */
export function isViewChangeRefusal(error: unknown): boolean {
  if (isNodeNotReady(error)) return true;
  let current = error as { errno?: unknown; message?: unknown; driverError?: unknown } | null;
  for (let depth = 0; depth < 3 && current && typeof current === 'object'; depth++) {
    if (current.errno === 1205) return true;
    // By its message: it is MariaDB's own for this refusal, whatever error number a version gives it.
    if (typeof current.message === 'string' && current.message.startsWith('Error while appending streaming replication fragment')) return true;
    current = current.driverError as typeof current;
  }
  return false;
}

function executeRiding(pool: MysqlPool, sql: string, params: unknown[], rowsAsArray = false): Promise<unknown[]> {
  let refusedSince: number | null = null;
  return new Promise((resolve, reject) => {
    const attempt = () =>
      pool.execute(rowsAsArray ? { sql, rowsAsArray } : sql, params, (error, rows) => {
        if (!error) return resolve(rows as unknown[]);
        if (isViewChangeRefusal(error)) {
          refusedSince ??= Date.now();
          if (Date.now() - refusedSince < NOT_READY_BUDGET_MS) return void setTimeout(attempt, NOT_READY_PAUSE_MS);
        }
        reject(new QueryFailedError(sql, params, error));
      });
    attempt();
  });
}

function runSqlite<T>(connection: SqliteConnection, sql: string, params: unknown[]): Promise<T[]> {
  const prepared = preparedOn(connection, sql);
  try {
    return Promise.resolve(prepared.statement.all(...params).map(prepared.toRow) as T[]);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** BEGIN and COMMIT, prepared once a connection, for readSqliteInTurn. */
const readTransactions = new WeakMap<object, { begin: Statement; commit: Statement }>();

/** The statement prepared on this connection, prepared once and kept. */
function preparedOn(connection: SqliteConnection, sql: string): Prepared {
  let cache = statements.get(connection);
  if (!cache) statements.set(connection, (cache = new Map()));
  let prepared = cache.get(sql);
  if (!prepared) {
    // A list page's statement depends on the filters sent: the oldest statement goes, so that
    // no sequence of requests can grow the cache without bound.
    if (cache.size >= MAX_PREPARED) cache.delete(cache.keys().next().value!);
    cache.set(sql, (prepared = prepare(connection, sql)));
  }
  return prepared;
}

/**
 * SQLite: `read` runs several statements (through `all`, each prepared once and kept, its rows
 * as arrays of values) back to back, with nothing else on the connection between them, so that
 * together they see one state of the database, as one statement would; a later statement may
 * depend on what an earlier one read. While a transaction from elsewhere holds the connection,
 * they wait for it to end, as readRows does; in the caller's own transaction they are part of it.
 */
export function readSqliteInTurn<T>(manager: EntityManager, read: (all: (sql: string, params: unknown[]) => unknown[][]) => T): Promise<T> {
  const connection = (manager.connection.driver as unknown as { databaseConnection?: SqliteConnection }).databaseConnection;
  if (manager.connection.options.type !== 'better-sqlite3' || !connection) return Promise.reject(new Error('readSqliteInTurn: SQLite only'));
  const all = (sql: string, params: unknown[]): unknown[][] => {
    fastReads.count += 1;
    fastReads.listener?.(sql);
    return preparedOn(connection, sql).statement.all(...params);
  };
  const inTurn = (): T => {
    // One read transaction for them all, unless they are part of the caller's: in WAL mode each
    // statement outside a transaction takes and releases its own read lock and snapshot.
    if (connection.inTransaction) return read(all);
    let transaction = readTransactions.get(connection);
    if (!transaction) readTransactions.set(connection, (transaction = { begin: connection.prepare('BEGIN'), commit: connection.prepare('COMMIT') }));
    transaction.begin.run();
    try {
      return read(all);
    } finally {
      transaction.commit.run();
    }
  };
  const gate = gateOf(manager.connection);
  if (gate?.mustWait()) return gate.exclusive(inTurn);
  try {
    return Promise.resolve(inTurn());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * better-sqlite3 builds each row object through V8's API, property by property; a row read as
 * an array and turned into an object by a function compiled for the statement's columns (an
 * object literal, so every row shares one shape) costs half as much for a 27-column user
 * (12.4 to 7.5 µs). As with the driver's own objects, a repeated column name keeps the last value.
 */
function prepare(connection: SqliteConnection, sql: string): Prepared {
  const statement = connection.prepare(sql);
  const names = statement.columns().map((column) => column.name);
  if (names.includes('__proto__')) throw new Error('readRows: a column may not be named __proto__');
  // The names come from the statement (the service's own fixed SQL), each quoted by JSON.stringify.
  const fields = names.map((name, index) => `${JSON.stringify(name)}: values[${index}]`).join(', ');
  const toRow = new Function('values', `return { ${fields} };`) as (values: unknown[]) => Row;
  return { statement: statement.raw(true), toRow };
}

/** How hydrate converts a column: as stored, as a boolean, or through the driver. */
const Conversion = { AsIs: 0, Boolean: 1, Driver: 2, SqliteDate: 3 } as const;
type Conversion = (typeof Conversion)[keyof typeof Conversion];
type ColumnMetadata = EntityMetadata['columns'][number];

interface ColumnPlan {
  databaseName: string;
  propertyName: string;
  conversion: Conversion;
  column: ColumnMetadata;
}

/** A datetime as the service writes it to SQLite (TypeORM's UTC form); anything else goes through the driver. */
const STORED_DATETIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;

const columnPlans = new WeakMap<EntityMetadata, ColumnPlan[]>();

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digits = (text: string, at: number, length: number): number => {
  let n = 0;
  for (let i = at; i < at + length; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
};

/**
 * A datetime as the service stores it in SQLite (`2026-11-30 16:20:00.123`, UTC), written as
 * the Date hydrate makes of it would write itself (`toISOString`: `2026-11-30T16:20:00.123Z`),
 * without the Date; null when the text is not a valid instant in that form (a 30 February, an
 * hour 24, which a Date would roll over), so that the caller takes the driver's way instead.
 */
export function storedDatetimeIso(text: string): string | null {
  if (text.length !== 23 || !STORED_DATETIME.test(text)) return null;
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (month < 1 || month > 12 || day < 1 || digits(text, 11, 2) > 23 || digits(text, 14, 2) > 59 || digits(text, 17, 2) > 59) return null;
  if (day > 28) {
    const year = digits(text, 0, 4);
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return null;
  }
  return `${text.slice(0, 10)}T${text.slice(11)}Z`;
}

/**
 * For each column, what the driver's prepareHydratedValue does with it, decided once per entity
 * instead of once per value: a text or integer column without a transformer comes back as the
 * driver gave it on both drivers, a boolean is `value ? true : false` (NULL stays NULL), and
 * everything else (dates, JSON, transformers) goes through the driver as before. A 37-column
 * user went through 37 driver calls; now through its 5 dates.
 */
function columnPlan(metadata: EntityMetadata): ColumnPlan[] {
  let plan = columnPlans.get(metadata);
  if (!plan) {
    plan = metadata.columns.map((column) => {
      const { type } = column;
      const conversion = column.transformer
        ? Conversion.Driver
        : type === 'boolean' || type === 'bool' || type === Boolean
          ? Conversion.Boolean
          : type === 'varchar' || type === 'text' || type === 'char' || type === 'int' || type === 'integer' || type === 'bigint'
            ? Conversion.AsIs
            : (type === 'datetime' || type === Date) && metadata.connection.options.type === 'better-sqlite3'
              ? Conversion.SqliteDate
              : Conversion.Driver;
      return { databaseName: column.databaseName, propertyName: column.propertyName, conversion, column };
    });
    columnPlans.set(metadata, plan);
  }
  return plan;
}

function convert(driver: EntityMetadata['connection']['driver'], { conversion, column }: ColumnPlan, value: unknown): unknown {
  if (conversion === Conversion.AsIs || value === null || value === undefined) {
    return conversion === Conversion.Driver ? driver.prepareHydratedValue(value, column) : value;
  }
  if (conversion === Conversion.Boolean) return Boolean(value);
  if (conversion === Conversion.SqliteDate && typeof value === 'string' && STORED_DATETIME.test(value)) {
    // What the driver makes of the form the service stores (`2026-11-30 16:20:00.123`, UTC),
    // without its two regular expressions and replace: `2026-11-30T16:20:00.123Z`.
    return new Date(`${value.slice(0, 10)}T${value.slice(11)}Z`);
  }
  return driver.prepareHydratedValue(value, column);
}

/** How hydrate converts a stored value of one column (by property name), as a function. */
export function columnConverter(metadata: EntityMetadata, propertyName: string): (value: unknown) => unknown {
  const plan = columnPlan(metadata).find((p) => p.propertyName === propertyName);
  if (!plan) throw new Error(`${metadata.name} has no column ${propertyName}`);
  const { driver } = metadata.connection;
  return (value) => convert(driver, plan, value);
}

/** A raw row, keyed by column name, turned into an entity the way TypeORM would (the driver's own conversions). */
export function hydrate<T extends ObjectLiteral>(metadata: EntityMetadata, row: Row, into: T): T {
  const { driver } = metadata.connection;
  const target = into as Row;
  for (const plan of columnPlan(metadata)) {
    if (plan.databaseName in row) target[plan.propertyName] = convert(driver, plan, row[plan.databaseName]);
  }
  return into;
}

/** The same from the values of every column, in the order of `metadata.columns`. */
export function hydrateValues<T extends ObjectLiteral>(metadata: EntityMetadata, values: readonly unknown[], into: T): T {
  const { driver } = metadata.connection;
  const target = into as Row;
  const plans = columnPlan(metadata);
  for (let i = 0; i < plans.length; i++) target[plans[i]!.propertyName] = convert(driver, plans[i]!, values[i]);
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

/**
 * Entities written as multi-row INSERTs of `rowsPerStatement`, each value converted by the
 * driver as TypeORM converts it: for bulk writes (an import's batch), where TypeORM's insert
 * builder spent more on rewriting the statement's text than the database spent running it.
 */
export async function insertEntities<T extends ObjectLiteral>(manager: EntityManager, target: new () => T, entities: T[], rowsPerStatement = 250): Promise<void> {
  if (!entities.length) return;
  const { connection } = manager;
  const metadata = connection.getMetadata(target);
  const columns = metadata.columns.filter((column) => !column.isVirtual);
  const escape = (name: string) => connection.driver.escape(name);
  const head = `INSERT INTO ${escape(metadata.tableName)} (${columns.map((c) => escape(c.databaseName)).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let start = 0; start < entities.length; start += rowsPerStatement) {
    const part = entities.slice(start, start + rowsPerStatement);
    const params: unknown[] = [];
    for (const entity of part) {
      for (const column of columns) {
        const value = column.getEntityValue(entity);
        params.push(connection.driver.preparePersistentValue(value === undefined ? null : value, column));
      }
    }
    await manager.query(head + part.map(() => tuple).join(', '), params);
  }
}
