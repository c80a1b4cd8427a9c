import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors.js';
import { canonicalId, isUuid } from '../common/ids.js';
import { TenantsService } from '../tenants/tenants.service.js';
import { ACCESS_RULE, ALLOW_RESTRICTED, type AccessRule } from './access.decorators.js';
import { BEARER_RESOLVER, type BearerResolver } from './bearer-resolver.port.js';
import { OperatorKeyService } from './operator-key.service.js';
import { hasPermission, type Principal, type Restriction } from './principal.js';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The one global guard. Routes are closed unless they declare an AccessRule; it
 * authenticates the caller, fixes the tenant the request acts in, and checks the permission.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly operatorKeys: OperatorKeyService,
    private readonly tenants: TenantsService,
    @Inject(BEARER_RESOLVER) private readonly bearer: BearerResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!rule) throw new DomainError('forbidden', 'This route declares no permission');
    if (rule.kind === 'public') return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticate(request);
    let tenantId: string | null = null;

    if (rule.kind === 'operator') {
      if (principal.kind !== 'operator') throw new DomainError('forbidden', 'Only the operator may do this');
    } else if (rule.kind === 'authenticated' && rule.usersOnly && principal.kind === 'operator') {
      throw new DomainError('forbidden', 'Only a signed-in user has an account of its own; the operator uses /api/v2/users');
    } else {
      tenantId = await this.tenantOf(principal, canonicalId(header(request, 'x-tenant-id')));
      if (rule.kind === 'permission' && !hasPermission(principal, rule.permission)) {
        throw new DomainError('forbidden', `This needs the ${rule.permission} permission`);
      }
    }

    if (principal.kind === 'user' && principal.restrictedTo.length > 0) this.checkRestriction(context, principal.restrictedTo);

    request.identityContext = { principal, tenantId, ip: request.ip, requestId: String(request.id) };
    return true;
  }

  private checkRestriction(context: ExecutionContext, restrictedTo: readonly Restriction[]): void {
    const allowed =
      this.reflector.getAllAndOverride<Restriction[] | undefined>(ALLOW_RESTRICTED, [context.getHandler(), context.getClass()]) ?? [];
    if (restrictedTo.some((r) => allowed.includes(r))) return;
    if (restrictedTo.includes('tfa')) {
      throw new DomainError('tfa_enrollment_required', 'Enrol two-factor authentication first: POST /api/v2/me/tfa/enroll');
    }
    throw new DomainError('password_change_required', 'Change the password first: POST /api/v2/me/password');
  }

  private async authenticate(request: FastifyRequest): Promise<Principal> {
    const adminKey = header(request, 'x-admin-key');
    if (adminKey !== undefined) {
      if (!this.operatorKeys.verify(adminKey)) throw new DomainError('invalid_credentials', 'The admin key is not valid');
      return { kind: 'operator' };
    }
    const authorization = header(request, 'authorization');
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match?.[1]) throw new DomainError('invalid_credentials', 'The bearer credential is not valid');
      return this.bearer.resolve(match[1], request);
    }
    throw new DomainError('unauthenticated', 'Send X-Admin-Key or Authorization: Bearer');
  }

  /** The operator names its tenant; a user's tenant is its own, and naming another is a 404. */
  private async tenantOf(principal: Principal, requested: string | undefined): Promise<string> {
    if (principal.kind === 'operator') {
      if (requested === undefined) throw new DomainError('tenant_header_required', 'Name the tenant with X-Tenant-Id');
      const tenant = await this.tenants.findByRef(requested);
      if (!tenant) throw DomainError.notFound('Tenant');
      return tenant.id;
    }
    if (requested !== undefined && requested !== principal.tenantId) {
      const named = isUuid(requested) ? null : await this.tenants.findByRef(requested);
      if (named?.id !== principal.tenantId) throw DomainError.notFound('Tenant');
    }
    return principal.tenantId;
  }
}
