import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';

@Global()
@Module({ controllers: [AuditController], providers: [AuditService, WebhookOutbox], exports: [AuditService, WebhookOutbox] })
export class AuditModule {}
