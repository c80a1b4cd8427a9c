import { createServer } from 'node:net';
import { MailService } from '../src/mail/mail.service.js';
import { createTenant, startApp, type TestApp } from './helpers/app.js';
import { startSmtp } from './helpers/smtp.js';

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  const port = typeof address === 'object' && address ? address.port : 1;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('users: sendNotify', () => {
  it('mails the new user through SMTP_URL when sendNotify is true, and only then', async () => {
    const smtp = await startSmtp();
    const t: TestApp = await startApp({ SMTP_URL: smtp.url, MAIL_FROM: 'identity@example.org' });
    try {
      const tenant = await createTenant(t);
      const res = await t.call('POST', '/api/v2/users', {
        tenant: tenant.id,
        body: { name: 'Mary', email: 'Mary.Notify@Website.com', password: 'MySecret123', sendNotify: true },
      });
      expect(res.status).toBe(201);
      await t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email: 'quiet@website.com', sendNotify: false } });
      await t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email: 'quiet2@website.com' } });
      await t.app.get(MailService).flush();
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0]).toMatchObject({ from: 'identity@example.org', to: ['mary.notify@website.com'] });
      expect(smtp.received[0]!.data).toMatch(/Subject: Your account has been created/);
      expect(smtp.received[0]!.data).not.toContain('MySecret123');
    } finally {
      await t.close();
      await smtp.close();
    }
  });

  it('still creates the user when the SMTP server is down', async () => {
    const t = await startApp({ SMTP_URL: `smtp://127.0.0.1:${await deadPort()}` });
    try {
      const tenant = await createTenant(t);
      const started = Date.now();
      const res = await t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email: 'dead@website.com', sendNotify: true } });
      expect(res.status).toBe(201);
      expect(Date.now() - started).toBeLessThan(2000);
      await t.app.get(MailService).flush();
      expect((await t.call('GET', `/api/v2/users/${res.body.id}`, { tenant: tenant.id })).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('logs instead of sending when SMTP_URL is unset', async () => {
    const t = await startApp();
    try {
      const tenant = await createTenant(t);
      const res = await t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email: 'nosmtp@website.com', sendNotify: true } });
      expect(res.status).toBe(201);
      await t.app.get(MailService).flush();
    } finally {
      await t.close();
    }
  });
});
