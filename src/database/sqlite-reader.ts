import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { DataSource, EntityManager } from 'typeorm';
import { fastReads } from './fast-query.js';
import { gateOf } from './sqlite-gate.js';

/*
 * SQLite answers every statement on the thread that runs it, and the service's connection is on
 * the event loop's: a list page's statements (about a fifth of its CPU) ran there, one request at
 * a time, while the machine's other cores waited. A page's reads now run on a reader thread, on a
 * connection of its own to the same file, while the event loop goes on with other requests
 * (authentication, writing the previous page, the network); the page's rows come back as the
 * statements gave them, to be parsed and written as before.
 *
 * What a reader's connection sees: in WAL mode, each read transaction sees every transaction
 * committed when it began, and nothing of one still open. A page read while a write transaction
 * of another request is open therefore answers as if it had come just before that write, where
 * the single connection made it wait for the write's end; a page asked after a write's response
 * sees the write (the commit precedes the response). Reads inside a transaction (the caller's
 * own) stay on the transaction's connection, as do databases the thread cannot open (in memory).
 */

/** A statement with its parameters. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * A page and what hangs off it: `page` first, each of its rows a JSON text (its first column) and
 * a key (at `keyAt`); then each statement of `follow` with, as its parameters, the JSON array of
 * the page's keys followed by `followParams`. Each follower answers one value (its first row's
 * first column). All run in one read transaction, so they see one state of the database.
 */
export interface KeyedRead {
  page: Statement;
  keyAt: number;
  follow: readonly string[];
  followParams: unknown[];
}

export interface KeyedRows {
  /** The page's rows' JSON texts as one JSON array (`[row, row, …]`): one string to hand over and one JSON.parse. */
  json: string;
  /** One value a follower, in order; empty when the page had no rows (the followers do not run). */
  follow: unknown[];
}

interface Reply extends Partial<KeyedRows> {
  id: number;
  error?: string;
}

/** The statements a reader keeps prepared (a page's statement depends on the filters sent). */
const MAX_PREPARED = 64;

/**
 * The reader thread's program. It runs in the worker from its source text (`String(readerMain)`),
 * so it must not use anything from this module's scope: what it needs comes as arguments.
 */
function readerMain(
  port: { on(event: 'message', listener: (message: KeyedRead & { id: number }) => void): void; postMessage(message: Reply): void },
  Database: new (path: string, options: { fileMustExist: boolean; timeout: number }) => {
    inTransaction: boolean;
    pragma(sql: string): unknown;
    prepare(sql: string): { raw(on: boolean): { all(...params: unknown[]): unknown[][] }; run(): unknown };
  },
  options: { path: string; cacheKib: number; maxPrepared: number },
): void {
  const db = new Database(options.path, { fileMustExist: true, timeout: 5000 });
  db.pragma('query_only = ON');
  db.pragma(`cache_size = -${options.cacheKib}`);
  const statements = new Map<string, { all(...params: unknown[]): unknown[][] }>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= options.maxPrepared) statements.delete(statements.keys().next().value!);
      statements.set(sql, (statement = db.prepare(sql).raw(true)));
    }
    return statement;
  };
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  port.on('message', ({ id, page, keyAt, follow, followParams }) => {
    let reply: Reply;
    try {
      begin.run();
      try {
        const rows = prepared(page.sql).all(...page.params);
        const keys = JSON.stringify(rows.map((row) => row[keyAt]));
        const followed = rows.length ? follow.map((sql) => prepared(sql).all(keys, ...followParams)[0]?.[0] ?? null) : [];
        reply = { id, json: `[${rows.map((row) => row[0]).join(',')}]`, follow: followed };
      } finally {
        commit.run();
      }
    } catch (error) {
      reply = { id, error: error instanceof Error ? error.message : String(error) };
      // A read that failed at its COMMIT must not leave the next one inside its transaction.
      if (db.inTransaction) db.prepare('ROLLBACK').run();
    }
    port.postMessage(reply);
  });
}

/** One reader thread on one SQLite file, started on its first read. */
export class SqliteReader {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve: (rows: KeyedRows) => void; reject: (error: Error) => void }>();
  private next = 0;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly cacheKib: number,
  ) {}

  /** Runs the read on the reader thread. */
  read(request: KeyedRead): Promise<KeyedRows> {
    if (this.closed) return Promise.reject(new Error('the SQLite reader is closed'));
    // A listener (the SQL snapshots) hears each statement the read may run.
    if (fastReads.listener) for (const sql of [request.page.sql, ...request.follow]) fastReads.listener(sql);
    const worker = (this.worker ??= this.start());
    const id = this.next++;
    return new Promise<KeyedRows>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, ...request });
    });
  }

  /** Waits for the reads under way, then stops the thread. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    const deadline = Date.now() + 5_000;
    while (this.pending.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    this.worker = null;
    await worker.terminate();
  }

  private start(): Worker {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const source = `(${String(readerMain)})(require('node:worker_threads').parentPort, require(require('node:worker_threads').workerData.driver), require('node:worker_threads').workerData)`;
    const worker = new Worker(source, {
      eval: true,
      workerData: { driver, path: this.path, cacheKib: this.cacheKib, maxPrepared: MAX_PREPARED },
      resourceLimits: { maxYoungGenerationSizeMb: 2 },
    });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error !== undefined) waiting.reject(new Error(reply.error));
      else {
        // Counted as readRows counts its statements: the page's, then each follower that ran.
        fastReads.count += 1 + reply.follow!.length;
        waiting.resolve({ json: reply.json!, follow: reply.follow! });
      }
    });
    const fail = (error: Error): void => {
      // A thread that died takes its reads with it; the next read starts another.
      if (this.worker === worker) this.worker = null;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the SQLite reader stopped (exit code ${code})`)));
    return worker;
  }
}

/** A reader's own page cache: it reads list pages only, which the OS's file cache serves as well. */
const READER_CACHE_KIB = 2 * 1024;

const readers = new WeakMap<object, SqliteReader | null>();

/**
 * The reader of a SQLite data source stored in a file, or null (MySQL/MariaDB, an in-memory
 * database).
 */
export function sqliteReaderOf(dataSource: DataSource): SqliteReader | null {
  let reader = readers.get(dataSource);
  if (reader === undefined) {
    const options = dataSource.options as { type: string; database?: unknown };
    const path = typeof options.database === 'string' ? options.database : '';
    const usable = options.type === 'better-sqlite3' && path !== '' && path !== ':memory:' && !path.startsWith('file:');
    reader = usable ? new SqliteReader(path, READER_CACHE_KIB) : null;
    readers.set(dataSource, reader);
  }
  return reader;
}

/**
 * The reader for a read through `manager`, or null where the read must stay on the service's
 * connection: inside a transaction (a transaction's manager, or code running while it holds the
 * connection, which must see its own changes), or without a reader.
 */
export function sqliteReaderFor(manager: EntityManager): SqliteReader | null {
  if (manager.queryRunner || manager !== manager.connection.manager) return null;
  if (gateOf(manager.connection)?.holds()) return null;
  return sqliteReaderOf(manager.connection);
}

/** Stops the data source's reader thread, if it has one (the service's shutdown). */
export async function closeSqliteReader(dataSource: DataSource): Promise<void> {
  await readers.get(dataSource)?.close();
}
