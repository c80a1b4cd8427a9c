import { Injectable } from '@nestjs/common';
import { actorOf, AuditService } from '../audit/audit.service.js';
import type { TenantContext } from '../auth/request-context.js';
import { encrypt, hmacHex, randomToken } from '../common/crypto.js';
import { DomainError } from '../common/errors.js';
import { Database } from '../database/database.service.js';
import type { User } from '../users/user.entity.js';
import { UsersRepository } from '../users/users.repository.js';
import { EncryptionKey } from '../config/encryption-key.service.js';
import { LockoutService } from '../sessions/lockout.service.js';
import { SecondFactorService } from '../sessions/second-factor.service.js';
import { SecondFactorRepository } from '../sessions/second-factor.repository.js';
import { newTotpSecret, otpauthUrl } from '../sessions/totp.js';

const RECOVERY_CODES = 10;

/** The caller is authenticated; a wrong code here is a bad field, not bad credentials. */
const WRONG_CODE = (): DomainError => DomainError.validation([{ field: 'otp', message: 'is not a valid code' }]);

/** Enrolling and turning off one's own second factor. */
@Injectable()
export class TfaService {
  constructor(
    private readonly db: Database,
    private readonly encryption: EncryptionKey,
    private readonly audit: AuditService,
    private readonly lockout: LockoutService,
    private readonly secondFactor: SecondFactorService,
    private readonly users: UsersRepository,
    private readonly factors: SecondFactorRepository,
  ) {}

  /** A new secret, not yet in force: confirm with a code from it to switch it on. */
  async enroll(ctx: TenantContext, user: User, issuer: string): Promise<{ secret: string; otpauthUrl: string }> {
    const secret = newTotpSecret();
    await this.db.transaction(async (manager) => {
      const existing = await this.factors.enrolment(user.tenantId, user.id, manager);
      if (existing?.confirmed && !user.resetTfa) {
        throw new DomainError('conflict', 'Two-factor authentication is already enrolled; disable it first');
      }
      await this.factors.replaceEnrolment(user.tenantId, user.id, encrypt(this.encryption.key, secret), new Date(), manager);
      await this.audit.recordFor(manager, ctx, 'tfa.enrollment_started', { type: 'user', id: user.id });
    });
    return { secret, otpauthUrl: otpauthUrl(secret, issuer, user.email) };
  }

  /** Switches TFA on with a code from the new secret and hands out single-use recovery codes. */
  async confirm(ctx: TenantContext, user: User, otp: string): Promise<string[]> {
    if (!(await this.secondFactor.consumeOtp(user.tenantId, user.id, otp, false))) throw WRONG_CODE();
    const codes = Array.from({ length: RECOVERY_CODES }, () => randomToken(8).replace(/[-_]/g, 'x').slice(0, 10));
    await this.db.transaction(async (manager) => {
      await this.factors.confirmEnrolment(user.tenantId, user.id, manager);
      await this.factors.replaceRecoveryCodes(user.tenantId, user.id, codes.map((code) => hmacHex(this.encryption.key, code)), manager);
      await this.users.setTfa(user.tenantId, user.id, true, manager);
      await this.audit.recordFor(manager, ctx, 'tfa.enrolled', { type: 'user', id: user.id });
    });
    return codes;
  }

  /** Wrong codes count toward the lockout, so a stolen access token cannot guess its way through. */
  async disable(ctx: TenantContext, user: User, otp: string): Promise<void> {
    const policy = await this.lockout.policyOf(ctx.tenantId);
    const outcome = await this.lockout.guess(policy, user.id, async () => ((await this.secondFactor.consumeOtp(user.tenantId, user.id, otp, true)) ? 'right' : 'wrong'), {
      actor: actorOf(ctx),
      ip: ctx.ip,
      requestId: ctx.requestId,
    });
    if (outcome === 'locked') throw await this.lockout.refusal(policy, user.id);
    if (outcome !== 'right') throw WRONG_CODE();
    await this.db.transaction(async (manager) => {
      await this.secondFactor.remove(manager, user.tenantId, user.id);
      await this.users.setTfa(user.tenantId, user.id, false, manager);
      await this.audit.recordFor(manager, ctx, 'tfa.disabled', { type: 'user', id: user.id });
    });
  }
}
