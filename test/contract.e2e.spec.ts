import { randomUUID } from 'node:crypto';
import { totpCode } from '../src/sessions/totp.js';
import type { AccessRule } from '../src/auth/access.decorators.js';
import { listRoutes, type RouteInfo } from '../src/auth/route-inventory.js';
import { isDocumented } from '../src/common/openapi/document.js';
import { createTenant, type CallOptions, type Reply, startApp, type TestApp } from './helpers/app.js';
import { ContractChecker, fetchDocument } from './helpers/openapi.js';
import { buildFixtures, type Fixtures, type Sample, sampleBody, SAMPLES } from './helpers/route-samples.js';
import { login, PASSWORD, signedInUser, type SignedIn } from './helpers/sessions.js';
import { mailText, startSmtp, type TestSmtp } from './helpers/smtp.js';
import { createUser, uniqueEmail } from './helpers/users.js';

/**
 * Real responses, successes and errors, of every documented route, checked against the
 * OpenAPI document the service serves: the status must be listed, the body must match the
 * listed schema exactly (no undeclared field), and promised headers must be there. Error
 * answers are provoked for each route from what it declares (credentials, tenant, body,
 * parameters, If-Match), so a new route is checked without writing anything here but the
 * sample request the isolation matrix already asks for.
 */

type Route = RouteInfo & { rule: AccessRule };

const PUBLIC_SAMPLES: Record<string, (c: Context) => Promise<Sample> | Sample> = {
  'POST /api/v2/auth/login': (c) => ({ url: '/api/v2/auth/login', body: { tenant: c.f.tenant.slug, email: c.admin.email, password: PASSWORD } }),
  'POST /api/v2/auth/refresh': async (c) => ({ url: '/api/v2/auth/refresh', body: { refreshToken: (await signedInUser(c.t, c.f.tenant)).refreshToken } }),
  'POST /api/v2/auth/password-reset/request': (c) => ({ url: '/api/v2/auth/password-reset/request', body: { tenant: c.f.tenant.slug, email: c.admin.email } }),
  'POST /api/v2/auth/password-reset/confirm': () => ({ url: '/api/v2/auth/password-reset/confirm', body: { token: 'not-a-token', newPassword: 'Whatever-123456' } }),
  'GET /.well-known/jwks.json': () => ({ url: '/.well-known/jwks.json' }),
  'GET /health': () => ({ url: '/health' }),
  'GET /health/live': () => ({ url: '/health/live' }),
  'GET /health/ready': () => ({ url: '/health/ready' }),
  'GET /problems': () => ({ url: '/problems' }),
  'GET /problems/:code': () => ({ url: '/problems/validation_failed' }),
};

interface Context {
  t: TestApp;
  f: Fixtures;
  admin: SignedIn;
  plain: SignedIn;
}

const tenantScoped = (rule: AccessRule) => rule.kind === 'permission' || rule.kind === 'authenticated';
const usersOnly = (rule: AccessRule) => rule.kind === 'authenticated' && rule.usersOnly === true;

