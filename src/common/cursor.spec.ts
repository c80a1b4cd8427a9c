import { CursorSeal, freshNonce } from './cursor.js';
import { DomainError } from './errors.js';

const KEY = Buffer.alloc(32, 9);

describe('sealed cursors', () => {
  it('hands out each nonce once, across the pool being filled again', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const nonce = freshNonce();
      expect(nonce).toHaveLength(12);
      seen.add(nonce.toString('hex'));
    }
    expect(seen.size).toBe(2_000);
  });

  it('keeps a nonce handed out unchanged while later ones are taken', () => {
    const first = Buffer.from(freshNonce());
    const held = freshNonce();
    const copy = Buffer.from(held);
    for (let i = 0; i < 1_100; i++) freshNonce();
    expect(held.equals(copy)).toBe(true);
    expect(held.equals(first)).toBe(false);
  });

  it('opens what it sealed; the same values never seal to the same text', () => {
    const seal = new CursorSeal(KEY, 'users');
    const values = ['createdAt', '2026-12-01T10:00:00.000Z', '01a2b3c4-0000-7000-8000-000000000000'];
    const cursors = Array.from({ length: 600 }, () => seal.seal(values));
    expect(new Set(cursors).size).toBe(600);
    for (const cursor of cursors) expect(seal.open(cursor, 3)).toEqual(values);
  });

  it('refuses a cursor edited, sealed for another purpose or under another key', () => {
    const values = ['name', 'Ann', 'x'];
    const cursor = new CursorSeal(KEY, 'users').seal(values);
    const raw = Buffer.from(cursor, 'base64url');
    raw[raw.length - 1]! ^= 1;
    const edited = raw.toString('base64url');
    expect(() => new CursorSeal(KEY, 'users').open(edited, 3)).toThrow(DomainError);
    expect(() => new CursorSeal(KEY, 'audit').open(cursor, 3)).toThrow(DomainError);
    expect(() => new CursorSeal(Buffer.alloc(32, 8), 'users').open(cursor, 3)).toThrow(DomainError);
  });
});
