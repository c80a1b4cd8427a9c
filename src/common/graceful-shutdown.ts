import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { Readiness } from '../health/readiness.js';

/**
 * Route handlers started and not yet settled. A handler goes on after its client hangs up
 * (Fastify stops writing to it, nothing stops the handler), and the server's close does not
 * wait for it once its connection is gone: this count is what the shutdown waits on before the
 * pool closes. A counter and one reaction on the handler's promise, so the hot path pays little.
 */
export class RunningHandlers {
  private count = 0;
  private onIdle: (() => void) | undefined;
  private readonly settle = (): void => {
    this.count -= 1;
    if (this.count === 0) this.onIdle?.();
  };

  get running(): number {
    return this.count;
  }

  /** Counts every route registered on `fastify` from now on (Nest registers its routes at init). */
  track(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (route) => {
      route.handler = this.counted(route.handler);
    });
  }

  private counted(handler: RouteHandlerMethod): RouteHandlerMethod {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the handler runs with Fastify as its `this`
    const handlers = this;
    return function (this: FastifyInstance, request, reply) {
      handlers.count += 1;
      let result: unknown;
      try {
        result = handler.call(this, request, reply);
      } catch (error) {
        handlers.settle();
        throw error;
      }
      if (result instanceof Promise) result.then(handlers.settle, handlers.settle);
      else handlers.settle();
      return result;
    } as RouteHandlerMethod;
  }

  /** Resolves once no handler runs, or after `ms`, with the number still running. */
  async settled(ms: number): Promise<number> {
    if (this.count > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, ms));
        this.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.onIdle = undefined;
    }
    return this.count;
  }
}

/**
 * A SIGTERM first turns readiness off (GET /health/ready answers 503) and, for
 * SHUTDOWN_DELAY_SECONDS, goes on serving, so a load balancer that probes readiness stops
 * sending traffic before the listener closes. Then it stops new connections and, for up to
 * SHUTDOWN_DRAIN_SECONDS, lets the requests already running finish, those whose client went
 * away included; the pool, Redis and the mail transport close only then. Responses sent while
 * draining carry `Connection: close`, so a client's kept-alive connection does not hold the
 * server open once its request is answered.
 */
@Injectable()
export class GracefulShutdown implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Shutdown');
  private readonly handlers = new RunningHandlers();
  private draining = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly readiness: Readiness,
    private readonly config: AppConfig,
  ) {
    // Here rather than in onModuleInit: Nest registers the routes before that runs.
    const fastify = this.fastify;
    if (fastify) this.handlers.track(fastify);
  }

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

  /**
   * The first step of Nest's close (no other provider has a destroy hook; the before-shutdown
   * hooks of the other modules, such as the webhook dispatcher's, would otherwise run first and
   * keep the listener open meanwhile), and over before the shutdown hooks close the pool.
   */
  async onModuleDestroy(): Promise<void> {
    this.readiness.accepting = false;
    const fastify = this.fastify;
    if (!fastify?.server.listening) return;
    const delay = this.config.operations.shutdownDelayMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    this.draining = true;
    const deadline = Date.now() + this.config.operations.shutdownDrainMs;
    const server = fastify.server;
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), this.config.operations.shutdownDrainMs);
    try {
      await fastify.close();
    } finally {
      clearTimeout(timer);
    }
    const left = await this.handlers.settled(deadline - Date.now());
    if (left > 0) this.logger.warn(`${left} request handler(s) still running after SHUTDOWN_DRAIN_SECONDS; closing the pool under them`);
  }
}
