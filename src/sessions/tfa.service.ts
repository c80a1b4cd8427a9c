import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, IsNull, LessThan } from 'typeorm';
import { actorOf, AuditService } from '../audit/audit.service.js';
import type { TenantContext } from '../auth/request-context.js';
import { decrypt, encrypt, hmacHex, randomToken } from '../common/crypto.js';
import { DomainError } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { Database } from '../database/database.service.js';
import { User } from '../users/user.entity.js';
import { EncryptionKey } from './encryption-key.service.js';
import { LockoutService } from './lockout.service.js';
import { RecoveryCode, UserTfa } from './session.entities.js';
import { matchingStep, newTotpSecret, otpauthUrl } from './totp.js';

const RECOVERY_CODES = 10;

/** The caller is authenticated; a wrong code here is a bad field, not bad credentials. */
const WRONG_CODE = (): DomainError => DomainError.validation([{ field: 'otp', message: 'is not a valid code' }]);

@Injectable()
export class TfaService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly db: Database,
    private readonly encryption: EncryptionKey,
    private readonly audit: AuditService,
    private readonly lockout: LockoutService,
  ) {}

  async isConfirmed(userId: string): Promise<boolean> {
    const row = await this.dataSource.getRepository(UserTfa).findOneBy({ userId });
    return row?.confirmed ?? false;
  }

  /** A new secret, not yet in force: confirm with a code from it to switch it on. */
  async enroll(ctx: TenantContext, user: User, issuer: string): Promise<{ secret: string; otpauthUrl: string }> {
    const secret = newTotpSecret();
    await this.db.transaction(async (manager) => {
      const existing = await manager.findOneBy(UserTfa, { userId: user.id });
      if (existing?.confirmed && !user.resetTfa) {
        throw new DomainError('conflict', 'Two-factor authentication is already enrolled; disable it first');
      }
      await manager.delete(UserTfa, { userId: user.id });
      await manager.insert(UserTfa, {
        userId: user.id,
        tenantId: user.tenantId,
        secretEncrypted: encrypt(this.encryption.key, secret),
        confirmed: false,
        lastStep: 0,
        createdAt: new Date(),
      });
      await this.audit.recordFor(manager, ctx, 'tfa.enrollment_started', { type: 'user', id: user.id });
    });
    return { secret, otpauthUrl: otpauthUrl(secret, issuer, user.email) };
  }

  /** Switches TFA on with a code from the new secret and hands out single-use recovery codes. */
  async confirm(ctx: TenantContext, user: User, otp: string): Promise<string[]> {
    if (!(await this.consumeOtp(user.id, otp, false))) throw WRONG_CODE();
    const codes = Array.from({ length: RECOVERY_CODES }, () => randomToken(8).replace(/[-_]/g, 'x').slice(0, 10));
    await this.db.transaction(async (manager) => {
      await manager.update(UserTfa, { userId: user.id }, { confirmed: true });
      await manager.delete(RecoveryCode, { userId: user.id });
      await manager.insert(
        RecoveryCode,
        codes.map((code) => ({ id: newId(), userId: user.id, codeHash: hmacHex(this.encryption.key, code), usedAt: null })),
      );
      await manager.update(User, { id: user.id }, { tfa: true, resetTfa: false, version: () => 'version + 1', updatedAt: new Date() });
      await this.audit.recordFor(manager, ctx, 'tfa.enrolled', { type: 'user', id: user.id });
    });
    return codes;
  }

  /** Wrong codes count toward the lockout, so a stolen access token cannot guess its way through. */
  async disable(ctx: TenantContext, user: User, otp: string): Promise<void> {
    const policy = await this.lockout.policyOf(ctx.tenantId);
    const outcome = await this.lockout.guess(policy, user.id, async () => ((await this.consumeOtp(user.id, otp, true)) ? 'right' : 'wrong'), {
      actor: actorOf(ctx),
      ip: ctx.ip,
      requestId: ctx.requestId,
    });
    if (outcome === 'locked') throw await this.lockout.refusal(policy, user.id);
    if (outcome !== 'right') throw WRONG_CODE();
    await this.db.transaction(async (manager) => {
      await this.remove(manager, user.id);
      await manager.update(User, { id: user.id }, { tfa: false, version: () => 'version + 1', updatedAt: new Date() });
      await this.audit.recordFor(manager, ctx, 'tfa.disabled', { type: 'user', id: user.id });
    });
  }

  /** The admin's reset-tfa: the enrolment goes, and the user must enrol again at next login. */
  async remove(manager: EntityManager, userId: string): Promise<void> {
    await manager.delete(UserTfa, { userId });
    await manager.delete(RecoveryCode, { userId });
  }

  /**
   * Accepts a code at most once: the step it belongs to must be later than the last step
   * accepted, and the conditional UPDATE lets only one of two concurrent uses through.
   */
  async consumeOtp(userId: string, otp: string, mustBeConfirmed: boolean): Promise<boolean> {
    const row = await this.dataSource.getRepository(UserTfa).findOneBy({ userId });
    if (!row || (mustBeConfirmed && !row.confirmed)) return false;
    const step = matchingStep(decrypt(this.encryption.key, row.secretEncrypted), otp, Date.now());
    if (step === null || step <= row.lastStep) return false;
    const result = await this.dataSource
      .getRepository(UserTfa)
      .update({ userId, lastStep: LessThan(step) }, { lastStep: step });
    return Boolean(result.affected);
  }

  async consumeRecoveryCode(userId: string, code: string): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(RecoveryCode)
      .update({ userId, codeHash: hmacHex(this.encryption.key, code.trim()), usedAt: IsNull() }, { usedAt: new Date() });
    return Boolean(result.affected);
  }
}
