import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { IdColumn, TimestampColumn } from '../common/columns.js';
import { Group } from '../groups/group.entity.js';
import { Plan } from '../plans/plan.entity.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { User } from './user.entity.js';

/*
 * The rows hanging off a user. Each carries tenant_id, so a query never has to trust a
 * user id alone, and cascades from both the user and the tenant.
 */

/** One entry of a user's IP allow-list, in the order the client sent them. */
@Entity('user_ip_whitelist')
export class UserIpWhitelistEntry {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  userId!: string;

  @PrimaryColumn({ type: 'int' })
  position!: number;

  @IdColumn()
  tenantId!: string;

  /** An IPv4/IPv6 address or CIDR, as sent. */
  @Column({ type: 'varchar', length: 64 })
  entry!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_user_ip_whitelist_user' })
  user?: User;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_user_ip_whitelist_tenant' })
  tenant?: Tenant;
}

@Entity('user_client_tags')
@Index('ix_user_client_tags_tenant_tag', ['tenantId', 'tag', 'userId'])
export class UserClientTag {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  tag!: string;

  @IdColumn()
  tenantId!: string;

  /** Keeps the order the client sent. */
  @Column({ type: 'int' })
  position!: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_user_client_tags_user' })
  user?: User;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_user_client_tags_tenant' })
  tenant?: Tenant;
}

@Entity('user_groups')
@Index('ix_user_groups_tenant_group', ['tenantId', 'groupId', 'userId'])
export class UserGroup {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 36 })
  groupId!: string;

  @IdColumn()
  tenantId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_user_groups_user' })
  user?: User;

  @ManyToOne(() => Group, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'group_id', foreignKeyConstraintName: 'fk_user_groups_group' })
  group?: Group;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_user_groups_tenant' })
  tenant?: Tenant;
}

/** A plan assignment: active from validFrom until the end of validTo (UTC). */
@Entity('user_plans')
@Index('ix_user_plans_tenant_plan', ['tenantId', 'planId', 'userId'])
export class UserPlan {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 36 })
  planId!: string;

  @IdColumn()
  tenantId!: string;

  @TimestampColumn()
  validFrom!: Date;

  /** YYYY-MM-DD, inclusive; null = open-ended. */
  @Column({ type: 'date', nullable: true, utc: true })
  validTo!: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_user_plans_user' })
  user?: User;

  @ManyToOne(() => Plan, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'plan_id', foreignKeyConstraintName: 'fk_user_plans_plan' })
  plan?: Plan;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_user_plans_tenant' })
  tenant?: Tenant;
}
