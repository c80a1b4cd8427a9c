import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { IdColumn, IdPrimaryColumn, TimestampColumn } from '../common/columns.js';
import { Tenant } from '../tenants/tenant.entity.js';

/** A subscription plan users are assigned to. Routes arrive with the plans issue. */
@Entity('plans')
@Index('uq_plans_tenant_name', ['tenantId', 'name'], { unique: true })
export class Plan {
  @IdPrimaryColumn()
  id!: string;

  @IdColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_plans_tenant' })
  tenant?: Tenant;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description!: string | null;

  /** Null = the plan does not limit sessions. */
  @Column({ type: 'int', nullable: true })
  sessionsLimit!: number | null;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;
}
