import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { SelectQueryBuilder } from 'typeorm';
import { decodeCursor, encodeCursor } from './cursor.js';

export class KeysetQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  after?: string;
}

/**
 * One page of a query in id order (ids are UUIDv7, so this is creation order), continued
 * from an `after` cursor. The caller adds its own filters, the tenant first.
 */
export async function pageById<T extends { id: string }>(
  qb: SelectQueryBuilder<T>,
  limit: number,
  after: string | undefined,
): Promise<{ rows: T[]; nextCursor: string | null }> {
  const alias = qb.alias;
  qb.orderBy(`${alias}.id`, 'ASC').limit(limit + 1);
  if (after !== undefined) qb.andWhere(`${alias}.id > :pageAfterId`, { pageAfterId: String(decodeCursor(after, 1)[0]) });
  const found = await qb.getMany();
  const rows = found.slice(0, limit);
  const last = rows.at(-1);
  return { rows, nextCursor: found.length > limit && last ? encodeCursor([last.id]) : null };
}
