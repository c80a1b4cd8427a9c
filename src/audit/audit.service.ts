import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { RequestContext } from '../auth/request-context.js';
import { CursorSeal } from '../common/cursor.js';
import { isUuid, newId } from '../common/ids.js';
import { EncryptionKey } from '../config/encryption-key.service.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import { currentActionName, type AuditAction } from './audit-actions.js';
import { AuditEvent } from './audit-event.entity.js';
import { AuditRepository } from './audit.repository.js';

export interface AuditTarget {
  type: 'tenant' | 'user' | 'group' | 'plan' | 'session' | 'apiKey' | 'webhook';
  id: string | null;
}

export interface AuditActor {
  type: 'operator' | 'user' | 'integration' | 'anonymous' | 'system';
  id: string | null;
}

export interface AuditPageResult {
  events: AuditEvent[];
  /** Resumes after the last event of this page (or after `after` when the page is empty). */
  nextCursor: string | null;
  /** More events already follow this page. */
  hasMore: boolean;
}

export interface AuditQuery {
  limit: number;
  after?: string;
  newestFirst?: boolean;
  action?: string;
  actorId?: string;
  targetId?: string;
}

export function actorOf(context: Pick<RequestContext, 'principal'>): AuditActor {
  const { principal } = context;
  if (principal.kind === 'operator') return { type: 'operator', id: null };
  return { type: principal.via === 'apiKey' ? 'integration' : 'user', id: principal.userId };
}

@Injectable()
export class AuditService {
  private readonly cursors: CursorSeal;

  constructor(
    private readonly dataSource: DataSource,
    encryption: EncryptionKey,
    private readonly outbox: WebhookOutbox,
    private readonly repository: AuditRepository,
  ) {
    this.cursors = new CursorSeal(encryption.key, 'audit-events');
  }

  /**
   * Writes an event with the manager of the caller's transaction, so the event and the
   * change it records commit or roll back together; so do the webhook deliveries it makes.
   */
  async record(
    manager: EntityManager,
    event: {
      tenantId: string | null;
      action: AuditAction;
      target: AuditTarget;
      actor: AuditActor;
      ip: string | null;
      requestId: string | null;
      details?: Record<string, number | string>;
    },
  ): Promise<void> {
    const id = newId();
    const at = new Date();
    await manager.insert(AuditEvent, {
      details: event.details === undefined ? null : JSON.stringify(event.details),
      id,
      tenantId: event.tenantId,
      at,
      action: event.action,
      actorType: event.actor.type,
      actorId: event.actor.id,
      targetType: event.target.type,
      targetId: event.target.id,
      ip: event.ip,
      requestId: event.requestId,
    });
    await this.outbox.enqueue(manager, { ...event, id, at });
  }

  /**
   * One action of the caller on many targets (an import's users): the events in one INSERT,
   * each with its webhook deliveries as record() makes them.
   */
  async recordManyFor(manager: EntityManager, context: RequestContext, action: AuditAction, targets: AuditTarget[]): Promise<void> {
    if (!targets.length) return;
    const at = new Date();
    const actor = actorOf(context);
    const events = targets.map((target) => ({ id: newId(), at, tenantId: context.tenantId, action, actor, target, ip: context.ip, requestId: context.requestId }));
    for (let i = 0; i < events.length; i += 500) {
      const rows = events.slice(i, i + 500).map((event) => ({
        id: event.id,
        tenantId: event.tenantId,
        at,
        action,
        actorType: actor.type,
        actorId: actor.id,
        targetType: event.target.type,
        targetId: event.target.id,
        ip: event.ip,
        requestId: event.requestId,
        details: null,
      }));
      await this.repository.insertMany(rows as AuditEvent[], manager);
    }
    await this.outbox.enqueueMany(manager, context.tenantId!, events);
  }

  /** Convenience for the common case: the caller of a request changed something in its tenant. */
  recordFor(
    manager: EntityManager,
    context: RequestContext,
    action: AuditAction,
    target: AuditTarget,
    tenantId = context.tenantId,
    details?: Record<string, number | string>,
  ): Promise<void> {
    return this.record(manager, {
      tenantId,
      action,
      target,
      actor: actorOf(context),
      ip: context.ip,
      requestId: context.requestId,
      ...(details ? { details } : {}),
    });
  }

  /**
   * Oldest first, keyset by id (UUIDv7, so time order). The cursor of the last page still
   * resumes after its last event, so an integration polls with it and gets only what is new.
   * `after` is a sealed cursor from this API or, as documented, an event's id. Newest first on
   * request (`newestFirst`), as a person reads a log: each page then continues to older events.
   */
  async list(tenantId: string, query: AuditQuery): Promise<AuditPageResult> {
    const afterId = query.after === undefined ? undefined : this.afterId(query.after);
    const qb = this.dataSource.getRepository(AuditEvent).createQueryBuilder('e').where('e.tenant_id = :tenantId', { tenantId });
    if (query.action !== undefined) qb.andWhere('e.action = :action', { action: currentActionName(query.action) });
    if (query.actorId !== undefined) qb.andWhere('e.actor_id = :actorId', { actorId: query.actorId.toLowerCase() });
    if (query.targetId !== undefined) qb.andWhere('e.target_id = :targetId', { targetId: isUuid(query.targetId) ? query.targetId.toLowerCase() : query.targetId });
    if (afterId !== undefined) qb.andWhere(query.newestFirst ? 'e.id < :afterId' : 'e.id > :afterId', { afterId });
    const found = await qb.orderBy('e.id', query.newestFirst ? 'DESC' : 'ASC').limit(query.limit + 1).getMany();
    const events = found.slice(0, query.limit);
    const resumeAfter = events.at(-1)?.id ?? afterId;
    return { events, nextCursor: resumeAfter === undefined ? null : this.cursors.seal([resumeAfter]), hasMore: found.length > query.limit };
  }

  private afterId(after: string): string {
    if (isUuid(after)) return after.toLowerCase();
    return String(this.cursors.open(after, 1)[0]);
  }
}
