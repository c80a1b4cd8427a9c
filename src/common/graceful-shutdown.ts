import { type BeforeApplicationShutdown, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { Readiness } from '../health/readiness.js';

/** How long in-flight requests get to finish before the remaining connections are cut. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * A SIGTERM first turns readiness off (GET /health/ready answers 503) and, for
 * SHUTDOWN_DELAY_SECONDS, goes on serving, so a load balancer that probes readiness stops
 * sending traffic before the listener closes. Then it stops new connections, lets the requests
 * already running finish, and closes the pool only then. Responses sent while draining carry
 * `Connection: close`, so a client's kept-alive connection does not hold the server open once
 * its request is answered.
 */
@Injectable()
export class GracefulShutdown implements OnModuleInit, BeforeApplicationShutdown {
  private draining = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly readiness: Readiness,
    private readonly config: AppConfig,
  ) {}

  private get fastify(): FastifyInstance | undefined {
    return this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
  }

  onModuleInit(): void {
    // A callback hook rather than an async one: it runs on every response, and an async hook
    // costs each of them a promise.
    this.fastify?.addHook('onSend', (_request, reply, payload, done) => {
      if (this.draining) void reply.header('connection', 'close');
      done(null, payload);
    });
  }

  /** Runs before the database pool closes (onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    this.readiness.accepting = false;
    const fastify = this.fastify;
    if (!fastify?.server.listening) return;
    const delay = this.config.operations.shutdownDelayMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    this.draining = true;
    const server = fastify.server;
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
    try {
      await fastify.close();
    } finally {
      clearTimeout(timer);
    }
  }
}
