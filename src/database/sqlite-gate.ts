import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource } from 'typeorm';

interface QueryRunnerLike {
  query(...args: unknown[]): Promise<unknown>;
  startTransaction(...args: unknown[]): Promise<void>;
}

const gates = new WeakMap<object, SqliteGate>();

/**
 * SQLite runs every statement of the process on one connection, so a statement that runs
 * while a transaction is open is part of it: it would see the transaction's uncommitted rows,
 * and be rolled back with it. The gate makes that impossible by construction: a transaction
 * holds the connection from BEGIN to COMMIT or ROLLBACK, and a statement from anywhere else
 * (another request's read through the fast path, a bare UPDATE, a touch) waits in the same
 * queue until it is released. Which statements belong to the transaction is known from the
 * async context it runs in, so the transaction's own code may read through any manager, and
 * may await anything (a hash, a mail, a lookup) without letting another request in.
 */
export class SqliteGate {
  private readonly context = new AsyncLocalStorage<object>();
  private owner: object | null = null;
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** Whether the code running now is the holder's. */
  holds(): boolean {
    return this.owner !== null && this.context.getStore() === this.owner;
  }

  /** Whether a statement from the code running now must wait its turn: another holds the connection, or waits for it. */
  mustWait(): boolean {
    if (this.owner === null) return this.waiting > 0;
    return this.context.getStore() !== this.owner;
  }

  /** Runs fn holding the connection: nothing from another context runs a statement until it settles. */
  async exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.holds()) return fn();
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    this.waiting += 1;
    await previous;
    this.waiting -= 1;
    const token = {};
    this.owner = token;
    try {
      return await this.context.run(token, fn);
    } finally {
      this.owner = null;
      // Context tracking costs every promise of the process (GET /me: 4,680 to 3,980 req/s with
      // it always on), and is needed only while something holds the connection: off until the
      // next holder's run() turns it on again.
      if (this.waiting === 0) this.context.disable();
      release();
    }
  }
}

/** The gate of a SQLite data source, if one is installed. */
export function gateOf(dataSource: DataSource): SqliteGate | undefined {
  return gates.get(dataSource);
}

/**
 * Installs the gate on a better-sqlite3 data source: every statement through TypeORM's query
 * runner waits when it must, and a transaction begun outside the gate fails loudly, since it
 * would take the connection from whatever holds it.
 */
export function installSqliteGate(dataSource: DataSource): SqliteGate {
  const existing = gates.get(dataSource);
  if (existing) return existing;
  const gate = new SqliteGate();
  gates.set(dataSource, gate);
  const driver = dataSource.driver as unknown as { createQueryRunner(mode: string): QueryRunnerLike };
  const patched = new WeakSet<object>();
  const create = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode: string) => {
    const runner = create(mode);
    if (patched.has(runner)) return runner;
    patched.add(runner);
    // The runner's own methods are looked up at each call, so whatever wraps its class still runs.
    const own = Object.getPrototypeOf(runner) as QueryRunnerLike;
    const query = (...args: unknown[]) => own.query.apply(runner, args);
    runner.query = (...args: unknown[]) => (gate.mustWait() ? gate.exclusive(() => query(...args)) : query(...args));
    runner.startTransaction = (...args: unknown[]) => {
      if (!gate.holds()) {
        return Promise.reject(new Error('A SQLite transaction must run through Database.transaction, which holds the connection for it'));
      }
      return own.startTransaction.apply(runner, args);
    };
    return runner;
  };
  return gate;
}
