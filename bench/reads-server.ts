/**
 * A ceiling for the authenticated reads: a bare Fastify server that runs only the statements
 * the service runs for `GET /api/v2/users/{id}` and `GET /api/v2/me`, on the raw driver, on the
 * service's own database, and answers the user row as JSON. No framework, no token check (the
 * bearer token's claims are decoded, not verified), no guard, no permission check, no mapping,
 * no logging: whatever the service does beyond its reads costs more than this.
 *
 *   node dist/bench/reads-server.js <port> <sqlite:path | mysql://user@host:3306/db>
 *
 * The statements are the service's own: the session and authorization state
 * (SESSION_STATE_SQL), the user within its tenant, and the user's child rows
 * (buildChildRowsSql). SQLite is opened read-only beside the running service (WAL); MariaDB
 * through a mysql2 pool of 10 connections (the service's pool size) as prepared statements, as the service runs them.
 */
import Database from 'better-sqlite3';
import Fastify, { type FastifyRequest } from 'fastify';
import { createPool } from 'mysql2/promise';
import { SESSION_STATE_SQL } from '../src/sessions/sessions.repository.js';
import { buildChildRowsSql } from '../src/users/child-rows.repository.js';

type Row = Record<string, unknown>;
type Read = (sql: string, params: unknown[]) => Promise<Row[]>;

const port = Number(process.argv[2]);
const url = process.argv[3] ?? '';

function sqlite(path: string): { read: Read; now: () => unknown; escape: (name: string) => string } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const statements = new Map<string, Database.Statement>();
  const read: Read = (sql, params) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return Promise.resolve(statement.all(...params) as Row[]);
  };
  // TypeORM's SQLite form of a datetime(3) column.
  const now = () => new Date().toISOString().replace('T', ' ').replace('Z', '');
  return { read, now, escape: (name) => `"${name}"` };
}

function mysql(uri: string): { read: Read; now: () => unknown; escape: (name: string) => string } {
  const pool = createPool({ uri, timezone: 'Z', connectionLimit: 10 });
  const read: Read = async (sql, params) => (await pool.execute(sql, params as never[]))[0] as Row[];
  return { read, now: () => new Date(), escape: (name) => `\`${name}\`` };
}

const { read, now, escape } = url.startsWith('sqlite:') ? sqlite(url.slice('sqlite:'.length)) : mysql(url);
const USER_SQL = `SELECT e.* FROM ${escape('users')} e WHERE e.tenant_id = ? AND e.id = ?`;
const CHILD_ROWS_SQL = buildChildRowsSql(escape, 1);

function claims(request: FastifyRequest): { sub: string; tid: string; sid: string } {
  const token = String(request.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string; tid: string; sid: string };
}

async function readUser(request: FastifyRequest, userId: string): Promise<Row | null> {
  const { sub, tid, sid } = claims(request);
  const state = [sid, sub, tid, now()];
  const grants = await read(SESSION_STATE_SQL, [...state, ...state, ...state]);
  if (!grants.some((row) => row.kind === 's')) return null;
  const [user] = await read(USER_SQL, [tid, userId]);
  if (!user) return null;
  const children = await read(CHILD_ROWS_SQL, Array.from({ length: 5 }, () => [tid, userId]).flat());
  delete user.password_hash;
  return { ...user, children: children.length };
}

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.get('/api/v2/me', async (request, reply) => (await readUser(request, claims(request).sub)) ?? reply.code(404).send());
app.get<{ Params: { id: string } }>('/api/v2/users/:id', async (request, reply) => (await readUser(request, request.params.id)) ?? reply.code(404).send());
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
await app.listen({ port, host: '127.0.0.1' });
