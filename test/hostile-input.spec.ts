import fc from 'fast-check';
import { listRoutes, type RouteInfo } from '../src/auth/route-inventory.js';
import { createTenant, startApp, type TestApp } from './helpers/app.js';
import { buildFixtures, type Fixtures, SAMPLES } from './helpers/route-samples.js';

/**
 * Hostile input at every route, as the operator: random and boundary values, huge strings,
 * deep nesting, wrong types, unicode tricks, SQL and LIKE metacharacters. Never a 5xx, and
 * a 4xx changes nothing (every change writes an audit event, so none may appear).
 */
const RUNS = Number(process.env.HOSTILE_RUNS ?? 25);

const tricky = fc.constantFrom(
  "' OR '1'='1",
  '%',
  '_',
  '\\',
  '%_%\\%',
  '"; DROP TABLE users; --',
  '\u0000',
  '\u202e\u0041dmin',
  'ＡＤＭＩＮ@ＥＸＡＭＰＬＥ.ＣＯＭ',
  'MARY@WEBSITE.COM',
  'mаry@website.com', // Cyrillic а
  'ß@straße.de',
  'İ@example.com',
  '😀'.repeat(50),
  'a'.repeat(70_000),
  '0190e0b6-0000-7000-8000-000000000000',
  '-1',
  '1e309',
  '99999999999999999999',
  '9007199254740993',
  '-0',
  '1e400',
  'a\u200b@example.com',
  'ad\u2060min@example.com',
  'jose\u0301@example.com',
  '0190E0B6-0000-7000-8000-000000000000',
  '{0190e0b6-0000-7000-8000-000000000000}',
  '0190e0b6-0000-7000-8000-000000000000 ',
  '0190e0b600007000800000000000000',
  'NaN',
  '[]',
  '{}',
  '__proto__',
);

const scalar = fc.oneof(fc.string(), tricky, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

function nested(depth: number): fc.Arbitrary<unknown> {
  let value: fc.Arbitrary<unknown> = scalar;
  for (let i = 0; i < depth; i++) value = fc.oneof(fc.array(value, { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 5 }), value, { maxKeys: 2 }));
  return value;
}

/** Bodies shaped like the route's own sample, with values swapped for hostile ones. */
function hostileBody(sample: unknown): fc.Arbitrary<unknown> {
  const keys = sample && typeof sample === 'object' ? Object.keys(sample) : [];
  const known = [...keys, 'email', 'name', 'password', 'groups', 'plans', 'ipWhitelist', 'clientTags', 'permissions', 'settings', 'admin', 'slug', 'phone', 'validTo', 'planId'];
  return fc.oneof(
    fc.jsonValue(),
    nested(12),
    fc.dictionary(fc.constantFrom(...known), fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), nested(3)), { maxKeys: 6 }),
    fc.constant({ ...(sample as object), __proto__: { admin: true } }),
  );
}

const queryString = fc.oneof(
  fc.string(),
  fc.tuple(fc.constantFrom('name', 'email', 'externalId', 'clientTag', 'group', 'plan', 'active', 'action', 'nope', 'a][b'), tricky).map(
    ([k, v]) => `filter[${k}]=${encodeURIComponent(v)}`,
  ),
  fc.tuple(fc.constantFrom('limit', 'offset', 'after', 'sort', 'count'), fc.oneof(tricky, fc.string())).map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
  fc.constant('filter[name][$gt]=a'),
  fc.constant('filter=1&filter[name]=2'),
  fc.constant('limit=1&limit=2'),
  fc.constantFrom('offset=99999999999999999999', 'offset=1e400', 'limit=99999999999999999999', 'offset=-0', 'limit=9007199254740993'),
);

/**
 * Bodies that are not what a route reads (issue 12, point 10): nesting far past the limit,
 * `null` and other bare JSON values, numbers past what a database holds, and bodies that are
 * not JSON at all. Each with the answer the contract gives it (API.md section 3).
 */
const DEEP = `{"email":${'['.repeat(5000)}${']'.repeat(5000)},"password":"x","tenant":"x"}`;
const odd = fc.oneof(
  fc.constant({ raw: DEEP, type: 'application/json', expect: 400 }),
  fc.constant({ raw: `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`, type: 'application/json', expect: 400 }),
  fc.constantFrom('null', '42', '"text"', 'true').map((raw) => ({ raw, type: 'application/json', expect: 400 })),
  fc.constantFrom('email=a%40b.c&password=x', 'a=1&a=2').map((raw) => ({ raw, type: 'application/x-www-form-urlencoded', expect: 415 })),
  fc.constantFrom('plain text', '<xml/>').map((raw) => ({ raw, type: 'text/plain', expect: 415 })),
  fc.constant({ raw: '<a>1</a>', type: 'application/xml', expect: 415 }),
  // 0: any answer but a 5xx (a route may ignore the field, or refuse it with a 422)
  fc.constantFrom('{"sessionsLimit":99999999999999999999}', '{"limit":1e400}', '{"validTo":"99999-01-01"}').map((raw) => ({ raw, type: 'application/json', expect: 0 })),
);

