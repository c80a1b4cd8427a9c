import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';
import { KeysetQuery } from '../../common/pagination.js';
import { IsOmittable } from '../../common/validation.js';
import type { WebhookDelivery, WebhookEndpoint } from '../webhook.entities.js';

const IsNullable = (): PropertyDecorator => ValidateIf((_, value) => value !== undefined && value !== null);

const URL_DOC = {
  maxLength: 2048,
  example: 'https://hooks.example.com/identity',
  description:
    'https only, and never a loopback, private, link-local or metadata address: the name is resolved and checked each time a ' +
    'delivery connects. Hosts the operator lists in WEBHOOK_ALLOWED_HOSTS are exempt and may use http.',
};
const EVENTS_DOC = {
  type: String,
  isArray: true,
  description: 'Patterns over the audit action names: `*`, `<resource>.*` or one action name. An unknown name is a 422 on events[i].',
};

export class CreateWebhookDto {
  @ApiProperty(URL_DOC)
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url!: string;

  @ApiProperty(EVENTS_DOC)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  events!: string[];

  @ApiPropertyOptional({ default: true })
  @IsOmittable()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 1000 })
  @IsNullable()
  @IsString()
  @MaxLength(1000)
  description?: string | null;
}

/** PATCH: only the fields sent change. Changing `url` is for admins and the operator, as creating is. */
export class UpdateWebhookDto {
  @ApiPropertyOptional({ ...URL_DOC, description: `${URL_DOC.description} Only admins and the operator may change it.` })
  @IsOmittable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ ...EVENTS_DOC, description: `Replaces the set. ${EVENTS_DOC.description}` })
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  events?: string[];

  @ApiPropertyOptional({ description: 'true reactivates an endpoint deactivated after failing' })
  @IsOmittable()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 1000, description: 'null clears it' })
  @IsNullable()
  @IsString()
  @MaxLength(1000)
  description?: string | null;
}

export class WebhookResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String] }) events!: string[];
  @ApiProperty({ description: 'false after an admin turned it off, or after it failed for a day or answered 410' }) active!: boolean;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class WebhookWithSecretResponse extends WebhookResponse {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'The signing secret, shown only in this answer: keep it to verify the webhook-signature header',
  })
  secret!: string;
}

export function toWebhookResponse(endpoint: WebhookEndpoint): WebhookResponse {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.events,
    active: endpoint.active,
    description: endpoint.description,
    createdAt: endpoint.createdAt.toISOString(),
    updatedAt: endpoint.updatedAt.toISOString(),
  };
}

export class DeliveryResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid', description: 'The audit event delivered; sent as the webhook-id header' }) eventId!: string;
  @ApiProperty({ example: 'user.created' }) eventType!: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'HTTP status of the last attempt; null when it got no answer' }) lastStatusCode!: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed, when it did' }) lastError!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastAttemptAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the next attempt is due; null once delivered or failed' })
  nextAttemptAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export function toDeliveryResponse(delivery: WebhookDelivery): DeliveryResponse {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    lastAttemptAt: delivery.lastAttemptAt ? delivery.lastAttemptAt.toISOString() : null,
    nextAttemptAt: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    createdAt: delivery.createdAt.toISOString(),
  };
}

/** Newest first: a log is read from its end. */
export class DeliveriesQuery extends KeysetQuery {
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'failed'] })
  @IsOmittable()
  @IsIn(['pending', 'delivered', 'failed'])
  status?: 'pending' | 'delivered' | 'failed';
}
