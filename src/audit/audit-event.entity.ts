import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { IdColumn, IdPrimaryColumn, TimestampColumn } from '../common/columns.js';
import { Tenant } from '../tenants/tenant.entity.js';

/** One recorded change or sign-in. Ids are UUIDv7, so id order is time order. */
@Entity('audit_events')
@Index('ix_audit_events_tenant_id', ['tenantId', 'id'])
@Index('ix_audit_events_tenant_action', ['tenantId', 'action', 'id'])
@Index('ix_audit_events_tenant_actor', ['tenantId', 'actorId', 'id'])
@Index('ix_audit_events_tenant_target', ['tenantId', 'targetId', 'id'])
export class AuditEvent {
  @IdPrimaryColumn()
  id!: string;

  /** Null for operator-wide events, such as a tenant's deletion. */
  @IdColumn({ nullable: true })
  tenantId!: string | null;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_audit_events_tenant' })
  tenant?: Tenant;

  @TimestampColumn()
  at!: Date;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ type: 'varchar', length: 16 })
  actorType!: string;

  @IdColumn({ nullable: true })
  actorId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  targetType!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  targetId!: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  /** What an event that sums something up counted (an import's records), as JSON; null for the others. */
  @Column({ type: 'varchar', length: 1000, nullable: true })
  details!: string | null;
}