describe('hostile input at every route', () => {
  let t: TestApp;
  let f: Fixtures;
  let routes: RouteInfo[];

  beforeAll(async () => {
    t = await startApp();
    f = await buildFixtures(t, await createTenant(t));
    routes = listRoutes(t.app).filter((r) => r.rule?.kind !== 'public' && r.rule?.kind !== 'authenticated');
  });
  afterAll(async () => {
    await t.close();
  });

  const auditCount = async (): Promise<number> => Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM audit_events'))[0].n);

  it('never answers 5xx, and a 4xx writes nothing', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      const sample = await SAMPLES[`${route.method} ${route.path}`]!(f);
      const withBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
      await fc.assert(
        fc.asyncProperty(
          withBody ? hostileBody(sample.body) : fc.constant(undefined),
          queryString,
          fc.option(tricky, { nil: undefined }),
          async (body, query, pathValue) => {
            let url = sample.url.split('?')[0]!;
            if (pathValue !== undefined && /:[a-zA-Z]+/.test(route.path)) {
              // swap the last path parameter for a hostile value
              const segments = url.split('/');
              const paramIndex = route.path.split('/').findLastIndex((s) => s.startsWith(':'));
              segments[paramIndex] = encodeURIComponent(pathValue);
              url = segments.join('/');
            }
            const before = await auditCount();
            const res = await t.call(route.method, `${url}?${query}`, {
              tenant: f.tenant.id,
              rawBody: body === undefined ? undefined : JSON.stringify(body),
            });
            const where = `${route.method} ${url}?${query.slice(0, 80)} ${JSON.stringify(body)?.slice(0, 120)} -> ${res.status}`;
            if (res.status >= 500) failures.push(`${where}: ${res.text.slice(0, 200)}`);
            if (res.status >= 400 && (await auditCount()) !== before) failures.push(`${where}: a refused request changed something`);
            return true;
          },
        ),
        { numRuns: RUNS },
      );
    }
    expect(failures.slice(0, 20)).toEqual([]);
  });

  it('answers deep nesting, bare JSON values and non-JSON bodies as the contract says at every route, public ones included, writing nothing', async () => {
    const failures: string[] = [];
    const everyRoute = listRoutes(t.app).filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));
    expect(everyRoute.length).toBeGreaterThan(20);
    expect(everyRoute.map((r) => r.path)).toContain('/api/v2/auth/login');
    for (const route of everyRoute) {
      const sample = SAMPLES[`${route.method} ${route.path}`];
      if (!sample) continue;
      const { url } = await sample(f);
      await fc.assert(
        fc.asyncProperty(odd, async (body) => {
          const before = await auditCount();
          const res = await t.call(route.method, url, { tenant: f.tenant.id, rawBody: body.raw, headers: { 'content-type': body.type } });
          const where = `${route.method} ${url} ${body.type} ${body.raw.slice(0, 60)} -> ${res.status}`;
          if (res.status >= 500) failures.push(`${where}: ${res.text.slice(0, 200)}`);
          else if (body.expect !== 0 && res.status !== body.expect) failures.push(`${where}: expected ${body.expect}`);
          if (res.status >= 400 && (await auditCount()) !== before) failures.push(`${where}: a refused request changed something`);
          if (/\bat [\w.<>]+ \(/.test(res.text)) failures.push(`${where}: a stack trace in the response`);
          return true;
        }),
        { numRuns: Math.min(RUNS, 12) },
      );
    }
    expect(failures.slice(0, 20)).toEqual([]);
  });

  it('reads an id however it is spelled: upper case finds the same resource, other spellings are a 4xx', async () => {
    const failures: string[] = [];
    const withIds = routes.filter((r) => r.method === 'GET' && /:(id|userId|groupId|planId|sessionId)\b/.test(r.path));
    expect(withIds.length).toBeGreaterThan(5);
    for (const route of withIds) {
      const { url } = await SAMPLES[`${route.method} ${route.path}`]!(f);
      const plain = url.split('?')[0]!;
      const canonical = await t.call('GET', plain, { tenant: f.tenant.id });
      const upper = plain.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => id.toUpperCase());
      const shouted = await t.call('GET', upper, { tenant: f.tenant.id });
      if (shouted.status !== canonical.status) failures.push(`GET ${upper} -> ${shouted.status}, ${canonical.status} as written`);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom((id: string) => `{${id}}`, (id: string) => `${id}%20`, (id: string) => id.replaceAll('-', ''), (id: string) => `${id}%00`), async (spell) => {
          const odd = plain.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, (id) => spell(id));
          const res = await t.call('GET', odd, { tenant: f.tenant.id });
          if (res.status >= 500 || (canonical.status === 200 && res.status < 400)) failures.push(`GET ${odd} -> ${res.status}`);
          return true;
        }),
        { numRuns: 4 },
      );
    }
    expect(failures).toEqual([]);
  });
});
