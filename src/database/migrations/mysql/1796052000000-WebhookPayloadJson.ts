import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * webhook_deliveries.payload becomes a JSON column: TEXT holds 64 KB on MySQL, and the payload
 * of a user in about 1,500 groups is larger, so the outbox row, and with it the user's own
 * change, would be refused. JSON is a LONGTEXT with a validity check on MariaDB.
 */
export class WebhookPayloadJson1796052000000 implements MigrationInterface {
  name = 'WebhookPayloadJson1796052000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `webhook_deliveries` MODIFY `payload` json NOT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `webhook_deliveries` MODIFY `payload` text NOT NULL');
  }
}
