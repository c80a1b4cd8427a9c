import { describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { isNodeNotReady, isViewChangeRefusal, readRows } from './fast-query.js';

/** A MySQL pool as mysql2 shapes it, answering from a script of outcomes. */
function scriptedManager(outcomes: (Error | unknown[])[]) {
  const calls: string[] = [];
  const pool = {
    execute(sql: string, _params: unknown[], callback: (error: Error | null, rows: unknown) => void) {
      calls.push(sql);
      const next = outcomes.shift() ?? [];
      setImmediate(() => (next instanceof Error ? callback(next, undefined) : callback(null, next)));
    },
  };
  const manager = { connection: { driver: { options: { type: 'mariadb' }, pool } }, queryRunner: undefined } as unknown as EntityManager;
  return { manager, calls };
}

const notReady = () => Object.assign(new Error('WSREP has not yet prepared node for application use'), { errno: 1047, code: 'ER_UNKNOWN_COM_ERROR' });

describe('fast reads on a Galera node installing a new view', () => {
  it('ride out error 1047 and answer once the node is back in the primary component', async () => {
    const { manager, calls } = scriptedManager([notReady(), notReady(), [{ id: 'u1' }]]);
    await expect(readRows(manager, 'SELECT 1', [])).resolves.toEqual([{ id: 'u1' }]);
    expect(calls).toHaveLength(3);
  });

  it('ride out a causal read that timed out waiting for the view (1205)', async () => {
    const timedOut = Object.assign(new Error('Lock wait timeout exceeded; try restarting transaction'), { errno: 1205, code: 'ER_LOCK_WAIT_TIMEOUT' });
    const { manager, calls } = scriptedManager([timedOut, [{ id: 'u1' }]]);
    await expect(readRows(manager, 'SELECT 1', [])).resolves.toEqual([{ id: 'u1' }]);
    expect(calls).toHaveLength(2);
  });

  it('do not retry other errors', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', errno: -111 });
    const { manager, calls } = scriptedManager([refused, [{ id: 'u1' }]]);
    await expect(readRows(manager, 'SELECT 1', [])).rejects.toMatchObject({ driverError: refused });
    expect(calls).toHaveLength(1);
  });

  it('recognise 1047 on the driver error and on TypeORM’s wrapper', () => {
    expect(isNodeNotReady(notReady())).toBe(true);
    expect(isNodeNotReady({ driverError: notReady() })).toBe(true);
    expect(isNodeNotReady(Object.assign(new Error('deadlock'), { errno: 1213 }))).toBe(false);
    expect(isNodeNotReady(null)).toBe(false);
    expect(isViewChangeRefusal({ driverError: Object.assign(new Error('Lock wait timeout exceeded'), { errno: 1205 }) })).toBe(true);
    expect(isViewChangeRefusal(Object.assign(new Error('deadlock'), { errno: 1213 }))).toBe(false);
    // A row's write-set key refused while the node is out of the primary component: nothing applied.
    const appendRefused = 'Error while appending streaming replication fragment(provider status: Not connected to Primary Component)';
    expect(isViewChangeRefusal(Object.assign(new Error(appendRefused), { errno: 1180 }))).toBe(true);
    expect(isViewChangeRefusal({ driverError: Object.assign(new Error(appendRefused), { errno: 1180 }) })).toBe(true);
    // A failure at COMMIT itself may or may not have taken effect: not run again.
    expect(isViewChangeRefusal(Object.assign(new Error('Got error 6 "No such device or address" during COMMIT'), { errno: 1180 }))).toBe(false);
  });
});

describe('fast reads in a SQLite transaction', () => {
  it('run on the connection the transaction holds, and see its uncommitted rows', async () => {
    const { DataSource } = await import('typeorm');
    const { installSqliteGate } = await import('./sqlite-gate.js');
    const { fastReads } = await import('./fast-query.js');
    const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
    await dataSource.initialize();
    const gate = installSqliteGate(dataSource);
    try {
      await dataSource.query('CREATE TABLE t (id TEXT PRIMARY KEY)');
      await gate.exclusive(async () => {
        const runner = dataSource.createQueryRunner();
        await runner.startTransaction();
        await runner.query("INSERT INTO t (id) VALUES ('a')");
        const before = fastReads.count;
        await expect(readRows(runner.manager, 'SELECT id FROM t WHERE id = ?', ['a'])).resolves.toEqual([{ id: 'a' }]);
        expect(fastReads.count).toBe(before + 1);
        await runner.rollbackTransaction();
        await runner.release();
      });
      await expect(readRows(dataSource.manager, 'SELECT id FROM t', [])).resolves.toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });
});
