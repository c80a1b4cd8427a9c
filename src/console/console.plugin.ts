import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The console's Content-Security-Policy: scripts, styles, images and API calls from this
 * origin only; no inline script or style, no plugin, no framing, no other origin.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** The folder `npm run build` writes the console to: `dist/console` under the package root. */
export function defaultConsoleDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // From dist/src/console/ the first package.json found is the package root's, as it is from src/console/.
  return join(dir, 'dist', 'console');
}

function notBuilt(reply: FastifyReply): FastifyReply {
  return reply
    .code(503)
    .type('application/problem+json')
    .send({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      code: 'console_not_built',
      detail: 'The console has not been built: run `npm run build`.',
      requestId: String(reply.request.id),
    });
}

/**
 * Serves the console at /console: hashed assets from `assets/` (brotli or gzip files written
 * beside them at build time, cached for a year), and `index.html` for every other path under
 * /console so the application's own routes survive a reload. The security headers go on these
 * responses only; the API's are left as they are.
 */
export async function registerConsole(fastify: FastifyInstance, directory = defaultConsoleDirectory()): Promise<void> {
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', (_request, reply, done) => {
      void reply.headers(SECURITY_HEADERS);
      done();
    });
    const indexFile = join(directory, 'index.html');
    if (!existsSync(indexFile)) {
      scope.get('/console', (_request, reply) => notBuilt(reply));
      scope.get('/console/*', (_request, reply) => notBuilt(reply));
      return;
    }
    const index = readFileSync(indexFile);
    await scope.register(fastifyStatic, {
      root: join(directory, 'assets'),
      prefix: '/console/assets/',
      decorateReply: false,
      preCompressed: true,
      index: false,
      serveDotFiles: false,
      // File names carry a content hash, so a file never changes under its name.
      cacheControl: true,
      maxAge: '365d',
      immutable: true,
    });
    const sendIndex = (_request: unknown, reply: FastifyReply): FastifyReply =>
      reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
    scope.get('/console', sendIndex);
    scope.get('/console/*', sendIndex);
  });
}
