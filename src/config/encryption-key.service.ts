import { Injectable, Logger } from '@nestjs/common';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppConfig } from './app-config.js';

/**
 * The key that encrypts secrets at rest (signing keys, TOTP secrets). ENCRYPTION_KEY when
 * set; otherwise a key file beside the data, made on first start. Several instances must
 * share ENCRYPTION_KEY.
 */
@Injectable()
export class EncryptionKey {
  private readonly logger = new Logger(EncryptionKey.name);
  readonly key: Buffer;

  constructor(config: AppConfig) {
    this.key = config.auth.encryptionKey ?? this.fromFile(config.auth.encryptionKeyFile);
  }

  private fromFile(file: string): Buffer {
    if (existsSync(file)) {
      const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
      if (key.length === 32) return key;
      throw new Error(`${file} does not hold a 32-byte base64 key`);
    }
    mkdirSync(dirname(file), { recursive: true });
    const key = randomBytes(32);
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    this.logger.warn(`ENCRYPTION_KEY is not set: generated one in ${file}. Set ENCRYPTION_KEY when running several instances.`);
    return key;
  }
}
