import { listRoutes } from '../src/auth/route-inventory.js';
import { isDocumented } from '../src/common/openapi/document.js';
import { expectProblem, startApp, type TestApp } from './helpers/app.js';

describe('platform', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('reports health without credentials', async () => {
    const res = await t.call('GET', '/health', { as: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: 'up' });
  });

  it('serves Swagger UI and an OpenAPI 3 document covering every route, with its security schemes', async () => {
    const ui = await t.call('GET', '/docs', { as: null });
    expect(ui.status).toBe(200);
    expect(String(ui.headers['content-type'])).toContain('text/html');
    const doc = await t.call('GET', '/docs/json', { as: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.components.securitySchemes).sort()).toEqual(['bearer', 'operator']);
    const documented = new Set(
      Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{[^}]+\}/g, ':param')}`),
      ),
    );
    // Routes the document leaves out on purpose (SCIM describes itself; see UNDOCUMENTED) excepted.
    const missing = listRoutes(t.app)
      .filter((r) => isDocumented(r.path))
      .map((r) => `${r.method} ${r.path.replace(/:[^/]+/g, ':param')}`)
      .filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
  });

  it('answers unknown routes with a 404 problem', async () => {
    expectProblem(await t.call('GET', '/api/v2/nothing-here'), 404, 'not_found');
    expectProblem(await t.call('GET', '/nope', { as: null }), 404, 'not_found');
  });

  it('answers 413 for a body over 256 KiB', async () => {
    const res = await t.call('POST', '/api/v2/tenants', { body: { slug: 'big-one', name: 'x'.repeat(300 * 1024) } });
    expectProblem(res, 413, 'payload_too_large');
  });

  it('answers 400 for malformed JSON and 415 for a body that is not JSON', async () => {
    expectProblem(await t.call('POST', '/api/v2/tenants', { rawBody: '{"slug": "x",' }), 400, 'bad_request');
    expectProblem(
      await t.call('POST', '/api/v2/tenants', { rawBody: 'slug=x', headers: { 'content-type': 'text/plain' } }),
      415,
    );
  });

  it('answers 422 for a JSON body that is not an object', async () => {
    for (const raw of ['[]', '"text"', '42', 'null']) {
      const res = await t.call('POST', '/api/v2/tenants', { rawBody: raw });
      expect([400, 422]).toContain(res.status);
      expectProblem(res, res.status);
    }
  });

  it('echoes a sane X-Request-Id and makes one otherwise', async () => {
    const kept = await t.call('GET', '/health', { as: null, headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await t.call('GET', '/health', { as: null, headers: { 'x-request-id': 'bad id\twith junk' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await t.call('GET', '/nope', { as: null, headers: { 'x-request-id': 'trace-42' } });
    expect(problem.body.requestId).toBe('trace-42');
  });
});

describe('health when the database is gone', () => {
  it('answers 503 and tenant routes answer a 503 problem, quickly', async () => {
    const t = await startApp();
    try {
      await t.dataSource.destroy();
      const started = Date.now();
      const health = await t.call('GET', '/health', { as: null });
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ status: 'error', database: 'down' });
      const res = await t.call('GET', '/api/v2/tenants');
      expectProblem(res, 503, 'service_unavailable');
      expect(res.headers['retry-after']).toBeDefined();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      // The data source is already gone, so closing may fail; the test database is dropped either way.
      await t.close().catch(() => undefined);
    }
  });
});
