import type { FastifyRequest } from 'fastify';

/** Who is signing in, for the session row and the audit trail. */
export interface Client {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

export function clientOf(request: FastifyRequest): Client {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent : null, requestId: String(request.id) };
}
