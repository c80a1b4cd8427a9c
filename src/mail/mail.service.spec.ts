import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { SMTPServer } from 'smtp-server';
import type { AppConfig } from '../config/app-config.js';
import { MailService } from './mail.service.js';

/** A real SMTP server that refuses every recipient, quoting the address as servers do. */
function refusingSmtp(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: User unknown`), { responseCode: 550 }));
    },
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.server.address() as { port: number };
      resolve({ url: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}

describe('mail a server refuses', () => {
  it('is retried and given up on with the recipient masked in every log line, also where the server quotes it', async () => {
    const smtp = await refusingSmtp();
    const lines: string[] = [];
    const capture = (...args: unknown[]): void => void lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(capture);
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(capture);
    const mail = new MailService({ smtpUrl: smtp.url, mailLogBodies: false, mailFrom: 'identity@example.com' } as unknown as AppConfig);
    try {
      mail.send({ to: 'ann.smith@example.com', subject: 'Reset your password', text: 'token' });
      await mail.flush();
    } finally {
      warn.mockRestore();
      error.mockRestore();
      await mail.onApplicationShutdown();
      await smtp.close();
    }
    expect(lines).toHaveLength(3);
    expect(lines.at(-1)).toMatch(/^Giving up on "Reset your password" to a\*\*\*@example\.com after 3 attempts: .*550.*<a\*\*\*@example\.com>: Recipient address rejected/);
    for (const line of lines) expect(line).not.toContain('ann.smith');
  }, 20_000);
});
