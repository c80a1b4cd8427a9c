import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors.js';
import type { Principal } from './principal.js';

/** What a service needs to know about the caller: who, in which tenant, from where. */
export interface RequestContext {
  principal: Principal;
  /** The tenant the request acts in; null only on operator-wide routes. */
  tenantId: string | null;
  ip: string;
  requestId: string;
}

export interface TenantContext extends RequestContext {
  tenantId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    identityContext?: RequestContext;
  }
}

export function contextOf(request: FastifyRequest): RequestContext {
  if (!request.identityContext) throw new DomainError('unauthenticated');
  return request.identityContext;
}

/** The authenticated caller, set by AuthGuard. */
export const Ctx = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestContext => {
  return contextOf(ctx.switchToHttp().getRequest<FastifyRequest>());
});

/** The caller on a tenant-scoped route: tenantId is always set. */
export const TenantCtx = createParamDecorator((_: unknown, ctx: ExecutionContext): TenantContext => {
  const context = contextOf(ctx.switchToHttp().getRequest<FastifyRequest>());
  if (context.tenantId === null) throw new DomainError('tenant_header_required');
  return context as TenantContext;
});
