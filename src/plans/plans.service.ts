import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { TenantContext } from '../auth/request-context.js';
import { pageById } from '../common/pagination.js';
import { DomainError } from '../common/errors.js';
import { isUuid, newId } from '../common/ids.js';
import { Database, type UniqueRule } from '../database/database.service.js';
import type { UserWithRelations } from '../users/dto/user-response.dto.js';
import { UserPlan } from '../users/user-relations.entity.js';
import { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { AssignPlanDto, CreatePlanDto, UpdatePlanDto } from './dto/plan.dto.js';
import { Plan } from './plan.entity.js';

const UNIQUE_RULES: UniqueRule[] = [
  { index: 'uq_plans_tenant_name', column: 'name', code: 'name_taken', detail: 'A plan with this name already exists' },
];

/** MySQL row locks; SQLite needs none, its transactions are serialized by Database. */
type RowLock = 'pessimistic_write' | 'pessimistic_read';

@Injectable()
export class PlansService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly users: UsersService,
  ) {}

  async get(ctx: TenantContext, id: string): Promise<Plan> {
    return this.find(this.dataSource.manager, ctx.tenantId, id);
  }

  /** Oldest first (ids are time-ordered), keyset by id like the other lists. */
  async list(ctx: TenantContext, limit: number, after?: string): Promise<{ plans: Plan[]; nextCursor: string | null }> {
    const qb = this.dataSource.getRepository(Plan).createQueryBuilder('p').where('p.tenant_id = :tenantId', { tenantId: ctx.tenantId });
    const { rows, nextCursor } = await pageById(qb, limit, after);
    return { plans: rows, nextCursor };
  }

  async create(ctx: TenantContext, input: CreatePlanDto): Promise<Plan> {
    const now = new Date();
    const plan = Object.assign(new Plan(), {
      id: newId(),
      tenantId: ctx.tenantId,
      name: input.name,
      description: input.description ?? null,
      sessionsLimit: input.sessionsLimit ?? null,
      createdAt: now,
      updatedAt: now,
    } satisfies Omit<Plan, 'tenant'>);
    try {
      await this.db.transaction(async (manager) => {
        await manager.insert(Plan, plan);
        await this.audit.recordFor(manager, ctx, 'plan.created', { type: 'plan', id: plan.id });
      });
    } catch (error) {
      Database.rethrowUnique(error, UNIQUE_RULES);
    }
    return plan;
  }

  async update(ctx: TenantContext, id: string, input: UpdatePlanDto): Promise<Plan> {
    try {
      return await this.db.transaction(async (manager) => {
        const plan = await this.find(manager, ctx.tenantId, id, 'pessimistic_write');
        if (input.name !== undefined) plan.name = input.name;
        if (input.description !== undefined) plan.description = input.description;
        if (input.sessionsLimit !== undefined) plan.sessionsLimit = input.sessionsLimit;
        plan.updatedAt = new Date();
        await manager.update(
          Plan,
          { id: plan.id, tenantId: ctx.tenantId },
          { name: plan.name, description: plan.description, sessionsLimit: plan.sessionsLimit, updatedAt: plan.updatedAt },
        );
        await this.audit.recordFor(manager, ctx, 'plan.updated', { type: 'plan', id: plan.id });
        return plan;
      });
    } catch (error) {
      Database.rethrowUnique(error, UNIQUE_RULES);
    }
  }

  /**
   * The assignments go with the plan (user_plans cascades from plans). The assigned users'
   * representation loses the plan, so their version moves on and a stale If-Match fails.
   */
  async remove(ctx: TenantContext, id: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const plan = await this.find(manager, ctx.tenantId, id);
      // Users first, then the plan: the order in which a user update takes its locks.
      await manager
        .createQueryBuilder()
        .update(User)
        .set({ version: () => 'version + 1', updatedAt: new Date() })
        .where('tenant_id = :tenantId', { tenantId: ctx.tenantId })
        .andWhere('id IN (SELECT up.user_id FROM user_plans up WHERE up.tenant_id = :tenantId AND up.plan_id = :planId)', {
          planId: plan.id,
        })
        .execute();
      const result = await manager.delete(Plan, { id: plan.id, tenantId: ctx.tenantId });
      if (!result.affected) throw DomainError.notFound('Plan');
      await this.audit.recordFor(manager, ctx, 'plan.deleted', { type: 'plan', id: plan.id });
    });
  }


  /**
   * Adds the assignment (validFrom = now) or replaces the user's assignment of that plan
   * (validFrom kept, validTo replaced). Answers the user as GET /users/{id} would.
   */
  async assign(ctx: TenantContext, userId: string, input: AssignPlanDto): Promise<UserWithRelations> {
    const id = await this.db.transaction(async (manager) => {
      // The user, then the plan (shared: a concurrent delete of the plan waits): the order of a user update.
      const user = await this.findUser(manager, ctx.tenantId, userId);
      const plan = await this.find(manager, ctx.tenantId, input.planId, 'pessimistic_read');
      const now = new Date();
      const validTo = input.validTo ?? null;
      const where = { tenantId: ctx.tenantId, userId: user.id, planId: plan.id };
      const existing = await manager.findOneBy(UserPlan, where);
      if (existing) await manager.update(UserPlan, where, { validTo });
      else await manager.insert(UserPlan, { ...where, validFrom: now, validTo });
      await this.touchUser(manager, user, now);
      await this.audit.recordFor(manager, ctx, 'user.plan_assigned', { type: 'user', id: user.id });
      return user.id;
    });
    return this.users.get(ctx, { id });
  }

  /** Ends the user's assignment of the plan; 404 when the user has none. */
  async unassign(ctx: TenantContext, userId: string, planId: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const user = await this.findUser(manager, ctx.tenantId, userId);
      const result = isUuid(planId)
        ? await manager.delete(UserPlan, { tenantId: ctx.tenantId, userId: user.id, planId })
        : { affected: 0 };
      if (!result.affected) throw DomainError.notFound('Plan assignment');
      await this.touchUser(manager, user, new Date());
      await this.audit.recordFor(manager, ctx, 'user.plan_removed', { type: 'user', id: user.id });
    });
  }

  /** An assignment is part of the user's representation: it moves the version (ETag) on. */
  private async touchUser(manager: EntityManager, user: User, now: Date): Promise<void> {
    await manager.update(User, { id: user.id, tenantId: user.tenantId }, { version: user.version + 1, updatedAt: now });
  }

  /** The user, locked for the transaction so concurrent assignments of one user queue. */
  private async findUser(manager: EntityManager, tenantId: string, id: string): Promise<User> {
    if (!isUuid(id)) throw DomainError.notFound('User');
    const qb = manager
      .createQueryBuilder(User, 'u')
      .where('u.tenant_id = :tenantId', { tenantId })
      .andWhere('u.id = :id', { id });
    // SQLite transactions are serialized by Database, so only MySQL needs the row lock.
    if (!this.db.isSqlite) qb.setLock('pessimistic_write');
    const user = await qb.getOne();
    if (!user) throw DomainError.notFound('User');
    return user;
  }

  private async find(manager: EntityManager, tenantId: string, id: string, lock?: RowLock): Promise<Plan> {
    if (!isUuid(id)) throw DomainError.notFound('Plan');
    const qb = manager
      .createQueryBuilder(Plan, 'p')
      .where('p.tenant_id = :tenantId', { tenantId })
      .andWhere('p.id = :id', { id });
    // SQLite transactions are serialized by Database, so only MySQL needs the row lock.
    if (lock && !this.db.isSqlite) qb.setLock(lock);
    const plan = await qb.getOne();
    if (!plan) throw DomainError.notFound('Plan');
    return plan;
  }
}
