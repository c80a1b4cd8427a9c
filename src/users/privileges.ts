import { type EntityManager, In, Not } from 'typeorm';
import type { TenantContext } from '../auth/request-context.js';
import { DomainError } from '../common/errors.js';
import { Group } from '../groups/group.entity.js';
import type { UserInputDto } from './dto/user.dto.js';
import { UserGroup } from './user-relations.entity.js';
import { User } from './user.entity.js';

/** Flags only an admin or the operator may change (API.md section 2). */
const PRIVILEGED_FLAGS = ['admin', 'planAdmin', 'canViewMaskedData'] as const;

/**
 * The privilege guard: a caller that is neither the operator nor an admin may not change a
 * privileged flag, nor put a user into a group holding a permission it lacks itself.
 * Values a user already has are no grant, so resending them is allowed.
 */
export async function assertMayGrant(manager: EntityManager, ctx: TenantContext, input: UserInputDto, current: User | null): Promise<void> {
  const { principal } = ctx;
  if (principal.kind === 'operator' || principal.admin) return;
  for (const flag of PRIVILEGED_FLAGS) {
    const wanted = input[flag];
    if (wanted !== undefined && wanted !== (current?.[flag] ?? false)) {
      throw new DomainError('forbidden', `Only an admin may set ${flag}`);
    }
  }
  if (!input.groups?.length) return;
  const held = current
    ? new Set((await manager.find(UserGroup, { where: { userId: current.id }, select: { groupId: true } })).map((g) => g.groupId))
    : new Set<string>();
  const added = input.groups.filter((id) => !held.has(id));
  if (added.length === 0) return;
  const groups = await manager.find(Group, { where: { tenantId: ctx.tenantId, id: In(added) } });
  const lacking = new Set(groups.flatMap((g) => g.permissions).filter((p) => !principal.permissions.has(p)));
  if (lacking.size > 0) {
    throw new DomainError('forbidden', `A group grants permissions the caller lacks: ${[...lacking].sort().join(', ')}`);
  }
}

/** A tenant keeps at least one admin: the last one cannot lose the flag. */
export async function assertKeepsAnAdmin(manager: EntityManager, user: User, input: UserInputDto): Promise<void> {
  if (input.admin !== false || !user.admin) return;
  const others = await manager.count(User, { where: { tenantId: user.tenantId, admin: true, id: Not(user.id) } });
  if (others === 0) throw new DomainError('last_admin', 'This is the last admin of the tenant; make another admin first');
}
