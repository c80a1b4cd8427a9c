import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, launch, openConsole, screenshot, seriousViolations, type Watched } from './browser.js';
import { createTenant, startApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, codeAt, loginWith } from '../helpers/sessions.js';
import { createUser } from '../helpers/users.js';

/** Globals of the page, for the functions evaluated in the browser. */
declare const document: { querySelectorAll(selector: string): { length: number } };
declare const localStorage: Storage;
declare const sessionStorage: Storage;
type Storage = { length: number } & Record<string, string>;

/**
 * A tenant admin's main journeys in the console, in Debian's chromium, against the service
 * running here: sign in with TFA, find a user, edit it through a conflict, force a logout,
 * make a group and put the user in it, read the audit log; and an accessibility check on
 * every page the journeys pass.
 */
describe('console journeys', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let tenant: any;
  let target: any;
  let admin: { email: string; secret?: string };
  let session: Watched;
  const shots: string[] = [];
  const a11y: Record<string, string[]> = {};

  async function check(page: Page, name: string): Promise<void> {
    a11y[name] = await seriousViolations(page);
  }

  async function shoot(page: Page, name: string): Promise<void> {
    shots.push(await screenshot(page, name));
  }

  async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
    await page.getByLabel('Tenant', { exact: true }).fill(tenant.slug);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '100000' });
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    tenant = await createTenant(t, { name: 'Acme Console' });
    admin = { email: 'ada.admin@acme.test' };
    await createUser(t, tenant, { email: admin.email, name: 'Ada Admin', password: PASSWORD, admin: true, tfa: true });
    target = await createUser(t, tenant, { email: 'zoe.target@acme.test', firstName: 'Zoe', lastName: 'Target', password: PASSWORD, phone: '+4915112347762' });
    for (let i = 1; i <= 55; i++) await createUser(t, tenant, { email: `member${i}@acme.test`, name: `Member ${String(i).padStart(3, '0')}` });
    browser = await launch();
    session = await openConsole(browser, base);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (shots.length) console.log(`console screenshots in ${ARTIFACTS}:\n  ${shots.join('\n  ')}`);
  });

  afterEach(() => {
    expect(session.problems).toEqual([]);
  });

  it('signs in, enrols TFA from the QR code, shows the recovery codes once, and keeps the sign-in over a reload', async () => {
    const { page } = session;
    await page.getByRole('heading', { name: 'Identity console' }).waitFor();
    await check(page, 'sign-in');
    await signIn(page, admin.email);
    await page.getByRole('heading', { name: 'Set up two-factor authentication' }).waitFor();
    await check(page, 'tfa-start');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('img', { name: /QR code/ }).waitFor();
    admin.secret = (await page.getByTestId('tfa-secret').textContent())!.trim();
    expect(admin.secret).toMatch(/^[A-Z2-7]+=*$/);
    await check(page, 'tfa-qr');
    await page.getByLabel('Code from the app').fill(codeAt(admin.secret));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Recovery codes' }).waitFor();
    expect(await page.getByTestId('recovery-codes').locator('li').count()).toBeGreaterThanOrEqual(8);
    await check(page, 'recovery-codes');
    await shoot(page, '01-recovery-codes');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();

    // No token in localStorage; the access token is not stored anywhere.
    const storage = await page.evaluate(() => ({ local: localStorage.length, session: Object.keys(sessionStorage), values: Object.values(sessionStorage).join() }));
    expect(storage.local).toBe(0);
    expect(storage.session).toEqual(['identity-console.refresh']);
    expect(storage.values).not.toMatch(/eyJ/); // no JWT

    await page.reload();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect(await page.getByLabel('Password').count()).toBe(0);
  });

  it('signs out, and signs in again with a one-time code', async () => {
    const { page } = session;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await signIn(page, admin.email);
    await page.getByLabel('One-time code').waitFor();
    await check(page, 'sign-in-otp');
    await page.getByLabel('One-time code').fill(codeAt(admin.secret!, 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await shoot(page, '02-signed-in-with-otp');
  });

  it('lists 50 users a page and finds a user by the start of its name and by its e-mail', async () => {
    const { page } = session;
    await page.getByRole('row').nth(50).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(50);
    await expect(page.getByTestId('users-count').textContent()).resolves.toMatch(/^1–50 of 57$/);
    await check(page, 'users');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('51–57 of 57').waitFor();
    await page.getByLabel('Sort').selectOption({ label: 'Name Z–A' });
    await page.getByText('1–50 of 57').waitFor();
    await expect(page.locator('tbody tr').first().textContent()).resolves.toMatch(/^Zoe Target/);
    await page.getByLabel('Role').selectOption({ label: 'Admins' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('1–1 of 1').waitFor();
    await expect(page.locator('tbody tr').first().textContent()).resolves.toMatch(/^Ada Admin/);
    expect(new URL(page.url()).searchParams.get('admin')).toBe('1');
    await page.getByRole('button', { name: 'Clear' }).click();

    await page.getByLabel('Search').fill('zoe.target@acme.test');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('1–1 of 1').waitFor();
    await page.getByLabel('Search').fill('Zo');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('1–1 of 1').waitFor();
    await page.getByRole('link', { name: 'Zoe Target' }).click();
    await page.getByRole('heading', { name: 'Zoe Target', level: 1 }).waitFor();
    await check(page, 'user');
    await shoot(page, '03-found-user');
  });

  it('edits a user, and shows "changed by someone else" with a reload when another save came first', async () => {
    const { page } = session;
    await page.getByLabel('Last name').fill('Target-Console');
    // Someone else saves the same user in the meantime.
    const other = await t.call('PATCH', `/api/v2/users/${target.id}`, { tenant: tenant.id, body: { username: 'zoe.elsewhere' } });
    expect(other.status).toBe(200);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('conflict').waitFor();
    await expect(page.getByTestId('conflict').textContent()).resolves.toMatch(/changed by someone else/);
    await check(page, 'user-conflict');
    await shoot(page, '04-edit-conflict');
    expect((await t.call('GET', `/api/v2/users/${target.id}`, { tenant: tenant.id })).body.lastName).toBe('Target');

    await page.getByRole('button', { name: 'Reload' }).click();
    await page.getByTestId('conflict').waitFor({ state: 'detached' });
    // The banner goes at the click; the form shows the other save once the refetch is back.
    const username = page.getByLabel('Username');
    for (const deadline = Date.now() + 10_000; (await username.inputValue()) !== 'zoe.elsewhere' && Date.now() < deadline; ) await page.waitForTimeout(50);
    expect(await username.inputValue()).toBe('zoe.elsewhere');
    await page.getByLabel('Last name').fill('Target-Console');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/^Saved \(version \d+\)\.$/).waitFor();
    const now = (await t.call('GET', `/api/v2/users/${target.id}`, { tenant: tenant.id })).body;
    expect(now).toMatchObject({ lastName: 'Target-Console', username: 'zoe.elsewhere' });
  });

  it('forces a logout: the user\'s access token then gets 401', async () => {
    const { page } = session;
    const login = await loginWith(t, { tenant: tenant.slug, email: target.email });
    expect(login.status).toBe(200);
    const bearer = { bearer: login.body.accessToken as string };
    expect((await t.call('GET', '/api/v2/me', { as: bearer })).status).toBe(200);
    await page.reload();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await page.getByRole('cell', { name: '127.0.0.1' }).first().waitFor();
    await page.getByRole('button', { name: 'Force logout' }).click();
    await page.getByRole('button', { name: 'Yes, force logout' }).click();
    await page.getByText('Force logout: done.').waitFor();
    await page.getByText('No open session.').waitFor();
    expect((await t.call('GET', '/api/v2/me', { as: bearer })).status).toBe(401);
    await shoot(page, '05-forced-logout');
  });

  it('resets the API key and shows it once, with a copy button', async () => {
    const { page } = session;
    await page.getByRole('button', { name: 'Reset API key' }).click();
    await page.getByRole('button', { name: 'Yes, reset api key' }).click();
    const key = (await page.getByTestId('secret-value').textContent())!.trim();
    expect(key).toMatch(/^idk_/);
    await page.getByRole('button', { name: 'Copy', exact: true }).waitFor();
    expect((await t.call('GET', '/api/v2/me', { as: { bearer: key } })).status).toBe(200);
    await check(page, 'user-api-key');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('secret-value').count()).toBe(0);
  });

  it('creates a group with the permission picker and puts the user in it', async () => {
    const { page } = session;
    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    await page.getByRole('button', { name: 'New group' }).click();
    await page.getByLabel('Group name').fill('Support');
    await page.getByLabel('users:read').check();
    await page.getByLabel('sessions:read').check();
    await check(page, 'group-form');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByText('Group created.').waitFor();
    await page.getByRole('cell', { name: 'users:read, sessions:read' }).waitFor();
    await check(page, 'groups');

    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('Search').fill('Zoe');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('link', { name: 'Zoe Target' }).click();
    await page.getByLabel(/^Support/).check();
    await page.getByRole('button', { name: 'Save groups' }).click();
    await page.getByText(/^Saved \(version \d+\)\.$/).waitFor();
    expect(await page.getByLabel(/^Support/).isChecked()).toBe(true);
    const now = (await t.call('GET', `/api/v2/users/${target.id}`, { tenant: tenant.id })).body;
    expect(now.groups.map((g: any) => g.name)).toEqual(['Support']);
    expect(now.permissions).toEqual(expect.arrayContaining(['users:read', 'sessions:read']));
    await shoot(page, '06-user-in-group');
  });

  it('reads the audit log newest first, and follows new events as they happen', async () => {
    const { page } = session;
    await page.getByRole('link', { name: 'Audit log' }).click();
    const rows = page.getByTestId('audit-table').locator('tbody tr');
    await rows.first().waitFor();
    await expect(rows.first().textContent()).resolves.toMatch(/user\.updated/);
    await page.getByText('group.created').first().waitFor();
    await check(page, 'audit');
    const created = await createUser(t, tenant, { email: 'late.arrival@acme.test' });
    await page.getByRole('link', { name: `user ${created.id}` }).first().waitFor({ timeout: 10_000 });
    await expect(rows.first().textContent()).resolves.toMatch(/user\.created/);
    await shoot(page, '07-audit-log');

    await page.getByLabel('Action').fill('group.created');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-table"] tbody tr').length === 1);
    await expect(rows.first().textContent()).resolves.toMatch(/group\.created/);
  });

  it('shows the field errors of a 422 next to their fields when creating a user', async () => {
    const { page } = session;
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('link', { name: 'New user' }).click();
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByRole('button', { name: 'Create user' }).click();
    const email = page.getByLabel('Email');
    // The field is marked once the API's 422 has come back, not when the click returns.
    await email.and(page.locator('[aria-invalid="true"]')).waitFor();
    await expect(email.getAttribute('aria-invalid')).resolves.toBe('true');
    const describedBy = (await email.getAttribute('aria-describedby'))!;
    await expect(page.locator(`[id="${describedBy.split(' ').pop()}"]`).textContent()).resolves.toMatch(/\S/);
    await page.getByRole('alert').first().waitFor();
    await check(page, 'user-create-errors');
    await page.getByLabel('Email').fill('new.person@acme.test');
    await page.getByLabel('First name').fill('New');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: 'New', level: 1 }).waitFor();
  });

  async function openUser(page: Page, name: string): Promise<void> {
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByLabel('Search').fill(name);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('link', { name }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
  }

  it("assigns a plan with its validity, and revokes one of the user's sessions", async () => {
    const { page } = session;
    const plan = await t.call('POST', '/api/v2/plans', { tenant: tenant.id, body: { name: 'Silver', sessionsLimit: 5 } });
    expect(plan.status).toBe(201);
    const first = await loginWith(t, { tenant: tenant.slug, email: target.email });
    const second = await loginWith(t, { tenant: tenant.slug, email: target.email });
    await openUser(page, 'Zoe Target');
    await page.getByRole('combobox', { name: 'Plan' }).selectOption({ label: 'Silver' });
    await page.getByLabel('Valid to').fill('2031-12-31');
    await page.getByRole('button', { name: 'Assign' }).click();
    await page.getByRole('cell', { name: '2031-12-31' }).waitFor();
    await page.getByRole('cell', { name: 'active', exact: true }).waitFor();
    expect((await t.call('GET', `/api/v2/users/${target.id}`, { tenant: tenant.id })).body.plans).toEqual([
      expect.objectContaining({ planId: plan.body.id, validTo: '2031-12-31', active: true }),
    ]);

    // Two sessions listed; revoking the first ends that one only.
    const rows = page.getByRole('region', { name: 'Sessions' }).getByRole('row');
    await page.waitForFunction(() => document.querySelectorAll('section[aria-labelledby="sessions-title"] tbody tr').length === 2);
    await check(page, 'user-plans-sessions');
    await rows.nth(1).getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.waitForFunction(() => document.querySelectorAll('section[aria-labelledby="sessions-title"] tbody tr').length === 1);
    const statuses = [
      (await t.call('GET', '/api/v2/me', { as: { bearer: first.body.accessToken } })).status,
      (await t.call('GET', '/api/v2/me', { as: { bearer: second.body.accessToken } })).status,
    ].sort();
    expect(statuses).toEqual([200, 401]);
    await shoot(page, '08-plan-and-sessions');

    await page.getByRole('row', { name: /Silver/ }).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('button', { name: 'Yes, remove' }).click();
    await page.getByText('No plan.').waitFor();
  });

  it('runs every action on a user: deactivate, reactivate, password reset rules, unlock, reset two-factor', async () => {
    const { page } = session;
    const user = await createUser(t, tenant, { email: 'acted.upon@acme.test', name: 'Acted Upon', password: PASSWORD, tfa: true });
    for (let i = 0; i < 5; i++) await loginWith(t, { tenant: tenant.slug, email: user.email, password: 'wrong-password-1' });
    await openUser(page, 'Acted Upon');
    const get = async () => (await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id })).body;
    const act = async (label: string) => {
      await page.getByRole('button', { name: label, exact: true }).click();
      await page.getByRole('button', { name: `Yes, ${label.toLowerCase()}` }).click();
      await page.getByText(`${label}: done.`).waitFor();
    };
    expect((await get()).lockedUntil).not.toBeNull();
    await act('Unlock');
    expect((await get()).lockedUntil).toBeNull();
    await act('Deactivate');
    expect((await get()).active).toBe(false);
    await act('Reactivate');
    expect((await get()).active).toBe(true);
    await act('Require a new password');
    expect((await get()).resetPassword).toBe(true);
    await act('Disallow password reset');
    expect((await get()).passwordResetAllowed).toBe(false);
    await act('Allow password reset');
    expect((await get()).passwordResetAllowed).toBe(true);
    await act('Reset two-factor');
    expect((await get()).resetTfa).toBe(true);
    await check(page, 'user-actions');
    await shoot(page, '09-actions');
  });

  it('visits plans, tenant settings and the account page without accessibility violations', async () => {
    const { page } = session;
    await page.getByRole('link', { name: 'Plans' }).click();
    await page.getByRole('button', { name: 'New plan' }).click();
    await page.getByLabel('Plan name').fill('Gold');
    await page.getByLabel('Sessions limit').fill('3');
    await page.getByRole('button', { name: 'Create plan' }).click();
    await page.getByRole('cell', { name: 'Gold', exact: true }).waitFor();
    await check(page, 'plans');
    await page.getByRole('link', { name: 'Tenant settings' }).click();
    await page.getByLabel('Lockout minutes').fill('20');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    await check(page, 'settings');
    expect((await t.call('GET', '/api/v2/tenant', { tenant: tenant.id })).body.settings.lockoutMinutes).toBe(20);
    await page.getByRole('link', { name: 'My account' }).click();
    await page.getByRole('heading', { name: 'My sessions' }).waitFor();
    await check(page, 'account');
  });

  it('has no serious or critical accessibility violation on any page it visited', () => {
    const failing = Object.fromEntries(Object.entries(a11y).filter(([, v]) => v.length > 0));
    expect(Object.keys(a11y).length).toBeGreaterThanOrEqual(15);
    expect(failing).toEqual({});
  });
});
