import type { AccessRule } from '../src/auth/access.decorators.js';
import { PERMISSIONS, type Permission } from '../src/auth/permissions.js';
import { listRoutes, type RouteInfo } from '../src/auth/route-inventory.js';
import { createTenant, type Reply, startApp, type TestApp } from './helpers/app.js';
import { login, PASSWORD } from './helpers/sessions.js';
import { createUser, insertGroup, insertPlan, uniqueEmail } from './helpers/users.js';

/**
 * Every registered route, called as every kind of principal. A route without a sample
 * request below fails the suite, so a new route cannot escape the matrix.
 */

interface Fixtures {
  tenant: any;
  target: any;
  groupId: string;
  planId: string;
  /** A throwaway user for routes that destroy or end something. */
  disposableUser(): Promise<any>;
  disposableTenant(): Promise<any>;
  disposableGroup(): Promise<string>;
  disposablePlan(): Promise<string>;
  disposableSession(): Promise<{ userId: string; sessionId: string }>;
}

interface Sample {
  url: string;
  body?: unknown;
}

const PLAN_ADMIN = new Set<Permission>(['plans:read', 'plans:write', 'users:read']);

const SAMPLES: Record<string, (f: Fixtures) => Promise<Sample> | Sample> = {
  'GET /api/v2/audit-events': () => ({ url: '/api/v2/audit-events' }),
  'POST /api/v2/tenants': () => ({ url: '/api/v2/tenants', body: { slug: `m-${Date.now()}-${Math.round(Math.random() * 1e9)}`, name: 'm' } }),
  'GET /api/v2/tenants': () => ({ url: '/api/v2/tenants' }),
  'GET /api/v2/tenants/:id': (f) => ({ url: `/api/v2/tenants/${f.tenant.id}` }),
  'PATCH /api/v2/tenants/:id': (f) => ({ url: `/api/v2/tenants/${f.tenant.id}`, body: { name: 'Matrix' } }),
  'DELETE /api/v2/tenants/:id': async (f) => ({ url: `/api/v2/tenants/${(await f.disposableTenant()).id}` }),
  'GET /api/v2/tenant': () => ({ url: '/api/v2/tenant' }),
  'PATCH /api/v2/tenant': () => ({ url: '/api/v2/tenant', body: { name: 'Matrix' } }),
  'GET /api/v2/users': () => ({ url: '/api/v2/users?limit=200' }),
  'POST /api/v2/users': () => ({ url: '/api/v2/users', body: { email: uniqueEmail('matrix') } }),
  'GET /api/v2/users/:id': (f) => ({ url: `/api/v2/users/${f.target.id}` }),
  'PUT /api/v2/users/:id': (f) => ({ url: `/api/v2/users/${f.target.id}`, body: { lastName: 'Put' } }),
  'PATCH /api/v2/users/:id': (f) => ({ url: `/api/v2/users/${f.target.id}`, body: { lastName: 'Patch' } }),
  'DELETE /api/v2/users/:id': async (f) => ({ url: `/api/v2/users/${(await f.disposableUser()).id}` }),
  'GET /api/v2/users/external/:externalId': (f) => ({ url: `/api/v2/users/external/${f.target.externalId}` }),
  'PUT /api/v2/users/external/:externalId': (f) => ({ url: `/api/v2/users/external/${f.target.externalId}`, body: { lastName: 'Upsert' } }),
  'PATCH /api/v2/users/external/:externalId': (f) => ({ url: `/api/v2/users/external/${f.target.externalId}`, body: { lastName: 'X' } }),
  'DELETE /api/v2/users/external/:externalId': async (f) => ({ url: `/api/v2/users/external/${(await f.disposableUser()).externalId}` }),
  'POST /api/v2/users/:id/actions/:action': (f) => ({ url: `/api/v2/users/${f.target.id}/actions/allow-password-reset` }),
  'POST /api/v2/users/external/:externalId/actions/:action': (f) => ({
    url: `/api/v2/users/external/${f.target.externalId}/actions/unlock`,
  }),
  'POST /api/v2/users/:id/actions/force-logout': async (f) => ({ url: `/api/v2/users/${(await f.disposableUser()).id}/actions/force-logout` }),
  'POST /api/v2/users/external/:externalId/actions/force-logout': async (f) => ({
    url: `/api/v2/users/external/${(await f.disposableUser()).externalId}/actions/force-logout`,
  }),
  'POST /api/v2/users/:id/actions/reset-api-key': async (f) => ({ url: `/api/v2/users/${(await f.disposableUser()).id}/actions/reset-api-key` }),
  'POST /api/v2/users/external/:externalId/actions/reset-api-key': async (f) => ({
    url: `/api/v2/users/external/${(await f.disposableUser()).externalId}/actions/reset-api-key`,
  }),
  'GET /api/v2/users/:id/sessions': (f) => ({ url: `/api/v2/users/${f.target.id}/sessions` }),
  'DELETE /api/v2/users/:id/sessions/:sessionId': async (f) => {
    const s = await f.disposableSession();
    return { url: `/api/v2/users/${s.userId}/sessions/${s.sessionId}` };
  },
  'POST /api/v2/users/:id/plans': (f) => ({ url: `/api/v2/users/${f.target.id}/plans`, body: { planId: f.planId } }),
  'DELETE /api/v2/users/:id/plans/:planId': async (f) => {
    const planId = await f.disposablePlan();
    return { url: `/api/v2/users/${f.target.id}/plans/${planId}` };
  },
  'GET /api/v2/groups': () => ({ url: '/api/v2/groups' }),
  'POST /api/v2/groups': () => ({ url: '/api/v2/groups', body: { name: `g-${Date.now()}-${Math.random()}`, permissions: [] } }),
  'GET /api/v2/groups/:id': (f) => ({ url: `/api/v2/groups/${f.groupId}` }),
  'PATCH /api/v2/groups/:id': (f) => ({ url: `/api/v2/groups/${f.groupId}`, body: { description: 'matrix' } }),
  'DELETE /api/v2/groups/:id': async (f) => ({ url: `/api/v2/groups/${await f.disposableGroup()}` }),
  'GET /api/v2/plans': () => ({ url: '/api/v2/plans' }),
  'POST /api/v2/plans': () => ({ url: '/api/v2/plans', body: { name: `p-${Date.now()}-${Math.random()}` } }),
  'GET /api/v2/plans/:id': (f) => ({ url: `/api/v2/plans/${f.planId}` }),
  'PATCH /api/v2/plans/:id': (f) => ({ url: `/api/v2/plans/${f.planId}`, body: { description: 'matrix' } }),
  'DELETE /api/v2/plans/:id': async (f) => ({ url: `/api/v2/plans/${await f.disposablePlan()}` }),
  'GET /api/v2/permissions': () => ({ url: '/api/v2/permissions' }),
  'GET /api/v2/me': () => ({ url: '/api/v2/me' }),
  'PATCH /api/v2/me': () => ({ url: '/api/v2/me', body: { lastName: 'Me' } }),
  'POST /api/v2/me/password': () => ({ url: '/api/v2/me/password', body: { currentPassword: 'not-it', newPassword: 'Whatever-123' } }),
  'GET /api/v2/me/sessions': () => ({ url: '/api/v2/me/sessions' }),
  'DELETE /api/v2/me/sessions/:sessionId': () => ({ url: '/api/v2/me/sessions/0190e0b6-0000-7000-8000-000000000000' }),
  'POST /api/v2/me/tfa/enroll': () => ({ url: '/api/v2/me/tfa/enroll' }),
  'POST /api/v2/me/tfa/confirm': () => ({ url: '/api/v2/me/tfa/confirm', body: { otp: '000000' } }),
  'DELETE /api/v2/me/tfa': () => ({ url: '/api/v2/me/tfa', body: { otp: '000000' } }),
  'POST /api/v2/auth/logout': () => ({ url: '/api/v2/auth/logout' }),
  'POST /api/v2/signing-keys/rotate': () => ({ url: '/api/v2/signing-keys/rotate' }),
};

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
  const callers: Caller[] = [];

  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '100000' });
    routes = listRoutes(t.app).filter((r) => r.rule?.kind !== 'public');
    const tenant = await createTenant(t);
    tenantB = await createTenant(t);
    const groupId = await insertGroup(t, tenant.id, 'matrix-group', ['users:read']);
    const planId = await insertPlan(t, tenant.id, 'matrix-plan', 10);
    const target = await createUser(t, tenant, { email: uniqueEmail('target'), externalId: 'matrix-target', password: PASSWORD });
    let n = 0;
    f = {
      tenant,
      target,
      groupId,
      planId,
      disposableUser: () => createUser(t, tenant, { email: uniqueEmail('gone'), externalId: `gone-${++n}-${Date.now()}` }),
      disposableTenant: () => createTenant(t),
      disposableGroup: () => insertGroup(t, tenant.id, `gone-${++n}`, []),
      disposablePlan: async () => {
        const id = await insertPlan(t, tenant.id, `gone-${++n}`);
        await t.call('PATCH', `/api/v2/users/${target.id}`, { tenant: tenant.id, body: { plans: [{ planId }, { planId: id }] } });
        return id;
      },
      disposableSession: async () => {
        const user = await createUser(t, tenant, { email: uniqueEmail('sess'), password: PASSWORD });
        const res = await login(t, tenant, user.email);
        return { userId: user.id, sessionId: res.body.session.id };
      },
    };
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
  });

  afterAll(async () => {
    await t.close();
  });

  it('has a sample request for every route', () => {
    const missing = routes.map(routeKey).filter((key) => !(key in SAMPLES));
    expect(missing).toEqual([]);
  });

  async function credential(caller: Caller): Promise<{ headers: Record<string, string>; as: null | 'operator' | { bearer: string } }> {
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
        return { headers: {}, as: { bearer: res.body.accessToken } };
      }
      case 'foreign-admin': {
        const res = await login(t, tenantB, caller.email);
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
        const res: Reply = await t.call(route.method, sample.url, { as, headers, body: sample.body });
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
            const allowed = needsAllowed(rule, caller.permissions);
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
            const ownNamespace = route.method === 'PUT' && route.path === '/api/v2/users/external/:externalId';
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
