import { createTenant, type TestApp } from './app.js';
import { login, PASSWORD } from './sessions.js';
import { createUser, insertGroup, insertPlan, uniqueEmail } from './users.js';
import { insertDelivery, insertWebhook } from './webhooks.js';

/** What a sample request may build on: a tenant with a user, a group and a plan, and throwaways. */
export interface Fixtures {
  tenant: any;
  target: any;
  groupId: string;
  planId: string;
  /** An active endpoint at a loopback address no delivery may reach, and one delivery of it. */
  webhookId: string;
  deliveryId: string;
  /** A throwaway user for routes that destroy or end something. */
  disposableUser(): Promise<any>;
  disposableTenant(): Promise<any>;
  disposableGroup(): Promise<string>;
  disposablePlan(): Promise<string>;
  disposableWebhook(): Promise<string>;
  disposableSession(): Promise<{ userId: string; sessionId: string }>;
}

export interface Sample {
  url: string;
  body?: unknown;
  /** A body that is not JSON (the import's NDJSON), sent as it is with its own content type. */
  raw?: { body: string; contentType: string };
}

/** The call options that send a sample's body, JSON or raw. */
export function sampleBody(sample: Sample): { body?: unknown; rawBody?: string; headers?: Record<string, string> } {
  if (sample.raw) return { rawBody: sample.raw.body, headers: { 'content-type': sample.raw.contentType } };
  return { body: sample.body };
}

/** A valid request for each route, keyed by `METHOD /path/:param`. */
export const SAMPLES: Record<string, (f: Fixtures) => Promise<Sample> | Sample> = {
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
  'POST /api/v2/users/import': () => ({ url: '/api/v2/users/import', raw: { body: `${JSON.stringify({ email: uniqueEmail('matrix') })}\n`, contentType: 'application/x-ndjson' } }),
  'GET /api/v2/users/export': () => ({ url: '/api/v2/users/export?filter[active]=1' }),
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
  'GET /scim/v2/ServiceProviderConfig': () => ({ url: '/scim/v2/ServiceProviderConfig' }),
  'GET /scim/v2/Schemas': () => ({ url: '/scim/v2/Schemas' }),
  'GET /scim/v2/Schemas/:id': () => ({ url: `/scim/v2/Schemas/${SCIM_USER}` }),
  'GET /scim/v2/ResourceTypes': () => ({ url: '/scim/v2/ResourceTypes' }),
  'GET /scim/v2/ResourceTypes/:id': () => ({ url: '/scim/v2/ResourceTypes/User' }),
  'GET /scim/v2/Users': (f) => ({ url: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${f.target.email}"`)}` }),
  'POST /scim/v2/Users': () => {
    const email = uniqueEmail('scim');
    return { url: '/scim/v2/Users', body: { schemas: [SCIM_USER], userName: email, emails: [{ value: email, primary: true }] } };
  },
  'GET /scim/v2/Users/:id': (f) => ({ url: `/scim/v2/Users/${f.target.id}` }),
  'PUT /scim/v2/Users/:id': (f) => ({
    url: `/scim/v2/Users/${f.target.id}`,
    body: { schemas: [SCIM_USER], userName: f.target.email, externalId: f.target.externalId, name: { familyName: 'Put' } },
  }),
  'PATCH /scim/v2/Users/:id': (f) => ({
    url: `/scim/v2/Users/${f.target.id}`,
    body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'name.familyName', value: 'Patch' }] },
  }),
  'DELETE /scim/v2/Users/:id': async (f) => ({ url: `/scim/v2/Users/${(await f.disposableUser()).id}` }),
  'GET /scim/v2/Groups': () => ({ url: `/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "matrix-group"')}` }),
  'POST /scim/v2/Groups': () => ({ url: '/scim/v2/Groups', body: { schemas: [SCIM_GROUP], displayName: `g-${Date.now()}-${Math.random()}` } }),
  'GET /scim/v2/Groups/:id': (f) => ({ url: `/scim/v2/Groups/${f.groupId}` }),
  'PUT /scim/v2/Groups/:id': (f) => ({ url: `/scim/v2/Groups/${f.groupId}`, body: { schemas: [SCIM_GROUP], displayName: 'matrix-group', members: [] } }),
  'PATCH /scim/v2/Groups/:id': (f) => ({
    url: `/scim/v2/Groups/${f.groupId}`,
    body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'externalId', value: 'matrix-group-ext' }] },
  }),
  'DELETE /scim/v2/Groups/:id': async (f) => ({ url: `/scim/v2/Groups/${await f.disposableGroup()}` }),
  'GET /api/v2/webhooks': () => ({ url: '/api/v2/webhooks' }),
  // Inactive: nothing is ever sent to it (no test sends traffic beyond loopback).
  'POST /api/v2/webhooks': () => ({ url: '/api/v2/webhooks', body: { url: 'https://hooks.example.com/matrix', events: ['user.*'], active: false } }),
  'GET /api/v2/webhooks/:id': (f) => ({ url: `/api/v2/webhooks/${f.webhookId}` }),
  'PATCH /api/v2/webhooks/:id': (f) => ({ url: `/api/v2/webhooks/${f.webhookId}`, body: { description: 'matrix' } }),
  'DELETE /api/v2/webhooks/:id': async (f) => ({ url: `/api/v2/webhooks/${await f.disposableWebhook()}` }),
  'POST /api/v2/webhooks/:id/rotate-secret': (f) => ({ url: `/api/v2/webhooks/${f.webhookId}/rotate-secret` }),
  'GET /api/v2/webhooks/:id/deliveries': (f) => ({ url: `/api/v2/webhooks/${f.webhookId}/deliveries` }),
  'POST /api/v2/webhooks/:id/deliveries/:deliveryId/redeliver': (f) => ({ url: `/api/v2/webhooks/${f.webhookId}/deliveries/${f.deliveryId}/redeliver` }),
};

