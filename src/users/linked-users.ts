import type { EntityManager } from 'typeorm';
import { slices } from '../database/tenant-rows.js';
import { User } from './user.entity.js';

/** A table linking users to a tenant's groups or plans, and its column naming the group or plan. */
export type UserLink = { table: 'user_groups'; column: 'group_id' } | { table: 'user_plans'; column: 'plan_id' };

export const GROUP_MEMBERS: UserLink = { table: 'user_groups', column: 'group_id' };
export const PLAN_HOLDERS: UserLink = { table: 'user_plans', column: 'plan_id' };

/*
 * A user's groups and plans are part of its representation, so when a membership or an
 * assignment changes, the user's version (its ETag) moves on and a stale If-Match fails.
 * Groups and plans share these two statements.
 */

/** Moves on the version of these users of the tenant. */
export async function touchUsers(tenantId: string, userIds: string[], now: Date, manager: EntityManager): Promise<void> {
  for (const ids of slices(userIds)) {
    await manager
      .createQueryBuilder()
      .update(User)
      .set({ version: () => 'version + 1', updatedAt: now })
      .where('tenant_id = :tenantId', { tenantId })
      .andWhere('id IN (:...ids)', { ids })
      .execute();
  }
}

/** Moves on the version of the tenant's users linked to one group or plan (before it goes). */
export async function touchUsersLinkedTo(tenantId: string, link: UserLink, id: string, now: Date, manager: EntityManager): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(User)
    .set({ version: () => 'version + 1', updatedAt: now })
    .where('tenant_id = :tenantId', { tenantId })
    .andWhere(`id IN (SELECT l.user_id FROM ${link.table} l WHERE l.tenant_id = :tenantId AND l.${link.column} = :linkedId)`, { linkedId: id })
    .execute();
}
