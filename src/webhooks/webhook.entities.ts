import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { IdColumn, IdPrimaryColumn, TimestampColumn } from '../common/columns.js';
import { Tenant } from '../tenants/tenant.entity.js';

/** Keeps a JSON column's property as its text: stored as written, read back byte for byte. */
const JSON_TEXT = { to: (text: string): unknown => JSON.parse(text), from: (value: unknown): string => JSON.stringify(value) };

/** Where a tenant wants its events sent, and which ones. */
@Entity('webhook_endpoints')
@Index('ix_webhook_endpoints_tenant', ['tenantId', 'id'])
export class WebhookEndpoint {
  @IdPrimaryColumn()
  id!: string;

  @IdColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_webhook_endpoints_tenant' })
  tenant?: Tenant;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  /** A JSON array of patterns over audit action names (`user.*`, `group.created`, `*`). */
  @Column({
    type: 'text',
    transformer: {
      to: (value: string[] | undefined) => (value === undefined ? undefined : JSON.stringify(value)),
      from: (value: string | null) => (value ? (JSON.parse(value) as string[]) : []),
    },
  })
  events!: string[];

  @Column({ type: 'boolean' })
  active!: boolean;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description!: string | null;

  /** The signing secret (`whsec_…`), encrypted with the service's encryption key. */
  @Column({ type: 'varchar', length: 255 })
  secretEncrypted!: string;

  /** When the first of the failures since the last success happened; null while it succeeds. */
  @TimestampColumn({ nullable: true })
  failingSince!: Date | null;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * The outbox: one row per event and endpoint, written in the transaction of the change. The
 * dispatcher claims due rows with a lease (`leaseUntil`) so instances never send one attempt
 * at once. No foreign key to the endpoint: a change must never fail because an endpoint was
 * deleted in the same instant; deleting an endpoint deletes its deliveries itself.
 */
@Entity('webhook_deliveries')
@Index('ix_webhook_deliveries_due', ['status', 'nextAttemptAt'])
@Index('ix_webhook_deliveries_order', ['endpointId', 'orderingKey', 'status', 'id'])
@Index('ix_webhook_deliveries_endpoint', ['tenantId', 'endpointId', 'id'])
export class WebhookDelivery {
  @IdPrimaryColumn()
  id!: string;

  @IdColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_webhook_deliveries_tenant' })
  tenant?: Tenant;

  @IdColumn()
  endpointId!: string;

  /** The audit event delivered; also the `webhook-id` header, stable across retries. */
  @IdColumn()
  eventId!: string;

  @Column({ type: 'varchar', length: 64 })
  eventType!: string;

  /** Deliveries of one endpoint with the same key (the user, or the event's target) go out in order. */
  @Column({ type: 'varchar', length: 255 })
  orderingKey!: string;

  /**
   * The JSON body, as built when the change committed: the exact text signed and sent. A JSON
   * column, so it holds any size on both databases (on MariaDB a LONGTEXT with a validity
   * check, where TEXT's 64 KB would refuse the change of a user in about 1,500 groups).
   */
  @Column({ type: 'json', transformer: JSON_TEXT })
  payload!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: DeliveryStatus;

  @Column({ type: 'int' })
  attempts!: number;

  @TimestampColumn()
  nextAttemptAt!: Date;

  /** A claimed attempt belongs to its instance until then; past it, the attempt is another's to take. */
  @TimestampColumn({ nullable: true })
  leaseUntil!: Date | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  @TimestampColumn({ nullable: true })
  lastAttemptAt!: Date | null;

  @Column({ type: 'int', nullable: true })
  lastStatusCode!: number | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;
}

/** The columns of a delivery that is due now and has never been tried (a new one, or a redelivery). */
export function freshAttempt(now: Date) {
  return {
    status: 'pending' as const,
    attempts: 0,
    nextAttemptAt: now,
    leaseUntil: null,
    leaseOwner: null,
    lastAttemptAt: null,
    lastStatusCode: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
  };
}
