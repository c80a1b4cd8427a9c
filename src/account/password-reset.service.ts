import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { randomToken, sha256Hex } from '../common/crypto.js';
import { DomainError } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { Database } from '../database/database.service.js';
import { MailService } from '../mail/mail.service.js';
import { TenantsService } from '../tenants/tenants.service.js';
import { checkPasswordPolicy, hashPassword, verifyAgainstDecoy } from '../users/passwords.js';
import { UsersRepository } from '../users/users.repository.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { PasswordResetRepository } from './password-reset.repository.js';

const TOKEN_TTL_MS = 3_600_000;

/**
 * Password reset by mail. The request answers the same, and takes about as long, whether
 * or not the account exists; the token is single-use, valid one hour, stored hashed.
 */
@Injectable()
export class PasswordResetService {
  constructor(
    private readonly db: Database,
    private readonly tenants: TenantsService,
    private readonly sessions: SessionsService,
    private readonly mail: MailService,
    private readonly audit: AuditService,
    private readonly users: UsersRepository,
    private readonly tokens: PasswordResetRepository,
  ) {}

  async request(tenantRef: string, email: string, client: { ip: string; requestId: string }): Promise<void> {
    const tenant = await this.tenants.findByRef(tenantRef);
    const user = tenant?.active
      ? await this.users.findOne(tenant.id, 'email', email.trim().toLowerCase())
      : null;
    // Equal work on every path: one hash verification, whatever the outcome.
    await verifyAgainstDecoy(email);
    if (!tenant || !user || !user.active || !user.passwordResetAllowed) return;
    const token = randomToken(32);
    await this.db.transaction(async (manager) => {
      await this.tokens.replace(tenant.id, user.id, { id: newId(), tokenHash: sha256Hex(token), expiresAt: new Date(Date.now() + TOKEN_TTL_MS) }, manager);
      await this.audit.record(manager, {
        tenantId: tenant.id,
        action: 'auth.password_reset_requested',
        actor: { type: 'anonymous', id: null },
        target: { type: 'user', id: user.id },
        ip: client.ip,
        requestId: client.requestId,
      });
    });
    this.mail.send({
      to: user.email,
      subject: 'Reset your password',
      text:
        `Hello ${user.name},\n\nsomeone asked to reset the password of your account. If it was you, use this token ` +
        `within one hour:\n\n${token}\n\nPOST /api/v2/auth/password-reset/confirm { "token": "...", "newPassword": "..." }\n\n` +
        `If it was not you, ignore this message.\n`,
    });
  }

  async confirm(token: string, newPassword: string, client: { ip: string; requestId: string }): Promise<void> {
    const invalid = new DomainError('invalid_credentials', 'The reset token is not valid');
    // The token names its user; the tenant is that user's.
    const row = await this.tokens.findLive(sha256Hex(token), new Date());
    if (!row) throw invalid;
    const user = await this.users.findOne(row.tenantId, 'id', row.userId);
    if (!user || !user.active || !user.passwordResetAllowed) throw invalid;
    const tenant = await this.tenants.get(user.tenantId);
    checkPasswordPolicy(newPassword, tenant.passwordMinLength, 'newPassword');
    const passwordHash = await hashPassword(newPassword);
    await this.db.transaction(async (manager) => {
      if (!(await this.tokens.markUsed(user.tenantId, row.id, new Date(), manager))) throw invalid;
      await this.users.setOwnPassword(user.tenantId, user.id, passwordHash, true, manager);
      await this.sessions.endAllForUser(manager, user, 'password_reset');
      await this.audit.record(manager, {
        tenantId: user.tenantId,
        action: 'auth.password_reset',
        actor: { type: 'user', id: user.id },
        target: { type: 'user', id: user.id },
        ip: client.ip,
        requestId: client.requestId,
      });
    });
  }
}
