import type { Browser, Page } from 'playwright-core';
import { launch, openConsole, screenshot, seriousViolations, type Watched } from './browser.js';
import { createTenant, startApp, type TestApp } from '../helpers/app.js';
import { PASSWORD } from '../helpers/sessions.js';
import { createUser } from '../helpers/users.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * An admin's webhook journey in the console: an endpoint created with its secret shown once,
 * the deliveries log as events arrive and fail, a redelivery, a rotated secret; a reader of
 * webhooks is offered none of the changes.
 */
describe('console webhooks', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let tenant: any;
  let receiver: WebhookReceiver;
  const opened: Watched[] = [];

  async function signIn(email: string): Promise<Page> {
    const watched = await openConsole(browser, base);
    opened.push(watched);
    const { page } = watched;
    await page.getByLabel('Tenant', { exact: true }).fill(tenant.slug);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    return page;
  }

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await startApp({ LOGIN_RATE_LIMIT: '100000', WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}`, WEBHOOK_RETRY_SCHEDULE: '1,1' });
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    tenant = await createTenant(t, { name: 'Hooks Inc' });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await receiver?.stop();
  });

  afterEach(async () => {
    for (const watched of opened.splice(0)) {
      expect(watched.problems).toEqual([]);
      await watched.context.close();
    }
  });

  it('creates an endpoint with its secret shown once, follows its deliveries, redelivers one and rotates the secret', async () => {
    await createUser(t, tenant, { email: 'hook.admin@hooks.test', name: 'Hook Admin', password: PASSWORD, admin: true });
    const page = await signIn('hook.admin@hooks.test');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    // A refused URL: the problem's detail next to the field.
    await page.getByRole('button', { name: 'New endpoint' }).click();
    await page.getByLabel('Endpoint URL').fill('http://10.1.2.3/hooks');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.locator('.field-invalid').getByLabel('Endpoint URL').waitFor();
    expect((await t.call('GET', '/api/v2/webhooks', { tenant: tenant.id })).body.data).toEqual([]);

    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Events').fill('user.*');
    await page.getByLabel('Description').fill('CRM sync');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.getByRole('heading', { name: 'Signing secret' }).waitFor();
    const secret = (await page.getByTestId('secret-value').textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    receiver.secret = secret;
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, '20-webhook-secret');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('secret-value').count()).toBe(0); // shown once
    expect(JSON.stringify((await t.call('GET', '/api/v2/webhooks', { tenant: tenant.id })).body)).not.toContain(secret);

    // An event of the tenant becomes a delivery, verified by the receiver with the secret shown.
    await createUser(t, tenant, { email: 'first.hooked@hooks.test', name: 'First Hooked' });
    await receiver.waitFor((r) => r.delivered.some((p) => p.type === 'user.created'));
    await page.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { name: receiver.url, level: 1 }).waitFor();
    const log = page.getByTestId('deliveries');
    await log.getByRole('row', { name: /user\.created.*delivered/ }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    // The receiver fails: the log shows the failing answer and the next attempt, as it is followed.
    receiver.respond = () => 503;
    await createUser(t, tenant, { email: 'second.hooked@hooks.test', name: 'Second Hooked' });
    await log.getByRole('cell', { name: '503' }).first().waitFor({ timeout: 30_000 });
    await log.getByRole('row', { name: /failed/ }).waitFor({ timeout: 30_000 });
    await page.getByLabel('Status').selectOption('failed');
    await log.getByRole('row', { name: /delivered/ }).first().waitFor({ state: 'detached' });
    await log.locator('tbody tr').first().waitFor();
    expect(await log.locator('tbody tr').count()).toBe(1);

    // Redelivered once the receiver is back.
    receiver.respond = () => 200;
    const before = receiver.delivered.length;
    await log.getByRole('button', { name: /^Redeliver user\.created/ }).click();
    await page.getByText('user.created: sent again.').waitFor();
    await receiver.waitFor((r) => r.delivered.length > before);
    await page.getByLabel('Status').selectOption('');
    await screenshot(page, '21-webhook-deliveries');

    // A rotated secret is shown once, and the receiver verifies with it from then on.
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('button', { name: 'Yes, rotate secret' }).click();
    await page.getByRole('heading', { name: 'New signing secret' }).waitFor();
    const rotated = (await page.getByTestId('secret-value').textContent())!.trim();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    receiver.secret = rotated;
    await page.getByRole('button', { name: 'Done' }).click();
    const delivered = receiver.delivered.length;
    await createUser(t, tenant, { email: 'third.hooked@hooks.test', name: 'Third Hooked' });
    await receiver.waitFor((r) => r.delivered.length > delivered);

    // Turned off from its page.
    await page.getByLabel('Active (deliveries are sent)').uncheck();
    await page.getByRole('button', { name: 'Save endpoint' }).click();
    await page.getByText('Endpoint saved.').waitFor();
    expect((await t.call('GET', '/api/v2/webhooks', { tenant: tenant.id })).body.data[0]).toMatchObject({ active: false, description: 'CRM sync' });
  });

  it('offers a reader of webhooks the endpoints and their deliveries, and nothing it may not do', async () => {
    const readers = await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'Hook readers', permissions: ['users:read', 'webhooks:read'] } });
    await createUser(t, tenant, { email: 'hook.reader@hooks.test', name: 'Hook Reader', password: PASSWORD, groups: [readers.body.id] });
    const page = await signIn('hook.reader@hooks.test');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { name: receiver.url, level: 1 }).waitFor();
    await page.getByTestId('deliveries').waitFor();
    expect(await page.getByRole('button', { name: /New endpoint|Rotate secret|Delete endpoint|Save endpoint|Redeliver/ }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
  });
});
