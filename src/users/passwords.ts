import { pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import argon2 from 'argon2';
import bcrypt from 'bcryptjs';
import { DomainError } from '../common/errors.js';

/** OWASP's minimum for argon2id: 19 MiB, two passes, one lane. Login verification reads them from the hash. */
export const PASSWORD_HASH_PARAMS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const PASSWORD_MAX_LENGTH = 256;

/**
 * The password policy, wherever a password is set (by an admin, an import, the user, a reset):
 * at least the tenant's minimum length, at most the contract's maximum.
 */
export function checkPasswordPolicy(password: string, minLength: number, field: string): void {
  if (password.length < minLength || password.length > PASSWORD_MAX_LENGTH) {
    throw DomainError.validation([{ field, message: `must be ${minLength} to ${PASSWORD_MAX_LENGTH} characters long` }]);
  }
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, PASSWORD_HASH_PARAMS);
}

/**
 * The formats an imported `passwordHash` may take (API.md section 12): what other systems
 * export. Each is verified by a library or by node:crypto; the parsing here only reads the
 * parameters out of the string. Parameters are bounded, so a hash cannot make one login
 * cost minutes or gigabytes.
 */
export type HashFormat = 'argon2' | 'bcrypt' | 'scrypt' | 'pbkdf2' | 'django-pbkdf2';

interface Derived {
  kind: 'scrypt' | 'pbkdf2';
  digest: 'sha256' | 'sha512';
  salt: Buffer;
  expected: Buffer;
  iterations: number;
  cost: { N: number; r: number; p: number };
}

const LIMITS = {
  argon2MemoryKiB: 262_144,
  argon2Passes: 16,
  bcryptCost: 14,
  scryptLogN: 20,
  scryptR: 16,
  scryptP: 16,
  pbkdf2Iterations: 2_000_000,
} as const;

/** The parameters come in any order: the PHC strings argon2's own library writes put p before t. */
const ARGON2 = /^\$argon2(?:id|i|d)\$(?:v=(?:16|19)\$)?([mtp]=\d{1,7},[mtp]=\d{1,7},[mtp]=\d{1,7})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
/** passlib's and the PHC draft's spelling: `$scrypt$ln=16,r=8,p=1$salt$hash`. */
const SCRYPT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/.]*)\$([A-Za-z0-9+/.]{16,})$/;
/** passlib's `$pbkdf2-sha256$29000$salt$hash` (adapted base64) and the PHC form `$pbkdf2-sha256$i=29000,l=32$salt$hash`. */
const PBKDF2 = /^\$pbkdf2-(sha256|sha512)\$(?:i=)?(\d{1,8})(?:,l=\d{1,3})?\$([A-Za-z0-9+/.]+)\$([A-Za-z0-9+/.]{16,})$/;
/** Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`: the salt is used as text. */
const DJANGO = /^pbkdf2_sha256\$(\d{1,8})\$([^$]{1,128})\$([A-Za-z0-9+/]{43}=)$/;

/** passlib writes base64 with `.` for `+` and no padding. */
const b64 = (text: string): Buffer => Buffer.from(text.replace(/\./g, '+'), 'base64');

function derived(hash: string): Derived | null {
  let m = SCRYPT.exec(hash);
  if (m) {
    const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (logN < 1 || logN > LIMITS.scryptLogN || r < 1 || r > LIMITS.scryptR || p < 1 || p > LIMITS.scryptP) return null;
    return { kind: 'scrypt', digest: 'sha256', salt: b64(m[4]!), expected: b64(m[5]!), iterations: 0, cost: { N: 2 ** logN, r, p } };
  }
  m = PBKDF2.exec(hash);
  if (m) {
    const iterations = Number(m[2]);
    if (iterations < 1 || iterations > LIMITS.pbkdf2Iterations) return null;
    return { kind: 'pbkdf2', digest: m[1] as 'sha256' | 'sha512', salt: b64(m[3]!), expected: b64(m[4]!), iterations, cost: { N: 0, r: 0, p: 0 } };
  }
  m = DJANGO.exec(hash);
  if (m) {
    const iterations = Number(m[1]);
    if (iterations < 1 || iterations > LIMITS.pbkdf2Iterations) return null;
    return { kind: 'pbkdf2', digest: 'sha256', salt: Buffer.from(m[2]!, 'utf8'), expected: Buffer.from(m[3]!, 'base64'), iterations, cost: { N: 0, r: 0, p: 0 } };
  }
  return null;
}

/** The format of a stored or imported hash, or null when it is none this service can verify. */
export function hashFormat(hash: string): HashFormat | null {
  const argon = ARGON2.exec(hash);
  if (argon) {
    const params = new Map(argon[1]!.split(',').map((pair) => [pair[0], Number(pair.slice(2))]));
    const [memory, passes, lanes] = [params.get('m') ?? 0, params.get('t') ?? 0, params.get('p') ?? 0];
    const ok = memory >= 8 * lanes && memory <= LIMITS.argon2MemoryKiB && passes >= 1 && passes <= LIMITS.argon2Passes && lanes >= 1 && lanes <= 16;
    return ok ? 'argon2' : null;
  }
  const blowfish = BCRYPT.exec(hash);
  if (blowfish) {
    const cost = Number(blowfish[1]);
    return cost >= 4 && cost <= LIMITS.bcryptCost ? 'bcrypt' : null;
  }
  if (hash.startsWith('pbkdf2_sha256$')) return derived(hash) ? 'django-pbkdf2' : null;
  const kdf = derived(hash);
  return kdf ? kdf.kind : null;
}

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

/** Whether the password matches the hash, whatever its format; false for a hash of no known format. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  switch (hashFormat(hash)) {
    case 'argon2':
      return argon2.verify(hash, password);
    case 'bcrypt':
      return bcrypt.compare(password, hash);
    case 'scrypt':
    case 'pbkdf2':
    case 'django-pbkdf2': {
      const kdf = derived(hash)!;
      const length = kdf.expected.length;
      if (length < 16 || length > 128) return false;
      const actual =
        kdf.kind === 'scrypt'
          ? await scryptAsync(password, kdf.salt, length, { ...kdf.cost, maxmem: 128 * kdf.cost.N * kdf.cost.r * 2 + 1024 * 1024 })
          : await pbkdf2Async(password, kdf.salt, kdf.iterations, length, kdf.digest);
      return timingSafeEqual(actual, kdf.expected);
    }
    case null:
      return false;
  }
}

/** Whether a hash that just verified should be replaced by an argon2id hash of the password. */
export function needsRehash(hash: string): boolean {
  return !hash.startsWith('$argon2id$');
}

let decoy: Promise<string> | null = null;

/**
 * Verifies the password against a hash made at the same parameters but of nothing, so a
 * path where there is no account costs what a wrong password costs. Always false.
 */
export async function verifyAgainstDecoy(password: string): Promise<false> {
  decoy ??= hashPassword(`decoy-${Date.now()}-${Math.random()}`);
  await argon2.verify(await decoy, password).catch(() => false);
  return false;
}
