import type { FastifyRequest } from 'fastify';
import type { UserPrincipal } from './principal.js';

/**
 * Turns an `Authorization: Bearer` credential (access token or API key) into a principal,
 * or throws a 401 DomainError. Implemented by `sessions/bearer-resolver.ts`.
 */
export interface BearerResolver {
  resolve(credential: string, request: FastifyRequest): Promise<UserPrincipal>;
}

export const BEARER_RESOLVER = Symbol('BEARER_RESOLVER');
