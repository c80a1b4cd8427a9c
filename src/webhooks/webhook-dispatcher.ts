import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { performance } from 'node:perf_hooks';
import http from 'node:http';
import https from 'node:https';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { AppConfig } from '../config/app-config.js';
import { Database } from '../database/database.service.js';
import { Metrics } from '../metrics/metrics.service.js';
import { isAllowedHost, isPublicAddress, guardedLookup, literalAddress } from './ssrf-guard.js';
import { WebhookOutbox } from './webhook-outbox.js';
import { WebhookDelivery, WebhookEndpoint } from './webhook.entities.js';
import { WebhooksService } from './webhooks.service.js';
import { loggableError } from '../common/problem.filter.js';

/** A 2xx within this time is a success; anything else, or nothing, is a failure. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** A claimed attempt is this instance's for this long: longer than an attempt can take. */
const LEASE_MS = 30_000;
const BATCH = 100;
/**
 * While the API is serving (a request in the last BUSY_WINDOW_MS), rounds are smaller and each
 * is followed by a pause of BUSY_PAUSE_FACTOR times its length, so deliveries take at most a
 * quarter of the event loop and a backlog drains without the API's latency suffering.
 */
const BUSY_BATCH = 50;
const BUSY_WINDOW_MS = 250;
const BUSY_PAUSE_FACTOR = 3;
/** Rounds in flight at once in one instance: one claims and records while another's requests are out. */
const WORKERS = 2;
const IDLE_POLL_MS = 250;
/** After a round fails (the database unreachable), before the next. */
const ERROR_PAUSE_MS = 5_000;
/** An endpoint failing for this long is deactivated. */
const FAILING_LIMIT_MS = 24 * 3600_000;
/** Each wait of the retry schedule is stretched or shrunk by up to this share, at random. */
const JITTER = 0.2;

export type AttemptOutcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

interface Claimed {
  delivery: WebhookDelivery;
  endpoint: WebhookEndpoint | null;
}

