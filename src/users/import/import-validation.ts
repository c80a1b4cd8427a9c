import { isBoolean, isEmail, isNotEmpty, isUUID, matches, maxLength, minLength } from 'class-validator';
import { emailProblem } from '../../common/email.js';
import { canonicalId } from '../../common/ids.js';
import { UserInputDto } from '../dto/user.dto.js';

/*
 * An import validates every record as a create body. Through the global ValidationPipe
 * (class-transformer, then class-validator walking the DTO's metadata) that cost about 35 µs a
 * record, a sixth of the import's time. The records an import carries are nearly always the
 * plain fields below, so those are checked here with the very predicates UserInputDto's
 * decorators run (class-validator's own functions, the same lengths and patterns), and turned
 * into the DTO as class-transformer would. A record with any other field, or any value these
 * checks do not accept, goes through the pipe as before: its errors are the pipe's errors, and
 * what it accepts is what the pipe accepts (import-validation.spec.ts holds the two together).
 */

type Check = (value: unknown) => boolean;

const text = (max: number): Check => (value) => typeof value === 'string' && maxLength(value, max);
const nullable = (check: Check): Check => (value) => value === null || check(value);

/** The fields checked here, each with what UserInputDto's decorators ask of it. */
const FIELDS: Record<string, Check> = {
  externalId: nullable((value) => typeof value === 'string' && isNotEmpty(value) && maxLength(value, 255)),
  name: (value) => typeof value === 'string' && isNotEmpty(value) && maxLength(value, 200),
  firstName: nullable(text(100)),
  lastName: nullable(text(100)),
  username: nullable((value) => typeof value === 'string' && matches(value, /^\S{1,100}$/)),
  email: (value) => typeof value === 'string' && maxLength(value, 254) && isEmail(value, {}) && emailProblem(value) === null,
  clientTags: (value) => Array.isArray(value) && value.length <= 100 && value.every((tag) => typeof tag === 'string' && minLength(tag, 1) && maxLength(tag, 64)),
  groups: (value) => Array.isArray(value) && value.length <= 100 && value.every((id) => typeof id === 'string' && isUUID(canonicalId(id), 'all')),
  active: isBoolean,
  admin: isBoolean,
  planAdmin: isBoolean,
  tfa: isBoolean,
  resetPassword: isBoolean,
  resetTfa: isBoolean,
  passwordResetAllowed: isBoolean,
  canViewMaskedData: isBoolean,
  onlySeesReadable: isBoolean,
};

/**
 * The record as the UserInputDto the ValidationPipe would make of it, when every field is
 * one of FIELDS and valid; null when the pipe has to decide (and name the errors).
 */
export function quickUserInput(record: Record<string, unknown>): UserInputDto | null {
  const input = new UserInputDto() as unknown as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) return null;
    const check = Object.hasOwn(FIELDS, key) ? FIELDS[key] : undefined;
    const value = record[key];
    if (check === undefined || value === undefined || !check(value)) return null;
    if (key === 'groups') input[key] = (value as string[]).map((id) => canonicalId(id));
    else input[key] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return input as UserInputDto;
}
