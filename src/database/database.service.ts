import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError, type ErrorCode } from '../common/errors.js';
import { installSqliteGate, type SqliteGate } from './sqlite-gate.js';
import { isViewChangeRefusal, NOT_READY_BUDGET_MS } from './fast-query.js';
import { closeSqliteReader } from './sqlite-reader.js';

export interface UniqueRule {
  /** Index name as declared on the entity (MySQL reports it). */
  index: string;
  /** A column unique to that index (SQLite reports columns). */
  column: string;
  code: ErrorCode;
  detail: string;
}

function driverError(error: unknown): { code?: string; errno?: number; message: string } | null {
  if (!error || typeof error !== 'object') return null;
  const inner = (error as { driverError?: unknown }).driverError ?? error;
  if (!inner || typeof inner !== 'object') return null;
  return {
    code: (inner as { code?: string }).code,
    errno: (inner as { errno?: number }).errno,
    message: String((inner as { message?: unknown }).message ?? ''),
  };
}

/**
 * ER_LOCK_DEADLOCK: InnoDB chose this transaction as a deadlock's victim, or (on Galera) it
 * lost a certification conflict to a transaction committed on another node. Either way it was
 * rolled back whole, and running it again is the documented remedy.
 */
export function isDeadlock(error: unknown): boolean {
  const driver = driverError(error);
  return driver !== null && (driver.errno === 1213 || driver.code === 'ER_LOCK_DEADLOCK');
}

/**
 * How long a transaction that keeps losing deadlocks or certification conflicts is retried.
 * A time rather than a count: on a three-node Galera cluster with twenty requests updating one
 * user at once through two nodes, a fixed eight, then sixteen attempts still let a few requests
 * through to a 503 on a busy machine, where each attempt takes longer and meets more conflicts.
 */
const RETRY_BUDGET_MS = 10_000;
/** The longest pause between two attempts: a random share of min(this, 5 ms × 2^attempt). */
const RETRY_PAUSE_CAP_MS = 250;

@Injectable()
export class Database implements OnApplicationShutdown {
  /** Transactions run again after a deadlock or a certification conflict, since start. */
  retries = 0;

  private readonly sqlite: boolean;
  private readonly gate: SqliteGate | null;

  constructor(readonly dataSource: DataSource) {
    this.sqlite = dataSource.options.type === 'better-sqlite3';
    this.gate = this.sqlite ? installSqliteGate(dataSource) : null;
  }

  get isSqlite(): boolean {
    return this.sqlite;
  }

  /** Stops the SQLite reader thread (sqlite-reader.ts) once its reads under way are answered. */
  async onApplicationShutdown(): Promise<void> {
    await closeSqliteReader(this.dataSource);
  }

  /**
   * Runs fn in one transaction. SQLite has a single connection, so a transaction holds it
   * through the SqliteGate: other transactions and every other statement wait until it ends,
   * whatever fn awaits meanwhile. On MySQL/MariaDB
   * a transaction rolled back by a deadlock or a Galera certification conflict (error 1213)
   * runs again, after a short random pause (and so does one refused by a Galera node installing
   * a new view, 1047, a causal read's 1205 or a row's write-set key refused, for up to NOT_READY_BUDGET_MS), so fn must read what it decides on inside the
   * transaction (every caller does) and keep its side effects until after it returns.
   */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.gate) return this.retryingTransaction(fn);
    return this.gate.exclusive(() => this.dataSource.transaction(fn));
  }

  private async retryingTransaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    const started = Date.now();
    // Counted from the first refusal: a commit may wait seconds for a dead node to be evicted
    // before the view change refuses it.
    let refusedSince: number | null = null;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(fn);
      } catch (error) {
        const now = Date.now();
        if (isViewChangeRefusal(error)) {
          refusedSince ??= now;
          if (now - refusedSince >= NOT_READY_BUDGET_MS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        if (!isDeadlock(error) || now - started > RETRY_BUDGET_MS) throw error;
        this.retries += 1;
        // Both sides of a conflict retrying in step would meet again: spread them out.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(RETRY_PAUSE_CAP_MS, 5 * 2 ** attempt)));
      }
    }
  }

  /** Translates a unique-index violation into the domain's 409; rethrows anything else. */
  static rethrowUnique(error: unknown, rules: UniqueRule[]): never {
    const driver = driverError(error);
    if (driver) {
      const isMysqlDup = driver.errno === 1062 || driver.code === 'ER_DUP_ENTRY';
      const isSqliteDup = driver.code === 'SQLITE_CONSTRAINT_UNIQUE' || driver.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
      if (isMysqlDup || isSqliteDup) {
        const rule = rules.find((r) =>
          isMysqlDup ? driver.message.includes(r.index) : new RegExp(`\\.${r.column}\\b`).test(driver.message),
        );
        if (rule) throw new DomainError(rule.code, rule.detail);
        throw new DomainError('conflict', 'The resource conflicts with an existing one');
      }
    }
    throw error;
  }
}
