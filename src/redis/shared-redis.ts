import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';

/** How long a command may take before the caller falls back to what this instance knows. */
const COMMAND_TIMEOUT_MS = 500;
const PING_TIMEOUT_MS = 1000;
/** How long a starting instance waits for Redis before it serves with per-instance limits. */
const STARTUP_WAIT_MS = 2000;

/** Where Redis is, without the password that REDIS_URL may carry: for log lines. */
export function redisAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}`;
}

/**
 * The one Redis connection of an instance, when REDIS_URL is set: what several instances
 * share (the per-IP limits). It never holds a request up: commands are not queued while the
 * connection is down (they fail at once and the caller falls back), they time out after
 * 500 ms, and the connection is re-made in the background until Redis answers again. An
 * outage is logged once when it starts and once when it ends, not per request.
 */
@Injectable()
export class SharedRedis implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis | null;
  private up = false;
  private warned = false;
  private readonly down: (reason: string) => void = () => undefined;

  constructor(config: AppConfig) {
    const { redisUrl } = config.operations;
    if (redisUrl === null) {
      this.client = null;
      return;
    }
    const address = redisAddress(redisUrl);
    this.client = new Redis(redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    this.client.on('ready', () => {
      this.up = true;
      if (this.warned) this.logger.log(`Redis at ${address} answers again: per-IP limits are counted across instances`);
      this.warned = false;
    });
    const down = (this.down = (reason: string): void => {
      this.up = false;
      if (this.warned) return;
      this.warned = true;
      this.logger.warn(`Redis at ${address} is unreachable (${reason}): per-IP limits are counted by this instance alone until it returns`);
    });
    // ioredis reports every failed reconnection as an error event; one line per outage is enough.
    this.client.on('error', (error: Error & { code?: string }) => down(error.code ?? error.message));
    this.client.on('close', () => {
      if (this.up) down('connection closed');
    });
  }

  /** Waits (briefly) for the first connection, so an instance counts in Redis from its first request. */
  async onModuleInit(): Promise<void> {
    const client = this.client;
    if (!client || client.status === 'ready') return;
    const ready = await new Promise<boolean>((resolve) => {
      const settle = (answer: boolean): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('error', onError);
        resolve(answer);
      };
      const onReady = (): void => settle(true);
      const onError = (): void => settle(false);
      const timer = setTimeout(() => settle(false), STARTUP_WAIT_MS);
      client.once('ready', onReady);
      client.once('error', onError);
    });
    if (!ready) this.down(`no answer within ${STARTUP_WAIT_MS} ms`);
  }

  get configured(): boolean {
    return this.client !== null;
  }

  /** Whether the connection is ready for commands now (false when Redis is not configured). */
  get ready(): boolean {
    return this.up && this.client?.status === 'ready';
  }

  /** A PING within a second: for the readiness probe. */
  async ping(): Promise<boolean> {
    if (!this.client || this.client.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
    });
    try {
      const pong = this.client.ping().then(
        (answer) => answer === 'PONG',
        () => false,
      );
      return await Promise.race([pong, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  onApplicationShutdown(): void {
    this.client?.disconnect(false);
  }
}
