import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { TenantContext } from '../auth/request-context.js';
import { decrypt, encrypt } from '../common/crypto.js';
import { decodeCursor, encodeCursor } from '../common/cursor.js';
import { DomainError } from '../common/errors.js';
import { isUuid, newId } from '../common/ids.js';
import { pageById } from '../common/pagination.js';
import { AppConfig } from '../config/app-config.js';
import { Database } from '../database/database.service.js';
import { EncryptionKey } from '../config/encryption-key.service.js';
import type { CreateWebhookDto, DeliveriesQuery, UpdateWebhookDto } from './dto/webhook.dto.js';
import { parseEventPatterns } from './webhook-events.js';
import { freshAttempt, WebhookDelivery, WebhookEndpoint } from './webhook.entities.js';
import { isAllowedHost, isPublicAddress, literalAddress } from './ssrf-guard.js';

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function onlyAdmins(ctx: TenantContext, what: string): void {
  if (ctx.principal.kind === 'user' && !ctx.principal.admin) throw new DomainError('forbidden', `Only an admin or the operator may ${what}`);
}

@Injectable()
export class WebhooksService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly encryption: EncryptionKey,
    private readonly config: AppConfig,
  ) {}

  /** A URL an endpoint may have, or a 422 on `url` saying why not. */
  checkUrl(raw: string): string {
    const refuse = (message: string): never => {
      throw DomainError.validation([{ field: 'url', message }]);
    };
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return refuse('must be an absolute https URL');
    }
    const allowed = isAllowedHost(url, this.config.webhooks.allowedHosts);
    if (url.protocol !== 'https:' && !(allowed && url.protocol === 'http:')) return refuse('must use https');
    if (url.username !== '' || url.password !== '') return refuse('must not carry credentials');
    if (url.hash !== '') return refuse('must not have a fragment');
    const literal = literalAddress(url);
    if (!allowed && literal !== null && !isPublicAddress(literal)) {
      return refuse('must not point to a loopback, private, link-local or metadata address');
    }
    if (!allowed && !/\.[a-z][a-z0-9-]*\.?$/i.test(url.hostname) && literal === null) return refuse('must name a host on the public internet');
    return url.toString();
  }

  async list(ctx: TenantContext, limit: number, after?: string): Promise<{ endpoints: WebhookEndpoint[]; nextCursor: string | null }> {
    const qb = this.dataSource.getRepository(WebhookEndpoint).createQueryBuilder('w').where('w.tenant_id = :tenantId', { tenantId: ctx.tenantId });
    const { rows, nextCursor } = await pageById(qb, limit, after);
    return { endpoints: rows, nextCursor };
  }

  get(ctx: TenantContext, id: string): Promise<WebhookEndpoint> {
    return this.find(this.dataSource.manager, ctx.tenantId, id);
  }

  async create(ctx: TenantContext, input: CreateWebhookDto): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    onlyAdmins(ctx, 'register a webhook');
    const url = this.checkUrl(input.url);
    const events = this.checkEvents(input.events);
    const secret = newSecret();
    const now = new Date();
    const endpoint = Object.assign(new WebhookEndpoint(), {
      id: newId(),
      tenantId: ctx.tenantId,
      url,
      events,
      active: input.active ?? true,
      description: input.description ?? null,
      secretEncrypted: encrypt(this.encryption.key, secret),
      failingSince: null,
      createdAt: now,
      updatedAt: now,
    } satisfies Omit<WebhookEndpoint, 'tenant'>);
    await this.db.transaction(async (manager) => {
      await manager.insert(WebhookEndpoint, endpoint);
      await this.audit.recordFor(manager, ctx, 'webhook.created', { type: 'webhook', id: endpoint.id });
    });
    return { endpoint, secret };
  }

  async update(ctx: TenantContext, id: string, input: UpdateWebhookDto): Promise<WebhookEndpoint> {
    if (input.url !== undefined) onlyAdmins(ctx, "change a webhook's URL");
    const url = input.url === undefined ? undefined : this.checkUrl(input.url);
    const events = input.events === undefined ? undefined : this.checkEvents(input.events);
    return this.db.transaction(async (manager) => {
      const endpoint = await this.find(manager, ctx.tenantId, id);
      if (url !== undefined) endpoint.url = url;
      if (events !== undefined) endpoint.events = events;
      if (input.description !== undefined) endpoint.description = input.description;
      if (input.active !== undefined && input.active !== endpoint.active) {
        endpoint.active = input.active;
        endpoint.failingSince = null;
        if (!input.active) await this.abandonPending(manager, ctx.tenantId, endpoint.id, 'endpoint deactivated');
      }
      endpoint.updatedAt = new Date();
      await manager.update(
        WebhookEndpoint,
        { id: endpoint.id, tenantId: ctx.tenantId },
        { url: endpoint.url, events: endpoint.events, description: endpoint.description, active: endpoint.active, failingSince: endpoint.failingSince, updatedAt: endpoint.updatedAt },
      );
      await this.audit.recordFor(manager, ctx, 'webhook.updated', { type: 'webhook', id: endpoint.id });
      return endpoint;
    });
  }

  async remove(ctx: TenantContext, id: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const endpoint = await this.find(manager, ctx.tenantId, id);
      await manager.delete(WebhookDelivery, { tenantId: ctx.tenantId, endpointId: endpoint.id });
      await manager.delete(WebhookEndpoint, { id: endpoint.id, tenantId: ctx.tenantId });
      await this.audit.recordFor(manager, ctx, 'webhook.deleted', { type: 'webhook', id: endpoint.id });
    });
  }

  /** A new secret replaces the old one at once; deliveries already queued are signed with the new one. */
  async rotateSecret(ctx: TenantContext, id: string): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    onlyAdmins(ctx, "rotate a webhook's secret");
    const secret = newSecret();
    const endpoint = await this.db.transaction(async (manager) => {
      const found = await this.find(manager, ctx.tenantId, id);
      found.secretEncrypted = encrypt(this.encryption.key, secret);
      found.updatedAt = new Date();
      await manager.update(WebhookEndpoint, { id: found.id, tenantId: ctx.tenantId }, { secretEncrypted: found.secretEncrypted, updatedAt: found.updatedAt });
      await this.audit.recordFor(manager, ctx, 'webhook.secret_rotated', { type: 'webhook', id: found.id });
      return found;
    });
    return { endpoint, secret };
  }

  /** An endpoint's deliveries, newest first. */
  async deliveries(ctx: TenantContext, id: string, query: DeliveriesQuery): Promise<{ deliveries: WebhookDelivery[]; nextCursor: string | null }> {
    const endpoint = await this.find(this.dataSource.manager, ctx.tenantId, id);
    const limit = query.limit ?? 20;
    const qb = this.dataSource
      .getRepository(WebhookDelivery)
      .createQueryBuilder('d')
      .where('d.tenant_id = :tenantId', { tenantId: ctx.tenantId })
      .andWhere('d.endpoint_id = :endpointId', { endpointId: endpoint.id });
    if (query.status !== undefined) qb.andWhere('d.status = :status', { status: query.status });
    if (query.after !== undefined) qb.andWhere('d.id < :afterId', { afterId: String(decodeCursor(query.after, 1)[0]) });
    const found = await qb.orderBy('d.id', 'DESC').limit(limit + 1).getMany();
    const deliveries = found.slice(0, limit);
    const last = deliveries.at(-1);
    return { deliveries, nextCursor: found.length > limit && last ? encodeCursor([last.id]) : null };
  }

  /** Queues the event again, as a new delivery with the same webhook-id, due now. */
  async redeliver(ctx: TenantContext, id: string, deliveryId: string): Promise<WebhookDelivery> {
    return this.db.transaction(async (manager) => {
      const endpoint = await this.find(manager, ctx.tenantId, id);
      const original = isUuid(deliveryId)
        ? await manager.findOne(WebhookDelivery, { where: { id: deliveryId.toLowerCase(), tenantId: ctx.tenantId, endpointId: endpoint.id } })
        : null;
      if (!original) throw DomainError.notFound('Delivery');
      if (!endpoint.active) throw new DomainError('conflict', 'The webhook is not active: reactivate it first');
      const now = new Date();
      const copy = Object.assign(new WebhookDelivery(), {
        ...original,
        id: newId(),
        ...freshAttempt(now),
      });
      await manager.insert(WebhookDelivery, copy);
      await this.audit.recordFor(manager, ctx, 'webhook.redelivery_requested', { type: 'webhook', id: endpoint.id });
      return copy;
    });
  }

  /** The secret in clear, for signing. */
  secretOf(endpoint: Pick<WebhookEndpoint, 'secretEncrypted'>): string {
    return decrypt(this.encryption.key, endpoint.secretEncrypted);
  }

  private checkEvents(raw: string[]): string[] {
    const { patterns, invalid } = parseEventPatterns(raw);
    if (invalid.length) {
      throw DomainError.validation(invalid.map((index) => ({ field: `events[${index}]`, message: 'must be *, <resource>.* or an audit action name' })));
    }
    return patterns;
  }

  private async abandonPending(manager: EntityManager, tenantId: string, endpointId: string, reason: string): Promise<void> {
    await manager.update(WebhookDelivery, { tenantId, endpointId, status: 'pending' }, { status: 'failed', lastError: reason, leaseUntil: null, leaseOwner: null, updatedAt: new Date() });
  }

  private async find(manager: EntityManager, tenantId: string, id: string): Promise<WebhookEndpoint> {
    const found = isUuid(id) ? await manager.findOne(WebhookEndpoint, { where: { id: id.toLowerCase(), tenantId } }) : null;
    if (!found) throw DomainError.notFound('Webhook');
    return found;
  }
}
