import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError, type ErrorCode } from '../common/errors.js';

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

@Injectable()
export class Database {
  private readonly sqlite: boolean;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dataSource: DataSource) {
    this.sqlite = dataSource.options.type === 'better-sqlite3';
  }

  get isSqlite(): boolean {
    return this.sqlite;
  }

  /**
   * Runs fn in one transaction. SQLite has a single connection, so its transactions are
   * queued: interleaving two on one connection would mix their statements.
   */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.sqlite) return this.dataSource.transaction(fn);
    const run = this.queue.then(() => this.dataSource.transaction(fn));
    this.queue = run.catch(() => undefined);
    return run;
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