describe('responses match the OpenAPI document', () => {
  let t: TestApp;
  let c: Context;
  let checker: ContractChecker;
  let routes: Route[];
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startApp({ LOGIN_RATE_LIMIT: '30', SMTP_URL: smtp.url });
    checker = new ContractChecker(await fetchDocument(t));
    routes = listRoutes(t.app).filter((r): r is Route => r.rule !== undefined && isDocumented(r.path));
    const tenant = await createTenant(t);
    const f = await buildFixtures(t, tenant);
    const admin = await signedInUser(t, tenant, { admin: true });
    const plain = await signedInUser(t, tenant);
    c = { t, f, admin, plain };
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const key = (route: RouteInfo) => `${route.method} ${route.path}`;

  /** The caller a route is meant for: the operator, or a signed-in user on the caller's own account. */
  async function ownCaller(route: Route): Promise<CallOptions> {
    if (usersOnly(route.rule)) {
      // Routes that may end the caller's session get a session of their own.
      const user = route.path === '/api/v2/auth/logout' ? await signedInUser(t, c.f.tenant, { admin: true }) : c.admin;
      return { as: user.bearer };
    }
    if (route.rule.kind === 'public') return { as: null };
    return { as: 'operator', tenant: tenantScoped(route.rule) ? c.f.tenant.id : undefined };
  }

  async function sample(route: Route): Promise<Sample> {
    const make = PUBLIC_SAMPLES[key(route)] ?? (SAMPLES[key(route)] as ((f: Fixtures) => Promise<Sample> | Sample) | undefined);
    if (!make) throw new Error(`no sample request for ${key(route)}`);
    return (make as (arg: unknown) => Promise<Sample> | Sample)(PUBLIC_SAMPLES[key(route)] ? c : c.f);
  }

  async function call(route: Route, url: string, options: CallOptions, context: string): Promise<Reply> {
    const reply = await t.call(route.method, url, options);
    checker.check(route.method, route.path, reply, context);
    return reply;
  }

  /** Replaces every path parameter of a sample's URL with an id nothing has. */
  function unknownIds(route: Route, url: string): string | undefined {
    const template = route.path.split('/');
    const actual = url.split('?')[0]!.split('/');
    let changed = false;
    const parts = template.map((segment, i) => {
      if (!segment.startsWith(':') || segment === ':action' || segment === ':code') return actual[i]!;
      changed = true;
      return segment === ':externalId' ? `nobody-${randomUUID()}` : randomUUID();
    });
    return changed ? parts.join('/') : undefined;
  }

  it('refuses what the document does not say: an undeclared field, a missing one, an unlisted status', () => {
    const probe = new ContractChecker(checker.document);
    const reply = (status: number, body: unknown): Reply => ({
      status,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
      text: JSON.stringify(body),
    });
    probe.check('GET', '/api/v2/permissions', reply(200, { data: ['users:read'], extra: true }));
    probe.check('GET', '/api/v2/permissions', reply(200, {}));
    probe.check('GET', '/api/v2/permissions', reply(418, {}));
    expect(probe.failures).toEqual([
      expect.stringContaining('must NOT have additional properties'),
      expect.stringContaining("must have required property 'data'"),
      expect.stringContaining('status not documented'),
    ]);
  });

  it('has a sample request for every documented route', () => {
    const missing = routes.map(key).filter((k) => !(k in PUBLIC_SAMPLES) && !(k in SAMPLES));
    expect(missing).toEqual([]);
  });

  it('answers every route as documented, with the caller it is meant for', async () => {
    const unexpected: string[] = [];
    for (const route of routes) {
      const s = await sample(route);
      const reply = await call(route, s.url, { ...(await ownCaller(route)), ...sampleBody(s) }, 'sample');
      if (reply.status >= 500) unexpected.push(`${key(route)}: ${reply.status}`);
    }
    expect(unexpected).toEqual([]);
    expect(checker.failures).toEqual([]);
  });

  it('documents the errors each route gives for what it declares', async () => {
    const wrong: string[] = [];
    const expectStatus = (route: Route, what: string, reply: Reply, statuses: number[]) => {
      if (!statuses.includes(reply.status)) wrong.push(`${key(route)} ${what}: ${reply.status} (expected ${statuses.join(' or ')}) ${reply.text.slice(0, 160)}`);
    };
    const document = checker.document;
    for (const route of routes) {
      const operation = document.paths[route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')][route.method.toLowerCase()];
      const s = await sample(route);
      const own = await ownCaller(route);
      const { rule } = route;

      if (rule.kind !== 'public') {
        expectStatus(route, 'without a credential', await call(route, s.url, { as: null, body: s.body }, 'no credential'), [401]);
        expectStatus(route, 'with a forged token', await call(route, s.url, { as: { bearer: 'eyJhbGciOiJub25lIn0.e30.' }, body: s.body }, 'forged'), [401]);
      }
      if (rule.kind === 'permission' || rule.kind === 'operator') {
        expectStatus(route, 'as a user without permissions', await call(route, s.url, { as: c.plain.bearer, body: s.body }, 'weak user'), [403]);
      }
      if (usersOnly(rule)) {
        expectStatus(route, 'as the operator', await call(route, s.url, { as: 'operator', tenant: c.f.tenant.id, body: s.body }, 'operator'), [403]);
      }
      if (tenantScoped(rule) && !usersOnly(rule)) {
        expectStatus(route, 'as the operator without X-Tenant-Id', await call(route, s.url, { as: 'operator', body: s.body }, 'no tenant'), [400]);
        expectStatus(route, 'naming an unknown tenant', await call(route, s.url, { as: 'operator', tenant: randomUUID(), body: s.body }, 'unknown tenant'), [404]);
      }
      if (operation.requestBody) {
        expectStatus(route, 'with a body that is not JSON', await call(route, s.url, { ...own, rawBody: '{"email": ' }, 'malformed JSON'), [400]);
        expectStatus(
          route,
          'with a form-encoded body',
          await call(route, s.url, { ...own, rawBody: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 'form body'),
          [415],
        );
        if (operation.requestBody.content['application/json']) {
          expectStatus(route, 'with an unknown field', await call(route, s.url, { ...own, body: { ...(s.body as object), zzzUnknown: 1 } }, 'unknown field'), [422]);
        } else {
          // A route that streams records (the import) takes their media types only.
          expectStatus(route, 'with a JSON body', await call(route, s.url, { ...own, body: {} }, 'JSON body'), [415]);
        }
        expectStatus(route, 'with a huge body', await call(route, s.url, { ...own, rawBody: JSON.stringify({ x: 'y'.repeat(300 * 1024) }) }, 'huge body'), [413]);
      }
      if ((operation.parameters ?? []).some((p: any) => p.in === 'query')) {
        const url = `${s.url}${s.url.includes('?') ? '&' : '?'}zzzUnknown=1`;
        expectStatus(route, 'with an unknown query parameter', await call(route, url, { ...own }, 'unknown query'), [422]);
      }
      const elsewhere = unknownIds(route, s.url);
      if (elsewhere) {
        const upsert = route.method === 'PUT' && route.path.endsWith('/external/:externalId');
        // An upsert creates; this sample's body has no email, which a new user needs.
        expectStatus(route, 'with ids nothing has', await call(route, elsewhere, { ...own, body: s.body }, 'unknown id'), upsert ? [201, 422] : [404]);
      }
      if ((operation.parameters ?? []).some((p: any) => p.in === 'header' && p.name === 'If-Match')) {
        const target = await sample(route);
        expectStatus(route, 'with a stale If-Match', await call(route, target.url, { ...own, body: target.body, headers: { 'if-match': '"999999"' } }, 'stale If-Match'), [412]);
        expectStatus(route, 'with a malformed If-Match', await call(route, target.url, { ...own, body: target.body, headers: { 'if-match': '"1' } }, 'bad If-Match'), [400]);
      }
    }
    expect(wrong).toEqual([]);
    expect(checker.failures).toEqual([]);
  });

  it('documents conflicts, rate limits and the problem pages', async () => {
    const route = (method: string, path: string): Route => {
      const found = routes.find((r) => r.method === method && r.path === path);
      if (!found) throw new Error(`no route ${method} ${path}`);
      return found;
    };
    const operator = { as: 'operator' as const, tenant: c.f.tenant.id };
    const statuses: Record<string, number> = {};
    const probe = async (method: string, path: string, url: string, options: CallOptions, label: string) => {
      statuses[label] = (await call(route(method, path), url, options, label)).status;
    };

    await probe('POST', '/api/v2/tenants', '/api/v2/tenants', { as: 'operator', body: { slug: c.f.tenant.slug, name: 'Again' } }, 'tenant slug taken');
    await probe('POST', '/api/v2/users', '/api/v2/users', { ...operator, body: { email: c.admin.email } }, 'user email taken');
    await probe('PATCH', '/api/v2/users/:id', `/api/v2/users/${c.f.target.id}`, { ...operator, body: { email: c.admin.email } }, 'user update email taken');
    const group = await t.call('GET', `/api/v2/groups/${c.f.groupId}`, operator);
    await probe('POST', '/api/v2/groups', '/api/v2/groups', { ...operator, body: { name: group.body.name, permissions: [] } }, 'group name taken');
    const plan = await t.call('GET', `/api/v2/plans/${c.f.planId}`, operator);
    await probe('POST', '/api/v2/plans', '/api/v2/plans', { ...operator, body: { name: plan.body.name } }, 'plan name taken');
    // The only admin of a tenant of its own cannot lose the flag.
    const lonely = await createTenant(t);
    const only = await createUser(t, lonely, { email: uniqueEmail('only'), admin: true });
    await probe('PATCH', '/api/v2/users/:id', `/api/v2/users/${only.id}`, { as: 'operator', tenant: lonely.id, body: { admin: false } }, 'last admin');
    const enrolled = await signedInUser(t, c.f.tenant);
    await probe('POST', '/api/v2/me/tfa/enroll', '/api/v2/me/tfa/enroll', { as: enrolled.bearer }, 'tfa enroll');
    expect(statuses).toEqual({
      'tenant slug taken': 409,
      'user email taken': 409,
      'user update email taken': 409,
      'group name taken': 409,
      'plan name taken': 409,
      'last admin': 409,
      'tfa enroll': 200,
    });

    // 31 attempts from one address within the minute: the last is refused, with Retry-After.
    let last: Reply | undefined;
    for (let i = 0; i < 31; i++) last = await login(t, c.f.tenant, c.admin.email, 'Wrong-Password-1', {}, '192.0.2.77');
    checker.check('POST', '/api/v2/auth/login', last!, 'rate limited');
    expect(last!.status).toBe(429);
    const wrong = await login(t, c.f.tenant, c.admin.email, 'Wrong-Password-1', {}, '192.0.2.78');
    checker.check('POST', '/api/v2/auth/login', wrong, 'wrong password');
    expect(wrong.status).toBe(401);

    // Every problem's type is a page of this service that explains its code.
    const problem = await t.call('GET', '/api/v2/users', { as: null });
    const page = await call(route('GET', '/problems/:code'), problem.body.type, { as: null }, 'problem type');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ code: 'unauthenticated', status: 401, type: problem.body.type });
    const html = await t.call('GET', problem.body.type, { as: null, headers: { accept: 'text/html' } });
    checker.check('GET', '/problems/:code', html, 'as HTML');
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.text).toContain('<code>unauthenticated</code>');
    await call(route('GET', '/problems/:code'), '/problems/no_such_code', { as: null }, 'unknown code');
    expect(checker.failures).toEqual([]);
  });

  it('documents the successes of the routes whose samples can only be refused', async () => {
    const route = (method: string, path: string): Route => routes.find((r) => r.method === method && r.path === path)!;
    const statuses: Record<string, number> = {};
    const probe = async (method: string, path: string, url: string, options: CallOptions, label: string) => {
      statuses[label] = (await call(route(method, path), url, options, label)).status;
    };
    const user = await signedInUser(t, c.f.tenant);
    const other = await login(t, c.f.tenant, user.email, PASSWORD, {}, '192.0.2.90');
    await probe('DELETE', '/api/v2/me/sessions/:sessionId', `/api/v2/me/sessions/${other.body.session.id}`, { as: user.bearer }, 'end another own session');
    const enrol = await t.call('POST', '/api/v2/me/tfa/enroll', { as: user.bearer });
    const at = Date.now();
    await probe('POST', '/api/v2/me/tfa/confirm', '/api/v2/me/tfa/confirm', { as: user.bearer, body: { otp: totpCode(enrol.body.secret, at) } }, 'tfa confirm');
    // The confirming code is spent; the next step's is still good.
    await probe('DELETE', '/api/v2/me/tfa', '/api/v2/me/tfa', { as: user.bearer, body: { otp: totpCode(enrol.body.secret, at + 30_000) } }, 'tfa off');
    await probe('POST', '/api/v2/me/password', '/api/v2/me/password', { as: user.bearer, body: { currentPassword: PASSWORD, newPassword: 'Another-Pass-77' } }, 'password change');

    const forgetful = await createUser(t, c.f.tenant, { email: uniqueEmail('reset'), password: PASSWORD });
    await t.call('POST', '/api/v2/auth/password-reset/request', { as: null, ip: '192.0.2.91', body: { tenant: c.f.tenant.slug, email: forgetful.email } });
    // The mail is sent after the answer: wait for it.
    const deadline = Date.now() + 10_000;
    while (!smtp.received.some((m) => m.to.includes(forgetful.email)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const mail = smtp.received.find((m) => m.to.includes(forgetful.email));
    const token = mail && /^([A-Za-z0-9_-]{43})\r?$/m.exec(mailText(mail.data))?.[1];
    await probe('POST', '/api/v2/auth/password-reset/confirm', '/api/v2/auth/password-reset/confirm', { as: null, ip: '192.0.2.91', body: { token, newPassword: 'Another-Pass-77' } }, 'password reset');
    expect(statuses).toEqual({ 'end another own session': 204, 'tfa confirm': 200, 'tfa off': 204, 'password change': 204, 'password reset': 204 });
    expect(checker.failures).toEqual([]);
  });

  it('checked at least one success and one error of every documented route', () => {
    const summary = routes.map((r) => {
      const seen = [...(checker.checked.get(key(r)) ?? [])];
      return { route: key(r), success: seen.some((s) => s < 400), error: seen.some((s) => s >= 400) };
    });
    // Routes whose entry lists no 4xx (the JWKS, /health, the problem list) have none to check.
    const answersErrors = (route: string) => {
      const [method, path] = route.split(' ');
      const responses = checker.document.paths[path!.replace(/:([A-Za-z0-9_]+)/g, '{$1}')][method!.toLowerCase()].responses;
      return Object.keys(responses).some((status) => status.startsWith('4'));
    };
    expect(summary.filter((s) => !s.error && answersErrors(s.route))).toEqual([]);
    expect(summary.filter((s) => !s.success)).toEqual([]);
    process.stdout.write(`contract: ${summary.length} routes checked against the document\n`);
  });
});
