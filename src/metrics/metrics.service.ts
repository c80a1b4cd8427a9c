import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource, type EntitySubscriberInterface, type InsertEvent } from 'typeorm';
import type { AuditAction } from '../audit/audit-actions.js';
import { AuditEvent } from '../audit/audit-event.entity.js';
import { AppConfig } from '../config/app-config.js';
import { Database } from '../database/database.service.js';

/** Methods the API serves; any other verb is counted as OTHER, so a label never holds what a client made up. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

type Outcome = 'success' | 'failure' | 'rate_limited' | 'invalid' | 'error';

/** What a login or refresh answer means, from its status alone. */
function outcomeOf(status: number): Outcome {
  if (status < 300) return 'success';
  if (status === 401) return 'failure';
  if (status === 429) return 'rate_limited';
  return status >= 500 ? 'error' : 'invalid';
}

interface MysqlPoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  config?: { connectionLimit?: number };
}

/**
 * Prometheus metrics (prom-client), served by a listener of their own on METRICS_PORT and
 * never on the API's port. Off when METRICS_PORT is unset: then nothing is measured and no
 * request pays for it.
 *
 * Every label value comes from a fixed set: the route's template (`/api/v2/users/:id`, or
 * `unmatched`), the method, the status code, an outcome, an audit action name. Nothing a
 * client sends (an id, an email, an address, a raw URL) becomes a label.
 */
@Injectable()
export class Metrics implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  readonly registry = new Registry();
  readonly enabled: boolean;
  private server: FastifyInstance | null = null;
  private readonly requestDurations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer a request, by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly logins = new Counter({
    name: 'identity_logins_total',
    help: 'Login attempts by outcome (failure: wrong credentials, second factor needed, locked or refused account)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly refreshes = new Counter({
    name: 'identity_refreshes_total',
    help: 'Refresh-token grants by outcome',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly lockouts = new Counter({
    name: 'identity_lockouts_total',
    help: 'Accounts locked after too many failed attempts',
    registers: [this.registry],
  });
  private readonly auditEvents = new Counter({
    name: 'identity_audit_events_total',
    help: 'Audit events written, by action',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });
  private readonly webhookDeliveries = new Counter({
    name: 'identity_webhook_deliveries_total',
    help: 'Webhook delivery attempts by result: delivered, retrying (failed, another attempt is due) or failed (given up)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  /** Histogram children by "method route status": labels are hashed once per combination, not per request. */
  private readonly observers = new Map<string, Histogram.Internal<'method' | 'route' | 'status'>>();

  constructor(
    private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly dataSource: DataSource,
    private readonly database: Database,
  ) {
    this.enabled = config.operations.metricsPort !== null;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    collectDefaultMetrics({ register: this.registry });
    this.poolGauges();
    this.outboxGauge();
    this.dataSource.subscribers.push(this.auditSubscriber());
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    // A callback hook: an async one would cost every response a promise.
    fastify?.addHook('onResponse', (request, reply, done) => {
      this.observe(request, reply);
      done();
    });
  }

  private observe(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    const method = METHODS.has(request.method) ? request.method : 'OTHER';
    const status = reply.statusCode;
    const key = `${method} ${route} ${status}`;
    let observer = this.observers.get(key);
    if (!observer) {
      observer = this.requestDurations.labels(method, route, String(status));
      this.observers.set(key, observer);
    }
    observer.observe(reply.elapsedTime / 1000);
    if (method !== 'POST') return;
    if (route === '/api/v2/auth/login') this.logins.inc({ result: outcomeOf(status) });
    else if (route === '/api/v2/auth/refresh') this.refreshes.inc({ result: outcomeOf(status) });
  }

  /** Audit events are written with the change they record, so counting their inserts counts lockouts wherever they happen. */
  private auditSubscriber(): EntitySubscriberInterface<AuditEvent> {
    return {
      listenTo: () => AuditEvent,
      afterInsert: (event: InsertEvent<AuditEvent>) => {
        const action = event.entity?.action;
        if (typeof action !== 'string') return;
        this.auditEvents.inc({ action });
        if (action === ('auth.locked_out' satisfies AuditAction)) this.lockouts.inc();
      },
    };
  }

  /** Called by the webhook dispatcher with the outcomes of each round of attempts. */
  countWebhookDeliveries(result: 'delivered' | 'retrying' | 'failed', count: number): void {
    if (this.enabled) this.webhookDeliveries.inc({ result }, count);
  }

  /** The outbox's depth (deliveries waiting, due or not), counted when scraped. */
  private outboxGauge(): void {
    const dataSource = this.dataSource;
    new Gauge({
      name: 'identity_webhook_outbox_pending',
      help: 'Webhook deliveries waiting to be sent, due now or later (all instances)',
      registers: [this.registry],
      async collect() {
        const [row] = await dataSource.query(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'`);
        this.set(Number((row as { n: number | string }).n));
      },
    });
  }

  /** The MySQL/MariaDB pool, read when scraped (SQLite has one connection and no pool). */
  private poolGauges(): void {
    const database = this.database;
    new Counter({
      name: 'identity_db_transaction_retries_total',
      help: 'Transactions run again after a deadlock or a Galera certification conflict (error 1213)',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(database.retries);
      },
    });
    const pool = (): MysqlPoolInternals | null => {
      const type = this.dataSource.options.type;
      if (type !== 'mysql' && type !== 'mariadb') return null;
      return ((this.dataSource.driver as unknown as { pool?: MysqlPoolInternals }).pool ?? null);
    };
    new Gauge({
      name: 'identity_db_pool_connections',
      help: 'Database connections of this instance by state (MySQL/MariaDB)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const p = pool();
        if (!p) return;
        const open = p._allConnections?.length ?? 0;
        const idle = p._freeConnections?.length ?? 0;
        this.set({ state: 'busy' }, open - idle);
        this.set({ state: 'idle' }, idle);
      },
    });
    new Gauge({
      name: 'identity_db_pool_max',
      help: 'Most connections the pool may open (MySQL/MariaDB)',
      registers: [this.registry],
      collect() {
        const p = pool();
        if (p) this.set(p.config?.connectionLimit ?? 0);
      },
    });
    new Gauge({
      name: 'identity_db_pool_waiting',
      help: 'Queries waiting for a free connection (MySQL/MariaDB)',
      registers: [this.registry],
      collect() {
        const p = pool();
        if (p) this.set(p._connectionQueue?.length ?? 0);
      },
    });
  }

  /** Starts the metrics listener on METRICS_PORT (main.ts); nothing when it is unset. */
  async listen(): Promise<AddressInfo | null> {
    const port = this.config.operations.metricsPort;
    if (port === null) return null;
    const server = Fastify({ logger: false });
    server.get('/metrics', async (_request, reply) => {
      const body = await this.registry.metrics();
      return reply.type(this.registry.contentType).send(body);
    });
    await server.listen({ port, host: this.config.host });
    this.server = server;
    const address = server.server.address() as AddressInfo;
    this.logger.log(`Metrics at http://${this.config.host}:${address.port}/metrics`);
    return address;
  }

  /** Last, after the API has drained, so a scrape during the shutdown still answers. */
  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
    this.server = null;
  }
}
