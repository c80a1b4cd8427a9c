import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import type { Permission } from '../auth/permissions.js';
import { IdColumn, IdPrimaryColumn, TimestampColumn } from '../common/columns.js';
import { Tenant } from '../tenants/tenant.entity.js';

/** A role: a named set of permissions that users join. */
@Entity('groups')
@Index('uq_groups_tenant_name', ['tenantId', 'name'], { unique: true })
@Index('uq_groups_tenant_external_id', ['tenantId', 'externalId'], { unique: true })
// See User: SQLite's case-insensitive lookups by name, written by hand in its migration.
@Index('ix_groups_tenant_lower_name', { synchronize: false })
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

  /**
   * The group's id in the customer's system (a SCIM client's externalId); unique per tenant when set.
   * Compared exactly, case and spaces included: on MySQL/MariaDB the column has a binary
   * collation without padding (migration ExactExternalIds), as SQLite compares text.
   */
  @Column({ type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;

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

  /** Bumped on every change, memberships included; the ETag of its SCIM representation. */
  @Column({ type: 'int', default: 1 })
  version!: number;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;
}
