import { Injectable, type OnModuleInit } from '@nestjs/common';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { DataSource, IsNull } from 'typeorm';
import { DomainError } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { decrypt, encrypt, sha256Hex } from '../common/crypto.js';
import { newId } from '../common/ids.js';
import { EncryptionKey } from './encryption-key.service.js';
import { SigningKey } from './session.entities.js';

export const JWT_ALGORITHM = 'ES256';
/** The longest access token lifetime a tenant may set: retired keys stay published this long. */
const MAX_ACCESS_TTL_MS = 86_400_000;

interface LoadedKey {
  kid: string;
  /** Parsed once: parsing a PEM per verification was a fifth of an authenticated request. */
  publicKey: KeyObject;
  publicJwk: JsonWebKey;
  privateKey: KeyObject | null;
  createdAt: Date;
  retiredAt: Date | null;
}

/**
 * ES256 signing keys: JWT_PRIVATE_KEY when given, otherwise generated on first start and
 * stored with the private half encrypted. Other instances pick up a rotation when they meet
 * an unknown `kid`.
 */
/** A public key as the JWKS publishes it (EC P-256). */
export interface PublishedKey {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  alg: string;
  use: 'sig';
}

@Injectable()
export class SigningKeysService implements OnModuleInit {
  private keys = new Map<string, LoadedKey>();
  private current: LoadedKey | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly encryption: EncryptionKey,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.auth.jwtPrivateKey !== null) {
      const privateKey = createPrivateKey(this.config.auth.jwtPrivateKey);
      const loaded = this.fromKeyObject(privateKey, new Date(0), null);
      this.keys.set(loaded.kid, loaded);
      this.current = loaded;
      return;
    }
    await this.reload();
    if (!this.current) await this.rotate();
  }

  sign(claims: Record<string, unknown>, ttlSeconds: number): string {
    const key = this.current;
    if (!key?.privateKey) throw new Error('No signing key');
    return jwt.sign(claims, key.privateKey, { algorithm: JWT_ALGORITHM, keyid: key.kid, expiresIn: ttlSeconds });
  }

  /**
   * The public key for a token's kid. A kid this instance does not know is looked up by primary
   * key, and the keys are reloaded only when it exists: a key another instance has just made is
   * honoured at once, and a made-up kid costs one point read, never a reload.
   */
  async publicKey(kid: string): Promise<KeyObject | null> {
    const known = this.keys.get(kid);
    if (known) return known.publicKey;
    if (this.config.auth.jwtPrivateKey !== null) return null;
    if (!(await this.dataSource.getRepository(SigningKey).existsBy({ id: kid }))) return null;
    await this.reload();
    return this.keys.get(kid)?.publicKey ?? null;
  }

  /** Published keys: the current one and those retired less than the longest token lifetime ago. */
  jwks(): { keys: PublishedKey[] } {
    const cutoff = Date.now() - MAX_ACCESS_TTL_MS;
    return {
      keys: [...this.keys.values()]
        .filter((k) => k.retiredAt === null || k.retiredAt.getTime() > cutoff)
        .map((k) => ({
          kty: String(k.publicJwk.kty),
          crv: String(k.publicJwk.crv),
          x: String(k.publicJwk.x),
          y: String(k.publicJwk.y),
          kid: k.kid,
          alg: JWT_ALGORITHM,
          use: 'sig',
        })),
    };
  }

  /** A new signing key; the old ones are retired but stay published until their tokens expire. */
  async rotate(): Promise<string> {
    if (this.config.auth.jwtPrivateKey !== null) {
      throw new DomainError('conflict', 'The signing key is given by JWT_PRIVATE_KEY: rotate it by changing that variable');
    }
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = new Date();
    const loaded = this.fromKeyObject(privateKey, now, null, newId());
    await this.dataSource.transaction(async (manager) => {
      await manager.update(SigningKey, { retiredAt: IsNull() }, { retiredAt: now });
      await manager.insert(SigningKey, {
        id: loaded.kid,
        algorithm: JWT_ALGORITHM,
        publicJwk: JSON.stringify(loaded.publicJwk),
        privateKeyEncrypted: encrypt(this.encryption.key, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
        createdAt: now,
        retiredAt: null,
      });
    });
    await this.reload();
    return loaded.kid;
  }

  private async reload(): Promise<void> {
    const rows = await this.dataSource.getRepository(SigningKey).find({ order: { createdAt: 'ASC' } });
    const keys = new Map<string, LoadedKey>();
    let current: LoadedKey | null = null;
    for (const row of rows) {
      const privateKey = row.retiredAt === null ? createPrivateKey(decrypt(this.encryption.key, row.privateKeyEncrypted)) : null;
      const publicJwk = JSON.parse(row.publicJwk) as JsonWebKey;
      const loaded: LoadedKey = {
        kid: row.id,
        publicJwk,
        publicKey: createPublicKey({ key: publicJwk, format: 'jwk' }),
        privateKey,
        createdAt: row.createdAt,
        retiredAt: row.retiredAt,
      };
      keys.set(row.id, loaded);
      if (row.retiredAt === null && (!current || row.createdAt >= current.createdAt)) current = loaded;
    }
    this.keys = keys;
    this.current = current;
  }

  private fromKeyObject(privateKey: KeyObject, createdAt: Date, retiredAt: Date | null, kid?: string): LoadedKey {
    const publicKey = createPublicKey(privateKey);
    const publicJwk = publicKey.export({ format: 'jwk' });
    return {
      kid: kid ?? sha256Hex(JSON.stringify([publicJwk.crv, publicJwk.x, publicJwk.y])).slice(0, 32),
      publicJwk,
      publicKey,
      privateKey,
      createdAt,
      retiredAt,
    };
  }
}
