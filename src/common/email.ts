import { ValidateBy } from 'class-validator';
import { DomainError } from './errors.js';

/**
 * Characters that render as nothing or as a blank: controls, format characters (zero-width
 * space and joiners, bidi controls, soft hyphen, BOM), every kind of space, the combining
 * grapheme joiner, Hangul fillers and variation selectors. Two addresses that differ only by
 * one of these look the same to a person.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Z}\u115F\u1160\u3164\uFFA0]|\u034F|\p{Variation_Selector}/u;

/**
 * Why an email address cannot be stored, or null: one that holds invisible characters, or
 * changes under NFKC (full-width letters, ligatures, superscripts), could stand beside a
 * look-alike account (API.md section 5).
 */
export function emailProblem(email: string): string | null {
  if (INVISIBLE.test(email)) return 'must not hold invisible characters or spaces';
  if (email.normalize('NFKC') !== email.normalize('NFC')) return 'must not hold full-width letters, ligatures or other compatibility characters';
  return null;
}

/**
 * The one form of an address the service stores and compares, on every database: NFC and
 * lower case (NFC again, since lower-casing can leave a decomposed sequence).
 */
export function canonicalEmail(email: string): string {
  return email.normalize('NFC').toLowerCase().normalize('NFC');
}

/**
 * The form of an address to store, or a 422 naming the field: every write of an email goes
 * through here, whatever route or protocol (REST, SCIM, import) it came by.
 */
export function storableEmail(email: string, field = 'email'): string {
  const problem = emailProblem(email);
  if (problem !== null) throw DomainError.validation([{ field, message: problem }]);
  return canonicalEmail(email);
}

/** Refuses addresses emailProblem names; pair it with @IsEmail. */
export const IsStorableEmail = (): PropertyDecorator =>
  ValidateBy({
    name: 'isStorableEmail',
    validator: {
      validate: (value) => typeof value !== 'string' || emailProblem(value) === null,
      defaultMessage: (args) => (typeof args?.value === 'string' ? (emailProblem(args.value) ?? 'is not valid') : 'is not valid'),
    },
  });
