import { Column, Entity, Index } from 'typeorm';
import { IdPrimaryColumn, TimestampColumn } from '../common/columns.js';

@Entity('tenants')
export class Tenant {
  @IdPrimaryColumn()
  id!: string;

  @Index('uq_tenants_slug', { unique: true })
  @Column({ type: 'varchar', length: 63 })
  slug!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'boolean' })
  active!: boolean;

  @Column({ type: 'int' })
  passwordMinLength!: number;

  @Column({ type: 'int' })
  lockoutThreshold!: number;

  @Column({ type: 'int' })
  lockoutMinutes!: number;

  @Column({ type: 'int', nullable: true })
  sessionsLimitDefault!: number | null;

  @Column({ type: 'int' })
  accessTokenTtlSeconds!: number;

  @Column({ type: 'int' })
  refreshTokenTtlSeconds!: number;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  updatedAt!: Date;
}

export const DEFAULT_TENANT_SETTINGS = {
  passwordMinLength: 8,
  lockoutThreshold: 5,
  lockoutMinutes: 15,
  sessionsLimitDefault: null,
  accessTokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 2_592_000,
} as const;
