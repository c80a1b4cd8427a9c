import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import type { Permission } from '../auth/permissions.js';
import { IdColumn, IdPrimaryColumn, TimestampColumn } from '../common/columns.js';
import { Tenant } from '../tenants/tenant.entity.js';

/** A role: a named set of permissions that users join. Routes arrive with the groups issue. */
@Entity('groups')
@Index('uq_groups_tenant_name', ['tenantId', 'name'], { unique: true })
export class Group {
  @IdPrimaryColumn()
  id!: string;

  @IdColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_groups_tenant' })
  tenant?: Tenant;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description!: string | null;

  /** A JSON array of permission names; portable across both databases. */
  @Column({
    type: 'text',
    transformer: {
      to: (value: Permission[] | undefined) => (value === undefined ? undefined : JSON.stringify(value)),
      from: (value: string | null) => (value ? (JSON.parse(value) as Permission[]) : []),
    },
  })
  permissions!: Permission[];

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;
}
