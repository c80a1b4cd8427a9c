import { Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { OperatorCredential } from './operator-credential.entity.js';

const CREDENTIAL_ID = 'default';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * The operator's key: ADMIN_API_KEY when set, otherwise one generated on first start
 * whose hash is stored and whose text is printed once.
 */
@Injectable()
export class OperatorKeyService implements OnModuleInit {
  private expectedHash: Buffer | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.adminApiKey !== null) {
      this.expectedHash = sha256(this.config.adminApiKey);
      return;
    }
    const repo = this.dataSource.getRepository(OperatorCredential);
    const stored = await repo.findOneBy({ id: CREDENTIAL_ID });
    if (stored) {
      this.expectedHash = Buffer.from(stored.keyHash, 'hex');
      return;
    }
    const key = `idop_${randomBytes(32).toString('base64url')}`;
    const hash = sha256(key);
    try {
      await repo.insert({ id: CREDENTIAL_ID, keyHash: hash.toString('hex'), createdAt: new Date() });
    } catch {
      // Another instance generated one first: use theirs.
      const theirs = await repo.findOneByOrFail({ id: CREDENTIAL_ID });
      this.expectedHash = Buffer.from(theirs.keyHash, 'hex');
      return;
    }
    this.expectedHash = hash;
    process.stdout.write(
      `\nNo ADMIN_API_KEY was set, so an operator key was generated.\n` +
        `It is shown this once; only its hash is stored:\n\n    ${key}\n\n` +
        `Send it as the X-Admin-Key header.\n\n`,
    );
  }

  /** Constant-time comparison of hashes, so timing reveals nothing of the key. */
  verify(candidate: string): boolean {
    if (this.expectedHash === null) return false;
    return timingSafeEqual(sha256(candidate), this.expectedHash);
  }
}
