import type { Reply, TestApp } from './app.js';
import { PASSWORD } from './sessions.js';
import { createUser, insertGroup, uniqueEmail } from './users.js';

export const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface ScimClient {
  key: string;
  userId: string;
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
}

/**
 * An integration as an identity provider is given one: a user of the tenant holding the
 * permissions (through a group, or admin) and its API key, sending application/scim+json.
 */
export async function scimClient(
  t: TestApp,
  tenant: { id: string },
  permissions: string[] | 'admin',
  extra: Record<string, unknown> = {},
): Promise<ScimClient> {
  const body: Record<string, unknown> = { email: uniqueEmail('idp'), password: PASSWORD, ...extra };
  if (permissions === 'admin') body.admin = true;
  else if (permissions.length) body.groups = [await insertGroup(t, tenant.id, `idp-${Math.random()}`, permissions)];
  const user = await createUser(t, tenant, body);
  const reset = await t.call('POST', `/api/v2/users/${user.id}/actions/reset-api-key`, { tenant: tenant.id });
  if (reset.status !== 200) throw new Error(`reset-api-key failed: ${reset.status} ${reset.text}`);
  const key = reset.body.apiKey as string;
  return {
    key,
    userId: user.id,
    call: (method, url, payload, headers = {}) =>
      t.call(method, url, {
        as: { bearer: key },
        rawBody: payload === undefined ? undefined : JSON.stringify(payload),
        headers: { ...(payload === undefined ? {} : { 'content-type': 'application/scim+json' }), ...headers },
      }),
  };
}

/** A SCIM error answer: the error schema, status as a string, the content type, no stack. */
export function expectScimError(res: Reply, status: number, scimType?: string): void {
  expect({ status: res.status, type: String(res.headers['content-type']).split(';')[0] }).toEqual({ status, type: 'application/scim+json' });
  expect(res.body).toMatchObject({ schemas: [SCIM_ERROR], status: String(status), detail: expect.any(String) });
  if (scimType) expect(res.body.scimType).toBe(scimType);
  else expect(res.body.scimType).toBeUndefined();
  expect(res.text).not.toMatch(/\bat .+:\d+:\d+\)/);
}

export const filterQuery = (filter: string, extra = ''): string => `filter=${encodeURIComponent(filter)}${extra ? `&${extra}` : ''}`;

export const patchBody = (...operations: unknown[]): Record<string, unknown> => ({ schemas: [PATCH_OP], Operations: operations });
