import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newId } from '../common/ids.js';
import { toUserResponse, type UserResponse } from '../users/dto/user-response.dto.js';
import { loadRelations } from '../users/child-rows.repository.js';
import { readUser } from '../users/users.repository.js';
import { matchesEvent } from './webhook-events.js';
import { freshAttempt, WebhookDelivery, WebhookEndpoint } from './webhook.entities.js';

/** An audit event as it is written, and as a webhook's payload carries it. */
export interface OutboxEvent {
  id: string;
  tenantId: string | null;
  at: Date;
  action: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null };
  ip: string | null;
  requestId: string | null;
}

/** The JSON body of a delivery (Standard Webhooks: `{ type, timestamp, data }`). */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: {
    event: { id: string; at: string; action: string; actor: OutboxEvent['actor']; target: OutboxEvent['target']; ip: string | null; requestId: string | null };
    /** For events about a user: the user as it was when the change committed; null once deleted. */
    user?: UserResponse | null;
  };
}

const AS_OPERATOR = { kind: 'operator' } as const;

/**
 * The transactional outbox: called by AuditService with the manager of the change's own
 * transaction, so every writer of audit events (REST, SCIM, sign-ins) queues its deliveries
 * with the change, and a change that rolls back queues nothing.
 */
@Injectable()
export class WebhookOutbox {
  /** Deliveries queued by this process since start (the dispatcher wakes on it). */
  queued = 0;
  private listener: (() => void) | null = null;

  onQueued(listener: () => void): void {
    this.listener = listener;
  }

  /**
   * Many events of one tenant (an import's users): the tenant's endpoints are read once for
   * them all, and each event is queued as enqueue() queues it.
   */
  async enqueueMany(manager: EntityManager, tenantId: string, events: OutboxEvent[]): Promise<void> {
    if (!events.length) return;
    const endpoints = await this.activeEndpoints(manager, tenantId);
    if (!endpoints.length) return;
    for (const event of events) {
      // The endpoints are this tenant's: an event of another would be sent to them.
      if (event.tenantId !== tenantId) throw new Error(`enqueueMany: an event of tenant ${event.tenantId} among tenant ${tenantId}'s`);
      await this.queue(manager, event, endpoints);
    }
  }

  async enqueue(manager: EntityManager, event: OutboxEvent): Promise<void> {
    if (event.tenantId === null) return;
    await this.queue(manager, event, await this.activeEndpoints(manager, event.tenantId));
  }

  private activeEndpoints(manager: EntityManager, tenantId: string): Promise<Pick<WebhookEndpoint, 'id' | 'events'>[]> {
    return manager
      .getRepository(WebhookEndpoint)
      .createQueryBuilder('w')
      .select(['w.id', 'w.events'])
      .where('w.tenant_id = :tenantId', { tenantId })
      .andWhere('w.active = :active', { active: true })
      .getMany();
  }

  /** Queues one delivery of the event for each of the endpoints that listens to it. */
  private async queue(manager: EntityManager, event: OutboxEvent, endpoints: Pick<WebhookEndpoint, 'id' | 'events'>[]): Promise<void> {
    if (event.tenantId === null) return;
    const matching = endpoints.filter((endpoint) => matchesEvent(endpoint.events, event.action));
    if (matching.length === 0) return;
    const payload: WebhookPayload = {
      type: event.action,
      timestamp: event.at.toISOString(),
      data: {
        event: {
          id: event.id,
          at: event.at.toISOString(),
          action: event.action,
          actor: event.actor,
          target: event.target,
          ip: event.ip,
          requestId: event.requestId,
        },
      },
    };
    if (event.target.type === 'user' && event.target.id !== null) {
      // Read inside the transaction: the representation includes the change being committed.
      const user = await readUser(event.tenantId, manager, 'id', event.target.id);
      payload.data.user = user ? toUserResponse((await loadRelations(event.tenantId, manager, [user]))[0]!, AS_OPERATOR, event.at) : null;
    }
    const body = JSON.stringify(payload);
    const now = new Date();
    await manager.insert(
      WebhookDelivery,
      matching.map((endpoint) => ({
        id: newId(),
        tenantId: event.tenantId!,
        endpointId: endpoint.id,
        eventId: event.id,
        eventType: event.action,
        orderingKey: event.target.id ?? event.id,
        payload: body,
        ...freshAttempt(now),
      })),
    );
    this.queued += matching.length;
    this.listener?.();
  }
}
