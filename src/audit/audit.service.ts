import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { RequestContext } from '../auth/request-context.js';
import { pageById } from '../common/pagination.js';
import { newId } from '../common/ids.js';
import { AuditEvent } from './audit-event.entity.js';

export interface AuditTarget {
  type: 'tenant' | 'user' | 'group' | 'plan' | 'session' | 'apiKey';
  id: string | null;
}

export interface AuditActor {
  type: 'operator' | 'user' | 'integration' | 'anonymous';
  id: string | null;
}

export interface AuditQuery {
  limit: number;
  after?: string;
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
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Writes an event with the manager of the caller's transaction, so the event and the
   * change it records commit or roll back together.
   */
  async record(
    manager: EntityManager,
    event: {
      tenantId: string | null;
      action: string;
      target: AuditTarget;
      actor: AuditActor;
      ip: string | null;
      requestId: string | null;
    },
  ): Promise<void> {
    await manager.insert(AuditEvent, {
      id: newId(),
      tenantId: event.tenantId,
      at: new Date(),
      action: event.action,
      actorType: event.actor.type,
      actorId: event.actor.id,
      targetType: event.target.type,
      targetId: event.target.id,
      ip: event.ip,
      requestId: event.requestId,
    });
  }

  /** Convenience for the common case: the caller of a request changed something in its tenant. */
  recordFor(manager: EntityManager, context: RequestContext, action: string, target: AuditTarget, tenantId = context.tenantId): Promise<void> {
    return this.record(manager, {
      tenantId,
      action,
      target,
      actor: actorOf(context),
      ip: context.ip,
      requestId: context.requestId,
    });
  }

  /** Oldest first, keyset by id: a consumer polls with the last `nextCursor` to get what is new. */
  async list(tenantId: string, query: AuditQuery): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
    const qb = this.dataSource.getRepository(AuditEvent).createQueryBuilder('e').where('e.tenant_id = :tenantId', { tenantId });
    if (query.action !== undefined) qb.andWhere('e.action = :action', { action: query.action });
    if (query.actorId !== undefined) qb.andWhere('e.actor_id = :actorId', { actorId: query.actorId });
    if (query.targetId !== undefined) qb.andWhere('e.target_id = :targetId', { targetId: query.targetId });
    const { rows, nextCursor } = await pageById(qb, query.limit, query.after);
    return { events: rows, nextCursor };
  }
}
