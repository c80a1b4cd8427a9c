import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { DomainError } from './errors.js';

type CursorValue = string | number | null;

const notACursor = (field: string): DomainError => DomainError.validation([{ field, message: 'is not a cursor returned by this API' }]);

function isCursorValues(parsed: unknown, arity: number): parsed is CursorValue[] {
  return (
    Array.isArray(parsed) && parsed.length === arity && parsed.every((v) => v === null || typeof v === 'string' || typeof v === 'number')
  );
}

/** Keyset cursors over ids only: base64url JSON of the last row's id, which every page shows anyway. */
export function encodeCursor(values: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, arity: number, field = 'after'): CursorValue[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw notACursor(field);
  }
  if (!isCursorValues(parsed, arity)) throw notACursor(field);
  return parsed;
}

/** The key that seals cursors, derived from the key that encrypts secrets at rest (shared by every instance). */
export function cursorKey(encryptionKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'identity-service list cursors', 32));
}

/**
 * Cursors that carry sort values (an email, a name) are sealed: AES-256-GCM over the JSON,
 * so a viewer that sees an email masked cannot read it back out of the cursor, nor forge one.
 * Layout: base64url of nonce (12) | tag (16) | ciphertext.
 */
export function sealCursor(key: Buffer, values: readonly CursorValue[]): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

export function openCursor(key: Buffer, cursor: string, arity: number, field = 'after'): CursorValue[] {
  const raw = Buffer.from(cursor, 'base64url');
  if (raw.length < 29) throw notACursor(field);
  let parsed: unknown;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    parsed = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'));
  } catch {
    throw notACursor(field);
  }
  if (!isCursorValues(parsed, arity)) throw notACursor(field);
  return parsed;
}

/**
 * Sealed cursors: the values encrypted and authenticated (AES-256-GCM) with a key derived from
 * the service's encryption key, so a cursor reveals nothing and cannot be forged or edited.
 * Every instance sharing ENCRYPTION_KEY reads the others' cursors.
 */
export class CursorSeal {
  private readonly key: Buffer;

  constructor(encryptionKey: Buffer, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), `identity cursor: ${purpose}`, 32));
  }

  seal(values: readonly (string | number | null)[]): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  open(cursor: string, arity: number, field = 'after'): (string | number | null)[] {
    const invalid = (): DomainError => DomainError.validation([{ field, message: 'is not a cursor returned by this API' }]);
    const raw = Buffer.from(cursor, 'base64url');
    if (raw.length < 29 || raw.toString('base64url') !== cursor) throw invalid();
    let parsed: unknown;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      parsed = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'));
    } catch {
      throw invalid();
    }
    if (!Array.isArray(parsed) || parsed.length !== arity || !parsed.every((v) => v === null || typeof v === 'string' || typeof v === 'number')) {
      throw invalid();
    }
    return parsed as (string | number | null)[];
  }
}
