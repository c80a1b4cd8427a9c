import { Injectable, type OnModuleInit } from '@nestjs/common';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Database } from '../database/database.service.js';
import { DomainError } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { decrypt, encrypt, sha256Hex } from '../common/crypto.js';
import { newId } from '../common/ids.js';
import { EncryptionKey } from '../config/encryption-key.service.js';
import { SigningKey } from './session.entities.js';
import { SigningKeysRepository } from './signing-keys.repository.js';

export const JWT_ALGORITHM = 'ES256';
/** The longest access token lifetime a tenant may set: retired keys stay published this long. */
const MAX_ACCESS_TTL_MS = 86_400_000;
/** How stale this instance's view of the keys may get before it reads them again (a rotation made elsewhere). */
const RELOAD_AFTER_MS = 30_000;

interface LoadedKey {
  kid: string;
  /** Parsed once: parsing a PEM per verification was a fifth of an authenticated request. */
  publicKey: KeyObject;
  publicJwk: JsonWebKey;
  privateKey: KeyObject | null;
  createdAt: Date;
  retiredAt: Date | null;
}

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

/**
 * ES256 signing keys: JWT_PRIVATE_KEY when given, otherwise generated and stored with the
 * private half encrypted. A key is published in the JWKS one rotation before it signs: of
 * the keys not retired, the oldest signs and the newer one is staged (API.md section 8), so a
 * verifier that caches the JWKS already holds the key of every token it meets. Other
 * instances pick up a rotation when they meet the staged `kid` or an unknown one, and at the
 * latest RELOAD_AFTER_MS after it.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit {
  private keys = new Map<string, LoadedKey>();
  private current: LoadedKey | null = null;
  private staged: LoadedKey | null = null;
  private loadedAt = 0;
  private reloading: Promise<void> | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: SigningKeysRepository,
    private readonly encryption: EncryptionKey,
    private readonly db: Database,
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
    if (!this.current || !this.staged) await this.rotate();
  }

  sign(claims: Record<string, unknown>, ttlSeconds: number): string {
    const key = this.current;
    if (!key?.privateKey) throw new Error('No signing key');
    if (Date.now() - this.loadedAt > RELOAD_AFTER_MS) this.reloadSoon();
    return jwt.sign(claims, key.privateKey, { algorithm: JWT_ALGORITHM, keyid: key.kid, expiresIn: ttlSeconds });
  }

  /**
   * The public key for a token's kid. A kid this instance does not know is looked up by primary
   * key, and the keys are reloaded only when it exists: a key another instance has just made is
   * honoured at once, and a made-up kid costs one point read, never a reload.
   */
  async publicKey(kid: string): Promise<KeyObject | null> {
    const known = this.keys.get(kid);
    // A token signed with the staged key: another instance has rotated; follow it.
    if (known && known === this.staged) this.reloadSoon();
    if (known) return known.publicKey;
    if (this.config.auth.jwtPrivateKey !== null) return null;
    if (!(await this.repository.exists(kid))) return null;
    await this.reload();
    return this.keys.get(kid)?.publicKey ?? null;
  }

  /** Published keys: the current one, the staged one, and those retired less than the longest token lifetime ago. */
  jwks(): { keys: PublishedKey[] } {
    if (Date.now() - this.loadedAt > RELOAD_AFTER_MS) this.reloadSoon();
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

  /**
   * The staged key starts signing and a fresh key is staged; the key that signed until now is
   * retired but stays published until its tokens expire. On first start (no key yet) two keys
   * are made: one signs, one is staged. Returns the kid that now signs.
   */
  async rotate(): Promise<string> {
    if (this.config.auth.jwtPrivateKey !== null) {
      throw new DomainError('conflict', 'The signing key is given by JWT_PRIVATE_KEY: rotate it by changing that variable');
    }
    await this.db.transaction(async (manager) => {
      const live = await this.repository.live(manager);
      const now = new Date();
      // The signing key retires, unless it is the only one (first start, or a database from
      // before keys were staged): then it stays and only a staged key is added.
      const retiring = live.length >= 2 ? live.slice(0, -1) : [];
      await this.repository.retire(retiring.map((k) => k.id), now, manager);
      const toMake = live.length === 0 ? 2 : 1;
      for (let i = 0; i < toMake; i++) {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const loaded = this.fromKeyObject(privateKey, new Date(now.getTime() + i), null, newId());
        const row = Object.assign(new SigningKey(), {
          id: loaded.kid,
          algorithm: JWT_ALGORITHM,
          publicJwk: JSON.stringify(loaded.publicJwk),
          privateKeyEncrypted: encrypt(this.encryption.key, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
          createdAt: loaded.createdAt,
          retiredAt: null,
        });
        await this.repository.insert(row, manager);
      }
    });
    await this.reload();
    return this.current!.kid;
  }

  /** Reads the keys again in the background, once at a time; signing goes on with what is loaded. */
  private reloadSoon(): void {
    if (this.reloading || this.config.auth.jwtPrivateKey !== null) return;
    this.loadedAt = Date.now();
    this.reloading = this.reload()
      .catch(() => undefined)
      .finally(() => {
        this.reloading = null;
      });
  }

  private async reload(): Promise<void> {
    const rows = await this.repository.all();
    const keys = new Map<string, LoadedKey>();
    const live: LoadedKey[] = [];
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
      if (row.retiredAt === null) live.push(loaded);
    }
    this.keys = keys;
    // The oldest key not retired signs; the newest is staged (alone, it signs and nothing is staged).
    this.current = live[0] ?? null;
    this.staged = live.length >= 2 ? live[live.length - 1]! : null;
    this.loadedAt = Date.now();
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
