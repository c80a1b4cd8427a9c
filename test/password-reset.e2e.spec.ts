import { performance } from 'node:perf_hooks';
import { MailService } from '../src/mail/mail.service.js';
import { PasswordResetToken } from '../src/sessions/session.entities.js';
import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { loginWith, userWithPassword } from './helpers/sessions.js';
import { mailText, startSmtp, type TestSmtp } from './helpers/smtp.js';
import { uniqueEmail } from './helpers/users.js';

const NEW_PASSWORD = 'Fresh-Start-2024';

/** Password reset by mail (section 8), through a real SMTP server. */
describe('password reset', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  let tenant: any;

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await startApp({ SMTP_URL: smtp.url, MAIL_FROM: 'identity@example.org', LOGIN_RATE_LIMIT: '10000' });
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const requestReset = (body: { tenant: string; email: string }) =>
    t.call('POST', '/api/v2/auth/password-reset/request', { as: null, body });
  const confirm = (token: string, newPassword = NEW_PASSWORD) =>
    t.call('POST', '/api/v2/auth/password-reset/confirm', { as: null, body: { token, newPassword } });

  /** Mails delivered so far to one address. */
  async function mailsTo(email: string): Promise<string[]> {
    await t.app.get(MailService).flush();
    return smtp.received.filter((m) => m.to.includes(email.toLowerCase())).map((m) => m.data);
  }

  /** Requests a reset for the user and returns the token from the mail it gets. */
  async function mailedToken(user: { email: string }): Promise<string> {
    const before = (await mailsTo(user.email)).length;
    expect((await requestReset({ tenant: tenant.slug, email: user.email })).status).toBe(202);
    const mails = await mailsTo(user.email);
    expect(mails).toHaveLength(before + 1);
    const raw = mails.at(-1)!;
    expect(raw).toMatch(/Subject: Reset your password/);
    const token = /^([A-Za-z0-9_-]{43})\r?$/m.exec(mailText(raw))?.[1];
    if (!token) throw new Error(`no token in the mail:\n${raw}`);
    return token;
  }

  it('answers 202 to every request and mails only an existing, active user allowed to reset', async () => {
    const allowed = await userWithPassword(t, tenant);
    const inactive = await userWithPassword(t, tenant, { active: false });
    const disallowed = await userWithPassword(t, tenant, { passwordResetAllowed: false });
    const unknown = uniqueEmail('nobody');
    const otherTenant = await createTenant(t);

    const requests = [
      { tenant: 'no-such-tenant-xyz', email: allowed.email },
      { tenant: tenant.slug, email: unknown },
      { tenant: tenant.slug, email: inactive.email },
      { tenant: tenant.slug, email: disallowed.email },
      { tenant: otherTenant.slug, email: allowed.email },
      { tenant: tenant.slug, email: allowed.email.toUpperCase() },
    ];
    const replies = [];
    for (const body of requests) replies.push(await requestReset(body));
    expect(replies.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202]);
    // Nothing in the answer tells the cases apart.
    expect(new Set(replies.map((r) => r.text)).size).toBe(1);

    await t.app.get(MailService).flush();
    expect(smtp.received.filter((m) => m.to.includes(unknown))).toHaveLength(0);
    expect(await mailsTo(inactive.email)).toHaveLength(0);
    expect(await mailsTo(disallowed.email)).toHaveLength(0);
    const mails = smtp.received.filter((m) => m.to.includes(allowed.email));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.from).toBe('identity@example.org');
    expect(mailText(mails[0]!.data)).toMatch(/^[A-Za-z0-9_-]{43}\r?$/m);

    // disallow-password-reset stops the mail of a user who had it.
    expect((await t.call('POST', `/api/v2/users/${allowed.id}/actions/disallow-password-reset`, { tenant: tenant.id })).status).toBe(200);
    expect((await requestReset({ tenant: tenant.slug, email: allowed.email })).status).toBe(202);
    expect(await mailsTo(allowed.email)).toHaveLength(1);
  });

  it('sets the new password with the mailed token and ends every session of the user', async () => {
    const user = await userWithPassword(t, tenant);
    const first = await loginWith(t, { tenant: tenant.slug, email: user.email });
    const second = await loginWith(t, { tenant: tenant.slug, email: user.email });
    expect((await t.call('GET', '/api/v2/me', { as: { bearer: first.body.accessToken } })).status).toBe(200);

    const token = await mailedToken(user);
    const done = await confirm(token);
    expect(done.status).toBe(204);
    expect(done.text).toBe('');

    expectProblem(await loginWith(t, { tenant: tenant.slug, email: user.email }), 401, 'invalid_credentials');
    expect((await loginWith(t, { tenant: tenant.slug, email: user.email, password: NEW_PASSWORD })).status).toBe(200);
    for (const res of [first, second]) {
      expectProblem(await t.call('GET', '/api/v2/me', { as: { bearer: res.body.accessToken } }), 401);
      expectProblem(await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: res.body.refreshToken } }), 401);
    }

    // Single use.
    expectProblem(await confirm(token, 'Yet-Another-Pass-1'), 401, 'invalid_credentials');
    expect((await loginWith(t, { tenant: tenant.slug, email: user.email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it('lifts a required password change', async () => {
    const user = await userWithPassword(t, tenant);
    await t.call('POST', `/api/v2/users/${user.id}/actions/require-password-reset`, { tenant: tenant.id });
    expect((await confirm(await mailedToken(user))).status).toBe(204);
    const res = await loginWith(t, { tenant: tenant.slug, email: user.email, password: NEW_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.passwordChangeRequired).toBe(false);
  });

  it('refuses an expired token, an unknown one, and only the newest of two requests counts', async () => {
    const user = await userWithPassword(t, tenant);
    const token = await mailedToken(user);
    // The column's format differs between SQLite and MariaDB: let TypeORM write the date.
    const expired = await t.dataSource.getRepository(PasswordResetToken).update({ userId: user.id }, { expiresAt: new Date(Date.now() - 60_000) });
    expect(expired.affected).toBe(1);
    expectProblem(await confirm(token), 401, 'invalid_credentials');
    expectProblem(await confirm('x'.repeat(43)), 401, 'invalid_credentials');
    expect((await loginWith(t, { tenant: tenant.slug, email: user.email })).status).toBe(200);

    const older = await mailedToken(user);
    const newer = await mailedToken(user);
    expect(newer).not.toBe(older);
    expectProblem(await confirm(older), 401, 'invalid_credentials');
    expect((await confirm(newer)).status).toBe(204);
  });

  it('refuses a new password that breaks the policy, and the token still works afterwards', async () => {
    const user = await userWithPassword(t, tenant);
    const token = await mailedToken(user);
    const short = await confirm(token, 'short');
    expectProblem(short, 422);
    expect(short.body.errors).toEqual([expect.objectContaining({ field: 'newPassword' })]);
    expectProblem(await confirm(token, 'x'.repeat(257)), 422);
    expect((await loginWith(t, { tenant: tenant.slug, email: user.email })).status).toBe(200);

    expect((await confirm(token)).status).toBe(204);
    expect((await loginWith(t, { tenant: tenant.slug, email: user.email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it('stops a token when the user is deactivated or reset is disallowed before it is used', async () => {
    const user = await userWithPassword(t, tenant);
    const token = await mailedToken(user);
    await t.call('POST', `/api/v2/users/${user.id}/actions/disallow-password-reset`, { tenant: tenant.id });
    expectProblem(await confirm(token), 401, 'invalid_credentials');

    const other = await userWithPassword(t, tenant);
    const otherToken = await mailedToken(other);
    await t.call('POST', `/api/v2/users/${other.id}/actions/deactivate`, { tenant: tenant.id });
    expectProblem(await confirm(otherToken), 401, 'invalid_credentials');
  });

  it('takes about as long for an unknown e-mail as for an existing account', async () => {
    const user = await userWithPassword(t, tenant);
    const unknown = uniqueEmail('ghost');
    const timed = async (email: string): Promise<number> => {
      const started = performance.now();
      const res = await requestReset({ tenant: tenant.slug, email });
      expect(res.status).toBe(202);
      return performance.now() - started;
    };
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    // Warm both paths, then interleave them so load on the machine hits both alike.
    await timed(user.email);
    await timed(unknown);
    const existing: number[] = [];
    const missing: number[] = [];
    for (let i = 0; i < 15; i++) {
      existing.push(await timed(user.email));
      missing.push(await timed(unknown));
    }
    await t.app.get(MailService).flush();
    const ratio = median(missing) / median(existing);
    // Without the dummy hash the unknown path is a few indexed reads, ~20x faster than one
    // argon2id verification; the bounds are loose so a busy machine does not flake it.
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(2.5);
  });

  it('bumps the version inside its transaction: a reset racing an edit gives two versions, never one ETag for two states (issue 12, point 14)', async () => {
    const user = await userWithPassword(t, tenant, { email: uniqueEmail('race') });
    const start = (await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id })).body.version as number;
    const token = await mailedToken(user);
    // The confirmation reads the user, then spends a hash before it writes: the edit lands in between.
    const confirming = confirm(token);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { name: 'Edited meanwhile' } })).status).toBe(200);
    expect((await confirming).status).toBe(204);
    const end = await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id });
    expect(end.body.version).toBe(start + 2);
    expect(end.body.name).toBe('Edited meanwhile');
  });
});
