import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/app-config.js';

export const OPERATOR_KEY = 'test-operator-key-0123456789';
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** MariaDB when DATABASE_URL names a mysql server, in-memory SQLite otherwise. */
export const useMysql = (process.env.DATABASE_URL ?? '').startsWith('mysql');

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  /** 'operator' sends the operator key; a string is sent as a bearer credential. */
  as?: 'operator' | { bearer: string } | null;
  tenant?: string;
  /** The client address the request comes from (default 127.0.0.1). */
  ip?: string;
}

export interface TestApp {
  app: NestFastifyApplication;
  dataSource: DataSource;
  databaseUrl: string;
  call(method: string, url: string, options?: CallOptions): Promise<Reply>;
  close(): Promise<void>;
}

/** A fresh, empty database for one suite: a throwaway MariaDB database or in-memory SQLite. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!useMysql) return { url: 'sqlite::memory:', drop: async () => undefined };
  const server = new URL(process.env.DATABASE_URL!);
  const name = `identity_test_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection(server.toString());
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const conn = await createConnection(server.toString());
      await conn.query(`DROP DATABASE IF EXISTS ${name}`);
      await conn.end();
    },
  };
}

export async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
  const db = env.DATABASE_URL ? { url: env.DATABASE_URL, drop: async () => undefined } : await freshDatabase();
  const config = loadConfig({
    ADMIN_API_KEY: OPERATOR_KEY,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: 'silent',
    ...env,
    DATABASE_URL: db.url,
  });
  const app = await createApp(config, { logs: false });
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  const dataSource = app.get(DataSource);

  async function call(method: string, url: string, options: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    const as = options.as === undefined ? 'operator' : options.as;
    if (as === 'operator') headers['x-admin-key'] = OPERATOR_KEY;
    else if (as) headers.authorization = `Bearer ${as.bearer}`;
    if (options.tenant) headers['x-tenant-id'] = options.tenant;
    let payload: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    } else if (payload !== undefined) {
      headers['content-type'] ??= 'application/json';
    }
    const res = await fastify.inject({ method: method as 'GET', url, headers, payload, remoteAddress: options.ip });
    let body: unknown = undefined;
    if (res.body) {
      try {
        body = JSON.parse(res.body);
      } catch {
        body = res.body;
      }
    }
    return { status: res.statusCode, headers: res.headers, body, text: res.body };
  }

  return {
    app,
    dataSource,
    databaseUrl: db.url,
    call,
    close: async () => {
      try {
        await app.close();
      } finally {
        await db.drop();
      }
    },
  };
}

let counter = 0;
/** A unique slug for a test's own tenant. */
export function uniqueSlug(prefix = 't'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${randomBytes(2).toString('hex')}`;
}

/** Creates a tenant through the API and returns its representation. */
export async function createTenant(t: TestApp, overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await t.call('POST', '/api/v2/tenants', { body: { slug: uniqueSlug(), name: 'Test tenant', ...overrides } });
  if (res.status !== 201) throw new Error(`tenant create failed: ${res.status} ${res.text}`);
  return res.body;
}

export function expectProblem(res: Reply, status: number, code?: string): void {
  expect({ status: res.status, type: String(res.headers['content-type']).split(';')[0] }).toEqual({
    status,
    type: 'application/problem+json',
  });
  expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), requestId: expect.any(String) });
  if (code) expect(res.body.code).toBe(code);
  expect(res.text).not.toMatch(/\bat .+:\d+:\d+\)/); // no stack frames
}
