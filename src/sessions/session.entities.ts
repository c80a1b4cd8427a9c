import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { IdColumn, IdPrimaryColumn, TimestampColumn } from '../common/columns.js';
import { Tenant } from '../tenants/tenant.entity.js';
import { User } from '../users/user.entity.js';

/** ES256 keys that sign access tokens. Retired keys stay published until their tokens expire. */
@Entity('signing_keys')
export class SigningKey {
  /** The JWT `kid`. */
  @IdPrimaryColumn()
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  algorithm!: string;

  /** Public JWK as JSON. */
  @Column({ type: 'text' })
  publicJwk!: string;

  /** PKCS#8 PEM, encrypted with the service's encryption key. */
  @Column({ type: 'text' })
  privateKeyEncrypted!: string;

  @TimestampColumn()
  createdAt!: Date;

  /** Set when a newer key took over signing. */
  @TimestampColumn({ nullable: true })
  retiredAt!: Date | null;
}

/** A login: its refresh token (hashed) rotates on every refresh. */
@Entity('sessions')
@Index('ix_sessions_user_active', ['userId', 'endedAt', 'lastUsedAt'])
@Index('ix_sessions_tenant_user', ['tenantId', 'userId', 'createdAt'])
export class Session {
  @IdPrimaryColumn()
  id!: string;

  @IdColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_sessions_tenant' })
  tenant?: Tenant;

  @IdColumn()
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_sessions_user' })
  user?: User;

  /** sha256 of the current refresh token's secret. */
  @Column({ type: 'varchar', length: 64 })
  refreshHash!: string;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  userAgent!: string | null;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  lastUsedAt!: Date;

  @TimestampColumn()
  expiresAt!: Date;

  @TimestampColumn({ nullable: true })
  endedAt!: Date | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  endReason!: string | null;
}

/** A user's API key, stored as a hash: one key per user, replaced by reset-api-key. */
@Entity('api_keys')
@Index('uq_api_keys_hash', ['keyHash'], { unique: true })
export class ApiKey {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_api_keys_user' })
  user?: User;

  @IdColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_api_keys_tenant' })
  tenant?: Tenant;

  @Column({ type: 'varchar', length: 64 })
  keyHash!: string;

  @TimestampColumn()
  createdAt!: Date;
}

/** TOTP enrolment: the secret is encrypted; lastStep makes each code usable once. */
@Entity('user_tfa')
export class UserTfa {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_user_tfa_user' })
  user?: User;

  @IdColumn()
  tenantId!: string;

  @Column({ type: 'text' })
  secretEncrypted!: string;

  /** False between enroll and confirm. */
  @Column({ type: 'boolean' })
  confirmed!: boolean;

  /** The highest 30-second step a code was accepted for. */
  @Column({ type: 'int' })
  lastStep!: number;

  @TimestampColumn()
  createdAt!: Date;
}

@Entity('recovery_codes')
@Index('ix_recovery_codes_user', ['userId'])
export class RecoveryCode {
  @IdPrimaryColumn()
  id!: string;

  @IdColumn()
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_recovery_codes_user' })
  user?: User;

  @IdColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_recovery_codes_tenant' })
  tenant?: Tenant;

  /** HMAC-SHA256 of the code under the encryption key. */
  @Column({ type: 'varchar', length: 64 })
  codeHash!: string;

  @TimestampColumn({ nullable: true })
  usedAt!: Date | null;
}

@Entity('password_reset_tokens')
@Index('uq_password_reset_tokens_hash', ['tokenHash'], { unique: true })
export class PasswordResetToken {
  @IdPrimaryColumn()
  id!: string;

  @IdColumn()
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_password_reset_tokens_user' })
  user?: User;

  @IdColumn()
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_password_reset_tokens_tenant' })
  tenant?: Tenant;

  @Column({ type: 'varchar', length: 64 })
  tokenHash!: string;

  @TimestampColumn()
  expiresAt!: Date;

  @TimestampColumn({ nullable: true })
  usedAt!: Date | null;
}
