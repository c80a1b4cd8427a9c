import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { TenantContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { isUuid, newId } from '../common/ids.js';
import { Database, type UniqueRule } from '../database/database.service.js';
import type { RowLock } from '../database/tenant-rows.js';
import type { UserWithRelations } from '../users/dto/user-response.dto.js';
import type { User } from '../users/user.entity.js';
import { UsersRepository } from '../users/users.repository.js';
import { UsersService } from '../users/users.service.js';
import type { AssignPlanDto, CreatePlanDto, UpdatePlanDto } from './dto/plan.dto.js';
import { Plan } from './plan.entity.js';
import { PlansRepository } from './plans.repository.js';

const UNIQUE_RULES: UniqueRule[] = [
  { index: 'uq_plans_tenant_name', column: 'name', code: 'name_taken', detail: 'A plan with this name already exists' },
];

@Injectable()
export class PlansService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly users: UsersService,
    private readonly repository: PlansRepository,
    private readonly userRows: UsersRepository,
  ) {}

  async get(ctx: TenantContext, id: string): Promise<Plan> {
    return this.find(ctx.tenantId, id);
  }

  /** Oldest first (ids are time-ordered), keyset by id like the other lists. */
  async list(ctx: TenantContext, limit: number, after?: string): Promise<{ plans: Plan[]; nextCursor: string | null }> {
    const { rows, nextCursor } = await this.repository.page(ctx.tenantId, limit, after);
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
        await this.repository.insert(ctx.tenantId, plan, manager);
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
        const plan = await this.find(ctx.tenantId, id, manager, 'pessimistic_write');
        if (input.name !== undefined) plan.name = input.name;
        if (input.description !== undefined) plan.description = input.description;
        if (input.sessionsLimit !== undefined) plan.sessionsLimit = input.sessionsLimit;
        plan.updatedAt = new Date();
        await this.repository.update(
          ctx.tenantId,
          plan.id,
          { name: plan.name, description: plan.description, sessionsLimit: plan.sessionsLimit, updatedAt: plan.updatedAt },
          manager,
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
      const plan = await this.find(ctx.tenantId, id, manager);
      // Users first, then the plan: the order in which a user update takes its locks.
      await this.repository.touchHolders(ctx.tenantId, plan.id, new Date(), manager);
      if (!(await this.repository.remove(ctx.tenantId, plan.id, manager))) throw DomainError.notFound('Plan');
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
      const plan = await this.find(ctx.tenantId, input.planId, manager, 'pessimistic_read');
      const now = new Date();
      const validTo = input.validTo ?? null;
      const key = { userId: user.id, planId: plan.id };
      const existing = await this.repository.assignment(ctx.tenantId, key, manager);
      if (existing) await this.repository.setValidTo(ctx.tenantId, key, validTo, manager);
      else await this.repository.insertAssignment(ctx.tenantId, key, { validFrom: now, validTo }, manager);
      await this.repository.touchUser(ctx.tenantId, user.id, now, manager);
      await this.audit.recordFor(manager, ctx, 'user.plan_assigned', { type: 'user', id: user.id });
      return user.id;
    });
    return this.users.get(ctx, { id });
  }

  /** Ends the user's assignment of the plan; 404 when the user has none. */
  async unassign(ctx: TenantContext, userId: string, planId: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const user = await this.findUser(manager, ctx.tenantId, userId);
      const ended = isUuid(planId) && (await this.repository.removeAssignment(ctx.tenantId, { userId: user.id, planId }, manager));
      if (!ended) throw DomainError.notFound('Plan assignment');
      await this.repository.touchUser(ctx.tenantId, user.id, new Date(), manager);
      await this.audit.recordFor(manager, ctx, 'user.plan_removed', { type: 'user', id: user.id });
    });
  }

  /** The user, locked for the transaction so concurrent assignments of one user queue. */
  private async findUser(manager: EntityManager, tenantId: string, id: string): Promise<User> {
    const user = isUuid(id) ? await this.userRows.findForUpdate(tenantId, 'id', id, manager) : null;
    if (!user) throw DomainError.notFound('User');
    return user;
  }

  private async find(tenantId: string, id: string, manager?: EntityManager, lock?: RowLock): Promise<Plan> {
    const plan = await this.repository.find(tenantId, id, manager, lock);
    if (!plan) throw DomainError.notFound('Plan');
    return plan;
  }
}
