import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { decrypt, hmacHex } from '../common/crypto.js';
import { EncryptionKey } from '../config/encryption-key.service.js';
import { SecondFactorRepository } from './second-factor.repository.js';
import { matchingStep } from './totp.js';

/** A second factor as sign-in checks it: a TOTP code or a recovery code, each accepted once. */
@Injectable()
export class SecondFactorService {
  constructor(
    private readonly repository: SecondFactorRepository,
    private readonly encryption: EncryptionKey,
  ) {}

  /** The admin's reset-tfa: the enrolment goes, and the user must enrol again at next login. */
  async remove(manager: EntityManager, tenantId: string, userId: string): Promise<void> {
    await this.repository.remove(tenantId, userId, manager);
  }

  /**
   * Accepts a code at most once: the step it belongs to must be later than the last step
   * accepted, and the conditional UPDATE lets only one of two concurrent uses through.
   */
  async consumeOtp(tenantId: string, userId: string, otp: string, mustBeConfirmed: boolean): Promise<boolean> {
    const row = await this.repository.enrolment(tenantId, userId);
    if (!row || (mustBeConfirmed && !row.confirmed)) return false;
    const step = matchingStep(decrypt(this.encryption.key, row.secretEncrypted), otp, Date.now());
    if (step === null || step <= row.lastStep) return false;
    return this.repository.advanceStep(tenantId, userId, step);
  }

  async consumeRecoveryCode(tenantId: string, userId: string, code: string): Promise<boolean> {
    return this.repository.consumeRecoveryCode(tenantId, userId, hmacHex(this.encryption.key, code.trim()), new Date());
  }
}
