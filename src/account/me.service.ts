import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { actorOf, AuditService } from '../audit/audit.service.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { TenantContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { Database } from '../database/database.service.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../users/passwords.js';
import { User } from '../users/user.entity.js';
import { LockoutService } from '../sessions/lockout.service.js';
import { SessionsService } from '../sessions/sessions.service.js';

export function userPrincipal(ctx: TenantContext): UserPrincipal {
  if (ctx.principal.kind !== 'user') throw new DomainError('forbidden', 'Only a user has a profile; the operator uses /api/v2/users');
  return ctx.principal;
}

@Injectable()
export class MeService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly db: Database,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly lockout: LockoutService,
  ) {}

  async user(ctx: TenantContext): Promise<User> {
    const { userId } = userPrincipal(ctx);
    const user = await this.dataSource.getRepository(User).findOneBy({ id: userId, tenantId: ctx.tenantId });
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
    const tenant = await this.dataSource.getRepository(Tenant).findOneByOrFail({ id: ctx.tenantId });
    checkPasswordPolicy(newPassword, tenant.passwordMinLength, 'newPassword');
    const passwordHash = await hashPassword(newPassword);
    await this.db.transaction(async (manager) => {
      await manager.update(User, { id: user.id }, { passwordHash, resetPassword: false, version: () => 'version + 1', updatedAt: new Date() });
      await this.sessions.endAllForUser(manager, user, 'password_changed', principal.sessionId ?? undefined);
      await this.audit.recordFor(manager, ctx, 'user.password_changed', { type: 'user', id: user.id });
    });
  }

  endOwnSession(ctx: TenantContext, sessionId: string): Promise<void> {
    return this.sessions.endSessionOf(ctx, userPrincipal(ctx).userId, sessionId);
  }
}
