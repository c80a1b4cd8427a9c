import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1795436139379 implements MigrationInterface {
  name = 'Init1795436139379';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`tenants\` (\`id\` varchar(36) NOT NULL, \`slug\` varchar(63) NOT NULL, \`name\` varchar(200) NOT NULL, \`active\` tinyint NOT NULL, \`password_min_length\` int NOT NULL, \`lockout_threshold\` int NOT NULL, \`lockout_minutes\` int NOT NULL, \`sessions_limit_default\` int NULL, \`access_token_ttl_seconds\` int NOT NULL, \`refresh_token_ttl_seconds\` int NOT NULL, \`created_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_tenants_slug\` (\`slug\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`audit_events\` (\`id\` varchar(36) NOT NULL, \`tenant_id\` varchar(36) NULL, \`at\` datetime(3) NOT NULL, \`action\` varchar(64) NOT NULL, \`actor_type\` varchar(16) NOT NULL, \`actor_id\` varchar(36) NULL, \`target_type\` varchar(16) NOT NULL, \`target_id\` varchar(255) NULL, \`ip\` varchar(45) NULL, \`request_id\` varchar(128) NULL, INDEX \`ix_audit_events_tenant_target\` (\`tenant_id\`, \`target_id\`, \`id\`), INDEX \`ix_audit_events_tenant_actor\` (\`tenant_id\`, \`actor_id\`, \`id\`), INDEX \`ix_audit_events_tenant_action\` (\`tenant_id\`, \`action\`, \`id\`), INDEX \`ix_audit_events_tenant_id\` (\`tenant_id\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`operator_credentials\` (\`id\` varchar(32) NOT NULL, \`key_hash\` varchar(64) NOT NULL, \`created_at\` datetime(3) NOT NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`ALTER TABLE \`audit_events\` ADD CONSTRAINT \`fk_audit_events_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`audit_events\` DROP FOREIGN KEY \`fk_audit_events_tenant\``);
    await queryRunner.query(`DROP TABLE \`operator_credentials\``);
    await queryRunner.query(`DROP INDEX \`ix_audit_events_tenant_id\` ON \`audit_events\``);
    await queryRunner.query(`DROP INDEX \`ix_audit_events_tenant_action\` ON \`audit_events\``);
    await queryRunner.query(`DROP INDEX \`ix_audit_events_tenant_actor\` ON \`audit_events\``);
    await queryRunner.query(`DROP INDEX \`ix_audit_events_tenant_target\` ON \`audit_events\``);
    await queryRunner.query(`DROP TABLE \`audit_events\``);
    await queryRunner.query(`DROP INDEX \`uq_tenants_slug\` ON \`tenants\``);
    await queryRunner.query(`DROP TABLE \`tenants\``);
  }
}
