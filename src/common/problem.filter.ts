import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_FORMAT, type ErrorFormat } from './error-format.js';
import { DomainError, ERROR_CATALOGUE, type ErrorCode, type FieldError } from './errors.js';
import { problemType } from './problem-types.js';
import { maskEmailsIn } from './masking.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
  requestId: string;
}

const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_failed',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/** Driver errors that mean the database cannot be reached right now. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'SQLITE_BUSY',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  // 1047 from a Galera node that is not part of the primary component (or still joining).
  'ER_UNKNOWN_COM_ERROR',
]);

/** TypeORM's own errors for a pool that is closed or not connected. */
const UNAVAILABLE_NAMES = new Set([
  'CannotExecuteNotConnectedError',
  'ConnectionIsNotSetError',
  'DriverNotConnectedError',
  'PoolClosedError',
]);

function isUnavailable(error: unknown): boolean {
  let current: unknown = error;
  if (error instanceof Error && UNAVAILABLE_NAMES.has(error.name)) return true;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && /connect(ion)? (timeout|lost|refused)|pool is closed|connection is not open|not connected|not established|no connection/i.test(message)) return true;
    current = (current as { driverError?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A server fault's message as it may be logged: a database driver's message quotes the values
 * it refused (MariaDB's "Duplicate entry 'ann@example.com' for key ...", "Incorrect string
 * value: '\\xF0...'"), which may be an e-mail, a hash or another masked value. Every quoted
 * literal is replaced (and an unquoted e-mail address masked), so a log line keeps what failed
 * and where, never the data.
 */
export function redactLiterals(text: string): string {
  return text.replace(/'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"/g, "'…'");
}

/** The error as a log line names it: its type, its message without literals, and where it was thrown. */
export function loggableError(exception: unknown): { type: string; message: string; stack?: string } {
  const err = exception instanceof Error ? exception : new Error(typeof exception === 'string' ? exception : 'non-error thrown');
  const message = maskEmailsIn(redactLiterals(err.message));
  const stack = err.stack?.startsWith(`${err.name}: ${err.message}`)
    ? `${err.name}: ${message}${err.stack.slice(err.name.length + 2 + err.message.length)}`
    : err.stack?.split('\n').filter((line) => /^\s+at /.test(line)).join('\n');
  return { type: err.name, message, ...(stack ? { stack } : {}) };
}

/** Turns every error into application/problem+json; never leaks a stack or a driver message. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  constructor(@Inject(ERROR_FORMAT) private readonly format: ErrorFormat) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { problem, headers } = this.toProblem(exception, String(request.id));
    if (problem.status >= 500) {
      this.logger.error({ err: loggableError(exception), requestId: request.id }, 'request failed');
    }
    if (this.format.claims(request.url)) {
      const { status, contentType, body } = this.format.render({ ...problem, code: problem.code as ErrorCode });
      void reply
        .status(status)
        .headers({ 'content-type': contentType, 'x-request-id': String(request.id), ...headers })
        .send(JSON.stringify(body));
      return;
    }
    void reply
      .status(problem.status)
      .headers({ 'content-type': 'application/problem+json; charset=utf-8', 'x-request-id': String(request.id), ...headers })
      .send(JSON.stringify(problem));
  }

  private toProblem(exception: unknown, requestId: string): { problem: Problem; headers: Record<string, string> } {
    if (exception instanceof DomainError) {
      return { problem: build(exception.code, exception.message, requestId, exception.errors), headers: exception.headers ?? {} };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = STATUS_CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
      const headers: Record<string, string> = {};
      if (status === 429) headers['retry-after'] = '60';
      return { problem: build(code, httpDetail(exception, code), requestId, undefined, status), headers };
    }
    const fastifyStatus = fastifyErrorStatus(exception);
    if (fastifyStatus !== undefined) {
      const code = STATUS_CODES[fastifyStatus] ?? 'bad_request';
      return { problem: build(code, fastifyDetail(exception, code), requestId, undefined, fastifyStatus), headers: {} };
    }
    if (isUnavailable(exception)) {
      return { problem: build('service_unavailable', 'The database is unavailable; try again shortly', requestId), headers: { 'retry-after': '5' } };
    }
    return { problem: build('internal_error', 'An unexpected error occurred', requestId), headers: {} };
  }
}

function build(code: ErrorCode, detail: string, requestId: string, errors?: FieldError[], status?: number): Problem {
  const entry = ERROR_CATALOGUE[code];
  const problem: Problem = {
    type: problemType(code),
    title: entry.title,
    status: status ?? entry.status,
    code,
    detail,
    requestId,
  };
  if (errors) problem.errors = errors;
  return problem;
}

function httpDetail(exception: HttpException, code: ErrorCode): string {
  const response = exception.getResponse();
  if (code === 'not_found') return 'No such resource';
  if (code === 'unsupported_media_type') return 'Send the body as application/json';
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  return ERROR_CATALOGUE[code].title;
}

/** Errors raised by Fastify itself before a handler runs (body parsing, size, content type). */
function fastifyErrorStatus(exception: unknown): number | undefined {
  if (!exception || typeof exception !== 'object') return undefined;
  const { code, statusCode } = exception as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' && statusCode < 500) {
    return statusCode;
  }
  return undefined;
}

function fastifyDetail(exception: unknown, code: ErrorCode): string {
  const fstCode = (exception as { code: string }).code;
  if (fstCode === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'The request body is larger than the limit';
  if (fstCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'Send the body as application/json';
  if (fstCode === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'The JSON body is empty';
  if (code === 'bad_request') return 'The request body is not valid JSON';
  return ERROR_CATALOGUE[code].title;
}

/** The problem+json body a domain error answers with, for answers that carry several (an import's lines). */
export function domainProblem(error: DomainError, requestId: string): Problem {
  return build(error.code, error.message, requestId, error.errors);
}
