import { type BeforeApplicationShutdown, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/** How long in-flight requests get to finish before the remaining connections are cut. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * A SIGTERM stops new connections, lets the requests already running finish, and closes
 * the pool only then. Responses sent while draining carry `Connection: close`, so a client's
 * kept-alive connection does not hold the server open once its request is answered.
 */
@Injectable()
export class GracefulShutdown implements OnModuleInit, BeforeApplicationShutdown {
  private draining = false;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

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
    const fastify = this.fastify;
    if (!fastify?.server.listening) return;
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
