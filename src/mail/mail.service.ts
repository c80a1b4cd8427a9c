import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config.js';
import { maskEmail, maskEmailsIn } from '../common/masking.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

const ATTEMPTS = 3;
const BACKOFF_MS = 200;

/**
 * Sends mail through SMTP_URL, or logs that it would have when none is set: the subject and
 * the masked recipient, never the text (it may hold a reset token), unless MAIL_LOG_BODIES
 * asks for it on a development machine. Sending is
 * fire-and-forget for callers: it happens after their transaction commits, a dead SMTP
 * server is retried a few times and then logged, and it never fails the request.
 */
@Injectable()
export class MailService implements OnApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly transport: Transporter | null;
  private readonly logBodies: boolean;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(config: AppConfig) {
    this.logBodies = config.smtpUrl === null && config.mailLogBodies;
    if (this.logBodies) {
      this.logger.warn('MAIL_LOG_BODIES is on: the text of every mail, password reset tokens included, is written to the log. Use it for development only');
    }
    this.transport = config.smtpUrl
      ? nodemailer.createTransport(
          { url: config.smtpUrl, connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 10_000 },
          { from: config.mailFrom },
        )
      : null;
  }

  /** Queues a message and returns at once. */
  send(message: MailMessage): void {
    const sending = this.deliver(message).finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  /** Resolves when every message queued so far has been sent or given up on (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** After the HTTP server has drained (GracefulShutdown), so mail queued by the last requests still goes. */
  async onApplicationShutdown(): Promise<void> {
    await this.flush();
    this.transport?.close();
  }

  sendAccountCreated(user: { email: string; name: string }): void {
    this.send({
      to: user.email,
      subject: 'Your account has been created',
      text: `Hello ${user.name},\n\nan account has been created for you with the e-mail address ${user.email}.\n`,
    });
  }

  private async deliver(message: MailMessage): Promise<void> {
    const recipient = maskEmail(message.to);
    if (!this.transport) {
      if (this.logBodies) {
        this.logger.log({ mail: { to: recipient, subject: message.subject, text: message.text } }, 'SMTP_URL is not set; mail logged, not sent');
      } else {
        this.logger.log(`SMTP_URL is not set; would have sent "${message.subject}" to ${recipient} (MAIL_LOG_BODIES=true logs its text, for development)`);
      }
      return;
    }
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await this.transport.sendMail(message);
        return;
      } catch (error) {
        // An SMTP server's refusal often quotes the address (`550 5.1.1 <ann@example.com>`).
        const reason = maskEmailsIn(error instanceof Error ? error.message : String(error));
        if (attempt === ATTEMPTS) {
          this.logger.error(`Giving up on "${message.subject}" to ${recipient} after ${ATTEMPTS} attempts: ${reason}`);
          return;
        }
        this.logger.warn(`Sending "${message.subject}" to ${recipient} failed (attempt ${attempt}): ${reason}`);
        await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2 ** (attempt - 1)));
      }
    }
  }
}
