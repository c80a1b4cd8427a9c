import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';

@Global()
@Module({ controllers: [AuditController], providers: [AuditService, AuditRepository, WebhookOutbox], exports: [AuditService, WebhookOutbox] })
export class AuditModule {}
