import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Scim1796033777544 implements MigrationInterface {
  name = 'Scim1796033777544';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`groups\` ADD \`external_id\` varchar(255) NULL`);
    await queryRunner.query(`ALTER TABLE \`groups\` ADD \`version\` int NOT NULL DEFAULT '1'`);
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`employee_number\` varchar(100) NULL`);
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`cost_center\` varchar(100) NULL`);
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`organization\` varchar(200) NULL`);
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`division\` varchar(200) NULL`);
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`department\` varchar(200) NULL`);
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`manager_id\` varchar(36) NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX \`uq_groups_tenant_external_id\` ON \`groups\` (\`tenant_id\`, \`external_id\`)`);
    await queryRunner.query(`CREATE INDEX \`ix_users_manager\` ON \`users\` (\`manager_id\`)`);
    await queryRunner.query(`ALTER TABLE \`users\` ADD CONSTRAINT \`fk_users_manager\` FOREIGN KEY (\`manager_id\`) REFERENCES \`users\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`users\` DROP FOREIGN KEY \`fk_users_manager\``);
    await queryRunner.query(`DROP INDEX \`ix_users_manager\` ON \`users\``);
    await queryRunner.query(`DROP INDEX \`uq_groups_tenant_external_id\` ON \`groups\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`manager_id\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`department\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`division\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`organization\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`cost_center\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`employee_number\``);
    await queryRunner.query(`ALTER TABLE \`groups\` DROP COLUMN \`version\``);
    await queryRunner.query(`ALTER TABLE \`groups\` DROP COLUMN \`external_id\``);
  }
}
