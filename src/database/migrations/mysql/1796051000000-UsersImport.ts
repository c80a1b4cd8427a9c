import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * For the bulk import (API.md section 12): users.imported_hash_digest, the SHA-256 of the
 * password hash an import last set, so running the same file again leaves alone a password
 * that was upgraded at login or changed since; audit_events.details, the counts of an import.
 */
export class UsersImport1796051000000 implements MigrationInterface {
  name = 'UsersImport1796051000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`imported_hash_digest\` varchar(64) NULL`);
    await queryRunner.query(`ALTER TABLE \`audit_events\` ADD \`details\` varchar(1000) NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`audit_events\` DROP COLUMN \`details\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`imported_hash_digest\``);
  }
}
