import type { Reply, TestApp } from './app.js';
import { createUser, uniqueEmail } from './users.js';

export const PASSWORD = 'Correct-Horse-9';

export function login(t: TestApp, tenant: { slug: string }, email: string, password = PASSWORD, extra: Record<string, unknown> = {}, ip?: string): Promise<Reply> {
  return t.call('POST', '/api/v2/auth/login', { as: null, ip, body: { tenant: tenant.slug, email, password, ...extra } });
}

export interface SignedIn {
  user: any;
  email: string;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  bearer: { bearer: string };
}

/** Creates a user with a password through the API and logs it in. */
export async function signedInUser(t: TestApp, tenant: { id: string; slug: string }, body: Record<string, unknown> = {}): Promise<SignedIn> {
  const email = uniqueEmail('login');
  const user = await createUser(t, tenant, { email, password: PASSWORD, ...body });
  const res = await login(t, tenant, email);
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return {
    user,
    email,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    sessionId: res.body.session.id,
    bearer: { bearer: res.body.accessToken },
  };
}
