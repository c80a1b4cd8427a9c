import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Sessions1795437550521 implements MigrationInterface {
  name = 'Sessions1795437550521';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`signing_keys\` (\`id\` varchar(36) NOT NULL, \`algorithm\` varchar(16) NOT NULL, \`public_jwk\` text NOT NULL, \`private_key_encrypted\` text NOT NULL, \`created_at\` datetime(3) NOT NULL, \`retired_at\` datetime(3) NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`sessions\` (\`id\` varchar(36) NOT NULL, \`tenant_id\` varchar(36) NOT NULL, \`user_id\` varchar(36) NOT NULL, \`refresh_hash\` varchar(64) NOT NULL, \`ip\` varchar(45) NULL, \`user_agent\` varchar(255) NULL, \`created_at\` datetime(3) NOT NULL, \`last_used_at\` datetime(3) NOT NULL, \`expires_at\` datetime(3) NOT NULL, \`ended_at\` datetime(3) NULL, \`end_reason\` varchar(32) NULL, INDEX \`ix_sessions_tenant_user\` (\`tenant_id\`, \`user_id\`, \`created_at\`), INDEX \`ix_sessions_user_active\` (\`user_id\`, \`ended_at\`, \`last_used_at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`api_keys\` (\`user_id\` varchar(36) NOT NULL, \`tenant_id\` varchar(36) NOT NULL, \`key_hash\` varchar(64) NOT NULL, \`created_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_api_keys_hash\` (\`key_hash\`), PRIMARY KEY (\`user_id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`user_tfa\` (\`user_id\` varchar(36) NOT NULL, \`tenant_id\` varchar(36) NOT NULL, \`secret_encrypted\` text NOT NULL, \`confirmed\` tinyint NOT NULL, \`last_step\` int NOT NULL, \`created_at\` datetime(3) NOT NULL, PRIMARY KEY (\`user_id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`recovery_codes\` (\`id\` varchar(36) NOT NULL, \`user_id\` varchar(36) NOT NULL, \`code_hash\` varchar(64) NOT NULL, \`used_at\` datetime(3) NULL, INDEX \`ix_recovery_codes_user\` (\`user_id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`password_reset_tokens\` (\`id\` varchar(36) NOT NULL, \`user_id\` varchar(36) NOT NULL, \`token_hash\` varchar(64) NOT NULL, \`expires_at\` datetime(3) NOT NULL, \`used_at\` datetime(3) NULL, UNIQUE INDEX \`uq_password_reset_tokens_hash\` (\`token_hash\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`ALTER TABLE \`sessions\` ADD CONSTRAINT \`fk_sessions_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`sessions\` ADD CONSTRAINT \`fk_sessions_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`api_keys\` ADD CONSTRAINT \`fk_api_keys_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`api_keys\` ADD CONSTRAINT \`fk_api_keys_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`user_tfa\` ADD CONSTRAINT \`fk_user_tfa_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`recovery_codes\` ADD CONSTRAINT \`fk_recovery_codes_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`password_reset_tokens\` ADD CONSTRAINT \`fk_password_reset_tokens_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`password_reset_tokens\` DROP FOREIGN KEY \`fk_password_reset_tokens_user\``);
    await queryRunner.query(`ALTER TABLE \`recovery_codes\` DROP FOREIGN KEY \`fk_recovery_codes_user\``);
    await queryRunner.query(`ALTER TABLE \`user_tfa\` DROP FOREIGN KEY \`fk_user_tfa_user\``);
    await queryRunner.query(`ALTER TABLE \`api_keys\` DROP FOREIGN KEY \`fk_api_keys_tenant\``);
    await queryRunner.query(`ALTER TABLE \`api_keys\` DROP FOREIGN KEY \`fk_api_keys_user\``);
    await queryRunner.query(`ALTER TABLE \`sessions\` DROP FOREIGN KEY \`fk_sessions_user\``);
    await queryRunner.query(`ALTER TABLE \`sessions\` DROP FOREIGN KEY \`fk_sessions_tenant\``);
    await queryRunner.query(`DROP INDEX \`uq_password_reset_tokens_hash\` ON \`password_reset_tokens\``);
    await queryRunner.query(`DROP TABLE \`password_reset_tokens\``);
    await queryRunner.query(`DROP INDEX \`ix_recovery_codes_user\` ON \`recovery_codes\``);
    await queryRunner.query(`DROP TABLE \`recovery_codes\``);
    await queryRunner.query(`DROP TABLE \`user_tfa\``);
    await queryRunner.query(`DROP INDEX \`uq_api_keys_hash\` ON \`api_keys\``);
    await queryRunner.query(`DROP TABLE \`api_keys\``);
    await queryRunner.query(`DROP INDEX \`ix_sessions_user_active\` ON \`sessions\``);
    await queryRunner.query(`DROP INDEX \`ix_sessions_tenant_user\` ON \`sessions\``);
    await queryRunner.query(`DROP TABLE \`sessions\``);
    await queryRunner.query(`DROP TABLE \`signing_keys\``);
  }
}
