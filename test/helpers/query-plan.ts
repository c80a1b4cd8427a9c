import type { DataSource } from 'typeorm';
import { useMysql } from './app.js';

/**
 * The plan the database makes for a statement, a line a step: on MariaDB each table access
 * (`<table> type=… key=… rows=… <Extra>`, from EXPLAIN), on SQLite each step's detail (from
 * EXPLAIN QUERY PLAN).
 */
export async function queryPlan(ds: DataSource, sql: string, params: unknown[]): Promise<string[]> {
  if (useMysql) {
    const rows = (await ds.query(`EXPLAIN ${sql}`, params)) as { table: string; type: string; key: string | null; rows: number; Extra: string | null }[];
    return rows.map((r) => `${r.table} type=${r.type} key=${r.key} rows=${r.rows} ${r.Extra ?? ''}`);
  }
  const rows = (await ds.query(`EXPLAIN QUERY PLAN ${sql}`, params)) as { detail: string }[];
  return rows.map((r) => r.detail);
}
