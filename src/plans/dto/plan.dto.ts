import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CanonicalIds } from '../../common/ids.js';
import { IsInt, IsNotEmpty, IsString, IsUUID, Max, MaxLength, Min, ValidateBy, ValidateIf } from 'class-validator';
import { IsOmittable } from '../../common/validation.js';
import { isCalendarDate } from '../../users/dto/user.dto.js';
import type { Plan } from '../plan.entity.js';

/** A field that may be left out or sent as null to clear it. */
const IsNullable = (): PropertyDecorator => ValidateIf((_, value) => value !== undefined && value !== null);

const SESSIONS_LIMIT_DOC = {
  type: Number,
  nullable: true,
  minimum: 1,
  maximum: 999999,
  description: "null = the plan does not limit sessions. A user's limit is its own sessionsLimit, else the smallest among its active plans, else the tenant default",
};

export class CreatePlanDto {
  @ApiProperty({ maxLength: 200, example: 'Pro', description: 'Unique per tenant (409 name_taken)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 1000 })
  @IsNullable()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional({ ...SESSIONS_LIMIT_DOC, default: null })
  @IsNullable()
  @IsInt()
  @Min(1)
  @Max(999999)
  sessionsLimit?: number | null;
}

/** PATCH: only the fields sent change. */
export class UpdatePlanDto {
  @ApiPropertyOptional({ maxLength: 200, description: 'Unique per tenant (409 name_taken)' })
  @IsOmittable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 1000, description: 'null clears it' })
  @IsNullable()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional(SESSIONS_LIMIT_DOC)
  @IsNullable()
  @IsInt()
  @Min(1)
  @Max(999999)
  sessionsLimit?: number | null;
}

/** POST /api/v2/users/{id}/plans: adds the assignment, or replaces the user's assignment of that plan. */
export class AssignPlanDto {
  @ApiProperty({ format: 'uuid', description: 'A plan of the tenant; unknown → 404' })
  @CanonicalIds()
  @IsUUID('all')
  planId!: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date',
    nullable: true,
    description: 'Last day (UTC) the assignment is active; left out or null = open-ended. On replace, the new value replaces the old one',
  })
  @IsNullable()
  @ValidateBy({ name: 'isCalendarDate', validator: { validate: isCalendarDate, defaultMessage: () => 'must be a date as YYYY-MM-DD' } })
  validTo?: string | null;
}

export class PlanResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'null = unlimited' }) sessionsLimit!: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export function toPlanResponse(plan: Plan): PlanResponse {
  return {
    id: plan.id,
    name: plan.name,
    description: plan.description,
    sessionsLimit: plan.sessionsLimit,
    createdAt: plan.createdAt.toISOString(),
    updatedAt: plan.updatedAt.toISOString(),
  };
}
