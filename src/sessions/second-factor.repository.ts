import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, IsNull, LessThan } from 'typeorm';
import { newId } from '../common/ids.js';
import { existsInTenant } from '../database/tenant-rows.js';
import { User } from '../users/user.entity.js';
import { RecoveryCode, UserTfa } from './session.entities.js';

/**
 * A user's second factor: the TOTP enrolment (user_tfa) and the recovery codes. Methods take the
 * tenant first. Both tables hold the tenant, which every statement over them names; new rows are
 * written only for a user of that tenant (a user named with another tenant gets none, and keeps
 * what it had). Sign-in with a TOTP code touches user_tfa alone.
 */
@Injectable()
export class SecondFactorRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The user's enrolment, confirmed or not, or null. */
  enrolment(tenantId: string, userId: string, manager: EntityManager = this.dataSource.manager): Promise<UserTfa | null> {
    return manager.findOneBy(UserTfa, { userId, tenantId });
  }

  /** A new unconfirmed enrolment with this (sealed) secret replaces any the user had; false when the tenant has no such user. */
  async replaceEnrolment(tenantId: string, userId: string, secretEncrypted: string, now: Date, manager: EntityManager): Promise<boolean> {
    if (!(await existsInTenant(manager, User, tenantId, userId))) return false;
    await manager.delete(UserTfa, { userId, tenantId });
    await manager.insert(UserTfa, { userId, tenantId, secretEncrypted, confirmed: false, lastStep: 0, createdAt: now });
    return true;
  }

  /** The enrolment is confirmed: TFA is in force. */
  async confirmEnrolment(tenantId: string, userId: string, manager: EntityManager): Promise<void> {
    await manager.update(UserTfa, { userId, tenantId }, { confirmed: true });
  }

  /**
   * The enrolment's last accepted step becomes `step` if it was earlier: of two concurrent uses
   * of one code, only one is let through (true).
   */
  async advanceStep(tenantId: string, userId: string, step: number): Promise<boolean> {
    const result = await this.dataSource.getRepository(UserTfa).update({ userId, tenantId, lastStep: LessThan(step) }, { lastStep: step });
    return Boolean(result.affected);
  }

  /** The user's recovery codes become these (HMACs); false when the tenant has no such user. */
  async replaceRecoveryCodes(tenantId: string, userId: string, codeHashes: string[], manager: EntityManager): Promise<boolean> {
    if (!(await existsInTenant(manager, User, tenantId, userId))) return false;
    await this.deleteRecoveryCodes(tenantId, userId, manager);
    await manager.insert(
      RecoveryCode,
      codeHashes.map((codeHash) => ({ id: newId(), userId, tenantId, codeHash, usedAt: null })),
    );
    return true;
  }

  /** Spends the user's unused recovery code with this HMAC; false when there is none. */
  async consumeRecoveryCode(tenantId: string, userId: string, codeHash: string, now: Date): Promise<boolean> {
    const result = await this.dataSource.getRepository(RecoveryCode).update({ tenantId, userId, codeHash, usedAt: IsNull() }, { usedAt: now });
    return Boolean(result.affected);
  }

  /** The enrolment and the recovery codes go (TFA turned off, or an admin's reset-tfa). */
  async remove(tenantId: string, userId: string, manager: EntityManager): Promise<void> {
    await manager.delete(UserTfa, { userId, tenantId });
    await this.deleteRecoveryCodes(tenantId, userId, manager);
  }

  private async deleteRecoveryCodes(tenantId: string, userId: string, manager: EntityManager): Promise<void> {
    await manager.delete(RecoveryCode, { tenantId, userId });
  }
}
