import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TimestampColumn } from '../common/columns.js';

/** The hash of a generated operator key; the key itself is shown once and never stored. */
@Entity('operator_credentials')
export class OperatorCredential {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  keyHash!: string;

  @TimestampColumn()
  createdAt!: Date;
}
