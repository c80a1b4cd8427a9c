import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * recovery_codes and password_reset_tokens carry their tenant, as the other tables of a user's
 * credentials do, so each statement over them names the tenant on the row itself rather than
 * through users. Existing rows take their user's tenant.
 */
export class SecretsCarryTenant1796053000000 implements MigrationInterface {
  name = 'SecretsCarryTenant1796053000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['recovery_codes', 'password_reset_tokens']) {
      await queryRunner.query(`ALTER TABLE \`${table}\` ADD \`tenant_id\` varchar(36) NULL`);
      await queryRunner.query(`UPDATE \`${table}\` t INNER JOIN \`users\` u ON u.\`id\` = t.\`user_id\` SET t.\`tenant_id\` = u.\`tenant_id\``);
      await queryRunner.query(`ALTER TABLE \`${table}\` MODIFY \`tenant_id\` varchar(36) NOT NULL`);
      await queryRunner.query(`ALTER TABLE \`${table}\` ADD CONSTRAINT \`fk_${table}_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['password_reset_tokens', 'recovery_codes']) {
      await queryRunner.query(`ALTER TABLE \`${table}\` DROP FOREIGN KEY \`fk_${table}_tenant\``);
      await queryRunner.query(`ALTER TABLE \`${table}\` DROP COLUMN \`tenant_id\``);
    }
  }
}
