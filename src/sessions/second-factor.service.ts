import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, IsNull, LessThan } from 'typeorm';
import { decrypt, hmacHex } from '../common/crypto.js';
import { EncryptionKey } from '../config/encryption-key.service.js';
import { RecoveryCode, UserTfa } from './session.entities.js';
import { matchingStep } from './totp.js';

/** A second factor as sign-in checks it: a TOTP code or a recovery code, each accepted once. */
@Injectable()
export class SecondFactorService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly encryption: EncryptionKey,
  ) {}

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
