import type { Browser, Page } from 'playwright-core';
import { CONSOLE_CSP } from '../../src/console/console.plugin.js';
import { launch, openConsole, screenshot, seriousViolations, type Watched } from './browser.js';
import { OPERATOR_KEY, createTenant, startApp, type TestApp } from '../helpers/app.js';
import { PASSWORD, loginWith } from '../helpers/sessions.js';
import { createUser } from '../helpers/users.js';

/** Globals of the page, for the functions evaluated in the browser. */
declare const localStorage: Storage;
declare const sessionStorage: Storage;
declare const window: { open(url: string, target: string): unknown };
type Storage = { length: number } & Record<string, string>;

/** First-load budget for the console's JavaScript, compressed as served. */
const FIRST_LOAD_JS_BUDGET = 300 * 1024;

/**
 * The console for each kind of viewer: the operator, a user who must change its password, a
 * user who may only read; what the page weighs and what its policy allows.
 */
describe('console viewers', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let tenant: any;
  const opened: Watched[] = [];

  async function open(): Promise<Watched> {
    const watched = await openConsole(browser, base);
    opened.push(watched);
    return watched;
  }

  async function signIn(page: Page, email: string): Promise<void> {
    await page.getByLabel('Tenant', { exact: true }).fill(tenant.slug);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '100000' });
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    tenant = await createTenant(t, { name: 'Viewers Inc' });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  afterEach(async () => {
    for (const watched of opened.splice(0)) {
      expect(watched.problems).toEqual([]);
      await watched.context.close();
    }
  });

  it('loads at most 300 KB of JavaScript, compressed, with its policy on the page and nothing inline', async () => {
    const context = await browser.newContext({ baseURL: base });
    const page = await context.newPage();
    const scripts: { url: string; bytes: number; encoding?: string }[] = [];
    page.on('requestfinished', (request) => {
      if (request.resourceType() !== 'script') return;
      void Promise.all([request.sizes(), request.response()]).then(([sizes, response]) =>
        scripts.push({ url: request.url(), bytes: sizes.responseBodySize, encoding: response?.headers()['content-encoding'] }),
      );
    });
    const response = await page.goto('/console/');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(response!.headers()['content-security-policy']).toBe(CONSOLE_CSP);
    const html = await response!.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i); // every script is a file
    expect(html).not.toMatch(/<style|style=/i);
    const total = scripts.reduce((sum, s) => sum + s.bytes, 0);
    console.log(`first load of /console: ${scripts.length} script(s), ${(total / 1024).toFixed(1)} KB JavaScript as served (${scripts.map((s) => s.encoding ?? 'identity').join(', ')}); budget ${FIRST_LOAD_JS_BUDGET / 1024} KB, ${((100 * total) / FIRST_LOAD_JS_BUDGET).toFixed(0)}% of it`);
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.every((s) => s.encoding === 'br' || s.encoding === 'gzip')).toBe(true);
    expect(total).toBeLessThanOrEqual(FIRST_LOAD_JS_BUDGET);
    await context.close();
  });

  it('completes a forced password change in the console', async () => {
    const user = await createUser(t, tenant, { email: 'reset.me@viewers.test', name: 'Reset Me', password: PASSWORD, resetPassword: true });
    const { page } = await open();
    await page.getByLabel('Tenant', { exact: true }).fill(tenant.slug);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill('Brand-New-Secret-42');
    await page.getByLabel('Repeat the new password').fill('Brand-New-Secret-42');
    await page.getByRole('button', { name: 'Save the new password' }).click();
    // A user with no permission lands on its own account page.
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, '10-password-changed');
    expect((await loginWith(t, { tenant: tenant.slug, email: user.email, password: 'Brand-New-Secret-42' })).body).toMatchObject({ passwordChangeRequired: false });
  });

  it('offers a reader nothing it may not do', async () => {
    const group = await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'Readers', permissions: ['users:read'] } });
    const reader = await createUser(t, tenant, { email: 'reader@viewers.test', name: 'Rita Reader', password: PASSWORD, groups: [group.body.id] });
    const { page } = await open();
    await page.getByLabel('Tenant', { exact: true }).fill(tenant.slug);
    await page.getByLabel('Email').fill(reader.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    const nav = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(nav).toEqual(['Users', 'My account']);
    expect(await page.getByRole('link', { name: 'New user' }).count()).toBe(0);
    await page.getByLabel('Search').fill('Reset');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('link', { name: 'Reset Me' }).click();
    await page.getByRole('heading', { name: 'Reset Me', level: 1 }).waitFor();
    expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Force logout|Deactivate|Reset API key|Delete user/ }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Sessions' }).count()).toBe(0);
    expect(await page.getByLabel('Email').getAttribute('readonly')).not.toBeNull();
    expect(await page.getByLabel('Email').inputValue()).toBe('r***@viewers.test'); // masked, as the API masks it
    expect(await page.getByLabel('IP allow-list').getAttribute('readonly')).not.toBeNull();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, '11-reader-view');
    // Pages it may not use are not routed: the address falls back to its first page.
    await page.goto('/console/groups');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
  });

  it("shows a user's allow-list read only to a viewer who may not change it, and saves the rest without it", async () => {
    const editors = await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'Editors', permissions: ['users:read', 'users:write'] } });
    const editor = await createUser(t, tenant, { email: 'eddie.editor@viewers.test', name: 'Eddie Editor', password: PASSWORD, groups: [editors.body.id] });
    const guarded = await createUser(t, tenant, { email: 'guarded.admin@viewers.test', name: 'Guarded Admin', admin: true, ipWhitelist: ['10.0.0.0/8', '192.0.2.7'] });
    const plain = await createUser(t, tenant, { email: 'plain.user@viewers.test', name: 'Plain User', ipWhitelist: ['198.51.100.0/24'] });
    const { page } = await open();
    await signIn(page, editor.email);
    await page.getByRole('heading', { name: 'Users' }).waitFor();

    // An admin's account is reserved to admins: its allow-list is shown, masked, and cannot be edited.
    await page.goto(`/console/users/${guarded.id}`);
    await page.getByRole('heading', { name: 'Guarded Admin', level: 1 }).waitFor();
    const list = page.getByLabel('IP allow-list');
    expect(await list.getAttribute('readonly')).not.toBeNull();
    expect(await list.inputValue()).toBe('***\n***');
    await page.getByText('Read only: changing it is reserved to someone who may act on this account').waitFor();
    expect(await page.getByLabel('Set a new password').count()).toBe(0);
    expect(await page.getByRole('button', { name: /Force logout|Deactivate|Reset API key/ }).count()).toBe(0);
    expect(await list.isEditable()).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, '13-allow-list-read-only');
    // What the editor may change is saved, and the allow-list is not sent.
    await page.getByLabel('Name', { exact: true }).fill('Guarded Admin Renamed');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/^Saved \(version/).waitFor();
    const after = await t.call('GET', `/api/v2/users/${guarded.id}`, { tenant: tenant.id });
    expect(after.body).toMatchObject({ name: 'Guarded Admin Renamed', ipWhitelist: ['10.0.0.0/8', '192.0.2.7'] });

    // A user the editor may act on: the allow-list is editable.
    await page.goto(`/console/users/${plain.id}`);
    await page.getByRole('heading', { name: 'Plain User', level: 1 }).waitFor();
    expect(await page.getByLabel('IP allow-list').getAttribute('readonly')).toBeNull();
    await page.getByLabel('IP allow-list').fill('198.51.100.0/24\n203.0.113.9');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/^Saved \(version/).waitFor();
    expect((await t.call('GET', `/api/v2/users/${plain.id}`, { tenant: tenant.id })).body.ipWhitelist).toEqual(['198.51.100.0/24', '203.0.113.9']);
  });

  it('shares one refresh-token rotation between the tabs of a session, so a rotation in one never ends another', async () => {
    const admin = await createUser(t, tenant, { email: 'tabs.admin@viewers.test', name: 'Tabs Admin', password: PASSWORD, admin: true });
    const first = await open();
    const { page, context } = first;
    await signIn(page, admin.email);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    // A tab opened from the console starts with a copy of this tab's sessionStorage: the same refresh token.
    const [second] = await Promise.all([context.waitForEvent('page'), page.evaluate(() => void window.open('/console/groups', '_blank'))]);
    second.on('pageerror', (error) => first.problems.push(`second tab: ${error.message}`));
    second.setDefaultTimeout(15_000);
    await second.getByRole('heading', { name: 'Groups' }).waitFor();
    const spent = new Set<string>();
    const rotations: string[] = [];
    context.on('request', (request) => {
      if (!request.url().endsWith('/api/v2/auth/refresh')) return;
      const token = (request.postDataJSON() as { refreshToken: string }).refreshToken;
      if (spent.has(token)) first.problems.push('a spent refresh token was sent again');
      spent.add(token);
      rotations.push(token);
    });

    // Fifteen minutes later both tabs' access tokens are about to expire, and both need one at the same moment.
    await context.clock.setSystemTime(Date.now() + 890_000);
    await Promise.all([page.getByRole('link', { name: 'Plans' }).click(), second.getByRole('link', { name: 'Audit log' }).click()]);
    await Promise.all([page.getByRole('heading', { name: 'Plans' }).waitFor(), second.getByRole('heading', { name: 'Audit log' }).waitFor()]);
    // A page's heading shows before its data is asked for, so the renewal may still be on its
    // way: wait for it, then long enough for a second one (which would be the defect) to go out.
    for (let i = 0; i < 150 && rotations.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(rotations).toHaveLength(1);

    // Both tabs reload at once: each renews from what it holds, and the session lives on.
    await Promise.all([page.reload(), second.reload()]);
    await Promise.all([page.getByRole('heading', { name: 'Plans' }).waitFor(), second.getByRole('heading', { name: 'Audit log' }).waitFor()]);
    await context.clock.setSystemTime(Date.now() + 2 * 890_000);
    await second.getByRole('link', { name: 'Users' }).click();
    await second.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    expect(rotations.length).toBeGreaterThanOrEqual(2);
    const sessions = await t.call('GET', `/api/v2/users/${admin.id}/sessions`, { tenant: tenant.id });
    expect(sessions.body.data).toHaveLength(1);
    await screenshot(second, '14-second-tab');

    // Signing out in one tab signs the other out too, and says why.
    await second.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You signed out in another tab.').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('signs out on its own when the session is ended elsewhere, and says why', async () => {
    const admin = await createUser(t, tenant, { email: 'second.admin@viewers.test', name: 'Second Admin', password: PASSWORD, admin: true });
    const { page } = await open();
    await page.getByLabel('Tenant', { exact: true }).fill(tenant.slug);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    expect((await t.call('POST', `/api/v2/users/${admin.id}/actions/force-logout`, { tenant: tenant.id })).status).toBe(200);
    // The next request signs the console out: the user's next click, or a request the page
    // still had to make (then the link is gone before it can be clicked).
    const ended = page.getByText('Your session has ended. Sign in again.');
    const next = page.getByRole('link', { name: 'Groups' }).click({ timeout: 10_000 }).catch(() => undefined);
    await Promise.race([ended.waitFor(), next]);
    await ended.waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('lets the operator list, create and switch tenants, and keeps its key in memory only', async () => {
    const { page } = await open();
    await page.getByRole('button', { name: 'Operator' }).click();
    await page.getByLabel('Operator key').fill(OPERATOR_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Tenants' }).waitFor();
    await page.getByRole('cell', { name: tenant.slug, exact: true }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Slug').fill('made-in-console');
    await page.getByLabel('Name', { exact: true }).fill('Made In Console');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByText('Tenant made-in-console created.').waitFor();
    await page.getByRole('button', { name: 'Manage made-in-console' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByText('Made In Console (made-in-console)').waitFor();
    await page.getByRole('link', { name: 'New user' }).click();
    await page.getByLabel('Email').fill('first@made.test');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: 'first', level: 1 }).waitFor();
    const made = await t.call('GET', '/api/v2/users?filter[email]=first@made.test', { tenant: 'made-in-console' });
    expect(made.body.data).toHaveLength(1);
    await screenshot(page, '12-operator-tenant');

    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByRole('button', { name: `Manage ${tenant.slug}` }).click();
    await page.getByText(`Viewers Inc (${tenant.slug})`).waitFor();
    await page.getByLabel('Search').fill('Rita');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('cell', { name: 'reader@viewers.test' }).waitFor(); // the operator sees unmasked data

    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
    expect(stored).not.toContain(OPERATOR_KEY);
    await page.reload();
    await page.getByLabel('Operator key').or(page.getByRole('button', { name: 'Operator' })).first().waitFor();
  });
});
