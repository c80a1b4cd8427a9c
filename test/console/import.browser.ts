import type { Browser, Page } from 'playwright-core';
import { launch, openConsole, screenshot, seriousViolations, type Watched } from './browser.js';
import { createTenant, startApp, type TestApp } from '../helpers/app.js';
import { PASSWORD } from '../helpers/sessions.js';
import { createUser } from '../helpers/users.js';

/** Globals of the page, for the functions evaluated in the browser. */
declare const document: { querySelector(selector: string): { textContent: string | null } | null };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: unknown, options: { subtree: boolean; childList: boolean; characterData: boolean }): void;
}
declare const window: { seen?: string[]; document: unknown };

/**
 * An admin imports users from the console: an NDJSON file whose rows show as the API applies
 * them, a summary, the error lines with their problem; a CSV file; a dry run that writes nothing.
 */
describe('console import', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let tenant: any;
  let watched: Watched;
  let page: Page;

  const total = async () => (await t.call('GET', '/api/v2/users?count=true&limit=1', { tenant: tenant.id })).body.meta.total as number;

  async function openImport(): Promise<void> {
    await page.goto('/console/users');
    await page.getByRole('link', { name: 'Import users' }).click();
    await page.getByRole('heading', { name: 'Import users', level: 1 }).waitFor();
  }

  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '100000' });
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    tenant = await createTenant(t, { name: 'Import Inc' });
    await createUser(t, tenant, { email: 'imp.admin@import.test', name: 'Imp Admin', password: PASSWORD, admin: true });
    await createUser(t, tenant, { email: 'already.here@import.test', name: 'Already Here', externalId: 'ext-already' });
    browser = await launch();
    watched = await openConsole(browser, base);
    page = watched.page;
    await page.getByLabel('Tenant', { exact: true }).fill(tenant.slug);
    await page.getByLabel('Email').fill('imp.admin@import.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  afterEach(() => {
    expect(watched.problems).toEqual([]);
  });

  it('imports an NDJSON file, showing its rows as they are applied, a summary and the error lines', async () => {
    await openImport();
    expect(await seriousViolations(page)).toEqual([]);
    const count = 1500;
    const records = [
      JSON.stringify({ externalId: 'ext-already', email: 'already.here@import.test', name: 'Already Renamed' }),
      JSON.stringify({ email: 'not an e-mail', name: 'Broken' }),
      ...Array.from({ length: count }, (_, i) => JSON.stringify({ email: `bulk${i}@import.test`, name: `Bulk ${i}` })),
    ];
    const before = await total();
    // Every text the counter shows, to see it move while the answer streams.
    await page.evaluate(() => {
      window.seen = [];
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="import-counts"]')?.textContent;
        if (text && window.seen!.at(-1) !== text) window.seen!.push(text);
      }).observe(window.document, { subtree: true, childList: true, characterData: true });
    });
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'users.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(records.join('\n') + '\n') });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Imported' }).waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('import-counts').textContent()).resolves.toBe(`${count + 2} records: ${count} created, 1 updated, 0 unchanged, 1 with errors`);
    await page.getByTestId('import-summary').waitFor();
    const errors = await page.getByTestId('import-errors').locator('li').allTextContents();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Line 2: .*email/i);
    await page.getByRole('link', { name: 'Download the error lines' }).waitFor();
    expect(await page.getByTestId('import-rows').locator('tbody tr').count()).toBe(50);
    const seen = await page.evaluate(() => window.seen ?? []);
    expect(seen.some((text) => !text.startsWith('0 ') && !text.startsWith(`${count + 2} `))).toBe(true); // counted while streaming
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, '30-import-ndjson');
    expect(await total()).toBe(before + count);
    const renamed = await t.call('GET', '/api/v2/users?filter[externalId]=ext-already', { tenant: tenant.id });
    expect(renamed.body.data[0].name).toBe('Already Renamed');
  });

  it('checks a CSV file in a dry run without writing, then imports it', async () => {
    await openImport();
    const csv = 'email,name,externalId\ncsv.one@import.test,Csv One,csv-1\ncsv.two@import.test,Csv Two,csv-2\n';
    const before = await total();
    await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    expect(await page.getByLabel('Format').inputValue()).toBe('csv');
    await page.getByLabel('Dry run (check every record, write nothing)').check();
    await page.getByRole('button', { name: 'Check file' }).click();
    await page.getByRole('heading', { name: 'Checked' }).waitFor();
    await expect(page.getByTestId('import-counts').textContent()).resolves.toMatch(/^2 records: 2 created/);
    expect(await total()).toBe(before);

    await page.getByLabel('Dry run (check every record, write nothing)').uncheck();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('heading', { name: 'Imported' }).waitFor();
    await expect(page.getByTestId('import-counts').textContent()).resolves.toMatch(/^2 records: 2 created/);
    expect(await total()).toBe(before + 2);
    await page.getByTestId('import-rows').getByRole('link').first().click();
    await page.getByRole('heading', { name: 'Csv One', level: 1 }).waitFor();
  });
});
