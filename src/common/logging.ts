import { RequestMethod } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config.js';

/**
 * JSON logs with the request id on every line. Credentials are redacted, and the query
 * string is dropped from logged URLs because filters carry e-mail addresses.
 */
export function loggerParams(config: AppConfig): Params {
  return {
    // Nest 12's route syntax: every path, including the root.
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    pinoHttp: {
      level: config.logLevel,
      genReqId: (req: IncomingMessage) => String((req as IncomingMessage & { id?: unknown }).id ?? ''),
      customAttributeKeys: { reqId: 'requestId' },
      // Every line logged while a request runs carries its id at the top level.
      customProps: (req: IncomingMessage) => ({ requestId: (req as IncomingMessage & { id?: unknown }).id }),
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-admin-key"]', 'req.headers.cookie', '*.password', '*.newPassword', '*.currentPassword'],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          path: String(req.url).split('?')[0],
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    },
  };
}
