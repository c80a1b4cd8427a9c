import { totpCode } from '../src/sessions/totp.js';
import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { accessToken, loginWith, PASSWORD, userWithPassword } from './helpers/sessions.js';

/**
 * Two-factor authentication and the restricted sessions of section 8: a session that must
 * enrol TFA or change its password reaches only the routes that fix it, and the restriction
 * lifts on the very next request once fixed.
 */
describe('two-factor authentication', () => {
  let t: TestApp;
  let tenant: any;

  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '10000' });
    tenant = await createTenant(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const me = (token: string) => t.call('GET', '/api/v2/me', { as: { bearer: token } });

  /**
   * A user with `tfa: true` logs in (restricted), enrols and confirms with a code of the
   * current step. Returns the secret, the restricted session's token, the recovery codes,
   * and when the confirming code was computed: the next step's code is still unused.
   */
  async function enrolled(): Promise<{ user: any; secret: string; token: string; recoveryCodes: string[]; at: number }> {
    const user = await userWithPassword(t, tenant, { tfa: true });
    const token = await accessToken(t, tenant, user);
    const enrol = await t.call('POST', '/api/v2/me/tfa/enroll', { as: { bearer: token } });
    expect(enrol.status).toBe(200);
    const at = Date.now();
    const confirm = await t.call('POST', '/api/v2/me/tfa/confirm', { as: { bearer: token }, body: { otp: totpCode(enrol.body.secret, at) } });
    expect(confirm.status).toBe(200);
    return { user, secret: enrol.body.secret, token, recoveryCodes: confirm.body.recoveryCodes, at };
  }

  it('restricts a session of a user with tfa but no enrolment to the enrolment routes, and lifts it on confirm', async () => {
    const user = await userWithPassword(t, tenant, { tfa: true });
    const res = await loginWith(t, { tenant: tenant.slug, email: user.email });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tfaEnrollmentRequired: true, passwordChangeRequired: false, tokenType: 'Bearer' });
    const token = res.body.accessToken as string;

    expectProblem(await me(token), 403, 'tfa_enrollment_required');
    expectProblem(await t.call('GET', '/api/v2/me/sessions', { as: { bearer: token } }), 403, 'tfa_enrollment_required');
    expectProblem(await t.call('POST', '/api/v2/me/password', { as: { bearer: token }, body: { currentPassword: PASSWORD, newPassword: 'Another-Pass-77' } }), 403, 'tfa_enrollment_required');

    const enrol = await t.call('POST', '/api/v2/me/tfa/enroll', { as: { bearer: token } });
    expect(enrol.status).toBe(200);
    expect(enrol.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(enrol.body.otpauthUrl as string);
    expect(url.protocol).toBe('otpauth:');
    expect(url.searchParams.get('secret')).toBe(enrol.body.secret);
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');

    // A code of another secret does not confirm, and the session stays restricted.
    const wrong = await t.call('POST', '/api/v2/me/tfa/confirm', { as: { bearer: token }, body: { otp: totpCode('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', Date.now()) } });
    // A wrong code on an authenticated route is a validation error on otp, not a 401.
    expectProblem(wrong, 422);
    expect(wrong.body.errors).toEqual([expect.objectContaining({ field: 'otp' })]);
    expectProblem(await me(token), 403, 'tfa_enrollment_required');

    const confirm = await t.call('POST', '/api/v2/me/tfa/confirm', { as: { bearer: token }, body: { otp: totpCode(enrol.body.secret, Date.now()) } });
    expect(confirm.status).toBe(200);
    const codes = confirm.body.recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toEqual(expect.any(String));

    // Same token, next request: no longer restricted.
    const after = await me(token);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ id: user.id, tfa: true, resetTfa: false });
    expect(after.text).not.toContain(enrol.body.secret);
  });

  it('asks an enrolled user for the code, accepts each code once, and takes a recovery code once', async () => {
    const { user, secret, recoveryCodes, at } = await enrolled();
    const base = { tenant: tenant.slug, email: user.email };

    expectProblem(await loginWith(t, base), 401, 'otp_required');
    expectProblem(await loginWith(t, { ...base, password: 'Wrong-password-1' }), 401, 'invalid_credentials');
    const next = totpCode(secret, at + 30_000);
    const wrongOtp = next === '000000' ? '000001' : '000000';
    expectProblem(await loginWith(t, { ...base, otp: wrongOtp }), 401, 'invalid_credentials');
    // A right code with a wrong password is no way in either (and does not spend the code).
    expectProblem(await loginWith(t, { ...base, password: 'Wrong-password-1', otp: next }), 401, 'invalid_credentials');

    const ok = await loginWith(t, { ...base, otp: next });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ tfaEnrollmentRequired: false, passwordChangeRequired: false });
    expect((await me(ok.body.accessToken)).status).toBe(200);

    // The same code again, and the code already spent on confirm: both refused.
    expectProblem(await loginWith(t, { ...base, otp: next }), 401, 'invalid_credentials');
    expectProblem(await loginWith(t, { ...base, otp: totpCode(secret, at) }), 401, 'invalid_credentials');

    const recovery = recoveryCodes[3]!;
    const viaRecovery = await loginWith(t, { ...base, recoveryCode: recovery });
    expect(viaRecovery.status).toBe(200);
    expect((await me(viaRecovery.body.accessToken)).status).toBe(200);
    expectProblem(await loginWith(t, { ...base, recoveryCode: recovery }), 401, 'invalid_credentials');
    expectProblem(await loginWith(t, { ...base, recoveryCode: 'not-a-code' }), 401, 'invalid_credentials');
    // Another of the codes still works.
    expect((await loginWith(t, { ...base, recoveryCode: recoveryCodes[7]! })).status).toBe(200);
  });

  it('lets exactly one of two parallel logins through with one fresh code', async () => {
    const { user, secret, at } = await enrolled();
    const otp = totpCode(secret, at + 30_000);
    const replies = await Promise.all([
      loginWith(t, { tenant: tenant.slug, email: user.email, otp }),
      loginWith(t, { tenant: tenant.slug, email: user.email, otp }),
    ]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 401]);
    expectProblem(replies.find((r) => r.status === 401)!, 401, 'invalid_credentials');
  });

  it('reports tfaEnrolled: true once the enrolment is confirmed, and false again after reset-tfa', async () => {
    const { user, token } = await enrolled();
    expect((await me(token)).body.tfaEnrolled).toBe(true);
    expect((await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id })).body.tfaEnrolled).toBe(true);
    const listed = await t.call('GET', `/api/v2/users?filter[email]=${encodeURIComponent(user.email)}`, { tenant: tenant.id });
    expect(listed.body.data.map((u: { tfaEnrolled: boolean }) => u.tfaEnrolled)).toEqual([true]);
    expect((await t.call('POST', `/api/v2/users/${user.id}/actions/reset-tfa`, { tenant: tenant.id })).body.tfaEnrolled).toBe(false);
  });

  it('does not store the TOTP secret or the recovery codes in clear', async () => {
    const { user, secret, recoveryCodes } = await enrolled();
    const rows: Record<string, unknown>[] = await t.dataSource.query('SELECT * FROM user_tfa WHERE user_id = ?', [user.id]);
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(secret);
    expect(stored.toUpperCase()).not.toContain(secret);
    expect(stored).not.toContain(Buffer.from(secret).toString('base64'));
    const codes = JSON.stringify(await t.dataSource.query('SELECT * FROM recovery_codes WHERE user_id = ?', [user.id]));
    for (const code of recoveryCodes) expect(codes).not.toContain(code);
    // Nor in the user's representation.
    const admin = await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id });
    expect(admin.text).not.toContain(secret);
  });

  it('disables TFA with a valid code, after which no code is asked for', async () => {
    const { user, secret, token, at } = await enrolled();
    expectProblem(await t.call('DELETE', '/api/v2/me/tfa', { as: { bearer: token }, body: { otp: totpCode(secret, at) } }), 422);
    expectProblem(await t.call('DELETE', '/api/v2/me/tfa', { as: { bearer: token }, body: { otp: '12345' } }), 422);
    const off = await t.call('DELETE', '/api/v2/me/tfa', { as: { bearer: token }, body: { otp: totpCode(secret, at + 30_000) } });
    expect(off.status).toBe(204);
    expect((await me(token)).body).toMatchObject({ tfa: false, tfaEnrolled: false });
    const res = await loginWith(t, { tenant: tenant.slug, email: user.email });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tfaEnrollmentRequired: false });
    expect((await t.dataSource.query('SELECT user_id FROM user_tfa WHERE user_id = ?', [user.id])) as unknown[]).toHaveLength(0);
  });

  it("reset-tfa by an admin drops the enrolment and restricts the user's next session to enrolling again", async () => {
    const { user, secret, at } = await enrolled();
    const reset = await t.call('POST', `/api/v2/users/${user.id}/actions/reset-tfa`, { tenant: tenant.id });
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ resetTfa: true });

    // The old secret no longer counts: the login needs no code and is restricted.
    const res = await loginWith(t, { tenant: tenant.slug, email: user.email });
    expect(res.status).toBe(200);
    expect(res.body.tfaEnrollmentRequired).toBe(true);
    const token = res.body.accessToken as string;
    expectProblem(await me(token), 403, 'tfa_enrollment_required');
    expectProblem(await t.call('POST', '/api/v2/me/tfa/confirm', { as: { bearer: token }, body: { otp: totpCode(secret, at + 30_000) } }), 422);

    const enrol = await t.call('POST', '/api/v2/me/tfa/enroll', { as: { bearer: token } });
    expect(enrol.status).toBe(200);
    expect(enrol.body.secret).not.toBe(secret);
    const confirm = await t.call('POST', '/api/v2/me/tfa/confirm', { as: { bearer: token }, body: { otp: totpCode(enrol.body.secret, Date.now()) } });
    expect(confirm.status).toBe(200);
    expect((await me(token)).body).toMatchObject({ tfa: true, resetTfa: false });
    expectProblem(await loginWith(t, { tenant: tenant.slug, email: user.email }), 401, 'otp_required');
  });

  it('require-password-reset restricts the session to POST /me/password until the password changes', async () => {
    const user = await userWithPassword(t, tenant);
    const action = await t.call('POST', `/api/v2/users/${user.id}/actions/require-password-reset`, { tenant: tenant.id });
    expect(action.status).toBe(200);
    expect(action.body.resetPassword).toBe(true);

    const res = await loginWith(t, { tenant: tenant.slug, email: user.email });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ passwordChangeRequired: true, tfaEnrollmentRequired: false });
    const token = res.body.accessToken as string;
    expectProblem(await me(token), 403, 'password_change_required');
    expectProblem(await t.call('PATCH', '/api/v2/me', { as: { bearer: token }, body: { name: 'X' } }), 403, 'password_change_required');
    expectProblem(await t.call('POST', '/api/v2/me/tfa/enroll', { as: { bearer: token } }), 403, 'password_change_required');

    // Still the policy: a wrong current password or a short new one changes nothing.
    expectProblem(
      await t.call('POST', '/api/v2/me/password', { as: { bearer: token }, body: { currentPassword: 'Wrong-password-1', newPassword: 'Brand-New-Pass-9' } }),
      422,
    );
    expectProblem(await t.call('POST', '/api/v2/me/password', { as: { bearer: token }, body: { currentPassword: PASSWORD, newPassword: 'short' } }), 422);
    expectProblem(await me(token), 403, 'password_change_required');

    const changed = await t.call('POST', '/api/v2/me/password', { as: { bearer: token }, body: { currentPassword: PASSWORD, newPassword: 'Brand-New-Pass-9' } });
    expect(changed.status).toBe(204);
    const after = await me(token);
    expect(after.status).toBe(200);
    expect(after.body.resetPassword).toBe(false);
    expectProblem(await loginWith(t, { tenant: tenant.slug, email: user.email }), 401, 'invalid_credentials');
    const again = await loginWith(t, { tenant: tenant.slug, email: user.email, password: 'Brand-New-Pass-9' });
    expect(again.status).toBe(200);
    expect(again.body.passwordChangeRequired).toBe(false);
  });
});
