import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { TenantRowsRepository } from '../database/tenant-rows.js';
import { PLAN_HOLDERS, touchUsers, touchUsersLinkedTo } from '../users/linked-users.js';
import { UserPlan } from '../users/user-relations.entity.js';
import { Plan } from './plan.entity.js';

/** One user's assignment of one plan: the key of a user_plans row. */
export interface AssignmentKey {
  userId: string;
  planId: string;
}

/**
 * The plans table (one plan, a page of plans and the writes of one: TenantRowsRepository,
 * shared with groups) and the assignments of plans to users (user_plans), one at a time.
 * Tenant first in every method.
 */
@Injectable()
export class PlansRepository extends TenantRowsRepository<Plan> {
  constructor(dataSource: DataSource) {
    super(dataSource, Plan, 'p');
  }

  /** Moves on the version of the users the plan is assigned to (their representation lists it). */
  touchHolders(tenantId: string, planId: string, now: Date, manager: EntityManager): Promise<void> {
    return touchUsersLinkedTo(tenantId, PLAN_HOLDERS, planId, now, manager);
  }

  /** The user's assignment of the plan, or null. */
  assignment(tenantId: string, key: AssignmentKey, manager: EntityManager): Promise<UserPlan | null> {
    return manager.findOneBy(UserPlan, { tenantId, ...key });
  }

  async insertAssignment(tenantId: string, key: AssignmentKey, dates: Pick<UserPlan, 'validFrom' | 'validTo'>, manager: EntityManager): Promise<void> {
    await manager.insert(UserPlan, { tenantId, ...key, ...dates });
  }

  async setValidTo(tenantId: string, key: AssignmentKey, validTo: string | null, manager: EntityManager): Promise<void> {
    await manager.update(UserPlan, { tenantId, ...key }, { validTo });
  }

  /** Ends the user's assignment of the plan; false when there was none. */
  async removeAssignment(tenantId: string, key: AssignmentKey, manager: EntityManager): Promise<boolean> {
    const result = await manager.delete(UserPlan, { tenantId, ...key });
    return Boolean(result.affected);
  }

  /** An assignment is part of the user's representation: it moves the version (ETag) on. */
  touchUser(tenantId: string, userId: string, now: Date, manager: EntityManager): Promise<void> {
    return touchUsers(tenantId, [userId], now, manager);
  }
}
