import type { MigrationInterface, QueryRunner } from 'typeorm';
import { renameAuditActions } from '../data/audit-action-names.js';

export class AuditActionNames1796032537361 implements MigrationInterface {
  name = 'AuditActionNames1796032537361';

  async up(queryRunner: QueryRunner): Promise<void> {
    await renameAuditActions(queryRunner, 'up');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await renameAuditActions(queryRunner, 'down');
  }
}
