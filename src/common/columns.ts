import { Column, type ColumnOptions, PrimaryColumn } from 'typeorm';

/** UUID primary key stored as text so both databases compare and sort it alike. */
export function IdPrimaryColumn(): PropertyDecorator {
  return PrimaryColumn({ type: 'varchar', length: 36 });
}

export function IdColumn(options: Omit<ColumnOptions, 'type' | 'length'> = {}): PropertyDecorator {
  return Column({ type: 'varchar', length: 36, ...options });
}

/** Millisecond timestamps, stored as UTC. */
export function TimestampColumn(options: Omit<ColumnOptions, 'type' | 'precision'> = {}): PropertyDecorator {
  return Column({ type: 'datetime', precision: 3, ...options });
}
