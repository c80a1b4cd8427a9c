import fc from 'fast-check';
import { createTenant, startApp, type TestApp } from './helpers/app.js';

/** Random JSON at the tenant routes: whatever arrives, the answer is never a 5xx. */
describe('tenant routes under random input', () => {
  let t: TestApp;
  let tenantId: string;
  beforeAll(async () => {
    t = await startApp();
    tenantId = (await createTenant(t)).id;
  });
  afterAll(async () => {
    await t.close();
  });

  const settings = fc.record(
    {
      passwordMinLength: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
      lockoutThreshold: fc.oneof(fc.integer(), fc.boolean()),
      sessionsLimitDefault: fc.oneof(fc.integer({ min: -5, max: 1_000_010 }), fc.constant(null)),
      refreshTokenTtlSeconds: fc.integer(),
    },
    { requiredKeys: [] },
  );
  const tenantBody = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        slug: fc.oneof(fc.string(), fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,62}$/), fc.jsonValue()),
        name: fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue()),
        active: fc.oneof(fc.boolean(), fc.jsonValue()),
        settings: fc.oneof(settings, fc.jsonValue()),
        __proto__: fc.jsonValue(),
        constructor: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
  );

  it('never answers 5xx to create or patch', async () => {
    await fc.assert(
      fc.asyncProperty(tenantBody, fc.constantFrom('POST', 'PATCH'), async (body, method) => {
        const url = method === 'POST' ? '/api/v2/tenants' : `/api/v2/tenants/${tenantId}`;
        const res = await t.call(method, url, { rawBody: JSON.stringify(body) });
        expect(res.status).toBeLessThan(500);
        expect(String(res.headers['content-type'])).toMatch(/json/);
      }),
      { numRuns: 300 },
    );
  });

  it('never answers 5xx to random paths, ids, headers and query strings', async () => {
    const segment = fc.oneof(fc.string(), fc.uuid(), fc.constantFrom('..', '%00', '%', '%E0%A4%A', "' OR 1=1 --"));
    await fc.assert(
      fc.asyncProperty(
        segment,
        fc.string(),
        fc.constantFrom('GET', 'PATCH', 'DELETE'),
        fc.string(),
        async (id, query, method, tenantHeader) => {
          const url = `/api/v2/tenants/${encodeURIComponent(id)}?${query}`;
          const res = await t.call(method, url, { body: method === 'PATCH' ? {} : undefined });
          expect(res.status).toBeLessThan(500);
          const scoped = await t.call('GET', `/api/v2/audit-events?${query}`, {
            headers: { 'x-tenant-id': tenantHeader.replace(/[^\x20-\x7e]/g, '') || 'x' },
          });
          expect(scoped.status).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
  });
});
