import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { CONSOLE_CSP, registerConsole } from '../src/console/console.plugin.js';
import { startApp, type TestApp } from './helpers/app.js';

/** How /console is served: a built console laid out as `npm run build` writes it, in a temporary folder. */
describe('console serving', () => {
  let dir: string;
  let fastify: FastifyInstance;
  const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Identity console</title><script type="module" src="/console/assets/app-1.js"></script>');
    writeFileSync(join(dir, 'assets', 'app-1.js'), script);
    writeFileSync(join(dir, 'assets', 'app-1.js.br'), brotliCompressSync(script));
    writeFileSync(join(dir, 'assets', 'app-1.js.gz'), gzipSync(script));
    fastify = Fastify();
    fastify.get('/api/v2/thing', async () => ({ ok: true }));
    await registerConsole(fastify, dir);
    await fastify.ready();
  });

  afterAll(async () => {
    await fastify.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page with a strict Content-Security-Policy: no inline script or style, API calls to its own origin only', async () => {
    const res = await fastify.inject({ url: '/console/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    const policy = Object.fromEntries(CONSOLE_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(policy['default-src']).toEqual(["'none'"]);
    expect(policy['script-src']).toEqual(["'self'"]);
    expect(policy['style-src']).toEqual(["'self'"]);
    expect(policy['connect-src']).toEqual(["'self'"]);
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache' });
  });

  it('answers the console routes with the page, so a reload on /console/users/… works', async () => {
    for (const url of ['/console', '/console/users', '/console/users/0190a0b0-0000-7000-8000-000000000000', '/console/audit?follow=1']) {
      const res = await fastify.inject({ url });
      expect({ url, status: res.statusCode, body: res.body.slice(0, 15) }).toEqual({ url, status: 200, body: '<!doctype html>' });
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    }
  });

  it('sends the brotli or gzip file the browser accepts, cached for good (names carry a hash)', async () => {
    const br = await fastify.inject({ url: '/console/assets/app-1.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['vary']).toMatch(/accept-encoding/i);
    expect(br.headers['cache-control']).toMatch(/immutable/);
    expect(br.rawPayload.length).toBeLessThan(script.length / 10);
    const gz = await fastify.inject({ url: '/console/assets/app-1.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const plain = await fastify.inject({ url: '/console/assets/app-1.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(script);
    expect(plain.headers['content-type']).toMatch(/javascript/);
  });

  it('answers a missing asset 404 rather than the page, and never serves outside its folder', async () => {
    expect((await fastify.inject({ url: '/console/assets/missing.js' })).statusCode).toBe(404);
    const escape = await fastify.inject({ url: '/console/assets/..%2f..%2fetc%2fpasswd' });
    expect([400, 403, 404]).toContain(escape.statusCode);
    expect(escape.body).not.toMatch(/root:/);
  });

  it('leaves the API responses without the console headers', async () => {
    const res = await fastify.inject({ url: '/api/v2/thing' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBeUndefined();
  });

  it('says how to build it when the console was not built', async () => {
    const bare = Fastify();
    await registerConsole(bare, join(dir, 'nothing-here'));
    const res = await bare.inject({ url: '/console/users' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ status: 503, code: 'console_not_built', detail: expect.stringContaining('npm run build') });
    await bare.close();
  });
});

describe('console in the service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is served by the service itself, with its policy on /console and none on the API', async () => {
    const page = await t.call('GET', '/console/', { as: null });
    expect([200, 503]).toContain(page.status); // 503 until `npm run build` has built it
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    const api = await t.call('GET', '/api/v2/permissions', { as: null });
    expect(api.status).toBe(401);
    expect(api.headers['content-security-policy']).toBeUndefined();
  });
});
