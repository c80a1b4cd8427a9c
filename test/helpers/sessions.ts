import { totpCode } from '../../src/sessions/totp.js';
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

export interface LoginInput {
  tenant: string;
  email: string;
  password?: string;
  otp?: string;
  recoveryCode?: string;
}

/** POST /api/v2/auth/login with a body; the password defaults to PASSWORD. */
export function loginWith(t: TestApp, input: LoginInput, ip?: string): Promise<Reply> {
  return t.call('POST', '/api/v2/auth/login', { as: null, body: { password: PASSWORD, ...input }, ip });
}

/** Creates a user with PASSWORD (and any other fields) through the operator API. */
export function userWithPassword(t: TestApp, tenant: { id: string }, body: Record<string, unknown> = {}): Promise<any> {
  return createUser(t, tenant, { password: PASSWORD, ...body });
}

/** Logs in and returns the access token; fails the test on anything but 200. */
export async function accessToken(t: TestApp, tenant: { slug: string }, user: { email: string }, extra: Partial<LoginInput> = {}): Promise<string> {
  const res = await loginWith(t, { tenant: tenant.slug, email: user.email, ...extra });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return res.body.accessToken as string;
}

/** The TOTP code for the 30-second step `steps` after the current one. */
export function codeAt(secret: string, steps = 0): string {
  return totpCode(secret, Date.now() + steps * 30_000);
}
