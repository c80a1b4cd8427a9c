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
});
