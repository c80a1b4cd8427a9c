import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength } from 'class-validator';
import { CanonicalIds } from '../../common/ids.js';
import { KeysetQuery } from '../../common/pagination.js';
import { FilterOf } from '../../common/validation.js';

export const USER_SORTS = ['createdAt', '-createdAt', 'name', '-name', 'email', '-email', 'lastLoginAt', '-lastLoginAt'] as const;
export type UserSort = (typeof USER_SORTS)[number];

/** filter[...] of the user list; an unknown key is refused by the global ValidationPipe (422). */
export class UsersFilter {
  @ApiPropertyOptional({ description: 'Case-insensitive prefix of the name' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  @ApiPropertyOptional({ description: 'The whole address, compared without case' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(254) email?: string;
  @ApiPropertyOptional({ description: '1: only active users; 0: users of any status' })
  @IsOptional() @IsIn(['0', '1'], { message: 'must be 1 (only active) or 0 (regardless of status)' }) active?: '0' | '1';
  @ApiPropertyOptional({ description: '1: only deactivated users' })
  @IsOptional() @IsIn(['1'], { message: 'must be 1' }) deactivated?: '1';
  @ApiPropertyOptional({ description: '1: only admins' })
  @IsOptional() @IsIn(['1'], { message: 'must be 1' }) admin?: '1';
  @ApiPropertyOptional({ description: '1: only plan admins' })
  @IsOptional() @IsIn(['1'], { message: 'must be 1' }) planAdmin?: '1';
  @ApiPropertyOptional({ description: 'Exactly this externalId' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(255) externalId?: string;
  @ApiPropertyOptional({ description: 'Members of this group (id)' })
  @IsOptional() @CanonicalIds() @IsUUID() group?: string;
  @ApiPropertyOptional({ description: 'Users with this client tag' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(64) clientTag?: string;
  @ApiPropertyOptional({ description: 'Users with an active assignment of this plan (id)' })
  @IsOptional() @CanonicalIds() @IsUUID() plan?: string;
}

export class UsersQueryDto extends KeysetQuery {
  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Rows to skip (after the cursor, when both are sent)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  // 99999999999999999999 parses as an integer too, beyond what either database's OFFSET holds.
  @Max(Number.MAX_SAFE_INTEGER)
  offset?: number;

  @ApiPropertyOptional({ enum: USER_SORTS, default: 'createdAt', description: 'Ties are broken by id; NULL lastLoginAt sorts first ascending, last descending' })
  @IsOptional()
  @IsIn(USER_SORTS)
  sort?: UserSort;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true adds meta.total' })
  @IsOptional()
  @IsIn(['true', 'false'])
  count?: 'true' | 'false';

  @FilterOf(UsersFilter, {
    description: 'filter[name]=…, filter[email]=…, …: only users matching every filter given. With curl, pass -g so the brackets are sent as they are.',
    example: 'filter[email]=ada@example.com',
  })
  filter?: UsersFilter;
}
