import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';
import { PERMISSIONS, type Permission } from '../../auth/permissions.js';
import { IsOmittable } from '../../common/validation.js';
import type { Group } from '../group.entity.js';

/** A field that may be left out or sent as null to clear it. */
const IsNullable = (): PropertyDecorator => ValidateIf((_, value) => value !== undefined && value !== null);

const PERMISSIONS_DOC = {
  type: [String],
  enum: PERMISSIONS,
  enumName: 'Permission',
  description:
    'Names from GET /api/v2/permissions; duplicates are dropped and the set is kept in catalogue order. ' +
    'An unknown name is a 422 on permissions[i]. A caller that is neither the operator nor an admin may only grant permissions it holds itself (403).',
};

export class CreateGroupDto {
  @ApiProperty({ maxLength: 200, example: 'Support', description: 'Unique per tenant (409 name_taken)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 255, description: 'Id in the customer system (SCIM externalId); unique per tenant, compared exactly' })
  @IsNullable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  externalId?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 1000 })
  @IsNullable()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional({ ...PERMISSIONS_DOC, default: [] })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  permissions?: string[];
}

/** PATCH: only the fields sent change; `permissions` replaces the whole set. */
export class UpdateGroupDto {
  @ApiPropertyOptional({ maxLength: 200, description: 'Unique per tenant (409 name_taken)' })
  @IsOmittable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 255, description: 'Id in the customer system (SCIM externalId); unique per tenant, compared exactly' })
  @IsNullable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  externalId?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 1000, description: 'null clears it' })
  @IsNullable()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @ApiPropertyOptional({ ...PERMISSIONS_DOC, description: `Replaces the set. ${PERMISSIONS_DOC.description}` })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  permissions?: string[];
}

export class GroupResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) externalId!: string | null;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: [String], enum: PERMISSIONS, enumName: 'Permission', description: 'In catalogue order' }) permissions!: Permission[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export function toGroupResponse(group: Group): GroupResponse {
  return {
    id: group.id,
    name: group.name,
    externalId: group.externalId,
    description: group.description,
    permissions: PERMISSIONS.filter((p) => group.permissions.includes(p)),
    createdAt: group.createdAt.toISOString(),
    updatedAt: group.updatedAt.toISOString(),
  };
}
