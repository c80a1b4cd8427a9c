import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1796044689491 implements MigrationInterface {
  name = 'Webhooks1796044689491';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "webhook_endpoints" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "url" varchar(2048) NOT NULL, "events" text NOT NULL, "active" boolean NOT NULL, "description" varchar(1000), "secret_encrypted" varchar(255) NOT NULL, "failing_since" datetime(3), "created_at" datetime(3) NOT NULL, "updated_at" datetime(3) NOT NULL, CONSTRAINT "fk_webhook_endpoints_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_endpoints_tenant" ON "webhook_endpoints" ("tenant_id", "id") `);
    await queryRunner.query(`CREATE TABLE "webhook_deliveries" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "endpoint_id" varchar(36) NOT NULL, "event_id" varchar(36) NOT NULL, "event_type" varchar(64) NOT NULL, "ordering_key" varchar(255) NOT NULL, "payload" text NOT NULL, "status" varchar(16) NOT NULL, "attempts" integer NOT NULL, "next_attempt_at" datetime(3) NOT NULL, "lease_until" datetime(3), "lease_owner" varchar(64), "last_attempt_at" datetime(3), "last_status_code" integer, "last_error" varchar(500), "created_at" datetime(3) NOT NULL, "updated_at" datetime(3) NOT NULL, CONSTRAINT "fk_webhook_deliveries_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_deliveries_endpoint" ON "webhook_deliveries" ("tenant_id", "endpoint_id", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_webhook_deliveries_order" ON "webhook_deliveries" ("endpoint_id", "ordering_key", "status", "id") `);
    await queryRunner.query(`CREATE INDEX "ix_webhook_deliveries_due" ON "webhook_deliveries" ("status", "next_attempt_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_webhook_deliveries_due"`);
    await queryRunner.query(`DROP INDEX "ix_webhook_deliveries_order"`);
    await queryRunner.query(`DROP INDEX "ix_webhook_deliveries_endpoint"`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP INDEX "ix_webhook_endpoints_tenant"`);
    await queryRunner.query(`DROP TABLE "webhook_endpoints"`);
  }
}
