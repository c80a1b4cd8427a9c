import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, IsString, IsUUID, MaxLength, ValidateNested } from 'class-validator';
import { KeysetQuery } from '../../common/pagination.js';
import type { AuditEvent } from '../audit-event.entity.js';

export class AuditFilter {
  @IsOptional() @IsString() @MaxLength(64) action?: string;
  @IsOptional() @IsUUID() actorId?: string;
  @IsOptional() @IsString() @MaxLength(255) targetId?: string;
}

export class AuditQueryDto extends KeysetQuery {
  @ApiPropertyOptional({
    type: 'object',
    description: 'filter[action], filter[actorId], filter[targetId]',
    properties: { action: { type: 'string' }, actorId: { type: 'string' }, targetId: { type: 'string' } },
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => AuditFilter)
  filter?: AuditFilter;
}

class Ref {
  @ApiProperty() type!: string;
  @ApiProperty({ type: String, nullable: true }) id!: string | null;
}

export class AuditEventResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() action!: string;
  @ApiProperty({ type: Ref }) actor!: Ref;
  @ApiProperty({ type: Ref }) target!: Ref;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true }) requestId!: string | null;
}

class AuditMeta {
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class AuditPage {
  @ApiProperty({ type: [AuditEventResponse] }) data!: AuditEventResponse[];
  @ApiProperty({ type: AuditMeta }) meta!: AuditMeta;
}

export function toAuditEventResponse(event: AuditEvent): AuditEventResponse {
  return {
    id: event.id,
    at: event.at.toISOString(),
    action: event.action,
    actor: { type: event.actorType, id: event.actorId },
    target: { type: event.targetType, id: event.targetId },
    ip: event.ip,
    requestId: event.requestId,
  };
}
