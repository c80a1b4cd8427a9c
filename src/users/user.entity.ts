import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { IdColumn, IdPrimaryColumn, TimestampColumn } from '../common/columns.js';
import { Tenant } from '../tenants/tenant.entity.js';

/**
 * A tenant's user. Every list sort and filter is served by an index that starts with
 * tenant_id and ends with id (InnoDB appends the primary key to each secondary index, and
 * the unique indexes are unique, so they need no id tie-breaker):
 * - sort createdAt / name / lastLoginAt: ix_users_tenant_created / _name / _last_login
 * - sort email, filter email: uq_users_tenant_email; filter externalId: uq_users_tenant_external_id
 * - filter active=1 / deactivated=1 with the default sort: ix_users_tenant_active_created
 * - filter admin=1 / planAdmin=1 (rare flags, so a scan of the created index would find few
 *   matches per page): ix_users_tenant_admin_created / ix_users_tenant_plan_admin_created
 * Filters by group, client tag and plan go through the join tables' (tenant_id, x, user_id)
 * indexes. Other combinations filter or sort a subset that an index has already narrowed.
 */
@Entity('users')
@Index('uq_users_tenant_email', ['tenantId', 'email'], { unique: true })
@Index('uq_users_tenant_external_id', ['tenantId', 'externalId'], { unique: true })
@Index('uq_users_tenant_username', ['tenantId', 'username'], { unique: true })
@Index('ix_users_tenant_created', ['tenantId', 'createdAt', 'id'])
@Index('ix_users_tenant_name', ['tenantId', 'name', 'id'])
@Index('ix_users_tenant_last_login', ['tenantId', 'lastLoginAt', 'id'])
@Index('ix_users_tenant_active_created', ['tenantId', 'active', 'createdAt', 'id'])
@Index('ix_users_tenant_admin_created', ['tenantId', 'admin', 'createdAt', 'id'])
@Index('ix_users_tenant_plan_admin_created', ['tenantId', 'planAdmin', 'createdAt', 'id'])
@Index('ix_users_manager', ['managerId'])
// SQLite compares case-insensitively through lower(name) (its name index is binary), and
// MariaDB through ix_users_tenant_name's case-insensitive collation; the expression index is
// written by hand in the SQLite migration, so the schema builder must leave it alone.
@Index('ix_users_tenant_lower_name', { synchronize: false })
export class User {
  @IdPrimaryColumn()
  id!: string;

  @IdColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_users_tenant' })
  tenant?: Tenant;

  /**
   * The user's id in the customer's own system; unique per tenant when set.
   * Compared exactly, case and spaces included: on MySQL/MariaDB the column has a binary
   * collation without padding (migration ExactExternalIds), as SQLite compares text.
   */
  @Column({ type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /**
   * Whether name was ever given a value of its own. Until then it is derived (firstName
   * lastName, else the local part of the email) and follows those fields as they change.
   */
  @Column({ type: 'boolean', default: true })
  nameExplicit!: boolean;

  @Column({ type: 'varchar', length: 100, nullable: true })
  firstName!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  lastName!: string | null;

  /** Case-insensitive: stored lower-cased, like email, so both databases agree on uniqueness. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  username!: string | null;

  /** Stored lower-cased. */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  /** Normalised: spaces, dashes, dots and brackets removed. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  phone!: string | null;

  @Column({ type: 'boolean' })
  active!: boolean;

  @Column({ type: 'boolean' })
  admin!: boolean;

  @Column({ type: 'boolean' })
  planAdmin!: boolean;

  @Column({ type: 'boolean' })
  tfa!: boolean;

  @Column({ type: 'boolean' })
  resetPassword!: boolean;

  @Column({ type: 'boolean' })
  resetTfa!: boolean;

  @Column({ type: 'boolean' })
  passwordResetAllowed!: boolean;

  @Column({ type: 'boolean' })
  canViewMaskedData!: boolean;

  @Column({ type: 'boolean' })
  onlySeesReadable!: boolean;

  /** Null = the plans' or the tenant's limit applies. */
  @Column({ type: 'int', nullable: true })
  sessionsLimit!: number | null;

  /** argon2id (PASSWORD_HASH_PARAMS); null until a password is set, and then login is refused. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  passwordHash!: string | null;

  /**
   * SHA-256 (hex) of the passwordHash an import last set: a later import of the same hash
   * leaves the password alone, so a re-run neither undoes the upgrade to argon2id at login
   * nor a password changed since.
   */
  @Column({ type: 'varchar', length: 64, nullable: true })
  importedHashDigest!: string | null;

  /** Bumped on every change; sent as the ETag and checked against If-Match. */
  @Column({ type: 'int' })
  version!: number;

  @TimestampColumn({ nullable: true })
  lastLoginAt!: Date | null;

  @TimestampColumn({ nullable: true })
  lastActionAt!: Date | null;

  @TimestampColumn({ nullable: true })
  lockedUntil!: Date | null;

  /*
   * The enterprise extension of SCIM (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User),
   * shown as `enterprise` through /api/v2.
   */
  @Column({ type: 'varchar', length: 100, nullable: true })
  employeeNumber!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  costCenter!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  organization!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  division!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  department!: string | null;

  /** Another user of the same tenant (checked on write); cleared when that user is deleted. */
  @Column({ type: 'varchar', length: 36, nullable: true })
  managerId!: string | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'manager_id', foreignKeyConstraintName: 'fk_users_manager' })
  manager?: User;

  /** Consecutive failed logins, for the tenant's lockout threshold. */
  @Column({ type: 'int' })
  failedLogins!: number;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;
}
