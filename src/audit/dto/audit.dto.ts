import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { AUDIT_ACTIONS, RENAMED_ACTIONS } from '../audit-actions.js';
import { CanonicalIds } from '../../common/ids.js';
import { KeysetQuery } from '../../common/pagination.js';
import { FilterOf } from '../../common/validation.js';
import type { AuditEvent } from '../audit-event.entity.js';

export class AuditFilter {
  @ApiPropertyOptional({ description: 'An action name (listed below); a former name finds the events of its current one' })
  @IsOptional() @IsString() @MaxLength(64) action?: string;
  @ApiPropertyOptional({ description: 'Events made by this user (id)' })
  @IsOptional() @CanonicalIds() @IsUUID() actorId?: string;
  @ApiPropertyOptional({ description: 'Events about this user, group, plan, session or tenant (id)' })
  @IsOptional() @CanonicalIds() @IsString() @MaxLength(255) targetId?: string;
}

const ACTION_NAMES = `Action names (\`<resource>.<past_tense_verb>\`): ${AUDIT_ACTIONS.map((a) => `\`${a}\``).join(', ')}. Former names are still accepted: ${Object.entries(
  RENAMED_ACTIONS,
)
  .map(([old, current]) => `\`${old}\` (now \`${current}\`)`)
  .join(', ')}.`;

export const AUDIT_SORTS = ['at', '-at'] as const;

export class AuditQueryDto extends KeysetQuery {
  @ApiPropertyOptional({
    enum: AUDIT_SORTS,
    default: 'at',
    description: 'at: oldest first (poll with the last nextCursor for what is new); -at: newest first, as a log is read',
  })
  @IsOptional()
  @IsIn(AUDIT_SORTS)
  sort?: (typeof AUDIT_SORTS)[number];

  @ApiPropertyOptional({
    description:
      'The `nextCursor` of the previous page (the last page has one too: poll with it to receive only newer events), ' +
      "or an event's `id` (for example the `data.id` of a webhook delivery) to continue after that event.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  override after?: string;

  @FilterOf(AuditFilter, { description: `filter[action], filter[actorId], filter[targetId]. ${ACTION_NAMES}`, example: 'filter[action]=user.created' })
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
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'integer' }, { type: 'string' }] },
    description: 'Only on an event that sums something up: tenant.users_imported has records, created, updated, unchanged and errors, and credentialsFrom (the source tenant\'s id) when the operator gave it',
  })
  details?: Record<string, number | string>;
}

class AuditMeta {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Send as `after` for the events after this page, also on the last page (opaque; null only when nothing was listed and no `after` was sent)',
  })
  nextCursor!: string | null;
  @ApiProperty({ description: 'More events already follow this page' }) hasMore!: boolean;
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
    ...(event.details === null ? {} : { details: JSON.parse(event.details) as Record<string, number | string> }),
  };
}
