import type { LoggerService } from '@nestjs/common';
import { LogController } from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pino, type Level, type Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';

/**
 * JSON logs through Fastify's own pino logger, with the request id on every line a request
 * writes. Credentials are redacted, and the query string is dropped from logged URLs because
 * filters carry e-mail addresses.
 *
 * Request logging runs in Fastify's request lifecycle rather than as Express-style middleware
 * with an AsyncLocalStorage per request: on a route that does no work that middleware cost
 * more than half of the service's throughput (bench/RESULTS.md, the jwks reference row).
 */
export function createLogger(config: AppConfig): Logger {
  return pino({
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-admin-key"]', 'req.headers.cookie', '*.password', '*.newPassword', '*.currentPassword'],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: FastifyRequest) => ({ method: req.method, path: String(req.url).split('?')[0], remoteAddress: req.ip }),
      res: (reply: FastifyReply) => ({ statusCode: reply.statusCode }),
      err: pino.stdSerializers.err,
    },
  });
}

function levelFor(statusCode: number): Level {
  return statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
}

/** One line per request, when it completes: method, path, status and time, at a level set by the status. */
export class RequestLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {
    // The completed line says all there is to say.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const level: Level = error ? 'error' : levelFor(reply.statusCode);
    const log = reply.log as Logger;
    if (!log.isLevelEnabled(level)) return;
    const line: Record<string, unknown> = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) line.err = error;
    log[level](line, error ? 'request errored' : 'request completed');
  }
}

type NestLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
const PINO_LEVEL: Record<NestLevel, Level> = { log: 'info', error: 'error', warn: 'warn', debug: 'debug', verbose: 'trace', fatal: 'fatal' };

/**
 * Nest's logger interface over the same pino logger. Nest passes the logging class's name
 * last; an object first is logged as fields (`logger.error({ err, requestId }, 'message')`).
 */
export class NestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(nestLevel: NestLevel, message: unknown, params: unknown[]): void {
    const level = PINO_LEVEL[nestLevel];
    if (!this.logger.isLevelEnabled(level)) return;
    const rest = [...params];
    const context = rest.length > 0 && typeof rest.at(-1) === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    let text: string | undefined;
    if (message instanceof Error) fields.err = message;
    else if (message !== null && typeof message === 'object') Object.assign(fields, message);
    else text = String(message);
    const [first] = rest;
    if (typeof first === 'string') {
      // Nest's error(message, stack, context): a second string is the stack; otherwise it is the message.
      if (text === undefined) text = first;
      else if (nestLevel === 'error' || nestLevel === 'fatal') fields.stack = first;
    } else if (first instanceof Error) {
      fields.err = first;
    }
    this.logger[level](fields, text);
  }
}
