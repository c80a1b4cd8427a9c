import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The table with `payload` of the given type; SQLite changes a column's type by rebuilding its table. */
async function rebuild(queryRunner: QueryRunner, payloadType: 'json' | 'text'): Promise<void> {
  await queryRunner.query('DROP INDEX "ix_webhook_deliveries_due"');
  await queryRunner.query('DROP INDEX "ix_webhook_deliveries_order"');
  await queryRunner.query('DROP INDEX "ix_webhook_deliveries_endpoint"');
  await queryRunner.query(
    `CREATE TABLE "temporary_webhook_deliveries" ("id" varchar(36) PRIMARY KEY NOT NULL, "tenant_id" varchar(36) NOT NULL, "endpoint_id" varchar(36) NOT NULL, "event_id" varchar(36) NOT NULL, "event_type" varchar(64) NOT NULL, "ordering_key" varchar(255) NOT NULL, "payload" ${payloadType} NOT NULL, "status" varchar(16) NOT NULL, "attempts" integer NOT NULL, "next_attempt_at" datetime(3) NOT NULL, "lease_until" datetime(3), "lease_owner" varchar(64), "last_attempt_at" datetime(3), "last_status_code" integer, "last_error" varchar(500), "created_at" datetime(3) NOT NULL, "updated_at" datetime(3) NOT NULL, CONSTRAINT "fk_webhook_deliveries_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
  );
  await queryRunner.query(
    'INSERT INTO "temporary_webhook_deliveries"("id", "tenant_id", "endpoint_id", "event_id", "event_type", "ordering_key", "payload", "status", "attempts", "next_attempt_at", "lease_until", "lease_owner", "last_attempt_at", "last_status_code", "last_error", "created_at", "updated_at") SELECT "id", "tenant_id", "endpoint_id", "event_id", "event_type", "ordering_key", "payload", "status", "attempts", "next_attempt_at", "lease_until", "lease_owner", "last_attempt_at", "last_status_code", "last_error", "created_at", "updated_at" FROM "webhook_deliveries"',
  );
  await queryRunner.query('DROP TABLE "webhook_deliveries"');
  await queryRunner.query('ALTER TABLE "temporary_webhook_deliveries" RENAME TO "webhook_deliveries"');
  await queryRunner.query('CREATE INDEX "ix_webhook_deliveries_due" ON "webhook_deliveries" ("status", "next_attempt_at")');
  await queryRunner.query('CREATE INDEX "ix_webhook_deliveries_order" ON "webhook_deliveries" ("endpoint_id", "ordering_key", "status", "id")');
  await queryRunner.query('CREATE INDEX "ix_webhook_deliveries_endpoint" ON "webhook_deliveries" ("tenant_id", "endpoint_id", "id")');
}

/** webhook_deliveries.payload becomes a JSON column, as on MySQL (where TEXT holds only 64 KB). */
export class WebhookPayloadJson1796052000000 implements MigrationInterface {
  name = 'WebhookPayloadJson1796052000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rebuild(queryRunner, 'json');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await rebuild(queryRunner, 'text');
  }
}
