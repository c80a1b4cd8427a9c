import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import qs from 'qs';
import { AppModule } from './app.module.js';
import { CanonicalIdParamPipe } from './common/ids.js';
import { registerConsole } from './console/console.plugin.js';
import { activity } from './common/idle-collector.js';
import { acceptJsonOnly, acceptRecordStreams, limitBodyTime } from './common/json-body.js';
import { NestLogger, RequestLog, createLogger } from './common/logging.js';
import { setupSwagger } from './common/swagger.js';
import { canonicalScimUrl } from './scim/scim-paths.js';
import { validationPipe } from './common/validation.js';
import type { AppConfig } from './config/app-config.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's X-Request-Id is kept when it is sane; otherwise the service makes one. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Builds the application exactly as it serves, for main.ts and the tests alike. */
export async function createApp(config: AppConfig, options: { logs?: boolean } = {}): Promise<NestFastifyApplication> {
  const logger = createLogger(options.logs === false ? { ...config, logLevel: 'silent' } : config);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new RequestLog(),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    genReqId: requestId,
    // Idle and half-sent connections are cut (API.md section 3): no headers within
    // headersTimeoutMs (checked each second), no next request on a kept-alive connection
    // within 5 s, and no byte either way for 2 min; bodies get limitBodyTime. Node's own
    // requestTimeout stays off: it would also cut an import still streaming its records.
    http: { headersTimeout: config.operations.headersTimeoutMs, connectionsCheckingInterval: 1000 },
    keepAliveTimeout: 5000,
    connectionTimeout: 120_000,
    rewriteUrl: (req: IncomingMessage) => canonicalScimUrl(req.url ?? '/'),
    routerOptions: {
      // filter[name]=x arrives as { filter: { name: 'x' } }; nothing deeper is accepted.
      querystringParser: (text: string) => qs.parse(text, { depth: 1, parameterLimit: 100, arrayLimit: 20 }),
    },
  });
  // JSON is the only body this API reads; anything else is a 415.
  acceptJsonOnly(adapter.getInstance());
  acceptRecordStreams(adapter.getInstance());
  limitBodyTime(adapter.getInstance(), config.operations.requestTimeoutMs);
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    activity.requests += 1;
    void reply.header('x-request-id', String(request.id));
    done();
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    // Nest's parsers would add form-encoded bodies; acceptJsonOnly has set the only one.
    bodyParser: false,
    bufferLogs: true,
    logger: options.logs === false ? false : undefined,
  });
  if (options.logs !== false) app.useLogger(new NestLogger(logger));
  app.useGlobalPipes(new CanonicalIdParamPipe(), validationPipe());
  setupSwagger(app);
  await registerConsole(adapter.getInstance());
  // process.exit rather than re-raising the signal, so exit handlers run: pino flushes its
  // last lines and `node --cpu-prof` writes its profile.
  app.enableShutdownHooks(undefined, { useProcessExit: true });
  await app.init();
  return app;
}
