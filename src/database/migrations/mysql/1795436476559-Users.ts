import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Users1795436476559 implements MigrationInterface {
  name = 'Users1795436476559';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`groups\` (\`id\` varchar(36) NOT NULL, \`tenant_id\` varchar(36) NOT NULL, \`name\` varchar(200) NOT NULL, \`description\` varchar(1000) NULL, \`permissions\` text NOT NULL, \`created_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_groups_tenant_name\` (\`tenant_id\`, \`name\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`plans\` (\`id\` varchar(36) NOT NULL, \`tenant_id\` varchar(36) NOT NULL, \`name\` varchar(200) NOT NULL, \`description\` varchar(1000) NULL, \`sessions_limit\` int NULL, \`created_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, UNIQUE INDEX \`uq_plans_tenant_name\` (\`tenant_id\`, \`name\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`users\` (\`id\` varchar(36) NOT NULL, \`tenant_id\` varchar(36) NOT NULL, \`external_id\` varchar(255) NULL, \`name\` varchar(200) NOT NULL, \`first_name\` varchar(100) NULL, \`last_name\` varchar(100) NULL, \`username\` varchar(100) NULL, \`email\` varchar(254) NOT NULL, \`phone\` varchar(16) NULL, \`active\` tinyint NOT NULL, \`admin\` tinyint NOT NULL, \`plan_admin\` tinyint NOT NULL, \`tfa\` tinyint NOT NULL, \`reset_password\` tinyint NOT NULL, \`reset_tfa\` tinyint NOT NULL, \`password_reset_allowed\` tinyint NOT NULL, \`can_view_masked_data\` tinyint NOT NULL, \`only_sees_readable\` tinyint NOT NULL, \`sessions_limit\` int NULL, \`password_hash\` varchar(255) NULL, \`version\` int NOT NULL, \`last_login_at\` datetime(3) NULL, \`last_action_at\` datetime(3) NULL, \`locked_until\` datetime(3) NULL, \`failed_logins\` int NOT NULL, \`created_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, INDEX \`ix_users_tenant_plan_admin_created\` (\`tenant_id\`, \`plan_admin\`, \`created_at\`, \`id\`), INDEX \`ix_users_tenant_admin_created\` (\`tenant_id\`, \`admin\`, \`created_at\`, \`id\`), INDEX \`ix_users_tenant_active_created\` (\`tenant_id\`, \`active\`, \`created_at\`, \`id\`), INDEX \`ix_users_tenant_last_login\` (\`tenant_id\`, \`last_login_at\`, \`id\`), INDEX \`ix_users_tenant_name\` (\`tenant_id\`, \`name\`, \`id\`), INDEX \`ix_users_tenant_created\` (\`tenant_id\`, \`created_at\`, \`id\`), UNIQUE INDEX \`uq_users_tenant_username\` (\`tenant_id\`, \`username\`), UNIQUE INDEX \`uq_users_tenant_external_id\` (\`tenant_id\`, \`external_id\`), UNIQUE INDEX \`uq_users_tenant_email\` (\`tenant_id\`, \`email\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`user_ip_whitelist\` (\`user_id\` varchar(36) NOT NULL, \`position\` int NOT NULL, \`tenant_id\` varchar(36) NOT NULL, \`entry\` varchar(64) NOT NULL, PRIMARY KEY (\`user_id\`, \`position\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`user_client_tags\` (\`user_id\` varchar(36) NOT NULL, \`tag\` varchar(64) NOT NULL, \`tenant_id\` varchar(36) NOT NULL, \`position\` int NOT NULL, INDEX \`ix_user_client_tags_tenant_tag\` (\`tenant_id\`, \`tag\`, \`user_id\`), PRIMARY KEY (\`user_id\`, \`tag\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`user_groups\` (\`user_id\` varchar(36) NOT NULL, \`group_id\` varchar(36) NOT NULL, \`tenant_id\` varchar(36) NOT NULL, INDEX \`ix_user_groups_tenant_group\` (\`tenant_id\`, \`group_id\`, \`user_id\`), PRIMARY KEY (\`user_id\`, \`group_id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`user_plans\` (\`user_id\` varchar(36) NOT NULL, \`plan_id\` varchar(36) NOT NULL, \`tenant_id\` varchar(36) NOT NULL, \`valid_from\` datetime(3) NOT NULL, \`valid_to\` date NULL, INDEX \`ix_user_plans_tenant_plan\` (\`tenant_id\`, \`plan_id\`, \`user_id\`), PRIMARY KEY (\`user_id\`, \`plan_id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`ALTER TABLE \`groups\` ADD CONSTRAINT \`fk_groups_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`plans\` ADD CONSTRAINT \`fk_plans_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`users\` ADD CONSTRAINT \`fk_users_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`user_ip_whitelist\` ADD CONSTRAINT \`fk_user_ip_whitelist_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`user_ip_whitelist\` ADD CONSTRAINT \`fk_user_ip_whitelist_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`user_client_tags\` ADD CONSTRAINT \`fk_user_client_tags_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`user_client_tags\` ADD CONSTRAINT \`fk_user_client_tags_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`user_groups\` ADD CONSTRAINT \`fk_user_groups_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`user_groups\` ADD CONSTRAINT \`fk_user_groups_group\` FOREIGN KEY (\`group_id\`) REFERENCES \`groups\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`user_groups\` ADD CONSTRAINT \`fk_user_groups_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`user_plans\` ADD CONSTRAINT \`fk_user_plans_user\` FOREIGN KEY (\`user_id\`) REFERENCES \`users\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`user_plans\` ADD CONSTRAINT \`fk_user_plans_plan\` FOREIGN KEY (\`plan_id\`) REFERENCES \`plans\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`user_plans\` ADD CONSTRAINT \`fk_user_plans_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`user_plans\` DROP FOREIGN KEY \`fk_user_plans_tenant\``);
    await queryRunner.query(`ALTER TABLE \`user_plans\` DROP FOREIGN KEY \`fk_user_plans_plan\``);
    await queryRunner.query(`ALTER TABLE \`user_plans\` DROP FOREIGN KEY \`fk_user_plans_user\``);
    await queryRunner.query(`ALTER TABLE \`user_groups\` DROP FOREIGN KEY \`fk_user_groups_tenant\``);
    await queryRunner.query(`ALTER TABLE \`user_groups\` DROP FOREIGN KEY \`fk_user_groups_group\``);
    await queryRunner.query(`ALTER TABLE \`user_groups\` DROP FOREIGN KEY \`fk_user_groups_user\``);
    await queryRunner.query(`ALTER TABLE \`user_client_tags\` DROP FOREIGN KEY \`fk_user_client_tags_tenant\``);
    await queryRunner.query(`ALTER TABLE \`user_client_tags\` DROP FOREIGN KEY \`fk_user_client_tags_user\``);
    await queryRunner.query(`ALTER TABLE \`user_ip_whitelist\` DROP FOREIGN KEY \`fk_user_ip_whitelist_tenant\``);
    await queryRunner.query(`ALTER TABLE \`user_ip_whitelist\` DROP FOREIGN KEY \`fk_user_ip_whitelist_user\``);
    await queryRunner.query(`ALTER TABLE \`users\` DROP FOREIGN KEY \`fk_users_tenant\``);
    await queryRunner.query(`ALTER TABLE \`plans\` DROP FOREIGN KEY \`fk_plans_tenant\``);
    await queryRunner.query(`ALTER TABLE \`groups\` DROP FOREIGN KEY \`fk_groups_tenant\``);
    await queryRunner.query(`DROP INDEX \`ix_user_plans_tenant_plan\` ON \`user_plans\``);
    await queryRunner.query(`DROP TABLE \`user_plans\``);
    await queryRunner.query(`DROP INDEX \`ix_user_groups_tenant_group\` ON \`user_groups\``);
    await queryRunner.query(`DROP TABLE \`user_groups\``);
    await queryRunner.query(`DROP INDEX \`ix_user_client_tags_tenant_tag\` ON \`user_client_tags\``);
    await queryRunner.query(`DROP TABLE \`user_client_tags\``);
    await queryRunner.query(`DROP TABLE \`user_ip_whitelist\``);
    await queryRunner.query(`DROP INDEX \`uq_users_tenant_email\` ON \`users\``);
    await queryRunner.query(`DROP INDEX \`uq_users_tenant_external_id\` ON \`users\``);
    await queryRunner.query(`DROP INDEX \`uq_users_tenant_username\` ON \`users\``);
    await queryRunner.query(`DROP INDEX \`ix_users_tenant_created\` ON \`users\``);
    await queryRunner.query(`DROP INDEX \`ix_users_tenant_name\` ON \`users\``);
    await queryRunner.query(`DROP INDEX \`ix_users_tenant_last_login\` ON \`users\``);
    await queryRunner.query(`DROP INDEX \`ix_users_tenant_active_created\` ON \`users\``);
    await queryRunner.query(`DROP INDEX \`ix_users_tenant_admin_created\` ON \`users\``);
    await queryRunner.query(`DROP INDEX \`ix_users_tenant_plan_admin_created\` ON \`users\``);
    await queryRunner.query(`DROP TABLE \`users\``);
    await queryRunner.query(`DROP INDEX \`uq_plans_tenant_name\` ON \`plans\``);
    await queryRunner.query(`DROP TABLE \`plans\``);
    await queryRunner.query(`DROP INDEX \`uq_groups_tenant_name\` ON \`groups\``);
    await queryRunner.query(`DROP TABLE \`groups\``);
  }
}
