import { Injectable } from '@nestjs/common';
import { actorOf, AuditService } from '../audit/audit.service.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { TenantContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { Database } from '../database/database.service.js';
import { TenantsService } from '../tenants/tenants.service.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../users/passwords.js';
import type { User } from '../users/user.entity.js';
import { UsersRepository } from '../users/users.repository.js';
import { LockoutService } from '../sessions/lockout.service.js';
import { SessionsService } from '../sessions/sessions.service.js';

export function userPrincipal(ctx: TenantContext): UserPrincipal {
  if (ctx.principal.kind !== 'user') throw new DomainError('forbidden', 'Only a user has a profile; the operator uses /api/v2/users');
  return ctx.principal;
}

@Injectable()
export class MeService {
  constructor(
    private readonly db: Database,
    private readonly users: UsersRepository,
    private readonly tenants: TenantsService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly lockout: LockoutService,
  ) {}

  async user(ctx: TenantContext): Promise<User> {
    const { userId } = userPrincipal(ctx);
    const user = await this.users.findOne(ctx.tenantId, 'id', userId);
    if (!user) throw new DomainError('invalid_credentials');
    return user;
  }

  /** Sets a new password, lifts a required reset, and ends every other session. */
  async changePassword(ctx: TenantContext, currentPassword: string, newPassword: string): Promise<void> {
    const principal = userPrincipal(ctx);
    const user = await this.user(ctx);
    // A stolen access token must not give unlimited guesses at the password: they count toward the lockout.
    const policy = await this.lockout.policyOf(ctx.tenantId);
    const outcome = await this.lockout.guess(
      policy,
      user.id,
      async () => (user.passwordHash && (await verifyPassword(user.passwordHash, currentPassword).catch(() => false)) ? 'right' : 'wrong'),
      { actor: actorOf(ctx), ip: ctx.ip, requestId: ctx.requestId },
    );
    if (outcome === 'locked') throw await this.lockout.refusal(policy, user.id);
    if (outcome !== 'right') throw DomainError.validation([{ field: 'currentPassword', message: 'is not the current password' }]);
    const tenant = await this.tenants.get(ctx.tenantId);
    checkPasswordPolicy(newPassword, tenant.passwordMinLength, 'newPassword');
    const passwordHash = await hashPassword(newPassword);
    await this.db.transaction(async (manager) => {
      await this.users.setOwnPassword(ctx.tenantId, user.id, passwordHash, false, manager);
      await this.sessions.endAllForUser(manager, user, 'password_changed', principal.sessionId ?? undefined);
      await this.audit.recordFor(manager, ctx, 'user.password_changed', { type: 'user', id: user.id });
    });
  }

  endOwnSession(ctx: TenantContext, sessionId: string): Promise<void> {
    return this.sessions.endSessionOf(ctx, userPrincipal(ctx).userId, sessionId);
  }
}
