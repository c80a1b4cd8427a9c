import { Module } from '@nestjs/common';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookRetention } from './webhook-retention.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

@Module({ controllers: [WebhooksController], providers: [WebhooksService, WebhookDispatcher, WebhookRetention], exports: [WebhookDispatcher, WebhookRetention] })
export class WebhooksModule {}