/**
 * Delivers the outbox from inside the service: claims due deliveries with a lease, signs each
 * by the Standard Webhooks specification, sends it, and records the outcome. Only the oldest
 * pending delivery of an endpoint about one user (or other target) is ever due, so they
 * arrive in order, retries included. On MySQL/MariaDB several instances claim with
 * `FOR UPDATE SKIP LOCKED`; SQLite has one instance.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  readonly owner = `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  private running = false;
  private loop: Promise<unknown> | null = null;
  private readonly sleepers = new Set<() => void>();
  private lastRequestAt = Number.NEGATIVE_INFINITY;
  private readonly guarded = {
    http: new http.Agent({ keepAlive: true, lookup: guardedLookup() as never }),
    https: new https.Agent({ keepAlive: true, lookup: guardedLookup() as never }),
  };
  private readonly plain = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  /** Outcomes since start. */
  readonly outcomes = { delivered: 0, retrying: 0, failed: 0 };

  constructor(
    private readonly dataSource: DataSource,
    private readonly db: Database,
    private readonly config: AppConfig,
    private readonly webhooks: WebhooksService,
    private readonly audit: AuditService,
    private readonly metrics: Metrics,
    private readonly adapterHost: HttpAdapterHost,
    outbox: WebhookOutbox,
  ) {
    outbox.onQueued(() => {
      // Woken before the change commits: give the commit a moment, and let a few more
      // changes gather, so that a busy API is not followed by one round per change.
      if (this.sleepers.size > 0) setTimeout(() => this.wakeAll(), 100).unref();
    });
  }

  onModuleInit(): void {
    // A callback hook: an async one would cost every request a promise.
    this.adapterHost.httpAdapter?.getInstance<FastifyInstance>().addHook('onRequest', (_request, _reply, done) => {
      this.lastRequestAt = performance.now();
      done();
    });
  }

  private get apiBusy(): boolean {
    return performance.now() - this.lastRequestAt < BUSY_WINDOW_MS;
  }

  onApplicationBootstrap(): void {
    if (!this.config.webhooks.dispatch) return;
    this.running = true;
    this.loop = Promise.all(Array.from({ length: WORKERS }, (_, worker) => this.run(worker)));
  }

  /** Stops claiming, lets the attempts in flight finish (each ends within its timeout) and records them. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wakeAll();
    await this.loop;
    this.loop = null;
    for (const agents of [this.guarded, this.plain]) {
      agents.http.destroy();
      agents.https.destroy();
    }
  }

  private async run(worker: number): Promise<void> {
    while (this.running) {
      let handled = 0;
      const busy = this.apiBusy;
      // While the API is serving, one round at a time: each round's fixed cost (two short
      // transactions, which on SQLite queue with the API's) is then shared by more deliveries.
      if (busy && worker > 0) {
        await this.sleep(BUSY_WINDOW_MS);
        continue;
      }
      const started = performance.now();
      try {
        handled = await this.dispatchOnce(busy ? BUSY_BATCH : BATCH);
      } catch (error) {
        // The database is away, most likely: what was claimed goes back when its lease ends.
        this.logger.warn(`Dispatching webhooks failed: ${loggableError(error).message}`);
        await this.sleep(ERROR_PAUSE_MS);
      }
      if (!this.running) break;
      if (handled === 0) await this.sleep(IDLE_POLL_MS);
      else if (busy) await this.sleep((performance.now() - started) * BUSY_PAUSE_FACTOR);
    }
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /** One round: claim what is due, send it all at once, record the outcomes. How many were sent. */
  async dispatchOnce(limit = BATCH): Promise<number> {
    const claimed = await this.claim(limit);
    if (claimed.length === 0) return 0;
    const signers = new Map<string, Webhook | null>();
    const outcomes = await Promise.all(claimed.map((item) => this.attempt(item, signers)));
    await this.record(claimed, outcomes);
    return claimed.length;
  }

  /** Takes up to `limit` due deliveries with a lease, the oldest of each endpoint and target only. */
  async claim(limit: number): Promise<Claimed[]> {
    const now = new Date();
    const ids = await this.db.transaction(async (manager) => {
      const qb = manager
        .getRepository(WebhookDelivery)
        .createQueryBuilder('d')
        .select('d.id', 'id')
        .where('d.status = :pending', { pending: 'pending' })
        .andWhere('d.next_attempt_at <= :now', { now })
        .andWhere('(d.lease_until IS NULL OR d.lease_until < :now)')
        .andWhere(
          'NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.ordering_key = d.ordering_key ' +
            "AND p.status = 'pending' AND p.id < d.id)",
        )
        // By the due index alone: a tie-break on id would make SQLite sort every due row each round.
        .orderBy('d.next_attempt_at', 'ASC')
        .limit(limit);
      if (!this.db.isSqlite) qb.setLock('pessimistic_write').setOnLocked('skip_locked');
      const found = (await qb.getRawMany<{ id: string }>()).map((row) => row.id);
      if (found.length === 0) return found;
      await manager
        .createQueryBuilder()
        .update(WebhookDelivery)
        .set({ leaseOwner: this.owner, leaseUntil: new Date(now.getTime() + LEASE_MS) })
        .where('id IN (:...ids)', { ids: found })
        .execute();
      return found;
    });
    if (ids.length === 0) return [];
    const deliveries = await this.dataSource.getRepository(WebhookDelivery).createQueryBuilder('d').where('d.id IN (:...ids)', { ids }).getMany();
    const endpointIds = [...new Set(deliveries.map((d) => d.endpointId))];
    const endpoints = await this.dataSource.getRepository(WebhookEndpoint).createQueryBuilder('w').where('w.id IN (:...endpointIds)', { endpointIds }).getMany();
    const byId = new Map(endpoints.map((e) => [e.id, e]));
    return deliveries.map((delivery) => ({ delivery, endpoint: byId.get(delivery.endpointId) ?? null }));
  }

  private async attempt({ delivery, endpoint }: Claimed, signers: Map<string, Webhook | null>): Promise<AttemptOutcome> {
    if (!endpoint || !endpoint.active) return { ok: false, status: null, error: 'endpoint deactivated' };
    if (!signers.has(endpoint.id)) {
      try {
        signers.set(endpoint.id, new Webhook(this.webhooks.secretOf(endpoint)));
      } catch {
        signers.set(endpoint.id, null);
      }
    }
    const signer = signers.get(endpoint.id);
    if (!signer) return { ok: false, status: null, error: 'the signing secret could not be read' };
    const timestamp = new Date();
    const signature = signer.sign(delivery.eventId, timestamp, delivery.payload);
    return this.post(endpoint.url, delivery.payload, {
      'content-type': 'application/json',
      'user-agent': 'identity-service-webhooks',
      'webhook-id': delivery.eventId,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    });
  }

  /** POSTs a body; refuses addresses that are not public unless the host is allowed. */
  post(target: string, body: string, headers: Record<string, string>): Promise<AttemptOutcome> {
    const url = new URL(target);
    const allowed = isAllowedHost(url, this.config.webhooks.allowedHosts);
    if (!allowed && url.protocol !== 'https:') return Promise.resolve({ ok: false, status: null, error: 'only https is allowed' });
    const literal = literalAddress(url);
    if (!allowed && literal !== null && !isPublicAddress(literal)) {
      return Promise.resolve({ ok: false, status: null, error: `${literal} is not a public address` });
    }
    const agents = allowed ? this.plain : this.guarded;
    const client = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? agents.https : agents.http;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: AttemptOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const request = client.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (response) => {
        const status = response.statusCode ?? 0;
        response.resume();
        response.on('end', () => finish(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `answered ${status}` }));
        response.on('error', () => finish({ ok: false, status, error: 'the answer was cut off' }));
      });
      const timer = setTimeout(() => {
        request.destroy();
        finish({ ok: false, status: null, error: `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` });
      }, DELIVERY_TIMEOUT_MS);
      request.on('error', (error: NodeJS.ErrnoException) => {
        const reason = error.code === 'WEBHOOK_FORBIDDEN_ADDRESS' ? error.message : `could not connect (${error.code ?? error.message})`;
        finish({ ok: false, status: null, error: reason.slice(0, 500) });
      });
      request.end(body);
    });
  }

  /** The wait before the next attempt after `attempts` failed ones, or null when they are used up. */
  retryDelayMs(attempts: number): number | null {
    const schedule = this.config.webhooks.retrySchedule;
    if (attempts > schedule.length) return null;
    const base = schedule[attempts - 1]! * 1000;
    return Math.round(base * (1 - JITTER + Math.random() * 2 * JITTER));
  }

  private async record(claimed: Claimed[], outcomes: AttemptOutcome[]): Promise<void> {
    const now = new Date();
    const delivered = new Map<number, string[]>();
    const succeeded = new Set<string>();
    const failing = new Map<string, { gone: boolean }>();
    let retrying = 0;
    let failed = 0;
    await this.db.transaction(async (manager) => {
      for (let i = 0; i < claimed.length; i++) {
        const { delivery, endpoint } = claimed[i]!;
        const outcome = outcomes[i]!;
        if (outcome.ok) {
          const ids = delivered.get(outcome.status) ?? [];
          ids.push(delivery.id);
          delivered.set(outcome.status, ids);
          succeeded.add(delivery.endpointId);
          continue;
        }
        const attempts = delivery.attempts + 1;
        const delay = !endpoint || !endpoint.active || outcome.status === 410 ? null : this.retryDelayMs(attempts);
        if (delay === null) failed += 1;
        else retrying += 1;
        await manager
          .createQueryBuilder()
          .update(WebhookDelivery)
          .set({
            status: delay === null ? 'failed' : 'pending',
            attempts,
            nextAttemptAt: delay === null ? now : new Date(now.getTime() + delay),
            leaseOwner: null,
            leaseUntil: null,
            lastAttemptAt: now,
            lastStatusCode: outcome.status,
            lastError: outcome.error.slice(0, 500),
            updatedAt: now,
          })
          .where('id = :id AND lease_owner = :owner', { id: delivery.id, owner: this.owner })
          .execute();
        if (endpoint?.active) failing.set(endpoint.id, { gone: (failing.get(endpoint.id)?.gone ?? false) || outcome.status === 410 });
      }
      for (const [status, ids] of delivered) {
        await manager
          .createQueryBuilder()
          .update(WebhookDelivery)
          .set({
            status: 'delivered',
            attempts: () => 'attempts + 1',
            leaseOwner: null,
            leaseUntil: null,
            lastAttemptAt: now,
            lastStatusCode: status,
            lastError: null,
            updatedAt: now,
          })
          .where('id IN (:...ids) AND lease_owner = :owner', { ids, owner: this.owner })
          .execute();
      }
      const recovered = [...succeeded].filter((id) => !failing.has(id));
      if (recovered.length) {
        await manager
          .createQueryBuilder()
          .update(WebhookEndpoint)
          .set({ failingSince: null })
          .where('id IN (:...recovered) AND failing_since IS NOT NULL', { recovered })
          .execute();
      }
      for (const [endpointId, { gone }] of failing) await this.noteFailure(manager, endpointId, gone, now);
    });
    const count = [...delivered.values()].reduce((sum, ids) => sum + ids.length, 0);
    this.count('delivered', count);
    this.count('retrying', retrying);
    this.count('failed', failed);
  }

  private count(outcome: 'delivered' | 'retrying' | 'failed', n: number): void {
    if (n === 0) return;
    this.outcomes[outcome] += n;
    this.metrics.countWebhookDeliveries(outcome, n);
  }

  /** Marks an endpoint failing; after a day of failures, or on a 410, deactivates it (audited). */
  private async noteFailure(manager: EntityManager, endpointId: string, gone: boolean, now: Date): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(WebhookEndpoint)
      .set({ failingSince: now })
      .where('id = :endpointId AND failing_since IS NULL', { endpointId })
      .execute();
    const endpoint = await manager.findOne(WebhookEndpoint, { where: { id: endpointId } });
    if (!endpoint || !endpoint.active) return;
    const failingFor = now.getTime() - (endpoint.failingSince ?? now).getTime();
    if (!gone && failingFor < FAILING_LIMIT_MS) return;
    await manager.update(WebhookEndpoint, { id: endpoint.id }, { active: false, updatedAt: now });
    await manager
      .createQueryBuilder()
      .update(WebhookDelivery)
      .set({ status: 'failed', lastError: 'endpoint deactivated', leaseOwner: null, leaseUntil: null, updatedAt: now })
      .where("endpoint_id = :endpointId AND status = 'pending' AND (lease_owner IS NULL OR lease_owner = :owner)", { endpointId, owner: this.owner })
      .execute();
    await this.audit.record(manager, {
      tenantId: endpoint.tenantId,
      action: 'webhook.deactivated',
      target: { type: 'webhook', id: endpoint.id },
      actor: { type: 'system', id: null },
      ip: null,
      requestId: null,
    });
    this.logger.warn(`Deactivated webhook ${endpoint.id}: ${gone ? 'it answered 410 Gone' : 'it failed for a day'}`);
  }
}
