import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Scim1796033777544 implements MigrationInterface {
  name = 'Scim1796033777544';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_groups_tenant_name"`);
    await queryRunner.query(`CREATE TABLE "temporary_groups" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "name" varchar(200) NOT NULL, "description" varchar(1000), "permissions" text NOT NULL, "created_at" datetime(3) NOT NULL, "updated_at" datetime(3) NOT NULL, "external_id" varchar(255), "version" integer NOT NULL DEFAULT (1), CONSTRAINT "fk_groups_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_groups"("id", "tenant_id", "name", "description", "permissions", "created_at", "updated_at") SELECT "id", "tenant_id", "name", "description", "permissions", "created_at", "updated_at" FROM "groups"`);
    await queryRunner.query(`DROP TABLE "groups"`);
    await queryRunner.query(`ALTER TABLE "temporary_groups" RENAME TO "groups"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_groups_tenant_name" ON "groups" ("tenant_id", "name") `);
    await queryRunner.query(`DROP INDEX "uq_users_tenant_email"`);
    await queryRunner.query(`DROP INDEX "uq_users_tenant_external_id"`);
    await queryRunner.query(`DROP INDEX "uq_users_tenant_username"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_created"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_name"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_last_login"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_active_created"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_admin_created"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_plan_admin_created"`);
    await queryRunner.query(`CREATE TABLE "temporary_users" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "external_id" varchar(255), "name" varchar(200) NOT NULL, "first_name" varchar(100), "last_name" varchar(100), "username" varchar(100), "email" varchar(254) NOT NULL, "phone" varchar(16), "active" boolean NOT NULL, "admin" boolean NOT NULL, "plan_admin" boolean NOT NULL, "tfa" boolean NOT NULL, "reset_password" boolean NOT NULL, "reset_tfa" boolean NOT NULL, "password_reset_allowed" boolean NOT NULL, "can_view_masked_data" boolean NOT NULL, "only_sees_readable" boolean NOT NULL, "sessions_limit" integer, "password_hash" varchar(255), "version" integer NOT NULL, "last_login_at" datetime(3), "last_action_at" datetime(3), "locked_until" datetime(3), "failed_logins" integer NOT NULL, "created_at" datetime(3) NOT NULL, "updated_at" datetime(3) NOT NULL, "employee_number" varchar(100), "cost_center" varchar(100), "organization" varchar(200), "division" varchar(200), "department" varchar(200), "manager_id" varchar(36), CONSTRAINT "fk_users_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_users"("id", "tenant_id", "external_id", "name", "first_name", "last_name", "username", "email", "phone", "active", "admin", "plan_admin", "tfa", "reset_password", "reset_tfa", "password_reset_allowed", "can_view_masked_data", "only_sees_readable", "sessions_limit", "password_hash", "version", "last_login_at", "last_action_at", "locked_until", "failed_logins", "created_at", "updated_at") SELECT "id", "tenant_id", "external_id", "name", "first_name", "last_name", "username", "email", "phone", "active", "admin", "plan_admin", "tfa", "reset_password", "reset_tfa", "password_reset_allowed", "can_view_masked_data", "only_sees_readable", "sessions_limit", "password_hash", "version", "last_login_at", "last_action_at", "locked_until", "failed_logins", "created_at", "updated_at" FROM "users"`);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`ALTER TABLE "temporary_users" RENAME TO "users"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_tenant_email" ON "users" ("tenant_id", "email") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_tenant_external_id" ON "users" ("tenant_id", "external_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_tenant_username" ON "users" ("tenant_id", "username") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_created" ON "users" ("tenant_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_name" ON "users" ("tenant_id", "name", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_last_login" ON "users" ("tenant_id", "last_login_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_active_created" ON "users" ("tenant_id", "active", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_admin_created" ON "users" ("tenant_id", "admin", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_plan_admin_created" ON "users" ("tenant_id", "plan_admin", "created_at", "id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_groups_tenant_external_id" ON "groups" ("tenant_id", "external_id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_manager" ON "users" ("manager_id") `);
    await queryRunner.query(`DROP INDEX "uq_users_tenant_email"`);
    await queryRunner.query(`DROP INDEX "uq_users_tenant_external_id"`);
    await queryRunner.query(`DROP INDEX "uq_users_tenant_username"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_created"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_name"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_last_login"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_active_created"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_admin_created"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_plan_admin_created"`);
    await queryRunner.query(`DROP INDEX "ix_users_manager"`);
    await queryRunner.query(`CREATE TABLE "temporary_users" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "external_id" varchar(255), "name" varchar(200) NOT NULL, "first_name" varchar(100), "last_name" varchar(100), "username" varchar(100), "email" varchar(254) NOT NULL, "phone" varchar(16), "active" boolean NOT NULL, "admin" boolean NOT NULL, "plan_admin" boolean NOT NULL, "tfa" boolean NOT NULL, "reset_password" boolean NOT NULL, "reset_tfa" boolean NOT NULL, "password_reset_allowed" boolean NOT NULL, "can_view_masked_data" boolean NOT NULL, "only_sees_readable" boolean NOT NULL, "sessions_limit" integer, "password_hash" varchar(255), "version" integer NOT NULL, "last_login_at" datetime(3), "last_action_at" datetime(3), "locked_until" datetime(3), "failed_logins" integer NOT NULL, "created_at" datetime(3) NOT NULL, "updated_at" datetime(3) NOT NULL, "employee_number" varchar(100), "cost_center" varchar(100), "organization" varchar(200), "division" varchar(200), "department" varchar(200), "manager_id" varchar(36), CONSTRAINT "fk_users_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_users_manager" FOREIGN KEY ("manager_id") REFERENCES "users" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_users"("id", "tenant_id", "external_id", "name", "first_name", "last_name", "username", "email", "phone", "active", "admin", "plan_admin", "tfa", "reset_password", "reset_tfa", "password_reset_allowed", "can_view_masked_data", "only_sees_readable", "sessions_limit", "password_hash", "version", "last_login_at", "last_action_at", "locked_until", "failed_logins", "created_at", "updated_at", "employee_number", "cost_center", "organization", "division", "department", "manager_id") SELECT "id", "tenant_id", "external_id", "name", "first_name", "last_name", "username", "email", "phone", "active", "admin", "plan_admin", "tfa", "reset_password", "reset_tfa", "password_reset_allowed", "can_view_masked_data", "only_sees_readable", "sessions_limit", "password_hash", "version", "last_login_at", "last_action_at", "locked_until", "failed_logins", "created_at", "updated_at", "employee_number", "cost_center", "organization", "division", "department", "manager_id" FROM "users"`);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`ALTER TABLE "temporary_users" RENAME TO "users"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_tenant_email" ON "users" ("tenant_id", "email") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_tenant_external_id" ON "users" ("tenant_id", "external_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_tenant_username" ON "users" ("tenant_id", "username") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_created" ON "users" ("tenant_id", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_name" ON "users" ("tenant_id", "name", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_last_login" ON "users" ("tenant_id", "last_login_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_active_created" ON "users" ("tenant_id", "active", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_admin_created" ON "users" ("tenant_id", "admin", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_plan_admin_created" ON "users" ("tenant_id", "plan_admin", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_manager" ON "users" ("manager_id") `);
    // Written by hand (the entities declare them with synchronize: false): SCIM compares
    // displayName case-insensitively, and SQLite's binary name indexes cannot serve lower(name) = ?.
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_lower_name" ON "users" ("tenant_id", lower("name"))`);
    await queryRunner.query(`CREATE INDEX "ix_groups_tenant_lower_name" ON "groups" ("tenant_id", lower("name"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Each table is rebuilt as a new table renamed into place, never by renaming the live one
    // away: SQLite would rewrite the other tables' foreign keys to follow the renamed table.
    await queryRunner.query(`DROP INDEX "ix_groups_tenant_lower_name"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_lower_name"`);
    await queryRunner.query(`DROP INDEX "ix_users_manager"`);
    await queryRunner.query(`DROP INDEX "uq_groups_tenant_external_id"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_plan_admin_created"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_admin_created"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_active_created"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_last_login"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_name"`);
    await queryRunner.query(`DROP INDEX "ix_users_tenant_created"`);
    await queryRunner.query(`DROP INDEX "uq_users_tenant_username"`);
    await queryRunner.query(`DROP INDEX "uq_users_tenant_external_id"`);
    await queryRunner.query(`DROP INDEX "uq_users_tenant_email"`);
    await queryRunner.query(`CREATE TABLE "temporary_users" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "external_id" varchar(255), "name" varchar(200) NOT NULL, "first_name" varchar(100), "last_name" varchar(100), "username" varchar(100), "email" varchar(254) NOT NULL, "phone" varchar(16), "active" boolean NOT NULL, "admin" boolean NOT NULL, "plan_admin" boolean NOT NULL, "tfa" boolean NOT NULL, "reset_password" boolean NOT NULL, "reset_tfa" boolean NOT NULL, "password_reset_allowed" boolean NOT NULL, "can_view_masked_data" boolean NOT NULL, "only_sees_readable" boolean NOT NULL, "sessions_limit" integer, "password_hash" varchar(255), "version" integer NOT NULL, "last_login_at" datetime(3), "last_action_at" datetime(3), "locked_until" datetime(3), "failed_logins" integer NOT NULL, "created_at" datetime(3) NOT NULL, "updated_at" datetime(3) NOT NULL, CONSTRAINT "fk_users_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_users"("id", "tenant_id", "external_id", "name", "first_name", "last_name", "username", "email", "phone", "active", "admin", "plan_admin", "tfa", "reset_password", "reset_tfa", "password_reset_allowed", "can_view_masked_data", "only_sees_readable", "sessions_limit", "password_hash", "version", "last_login_at", "last_action_at", "locked_until", "failed_logins", "created_at", "updated_at") SELECT "id", "tenant_id", "external_id", "name", "first_name", "last_name", "username", "email", "phone", "active", "admin", "plan_admin", "tfa", "reset_password", "reset_tfa", "password_reset_allowed", "can_view_masked_data", "only_sees_readable", "sessions_limit", "password_hash", "version", "last_login_at", "last_action_at", "locked_until", "failed_logins", "created_at", "updated_at" FROM "users"`);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`ALTER TABLE "temporary_users" RENAME TO "users"`);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_plan_admin_created" ON "users" ("tenant_id", "plan_admin", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_admin_created" ON "users" ("tenant_id", "admin", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_active_created" ON "users" ("tenant_id", "active", "created_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_last_login" ON "users" ("tenant_id", "last_login_at", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_name" ON "users" ("tenant_id", "name", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_users_tenant_created" ON "users" ("tenant_id", "created_at", "id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_tenant_username" ON "users" ("tenant_id", "username") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_tenant_external_id" ON "users" ("tenant_id", "external_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_tenant_email" ON "users" ("tenant_id", "email") `);
    await queryRunner.query(`DROP INDEX "uq_groups_tenant_name"`);
    await queryRunner.query(`CREATE TABLE "temporary_groups" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "name" varchar(200) NOT NULL, "description" varchar(1000), "permissions" text NOT NULL, "created_at" datetime(3) NOT NULL, "updated_at" datetime(3) NOT NULL, CONSTRAINT "fk_groups_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_groups"("id", "tenant_id", "name", "description", "permissions", "created_at", "updated_at") SELECT "id", "tenant_id", "name", "description", "permissions", "created_at", "updated_at" FROM "groups"`);
    await queryRunner.query(`DROP TABLE "groups"`);
    await queryRunner.query(`ALTER TABLE "temporary_groups" RENAME TO "groups"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_groups_tenant_name" ON "groups" ("tenant_id", "name")`);
  }
}
