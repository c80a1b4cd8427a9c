import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, In, IsNull } from 'typeorm';
import { SigningKey } from './session.entities.js';

/**
 * The signing_keys table: the service's own ES256 keys, of no tenant (signing-keys.service.ts
 * holds their rules: which key signs, which is staged, when one is published). Oldest first
 * wherever keys are listed, as the service decides by age.
 */
@Injectable()
export class SigningKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Whether a key with this kid is stored (a point read by primary key). */
  exists(kid: string): Promise<boolean> {
    return this.dataSource.getRepository(SigningKey).existsBy({ id: kid });
  }

  /** Every key, retired or not, oldest first. */
  all(): Promise<SigningKey[]> {
    return this.dataSource.getRepository(SigningKey).find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** The keys not retired, oldest first, inside the caller's transaction. */
  live(manager: EntityManager): Promise<SigningKey[]> {
    return manager.find(SigningKey, { where: { retiredAt: IsNull() }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Retires the keys `ids` at `at`. */
  async retire(ids: string[], at: Date, manager: EntityManager): Promise<void> {
    if (ids.length > 0) await manager.update(SigningKey, { id: In(ids) }, { retiredAt: at });
  }

  async insert(key: SigningKey, manager: EntityManager): Promise<void> {
    await manager.insert(SigningKey, key);
  }
}
