import type { AccessRule } from '../src/auth/access.decorators.js';
import { PERMISSIONS, type Permission } from '../src/auth/permissions.js';
import { listRoutes, type RouteInfo } from '../src/auth/route-inventory.js';
import { createTenant, type Reply, startApp, type TestApp } from './helpers/app.js';
import { login, PASSWORD } from './helpers/sessions.js';
import { buildFixtures, type Fixtures, sampleBody, SAMPLES } from './helpers/route-samples.js';
import { createUser, insertGroup, uniqueEmail } from './helpers/users.js';

/**
 * Every registered route, called as every kind of principal. A route without a sample
 * request below fails the suite, so a new route cannot escape the matrix.
 */

const PLAN_ADMIN = new Set<Permission>(['plans:read', 'plans:write', 'users:read']);
/** Routes that need admin (or the operator) on top of their permission: API.md section 13. */
const ADMINS_ONLY = new Set(['POST /api/v2/webhooks', 'POST /api/v2/webhooks/:id/rotate-secret']);

type Caller =
  | { kind: 'none' }
  | { kind: 'forged' }
  | { kind: 'operator' }
  | { kind: 'user'; label: string; email: string; permissions: Set<Permission>; apiKey?: string }
  | { kind: 'foreign-admin'; email: string };

function routeKey(route: RouteInfo): string {
  return `${route.method} ${route.path}`;
}

function needsAllowed(rule: AccessRule, permissions: Set<Permission>): boolean {
  switch (rule.kind) {
    case 'public':
    case 'authenticated':
      return true;
    case 'operator':
      return false;
    case 'permission':
      return permissions.has(rule.permission);
  }
}