const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';


/**
 * `users` names the fixtures (several sets may share a tenant) and gives the fields of every
 * user they make (the target and the disposable users), e.g. { admin: true }.
 */
export async function buildFixtures(
  t: TestApp,
  tenant: { id: string; slug: string },
  users: { name?: string; fields?: Record<string, unknown> } = {},
): Promise<Fixtures> {
  const name = users.name ?? 'matrix';
  const fields = users.fields ?? {};
  const groupId = await insertGroup(t, tenant.id, `${name}-group`, ['users:read']);
  const planId = await insertPlan(t, tenant.id, `${name}-plan`, 10);
  const target = await createUser(t, tenant, { email: uniqueEmail('target'), externalId: `${name}-target`, password: PASSWORD, ...fields });
  const webhookId = await insertWebhook(t, tenant.id);
  const deliveryId = await insertDelivery(t, tenant.id, webhookId);
  let n = 0;
  return {
    tenant,
    target,
    groupId,
    planId,
    webhookId,
    deliveryId,
    disposableWebhook: () => insertWebhook(t, tenant.id),
    disposableUser: () => createUser(t, tenant, { email: uniqueEmail('gone'), externalId: `${name}-gone-${++n}-${Date.now()}`, ...fields }),
    disposableTenant: () => createTenant(t),
    disposableGroup: () => insertGroup(t, tenant.id, `${name}-gone-${++n}`, []),
    disposablePlan: async () => {
      const id = await insertPlan(t, tenant.id, `${name}-gone-${++n}`);
      await t.call('PATCH', `/api/v2/users/${target.id}`, { tenant: tenant.id, body: { plans: [{ planId }, { planId: id }] } });
      return id;
    },
    disposableSession: async () => {
      const user = await createUser(t, tenant, { email: uniqueEmail('sess'), password: PASSWORD, ...fields });
      const res = await login(t, tenant, user.email);
      return { userId: user.id, sessionId: res.body.session.id };
    },
  };
}
