import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/access.decorators.js';
import { TenantCtx, type TenantContext } from '../auth/request-context.js';
import { KeysetQuery } from '../common/pagination.js';
import {
  CreateWebhookDto,
  DeliveriesQuery,
  DeliveryResponse,
  toDeliveryResponse,
  toWebhookResponse,
  UpdateWebhookDto,
  WebhookResponse,
  WebhookWithSecretResponse,
} from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

class PageMeta {
  @ApiProperty() limit!: number;
  @ApiProperty({ type: String, nullable: true, description: 'Send as `after` for the next page' }) nextCursor!: string | null;
}

class WebhookPage {
  @ApiProperty({ type: [WebhookResponse], description: 'Oldest first' }) data!: WebhookResponse[];
  @ApiProperty({ type: PageMeta }) meta!: PageMeta;
}

class DeliveryPage {
  @ApiProperty({ type: [DeliveryResponse], description: 'Newest first' }) data!: DeliveryResponse[];
  @ApiProperty({ type: PageMeta }) meta!: PageMeta;
}

const ADMINS_ONLY = ApiForbiddenResponse({ description: 'Only an admin or the operator may do this, whatever the permissions held' });

@ApiTags('webhooks')
@Controller('api/v2/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'List webhook endpoints' })
  @RequirePermission('webhooks:read')
  @ApiOkResponse({ type: WebhookPage })
  async list(@TenantCtx() ctx: TenantContext, @Query() query: KeysetQuery): Promise<WebhookPage> {
    const limit = query.limit ?? 20;
    const { endpoints, nextCursor } = await this.webhooks.list(ctx, limit, query.after);
    return { data: endpoints.map(toWebhookResponse), meta: { limit, nextCursor } };
  }

  @Post()
  @ApiOperation({ summary: 'Register a webhook endpoint', description: 'The answer holds the signing secret; it is never shown again.' })
  @RequirePermission('webhooks:write')
  @ApiCreatedResponse({ type: WebhookWithSecretResponse })
  @ADMINS_ONLY
  async create(@TenantCtx() ctx: TenantContext, @Body() body: CreateWebhookDto): Promise<WebhookWithSecretResponse> {
    const { endpoint, secret } = await this.webhooks.create(ctx, body);
    return { ...toWebhookResponse(endpoint), secret };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a webhook endpoint' })
  @RequirePermission('webhooks:read')
  @ApiOkResponse({ type: WebhookResponse })
  async get(@TenantCtx() ctx: TenantContext, @Param('id') id: string): Promise<WebhookResponse> {
    return toWebhookResponse(await this.webhooks.get(ctx, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a webhook endpoint', description: 'Turning it off fails its pending deliveries; they can be redelivered.' })
  @RequirePermission('webhooks:write')
  @ApiOkResponse({ type: WebhookResponse })
  @ApiForbiddenResponse({ description: 'Only an admin or the operator may change the URL' })
  async update(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Body() body: UpdateWebhookDto): Promise<WebhookResponse> {
    return toWebhookResponse(await this.webhooks.update(ctx, id, body));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a webhook endpoint', description: 'Its deliveries, pending or not, go with it.' })
  @RequirePermission('webhooks:write')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(@TenantCtx() ctx: TenantContext, @Param('id') id: string): Promise<void> {
    await this.webhooks.remove(ctx, id);
  }

  @Post(':id/rotate-secret')
  @ApiOperation({ summary: "Replace a webhook's signing secret", description: 'The new secret is shown once, in this answer, and signs every delivery from now on.' })
  @RequirePermission('webhooks:write')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookWithSecretResponse })
  @ADMINS_ONLY
  async rotateSecret(@TenantCtx() ctx: TenantContext, @Param('id') id: string): Promise<WebhookWithSecretResponse> {
    const { endpoint, secret } = await this.webhooks.rotateSecret(ctx, id);
    return { ...toWebhookResponse(endpoint), secret };
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "A webhook endpoint's deliveries", description: 'Newest first, with their status, attempts, last answer and next attempt.' })
  @RequirePermission('webhooks:read')
  @ApiOkResponse({ type: DeliveryPage })
  async deliveries(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Query() query: DeliveriesQuery): Promise<DeliveryPage> {
    const { deliveries, nextCursor } = await this.webhooks.deliveries(ctx, id, query);
    return { data: deliveries.map(toDeliveryResponse), meta: { limit: query.limit ?? 20, nextCursor } };
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @ApiOperation({ summary: 'Send a delivery again', description: 'Queues its event again as a new delivery, due now, with the same webhook-id.' })
  @RequirePermission('webhooks:write')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: DeliveryResponse })
  @ApiConflictResponse({ description: 'The endpoint is not active' })
  async redeliver(@TenantCtx() ctx: TenantContext, @Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<DeliveryResponse> {
    return toDeliveryResponse(await this.webhooks.redeliver(ctx, id, deliveryId));
  }
}
