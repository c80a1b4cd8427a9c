import { readFileSync } from 'node:fs';
import { DomainError } from '../common/errors.js';
import { checkPasswordPolicy, hashFormat, hashPassword, needsRehash, PASSWORD_MAX_LENGTH, verifyPassword } from './passwords.js';

interface Vector {
  format: string;
  source: string;
  password: string;
  hash: string;
}

const { vectors } = JSON.parse(readFileSync(new URL('../../test/fixtures/password-hashes.json', import.meta.url), 'utf8')) as { vectors: Vector[] };

describe('password hashes of other systems', () => {
  it.each(vectors.map((v) => [v.format, v.hash, v]))('%s %s verifies its password and nothing else', async (_format, _hash, vector) => {
    const v = vector as Vector;
    expect(hashFormat(v.hash)).not.toBeNull();
    await expect(verifyPassword(v.hash, v.password)).resolves.toBe(true);
    await expect(verifyPassword(v.hash, `x${v.password}`)).resolves.toBe(false);
    await expect(verifyPassword(v.hash, v.password.toUpperCase() === v.password ? 'other' : v.password.toUpperCase())).resolves.toBe(false);
  });

  it('covers each format API.md section 12 lists', () => {
    const formats = new Set(vectors.map((v) => v.format));
    for (const format of ['argon2id', 'argon2i', 'argon2d', 'bcrypt', 'scrypt', 'pbkdf2-sha256', 'pbkdf2-sha512', 'django-pbkdf2']) expect(formats).toContain(format);
  });

  it('reads $2b$ and $2y$ as bcrypt, which for such passwords hash alike', async () => {
    const a = vectors.find((v) => v.hash.startsWith('$2a$05$CCC') && v.password === 'U*U')!;
    for (const prefix of ['$2b$', '$2y$']) await expect(verifyPassword(prefix + a.hash.slice(4), 'U*U')).resolves.toBe(true);
  });

  it('knows its own argon2id hashes and asks to re-hash every other format', async () => {
    const own = await hashPassword('Correct-Horse-9');
    expect(hashFormat(own)).toBe('argon2');
    expect(needsRehash(own)).toBe(false);
    for (const v of vectors.filter((x) => x.format !== 'argon2id')) expect(needsRehash(v.hash)).toBe(true);
  });

  it.each([
    ['plain text', 'hunter2'],
    ['MD5 crypt', '$1$deadbeef$0Huu6KHrKLVWfqa4WljDE0'],
    ['SHA-512 crypt', '$6$rounds=5000$usesomesillystri$D4IrlXatmP7rx3P3InaxBeoomnAihCKRVQP22JZ6EY47Wc6BkroIuUUBOov1i.S5KPgErtP/EN5mcO.ChWQW21'],
    ['bcrypt of absurd cost', '$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
    ['truncated bcrypt', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKv'],
    ['scrypt of a gigabyte', '$scrypt$ln=24,r=8,p=1$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI'],
    ['pbkdf2 of a billion rounds', '$pbkdf2-sha256$99999999$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ'],
    ['pbkdf2 over MD5', '$pbkdf2-md5$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ'],
    ['argon2 of 4 GiB', '$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc'],
    ['Django pbkdf2 without its hash', 'pbkdf2_sha256$10000$seasalt$'],
  ])('refuses %s', async (_what, hash) => {
    expect(hashFormat(hash)).toBeNull();
    await expect(verifyPassword(hash, 'hunter2')).resolves.toBe(false);
  });
});

describe('password policy', () => {
  it("accepts from the tenant's minimum to the contract's maximum, and names the field otherwise", () => {
    expect(() => checkPasswordPolicy('a'.repeat(12), 12, 'password')).not.toThrow();
    expect(() => checkPasswordPolicy('a'.repeat(PASSWORD_MAX_LENGTH), 12, 'password')).not.toThrow();
    for (const length of [11, PASSWORD_MAX_LENGTH + 1]) {
      let thrown: unknown;
      try {
        checkPasswordPolicy('a'.repeat(length), 12, 'newPassword');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DomainError);
      expect((thrown as DomainError).status).toBe(422);
      expect((thrown as DomainError).errors).toEqual([{ field: 'newPassword', message: `must be 12 to ${PASSWORD_MAX_LENGTH} characters long` }]);
    }
  });
});
