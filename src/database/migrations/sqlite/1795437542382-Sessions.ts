import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Sessions1795437542382 implements MigrationInterface {
  name = 'Sessions1795437542382';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "signing_keys" ("id" varchar(36) PRIMARY KEY NOT NULL, "algorithm" varchar(16) NOT NULL, "public_jwk" text NOT NULL, "private_key_encrypted" text NOT NULL, "created_at" datetime(3) NOT NULL, "retired_at" datetime(3))`);
    await queryRunner.query(`CREATE TABLE "sessions" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "user_id" varchar(36) NOT NULL, "refresh_hash" varchar(64) NOT NULL, "ip" varchar(45), "user_agent" varchar(255), "created_at" datetime(3) NOT NULL, "last_used_at" datetime(3) NOT NULL, "expires_at" datetime(3) NOT NULL, "ended_at" datetime(3), "end_reason" varchar(32))`);
    await queryRunner.query(`CREATE INDEX "ix_sessions_tenant_user" ON "sessions" ("tenant_id", "user_id", "created_at") `);
    await queryRunner.query(`CREATE INDEX "ix_sessions_user_active" ON "sessions" ("user_id", "ended_at", "last_used_at") `);
    await queryRunner.query(`CREATE TABLE "api_keys" ("user_id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "key_hash" varchar(64) NOT NULL, "created_at" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_hash" ON "api_keys" ("key_hash") `);
    await queryRunner.query(`CREATE TABLE "user_tfa" ("user_id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "secret_encrypted" text NOT NULL, "confirmed" boolean NOT NULL, "last_step" integer NOT NULL, "created_at" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE TABLE "recovery_codes" ("id" varchar(36) PRIMARY KEY NOT NULL, "user_id" varchar(36) NOT NULL, "code_hash" varchar(64) NOT NULL, "used_at" datetime(3))`);
    await queryRunner.query(`CREATE INDEX "ix_recovery_codes_user" ON "recovery_codes" ("user_id") `);
    await queryRunner.query(`CREATE TABLE "password_reset_tokens" ("id" varchar(36) PRIMARY KEY NOT NULL, "user_id" varchar(36) NOT NULL, "token_hash" varchar(64) NOT NULL, "expires_at" datetime(3) NOT NULL, "used_at" datetime(3))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_password_reset_tokens_hash" ON "password_reset_tokens" ("token_hash") `);
    await queryRunner.query(`DROP INDEX "ix_sessions_tenant_user"`);
    await queryRunner.query(`DROP INDEX "ix_sessions_user_active"`);
    await queryRunner.query(`CREATE TABLE "temporary_sessions" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "user_id" varchar(36) NOT NULL, "refresh_hash" varchar(64) NOT NULL, "ip" varchar(45), "user_agent" varchar(255), "created_at" datetime(3) NOT NULL, "last_used_at" datetime(3) NOT NULL, "expires_at" datetime(3) NOT NULL, "ended_at" datetime(3), "end_reason" varchar(32), CONSTRAINT "fk_sessions_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_sessions_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_sessions"("id", "tenant_id", "user_id", "refresh_hash", "ip", "user_agent", "created_at", "last_used_at", "expires_at", "ended_at", "end_reason") SELECT "id", "tenant_id", "user_id", "refresh_hash", "ip", "user_agent", "created_at", "last_used_at", "expires_at", "ended_at", "end_reason" FROM "sessions"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
    await queryRunner.query(`ALTER TABLE "temporary_sessions" RENAME TO "sessions"`);
    await queryRunner.query(`CREATE INDEX "ix_sessions_tenant_user" ON "sessions" ("tenant_id", "user_id", "created_at") `);
    await queryRunner.query(`CREATE INDEX "ix_sessions_user_active" ON "sessions" ("user_id", "ended_at", "last_used_at") `);
    await queryRunner.query(`DROP INDEX "uq_api_keys_hash"`);
    await queryRunner.query(`CREATE TABLE "temporary_api_keys" ("user_id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "key_hash" varchar(64) NOT NULL, "created_at" datetime(3) NOT NULL, CONSTRAINT "fk_api_keys_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_api_keys_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_api_keys"("user_id", "tenant_id", "key_hash", "created_at") SELECT "user_id", "tenant_id", "key_hash", "created_at" FROM "api_keys"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
    await queryRunner.query(`ALTER TABLE "temporary_api_keys" RENAME TO "api_keys"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_hash" ON "api_keys" ("key_hash") `);
    await queryRunner.query(`CREATE TABLE "temporary_user_tfa" ("user_id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "secret_encrypted" text NOT NULL, "confirmed" boolean NOT NULL, "last_step" integer NOT NULL, "created_at" datetime(3) NOT NULL, CONSTRAINT "fk_user_tfa_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_user_tfa"("user_id", "tenant_id", "secret_encrypted", "confirmed", "last_step", "created_at") SELECT "user_id", "tenant_id", "secret_encrypted", "confirmed", "last_step", "created_at" FROM "user_tfa"`);
    await queryRunner.query(`DROP TABLE "user_tfa"`);
    await queryRunner.query(`ALTER TABLE "temporary_user_tfa" RENAME TO "user_tfa"`);
    await queryRunner.query(`DROP INDEX "ix_recovery_codes_user"`);
    await queryRunner.query(`CREATE TABLE "temporary_recovery_codes" ("id" varchar(36) PRIMARY KEY NOT NULL, "user_id" varchar(36) NOT NULL, "code_hash" varchar(64) NOT NULL, "used_at" datetime(3), CONSTRAINT "fk_recovery_codes_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_recovery_codes"("id", "user_id", "code_hash", "used_at") SELECT "id", "user_id", "code_hash", "used_at" FROM "recovery_codes"`);
    await queryRunner.query(`DROP TABLE "recovery_codes"`);
    await queryRunner.query(`ALTER TABLE "temporary_recovery_codes" RENAME TO "recovery_codes"`);
    await queryRunner.query(`CREATE INDEX "ix_recovery_codes_user" ON "recovery_codes" ("user_id") `);
    await queryRunner.query(`DROP INDEX "uq_password_reset_tokens_hash"`);
    await queryRunner.query(`CREATE TABLE "temporary_password_reset_tokens" ("id" varchar(36) PRIMARY KEY NOT NULL, "user_id" varchar(36) NOT NULL, "token_hash" varchar(64) NOT NULL, "expires_at" datetime(3) NOT NULL, "used_at" datetime(3), CONSTRAINT "fk_password_reset_tokens_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_password_reset_tokens"("id", "user_id", "token_hash", "expires_at", "used_at") SELECT "id", "user_id", "token_hash", "expires_at", "used_at" FROM "password_reset_tokens"`);
    await queryRunner.query(`DROP TABLE "password_reset_tokens"`);
    await queryRunner.query(`ALTER TABLE "temporary_password_reset_tokens" RENAME TO "password_reset_tokens"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_password_reset_tokens_hash" ON "password_reset_tokens" ("token_hash") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_password_reset_tokens_hash"`);
    await queryRunner.query(`ALTER TABLE "password_reset_tokens" RENAME TO "temporary_password_reset_tokens"`);
    await queryRunner.query(`CREATE TABLE "password_reset_tokens" ("id" varchar(36) PRIMARY KEY NOT NULL, "user_id" varchar(36) NOT NULL, "token_hash" varchar(64) NOT NULL, "expires_at" datetime(3) NOT NULL, "used_at" datetime(3))`);
    await queryRunner.query(`INSERT INTO "password_reset_tokens"("id", "user_id", "token_hash", "expires_at", "used_at") SELECT "id", "user_id", "token_hash", "expires_at", "used_at" FROM "temporary_password_reset_tokens"`);
    await queryRunner.query(`DROP TABLE "temporary_password_reset_tokens"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_password_reset_tokens_hash" ON "password_reset_tokens" ("token_hash") `);
    await queryRunner.query(`DROP INDEX "ix_recovery_codes_user"`);
    await queryRunner.query(`ALTER TABLE "recovery_codes" RENAME TO "temporary_recovery_codes"`);
    await queryRunner.query(`CREATE TABLE "recovery_codes" ("id" varchar(36) PRIMARY KEY NOT NULL, "user_id" varchar(36) NOT NULL, "code_hash" varchar(64) NOT NULL, "used_at" datetime(3))`);
    await queryRunner.query(`INSERT INTO "recovery_codes"("id", "user_id", "code_hash", "used_at") SELECT "id", "user_id", "code_hash", "used_at" FROM "temporary_recovery_codes"`);
    await queryRunner.query(`DROP TABLE "temporary_recovery_codes"`);
    await queryRunner.query(`CREATE INDEX "ix_recovery_codes_user" ON "recovery_codes" ("user_id") `);
    await queryRunner.query(`ALTER TABLE "user_tfa" RENAME TO "temporary_user_tfa"`);
    await queryRunner.query(`CREATE TABLE "user_tfa" ("user_id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "secret_encrypted" text NOT NULL, "confirmed" boolean NOT NULL, "last_step" integer NOT NULL, "created_at" datetime(3) NOT NULL)`);
    await queryRunner.query(`INSERT INTO "user_tfa"("user_id", "tenant_id", "secret_encrypted", "confirmed", "last_step", "created_at") SELECT "user_id", "tenant_id", "secret_encrypted", "confirmed", "last_step", "created_at" FROM "temporary_user_tfa"`);
    await queryRunner.query(`DROP TABLE "temporary_user_tfa"`);
    await queryRunner.query(`DROP INDEX "uq_api_keys_hash"`);
    await queryRunner.query(`ALTER TABLE "api_keys" RENAME TO "temporary_api_keys"`);
    await queryRunner.query(`CREATE TABLE "api_keys" ("user_id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "key_hash" varchar(64) NOT NULL, "created_at" datetime(3) NOT NULL)`);
    await queryRunner.query(`INSERT INTO "api_keys"("user_id", "tenant_id", "key_hash", "created_at") SELECT "user_id", "tenant_id", "key_hash", "created_at" FROM "temporary_api_keys"`);
    await queryRunner.query(`DROP TABLE "temporary_api_keys"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_hash" ON "api_keys" ("key_hash") `);
    await queryRunner.query(`DROP INDEX "ix_sessions_user_active"`);
    await queryRunner.query(`DROP INDEX "ix_sessions_tenant_user"`);
    await queryRunner.query(`ALTER TABLE "sessions" RENAME TO "temporary_sessions"`);
    await queryRunner.query(`CREATE TABLE "sessions" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "user_id" varchar(36) NOT NULL, "refresh_hash" varchar(64) NOT NULL, "ip" varchar(45), "user_agent" varchar(255), "created_at" datetime(3) NOT NULL, "last_used_at" datetime(3) NOT NULL, "expires_at" datetime(3) NOT NULL, "ended_at" datetime(3), "end_reason" varchar(32))`);
    await queryRunner.query(`INSERT INTO "sessions"("id", "tenant_id", "user_id", "refresh_hash", "ip", "user_agent", "created_at", "last_used_at", "expires_at", "ended_at", "end_reason") SELECT "id", "tenant_id", "user_id", "refresh_hash", "ip", "user_agent", "created_at", "last_used_at", "expires_at", "ended_at", "end_reason" FROM "temporary_sessions"`);
    await queryRunner.query(`DROP TABLE "temporary_sessions"`);
    await queryRunner.query(`CREATE INDEX "ix_sessions_user_active" ON "sessions" ("user_id", "ended_at", "last_used_at") `);
    await queryRunner.query(`CREATE INDEX "ix_sessions_tenant_user" ON "sessions" ("tenant_id", "user_id", "created_at") `);
    await queryRunner.query(`DROP INDEX "uq_password_reset_tokens_hash"`);
    await queryRunner.query(`DROP TABLE "password_reset_tokens"`);
    await queryRunner.query(`DROP INDEX "ix_recovery_codes_user"`);
    await queryRunner.query(`DROP TABLE "recovery_codes"`);
    await queryRunner.query(`DROP TABLE "user_tfa"`);
    await queryRunner.query(`DROP INDEX "uq_api_keys_hash"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
    await queryRunner.query(`DROP INDEX "ix_sessions_user_active"`);
    await queryRunner.query(`DROP INDEX "ix_sessions_tenant_user"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
    await queryRunner.query(`DROP TABLE "signing_keys"`);
  }
}