describe('isolation matrix', () => {
  let t: TestApp;
  let f: Fixtures;
  let routes: RouteInfo[];
  let tenantB: any;
  let admins: Fixtures;
  let writer: Caller;
  const callers: Caller[] = [];

  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '100000' });
    routes = listRoutes(t.app).filter((r) => r.rule?.kind !== 'public');
    const tenant = await createTenant(t);
    tenantB = await createTenant(t);
    f = await buildFixtures(t, tenant);
    const addUser = async (label: string, body: Record<string, unknown>, permissions: Iterable<Permission>, withKey: boolean) => {
      const user = await createUser(t, tenant, { email: uniqueEmail(label.replace(':', '-')), password: PASSWORD, ...body });
      const perms = new Set(permissions);
      callers.push({ kind: 'user', label, email: user.email, permissions: perms });
      if (withKey) {
        const key = await t.call('POST', `/api/v2/users/${user.id}/actions/reset-api-key`, { tenant: tenant.id });
        callers.push({ kind: 'user', label: `${label} (API key)`, email: user.email, permissions: perms, apiKey: key.body.apiKey });
      }
    };
    callers.push({ kind: 'none' }, { kind: 'forged' }, { kind: 'operator' });
    await addUser('admin', { admin: true }, PERMISSIONS, true);
    await addUser('plan-admin', { planAdmin: true }, PLAN_ADMIN, true);
    await addUser('plain', {}, [], true);
    for (const permission of PERMISSIONS) {
      const group = await insertGroup(t, tenant.id, `only-${permission}`, [permission]);
      await addUser(`only-${permission}`, { groups: [group] }, [permission], false);
    }
    const foreign = await createUser(t, tenantB, { email: uniqueEmail('foreign'), password: PASSWORD, admin: true });
    callers.push({ kind: 'foreign-admin', email: foreign.email });
    // A principal holding users:write and every other permission of the catalogue, without
    // being admin, and fixtures whose every user is an admin (issue 12, point 2).
    const everything = await insertGroup(t, tenant.id, 'everything-but-admin', [...PERMISSIONS]);
    const writerUser = await createUser(t, tenant, { email: uniqueEmail('writer'), password: PASSWORD, groups: [everything] });
    writer = { kind: 'user', label: 'every permission but admin', email: writerUser.email, permissions: new Set(PERMISSIONS) };
    callers.push(writer);
    admins = await buildFixtures(t, tenant, { name: 'admins', fields: { admin: true } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('has a sample request for every route', () => {
    const missing = routes.map(routeKey).filter((key) => !(key in SAMPLES));
    expect(missing).toEqual([]);
  });

  // A login per call would be an argon2id verification per cell of the matrix: tokens are kept
  // per caller, and dropped after a route that may end the caller's own session.
  const tokens = new Map<Caller, string>();
  const endsOwnSession = (route: RouteInfo) => route.method === 'POST' && route.path === '/api/v2/auth/logout';

  async function credential(caller: Caller): Promise<{ headers: Record<string, string>; as: null | 'operator' | { bearer: string } }> {
    if (tokens.has(caller)) return { headers: caller.kind === 'foreign-admin' ? { 'x-tenant-id': tenantB.id } : {}, as: { bearer: tokens.get(caller)! } };
    switch (caller.kind) {
      case 'none':
        return { headers: {}, as: null };
      case 'forged':
        return { headers: {}, as: { bearer: 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4IiwidGlkIjoieCIsInNpZCI6IngifQ.' } };
      case 'operator':
        return { headers: { 'x-tenant-id': f.tenant.id }, as: 'operator' };
      case 'user': {
        if (caller.apiKey) return { headers: {}, as: { bearer: caller.apiKey } };
        const res = await login(t, f.tenant, caller.email);
        tokens.set(caller, res.body.accessToken);
        return { headers: {}, as: { bearer: res.body.accessToken } };
      }
      case 'foreign-admin': {
        const res = await login(t, tenantB, caller.email);
        tokens.set(caller, res.body.accessToken);
        return { headers: { 'x-tenant-id': tenantB.id }, as: { bearer: res.body.accessToken } };
      }
    }
  }

  function describeCaller(caller: Caller): string {
    return caller.kind === 'user' ? caller.label : caller.kind;
  }

  it('answers every principal as its permissions and tenant say', async () => {
    const failures: string[] = [];
    const tenantData = [f.tenant.id, f.target.id, f.target.email, f.groupId, f.planId];
    for (const route of routes) {
      const rule = route.rule!;
      for (const caller of callers) {
        const sample = await SAMPLES[routeKey(route)]!(f);
        const { headers, as } = await credential(caller);
        const sent = sampleBody(sample);
        const res: Reply = await t.call(route.method, sample.url, { as, ...sent, headers: { ...headers, ...sent.headers } });
        if (endsOwnSession(route)) tokens.delete(caller);
        const where = `${routeKey(route)} as ${describeCaller(caller)} -> ${res.status} ${res.body?.code ?? ''}`;
        if (res.status >= 500) failures.push(`${where}: server error`);
        switch (caller.kind) {
          case 'none':
          case 'forged':
            if (res.status !== 401) failures.push(`${where}: expected 401`);
            break;
          case 'operator':
            if (rule.kind === 'authenticated') {
              if (![403].includes(res.status) && route.path.startsWith('/api/v2/me')) failures.push(`${where}: the operator has no profile`);
            } else if (res.status === 401 || res.status === 403) failures.push(`${where}: the operator may do everything`);
            break;
          case 'user': {
            const allowed = needsAllowed(rule, caller.permissions) && (!ADMINS_ONLY.has(routeKey(route)) || caller.label.startsWith('admin'));
            if (allowed && (res.status === 401 || res.status === 403)) failures.push(`${where}: expected to be allowed`);
            if (!allowed && res.status !== 403) failures.push(`${where}: expected 403`);
            break;
          }
          case 'foreign-admin': {
            if (rule.kind === 'operator') {
              if (res.status !== 403) failures.push(`${where}: expected 403`);
              break;
            }
            // An upsert by externalId acts in the caller's own tenant: it may create there, never reach here.
            // SCIM's schemas and resource types are the same for every tenant.
            const ownNamespace =
              (route.method === 'PUT' && route.path === '/api/v2/users/external/:externalId') ||
              /^\/scim\/v2\/(Schemas|ResourceTypes)\//.test(route.path);
            const targetsThisTenant =
              /:(id|externalId|sessionId|planId)/.test(route.path) && !route.path.startsWith('/api/v2/me') && !ownNamespace;
            if (targetsThisTenant && res.status !== 404) failures.push(`${where}: expected 404 for another tenant's ids`);
            const leaked = tenantData.filter((value) => res.text.includes(value));
            if (leaked.length > 0) failures.push(`${where}: leaked ${leaked.join(', ')}`);
            break;
          }
        }
      }
    }
    expect(failures).toEqual([]);
    // Every route times every caller (over a thousand requests since SCIM joined): on MariaDB on a
    // busy machine more than jest's default minute.
  }, 300_000);

  /** Bodies that change an admin's standing, for the routes that take one. */
  const STANDING_BODIES: Record<string, unknown> = {
    'PUT /api/v2/users/:id': { ipWhitelist: ['192.0.2.1'] },
    'PATCH /api/v2/users/:id': { password: 'Taken-Over-123' },
    'PUT /api/v2/users/external/:externalId': { email: 'taken-over@example.com' },
    'PATCH /api/v2/users/external/:externalId': { tfa: true },
  };
  /** Routes on a user that neither change its credentials nor its standing: plan assignments. */
  const NOT_STANDING = new Set(['POST /api/v2/users/:id/plans', 'DELETE /api/v2/users/:id/plans/:planId']);

  it('refuses a users:write holder that is not admin every change of an admin, and lets an admin make it', async () => {
    const failures: string[] = [];
    const onUsers = routes.filter((r) => /^\/api\/v2\/users\/(:id|external\/:externalId)/.test(r.path));
    expect(onUsers.length).toBeGreaterThan(15);
    const writerToken = (await credential(writer)).as;
    const adminCaller = callers.find((c) => c.kind === 'user' && c.label === 'admin' && !c.apiKey)!;
    for (const route of onUsers) {
      const key = routeKey(route);
      const reads = route.method === 'GET';
      for (const [who, as] of [
        ['writer', writerToken],
        ['admin', (await credential(adminCaller)).as],
      ] as const) {
        const sample = await SAMPLES[key]!(admins);
        const res = await t.call(route.method, sample.url, { as, body: STANDING_BODIES[key] ?? sample.body });
        const where = `${key} on an admin as ${who} -> ${res.status} ${res.body?.code ?? ''}`;
        const allowed = who === 'admin' || reads || NOT_STANDING.has(key);
        if (allowed && res.status >= 300) failures.push(`${where}: expected to be allowed`);
        if (!allowed && res.status !== 403) failures.push(`${where}: expected 403`);
        if (who === 'writer' && res.text.includes(admins.target.email)) failures.push(`${where}: the admin's email in clear`);
      }
    }
    expect(failures).toEqual([]);
    const target = await t.call('GET', `/api/v2/users/${admins.target.id}`, { tenant: f.tenant.id });
    expect(target.body).toMatchObject({ admin: true, active: true, tfa: true, ipWhitelist: ['192.0.2.1'] });
  });

  it("lets only the operator import with another tenant's credentials (credentialsFrom), and writes nothing for anyone else", async () => {
    const failures: string[] = [];
    const users = await t.dataSource.query('SELECT COUNT(*) AS n FROM users WHERE tenant_id = ?', [f.tenant.id]);
    const body = `${JSON.stringify({ id: f.target.id, email: uniqueEmail('credentials-from') })}\n`;
    for (const caller of callers) {
      if (caller.kind === 'operator') continue;
      const { headers, as } = await credential(caller);
      // Each names the other tenant: this one's from tenant B, B's admin this one.
      const source = caller.kind === 'foreign-admin' ? f.tenant.slug : tenantB.id;
      const res = await t.call('POST', `/api/v2/users/import?credentialsFrom=${source}`, {
        as,
        headers: { ...headers, 'content-type': 'application/x-ndjson' },
        rawBody: body,
      });
      const expected = caller.kind === 'none' || caller.kind === 'forged' ? 401 : 403;
      if (res.status !== expected) failures.push(`${describeCaller(caller)} -> ${res.status}: expected ${expected}`);
    }
    expect(failures).toEqual([]);
    expect(await t.dataSource.query('SELECT COUNT(*) AS n FROM users WHERE tenant_id = ?', [f.tenant.id])).toEqual(users);
    const operator = await t.call('POST', `/api/v2/users/import?credentialsFrom=${tenantB.id}&dryRun=true`, {
      tenant: f.tenant.id,
      headers: { 'content-type': 'application/x-ndjson' },
      rawBody: body,
    });
    // The operator may: the record's id is no user of tenant B, so it is an error line.
    expect(operator.status).toBe(200);
    expect(JSON.parse(operator.text.split('\n')[0]!)).toMatchObject({ line: 1, status: 'error', error: { errors: [{ field: 'id' }] } });
  });

  it('answers 404 to another tenant naming this tenant in X-Tenant-Id', async () => {
    const foreign = callers.find((c) => c.kind === 'foreign-admin')!;
    const { as } = await credential(foreign);
    for (const ref of [f.tenant.id, f.tenant.slug]) {
      const res = await t.call('GET', '/api/v2/users', { as, headers: { 'x-tenant-id': ref } });
      expect(res.status).toBe(404);
      expect(res.text).not.toContain(f.target.email);
    }
  });
});
