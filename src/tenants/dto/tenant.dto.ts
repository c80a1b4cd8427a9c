import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsOmittable } from '../../common/validation.js';
import type { Tenant } from '../tenant.entity.js';

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;
const NOT_UUID = /^(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)/;

export class TenantSettingsDto {
  @ApiPropertyOptional({ minimum: 8, maximum: 256, default: 8 })
  @IsOmittable()
  @IsInt()
  @Min(8)
  @Max(256)
  passwordMinLength?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1000, default: 5, description: '0 turns lockout off' })
  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(1000)
  lockoutThreshold?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 10080, default: 15 })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(10080)
  lockoutMinutes?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 999999, nullable: true, default: null, description: 'null = unlimited' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(999999)
  sessionsLimitDefault?: number | null;

  @ApiPropertyOptional({ minimum: 60, maximum: 86400, default: 900 })
  @IsOmittable()
  @IsInt()
  @Min(60)
  @Max(86400)
  accessTokenTtlSeconds?: number;

  @ApiPropertyOptional({ minimum: 300, maximum: 31536000, default: 2592000 })
  @IsOmittable()
  @IsInt()
  @Min(300)
  @Max(31_536_000)
  refreshTokenTtlSeconds?: number;
}

/** A slug may not look like a UUID: X-Tenant-Id accepts either, and must not be ambiguous. */
const IsSlug = (): PropertyDecorator =>
  applyDecorators(
    IsString(),
    Matches(SLUG_PATTERN, { message: 'must match ^[a-z0-9][a-z0-9-]{1,62}$' }),
    Matches(NOT_UUID, { message: 'must not have the shape of a UUID' }),
  );

export class CreateTenantDto {
  @ApiProperty({ pattern: SLUG_PATTERN.source, example: 'acme' })
  @IsSlug()
  slug!: string;

  @ApiProperty({ maxLength: 200, example: 'Acme Inc.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ default: true })
  @IsOmittable()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ type: TenantSettingsDto })
  @IsOmittable()
  @ValidateNested()
  @Type(() => TenantSettingsDto)
  settings?: TenantSettingsDto;
}

export class UpdateTenantDto {
  @ApiPropertyOptional({ pattern: SLUG_PATTERN.source, description: 'operator only' })
  @IsOmittable()
  @IsSlug()
  slug?: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOmittable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ description: 'operator only' })
  @IsOmittable()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ type: TenantSettingsDto })
  @IsOmittable()
  @ValidateNested()
  @Type(() => TenantSettingsDto)
  settings?: TenantSettingsDto;
}

export class TenantSettingsResponse {
  @ApiProperty() passwordMinLength!: number;
  @ApiProperty() lockoutThreshold!: number;
  @ApiProperty() lockoutMinutes!: number;
  @ApiProperty({ type: Number, nullable: true }) sessionsLimitDefault!: number | null;
  @ApiProperty() accessTokenTtlSeconds!: number;
  @ApiProperty() refreshTokenTtlSeconds!: number;
}

export class TenantResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty() active!: boolean;
  @ApiProperty({ type: TenantSettingsResponse }) settings!: TenantSettingsResponse;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export function toTenantResponse(tenant: Tenant): TenantResponse {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    active: tenant.active,
    settings: {
      passwordMinLength: tenant.passwordMinLength,
      lockoutThreshold: tenant.lockoutThreshold,
      lockoutMinutes: tenant.lockoutMinutes,
      sessionsLimitDefault: tenant.sessionsLimitDefault,
      accessTokenTtlSeconds: tenant.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: tenant.refreshTokenTtlSeconds,
    },
    createdAt: tenant.createdAt.toISOString(),
    updatedAt: tenant.updatedAt.toISOString(),
  };
}
