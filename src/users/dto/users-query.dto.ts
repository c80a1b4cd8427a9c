import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { CanonicalIds } from '../../common/ids.js';
import { KeysetQuery } from '../../common/pagination.js';

export const USER_SORTS = ['createdAt', '-createdAt', 'name', '-name', 'email', '-email', 'lastLoginAt', '-lastLoginAt'] as const;
export type UserSort = (typeof USER_SORTS)[number];

/** filter[...] of the user list; an unknown key is refused by the global ValidationPipe (422). */
export class UsersFilter {
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(254) email?: string;
  @IsOptional() @IsIn(['0', '1'], { message: 'must be 1 (only active) or 0 (regardless of status)' }) active?: '0' | '1';
  @IsOptional() @IsIn(['1'], { message: 'must be 1' }) deactivated?: '1';
  @IsOptional() @IsIn(['1'], { message: 'must be 1' }) admin?: '1';
  @IsOptional() @IsIn(['1'], { message: 'must be 1' }) planAdmin?: '1';
  @IsOptional() @IsString() @MinLength(1) @MaxLength(255) externalId?: string;
  @IsOptional() @CanonicalIds() @IsUUID() group?: string;
  @IsOptional() @IsString() @MinLength(1) @MaxLength(64) clientTag?: string;
  @IsOptional() @CanonicalIds() @IsUUID() plan?: string;
}

export class UsersQueryDto extends KeysetQuery {
  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Rows to skip (after the cursor, when both are sent)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({ enum: USER_SORTS, default: 'createdAt', description: 'Ties are broken by id; NULL lastLoginAt sorts first ascending, last descending' })
  @IsOptional()
  @IsIn(USER_SORTS)
  sort?: UserSort;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true adds meta.total' })
  @IsOptional()
  @IsIn(['true', 'false'])
  count?: 'true' | 'false';

  @ApiPropertyOptional({
    type: 'object',
    description:
      'filter[name] (case-insensitive prefix), filter[email] (exact, case-insensitive), filter[active] (1 only active, 0 regardless), ' +
      'filter[deactivated]=1, filter[admin]=1, filter[planAdmin]=1, filter[externalId], filter[group], filter[clientTag], filter[plan]',
    properties: {
      name: { type: 'string' },
      email: { type: 'string' },
      active: { type: 'string', enum: ['0', '1'] },
      deactivated: { type: 'string', enum: ['1'] },
      admin: { type: 'string', enum: ['1'] },
      planAdmin: { type: 'string', enum: ['1'] },
      externalId: { type: 'string' },
      group: { type: 'string', format: 'uuid' },
      clientTag: { type: 'string' },
      plan: { type: 'string', format: 'uuid' },
    },
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => UsersFilter)
  filter?: UsersFilter;
}
