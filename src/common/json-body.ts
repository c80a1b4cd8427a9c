import type { FastifyInstance } from 'fastify';
import { DomainError } from './errors.js';

/** Deeper JSON is refused: nothing the API reads nests half as deep, and deep input costs recursion downstream. */
export const MAX_JSON_DEPTH = 32;

/** Whether a parsed JSON value nests objects or arrays deeper than `limit` (the top level is 1), without recursion. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * JSON is the only body the API reads: Fastify's own JSON parser (prototype poisoning
 * refused), with the nesting limit, and no other parser. A form-encoded or text body is
 * then a 415, as is anything else that is not JSON; JSON that is not an object or a list
 * (`null`, a string, a number) is a 400. SCIM clients label the same JSON
 * application/scim+json (RFC 7644).
 */
export function acceptJsonOnly(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(['application/json', 'application/scim+json'], { parseAs: 'string' }, (request, body, done) => {
    void parse(request, String(body), (error: Error | null, value?: unknown) => {
      if (error) return done(error, undefined);
      // Every body the API reads is an object (or a list); `null` would reach a route as no body at all.
      if (value === null || typeof value !== 'object') return done(new DomainError('bad_request', 'The JSON body must be an object'), undefined);
      if (nestsDeeperThan(value, MAX_JSON_DEPTH)) return done(new DomainError('bad_request', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      done(null, value);
    });
  });
}

/** Routes that read their body as a stream of records, however large (API.md section 12). */
export const RECORD_STREAM_ROUTES: ReadonlySet<string> = new Set(['/api/v2/users/import']);

/**
 * NDJSON and CSV reach the routes that stream records unread: the handler gets the request
 * stream and reads it a record at a time (no body limit applies; the route bounds each
 * record instead). To any other route they remain a 415.
 */
export function acceptRecordStreams(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(['application/x-ndjson', 'text/csv'], (request, payload, done) => {
    if (!RECORD_STREAM_ROUTES.has(request.routeOptions.url ?? '')) {
      return done(new DomainError('unsupported_media_type', 'Send the body as application/json'), undefined);
    }
    done(null, payload);
  });
}

/**
 * A body must have arrived `ms` after its headers, or the connection is answered 408 and
 * closed, as Node's requestTimeout does (a client trickling its body holds a socket and a
 * parser). Bodies here are at most the body limit; the routes that stream records read for
 * as long as records come, bounded by the connection's silence timeout instead.
 */
export function limitBodyTime(fastify: FastifyInstance, ms: number): void {
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    const { headers } = request;
    const hasBody = headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined;
    if (!hasBody || RECORD_STREAM_ROUTES.has(request.routeOptions.url ?? '')) return done(null, payload);
    const timer = setTimeout(() => {
      const { socket } = request.raw;
      if (!socket.destroyed) socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroySoon();
    }, ms);
    timer.unref();
    const stop = (): void => clearTimeout(timer);
    payload.once('end', stop);
    payload.once('close', stop);
    reply.raw.once('close', stop);
    done(null, payload);
  });
}
