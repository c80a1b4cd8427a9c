import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1795436134631 implements MigrationInterface {
  name = 'Init1795436134631';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "tenants" ("id" varchar(36) PRIMARY KEY NOT NULL, "slug" varchar(63) NOT NULL, "name" varchar(200) NOT NULL, "active" boolean NOT NULL, "password_min_length" integer NOT NULL, "lockout_threshold" integer NOT NULL, "lockout_minutes" integer NOT NULL, "sessions_limit_default" integer, "access_token_ttl_seconds" integer NOT NULL, "refresh_token_ttl_seconds" integer NOT NULL, "created_at" datetime(3) NOT NULL, "updated_at" datetime(3) NOT NULL)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_tenants_slug" ON "tenants" ("slug") `);
    await queryRunner.query(`CREATE TABLE "audit_events" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36), "at" datetime(3) NOT NULL, "action" varchar(64) NOT NULL, "actor_type" varchar(16) NOT NULL, "actor_id" varchar(36), "target_type" varchar(16) NOT NULL, "target_id" varchar(255), "ip" varchar(45), "request_id" varchar(128))`);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_target" ON "audit_events" ("tenant_id", "target_id", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_actor" ON "audit_events" ("tenant_id", "actor_id", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_action" ON "audit_events" ("tenant_id", "action", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_id" ON "audit_events" ("tenant_id", "id") `);
    await queryRunner.query(`CREATE TABLE "operator_credentials" ("id" varchar(32) PRIMARY KEY NOT NULL, "key_hash" varchar(64) NOT NULL, "created_at" datetime(3) NOT NULL)`);
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_target"`);
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_actor"`);
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_action"`);
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_id"`);
    await queryRunner.query(`CREATE TABLE "temporary_audit_events" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36), "at" datetime(3) NOT NULL, "action" varchar(64) NOT NULL, "actor_type" varchar(16) NOT NULL, "actor_id" varchar(36), "target_type" varchar(16) NOT NULL, "target_id" varchar(255), "ip" varchar(45), "request_id" varchar(128), CONSTRAINT "fk_audit_events_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_audit_events"("id", "tenant_id", "at", "action", "actor_type", "actor_id", "target_type", "target_id", "ip", "request_id") SELECT "id", "tenant_id", "at", "action", "actor_type", "actor_id", "target_type", "target_id", "ip", "request_id" FROM "audit_events"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
    await queryRunner.query(`ALTER TABLE "temporary_audit_events" RENAME TO "audit_events"`);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_target" ON "audit_events" ("tenant_id", "target_id", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_actor" ON "audit_events" ("tenant_id", "actor_id", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_action" ON "audit_events" ("tenant_id", "action", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_id" ON "audit_events" ("tenant_id", "id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_id"`);
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_action"`);
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_actor"`);
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_target"`);
    await queryRunner.query(`ALTER TABLE "audit_events" RENAME TO "temporary_audit_events"`);
    await queryRunner.query(`CREATE TABLE "audit_events" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36), "at" datetime(3) NOT NULL, "action" varchar(64) NOT NULL, "actor_type" varchar(16) NOT NULL, "actor_id" varchar(36), "target_type" varchar(16) NOT NULL, "target_id" varchar(255), "ip" varchar(45), "request_id" varchar(128))`);
    await queryRunner.query(`INSERT INTO "audit_events"("id", "tenant_id", "at", "action", "actor_type", "actor_id", "target_type", "target_id", "ip", "request_id") SELECT "id", "tenant_id", "at", "action", "actor_type", "actor_id", "target_type", "target_id", "ip", "request_id" FROM "temporary_audit_events"`);
    await queryRunner.query(`DROP TABLE "temporary_audit_events"`);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_id" ON "audit_events" ("tenant_id", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_action" ON "audit_events" ("tenant_id", "action", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_actor" ON "audit_events" ("tenant_id", "actor_id", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_audit_events_tenant_target" ON "audit_events" ("tenant_id", "target_id", "id") `);
    await queryRunner.query(`DROP TABLE "operator_credentials"`);
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_id"`);
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_action"`);
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_actor"`);
    await queryRunner.query(`DROP INDEX "ix_audit_events_tenant_target"`);
    await queryRunner.query(`DROP TABLE "audit_events"`);
    await queryRunner.query(`DROP INDEX "uq_tenants_slug"`);
    await queryRunner.query(`DROP TABLE "tenants"`);
  }
}
