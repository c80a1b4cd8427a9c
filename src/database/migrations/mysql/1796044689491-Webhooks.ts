import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1796044689491 implements MigrationInterface {
  name = 'Webhooks1796044689491';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`webhook_endpoints\` (\`id\` varchar(36) NOT NULL, \`tenant_id\` varchar(36) NOT NULL, \`url\` varchar(2048) NOT NULL, \`events\` text NOT NULL, \`active\` tinyint NOT NULL, \`description\` varchar(1000) NULL, \`secret_encrypted\` varchar(255) NOT NULL, \`failing_since\` datetime(3) NULL, \`created_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, INDEX \`ix_webhook_endpoints_tenant\` (\`tenant_id\`, \`id\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`webhook_deliveries\` (\`id\` varchar(36) NOT NULL, \`tenant_id\` varchar(36) NOT NULL, \`endpoint_id\` varchar(36) NOT NULL, \`event_id\` varchar(36) NOT NULL, \`event_type\` varchar(64) NOT NULL, \`ordering_key\` varchar(255) NOT NULL, \`payload\` text NOT NULL, \`status\` varchar(16) NOT NULL, \`attempts\` int NOT NULL, \`next_attempt_at\` datetime(3) NOT NULL, \`lease_until\` datetime(3) NULL, \`lease_owner\` varchar(64) NULL, \`last_attempt_at\` datetime(3) NULL, \`last_status_code\` int NULL, \`last_error\` varchar(500) NULL, \`created_at\` datetime(3) NOT NULL, \`updated_at\` datetime(3) NOT NULL, INDEX \`ix_webhook_deliveries_endpoint\` (\`tenant_id\`, \`endpoint_id\`, \`id\`), INDEX \`ix_webhook_deliveries_order\` (\`endpoint_id\`, \`ordering_key\`, \`status\`, \`id\`), INDEX \`ix_webhook_deliveries_due\` (\`status\`, \`next_attempt_at\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`ALTER TABLE \`webhook_endpoints\` ADD CONSTRAINT \`fk_webhook_endpoints_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`webhook_deliveries\` ADD CONSTRAINT \`fk_webhook_deliveries_tenant\` FOREIGN KEY (\`tenant_id\`) REFERENCES \`tenants\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`webhook_deliveries\` DROP FOREIGN KEY \`fk_webhook_deliveries_tenant\``);
    await queryRunner.query(`ALTER TABLE \`webhook_endpoints\` DROP FOREIGN KEY \`fk_webhook_endpoints_tenant\``);
    await queryRunner.query(`DROP INDEX \`ix_webhook_deliveries_due\` ON \`webhook_deliveries\``);
    await queryRunner.query(`DROP INDEX \`ix_webhook_deliveries_order\` ON \`webhook_deliveries\``);
    await queryRunner.query(`DROP INDEX \`ix_webhook_deliveries_endpoint\` ON \`webhook_deliveries\``);
    await queryRunner.query(`DROP TABLE \`webhook_deliveries\``);
    await queryRunner.query(`DROP INDEX \`ix_webhook_endpoints_tenant\` ON \`webhook_endpoints\``);
    await queryRunner.query(`DROP TABLE \`webhook_endpoints\``);
  }
}
