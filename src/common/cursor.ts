import { DomainError } from './errors.js';

/** Opaque keyset cursors: base64url JSON of the last row's sort values. */
export function encodeCursor(values: readonly (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, arity: number, field = 'after'): (string | number | null)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw DomainError.validation([{ field, message: 'is not a cursor returned by this API' }]);
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== arity ||
    !parsed.every((v) => v === null || typeof v === 'string' || typeof v === 'number')
  ) {
    throw DomainError.validation([{ field, message: 'is not a cursor returned by this API' }]);
  }
  return parsed as (string | number | null)[];
}
