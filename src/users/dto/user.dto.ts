import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsInt,
  IsNotEmpty,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { IsStorableEmail } from '../../common/email.js';
import ipaddr from 'ipaddr.js';
import { CanonicalIds } from '../../common/ids.js';
import { isMaskedPhone, MASKED_IP_ENTRY } from '../../common/masking.js';
import { PASSWORD_MAX_LENGTH } from '../passwords.js';

/** A field that may be left out, but not sent as null. */
const Optional = (): PropertyDecorator => ValidateIf((_, value) => value !== undefined);
/** A field that may be left out or sent as null to clear it. */
const Nullable = (): PropertyDecorator => ValidateIf((_, value) => value !== undefined && value !== null);

/**
 * Phone numbers: spaces, dashes, dots and brackets are dropped (`+1 (804) 325-7762` →
 * `+18043257762`), then an optional `+` and 7 to 15 digits not starting with 0 must remain.
 */
export const PHONE_PATTERN = /^\+?[1-9]\d{6,14}$/;
/** Longer than this as sent, a phone number is refused rather than cleaned up. */
export const PHONE_MAX_LENGTH = 32;
const normalisePhone = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.length <= PHONE_MAX_LENGTH ? value.replace(/[\s\-.()]/g, '') : value;

export function isIpOrCidr(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 64) return false;
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  // Only dotted-quad IPv4: ipaddr.js would otherwise accept forms like "10" or "0x7f.1".
  const valid = ipaddr.IPv4.isValidFourPartDecimal(address) || (ipaddr.IPv6.isValid(address) && address.includes(':'));
  if (!valid) return false;
  if (slash < 0) return true;
  const bits = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (address.includes(':') ? 128 : 32);
}

/** An allow-list entry; `***` (its masked rendering, sent back unchanged) is resolved by the service. */
const IsIpOrCidr = (options?: ValidationOptions): PropertyDecorator =>
  ValidateBy(
    {
      name: 'isIpOrCidr',
      validator: { validate: (value) => value === MASKED_IP_ENTRY || isIpOrCidr(value), defaultMessage: () => 'each entry must be an IPv4/IPv6 address or CIDR' },
    },
    options,
  );

/** A phone number, or its masked rendering sent back unchanged (resolved by the service). */
const IsPhone = (): PropertyDecorator =>
  ValidateBy({
    name: 'isPhone',
    validator: {
      validate: (value) => typeof value === 'string' && (PHONE_PATTERN.test(value) || isMaskedPhone(value)),
      defaultMessage: () => 'must be a phone number such as +18043257762',
    },
  });

/** YYYY-MM-DD naming a real calendar day. */
export function isCalendarDate(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export class PlanAssignmentDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @CanonicalIds()
  @IsUUID()
  planId!: string;

  @ApiPropertyOptional({ type: String, format: 'date', nullable: true, description: 'Last day (UTC) the assignment is active; none = open-ended' })
  @Nullable()
  @ValidateBy({ name: 'isCalendarDate', validator: { validate: isCalendarDate, defaultMessage: () => 'must be a date as YYYY-MM-DD' } })
  validTo?: string | null;
}

/** The enterprise extension of SCIM (RFC 7643 section 4.3), also readable and writable here. */
export class EnterpriseInputDto {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100 })
  @Nullable()
  @IsString()
  @MaxLength(100)
  employeeNumber?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100 })
  @Nullable()
  @IsString()
  @MaxLength(100)
  costCenter?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 })
  @Nullable()
  @IsString()
  @MaxLength(200)
  organization?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 })
  @Nullable()
  @IsString()
  @MaxLength(200)
  division?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 })
  @Nullable()
  @IsString()
  @MaxLength(200)
  department?: string | null;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Id of another user of the tenant' })
  @Nullable()
  @IsUUID()
  managerId?: string | null;
}

const Flag = (description?: string): PropertyDecorator =>
  applyDecorators(ApiPropertyOptional({ type: Boolean, description }), Optional(), IsBoolean());

/**
 * The writable fields of a user. Every field is optional here: PUT and PATCH both change
 * only the fields sent, and create checks `email` itself.
 */
export class UserInputDto {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 255, description: 'Id in the customer system; unique per tenant, compared exactly' })
  @Nullable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  externalId?: string | null;

  @ApiPropertyOptional({ maxLength: 200, description: 'Defaults to firstName + lastName, else the local part of email, and follows them as they change until it is given a value of its own' })
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100 })
  @Nullable()
  @IsString()
  @MaxLength(100)
  firstName?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100 })
  @Nullable()
  @IsString()
  @MaxLength(100)
  lastName?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    pattern: '^\\S{1,100}$',
    description: 'Case-insensitive, stored lower-cased; unique per tenant',
  })
  @Nullable()
  @IsString()
  @Matches(/^\S{1,100}$/, { message: 'must be 1 to 100 characters without spaces' })
  username?: string | null;

  @ApiPropertyOptional({ format: 'email', maxLength: 254, description: 'Required on create; stored lower-cased; unique per tenant' })
  @Optional()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'must be an email address' })
  @IsStorableEmail()
  email?: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: '+18043257762',
    maxLength: PHONE_MAX_LENGTH,
    description: 'Spaces, dashes, dots and brackets are removed; then +? and 7..15 digits, not starting with 0',
  })
  @Nullable()
  @Transform(normalisePhone)
  @IsString()
  @IsPhone()
  phone?: string | null;

  @Flag('Defaults to true') active?: boolean;
  @Flag() admin?: boolean;
  @Flag() planAdmin?: boolean;
  @Flag() tfa?: boolean;
  @Flag() resetPassword?: boolean;
  @Flag() resetTfa?: boolean;
  @Flag('Defaults to true') passwordResetAllowed?: boolean;
  @Flag() canViewMaskedData?: boolean;
  @Flag() onlySeesReadable?: boolean;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: 999999 })
  @Nullable()
  @IsInt()
  @Min(1)
  @Max(999999)
  sessionsLimit?: number | null;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'string', maxLength: 64 },
    maxItems: 100,
    description: 'IPv4/IPv6 addresses or CIDRs; empty = any address',
  })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsIpOrCidr({ each: true })
  ipWhitelist?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: 100, description: 'Each 1..64 characters; duplicates are dropped' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(64, { each: true })
  clientTags?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Ids of groups of the tenant; replaces the memberships' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @CanonicalIds()
  @IsUUID('all', { each: true })
  groups?: string[];

  @ApiPropertyOptional({ type: [PlanAssignmentDto], description: 'Replaces the plan assignments' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => PlanAssignmentDto)
  plans?: PlanAssignmentDto[];

  @ApiPropertyOptional({ type: EnterpriseInputDto, description: 'Only the fields sent change' })
  @Optional()
  @ValidateNested()
  @Type(() => EnterpriseInputDto)
  enterprise?: EnterpriseInputDto;

  @ApiPropertyOptional({ writeOnly: true, maxLength: PASSWORD_MAX_LENGTH, description: "At least the tenant's passwordMinLength" })
  @Optional()
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH)
  password?: string;

  @ApiPropertyOptional({ writeOnly: true, description: 'On create: mail the user that the account exists' })
  @Optional()
  @IsBoolean()
  sendNotify?: boolean;
}
