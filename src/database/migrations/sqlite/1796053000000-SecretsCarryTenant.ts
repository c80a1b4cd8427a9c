import type { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT_FK = (table: string): string => `, CONSTRAINT "fk_${table}_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION`;

/**
 * recovery_codes and password_reset_tokens with or without their tenant; SQLite adds a foreign
 * key by rebuilding the table. With the tenant, each row takes its user's.
 */
async function rebuild(queryRunner: QueryRunner, withTenant: boolean): Promise<void> {
  const tenantColumn = withTenant ? ', "tenant_id" varchar(36) NOT NULL' : '';
  const tenantName = withTenant ? ', "tenant_id"' : '';
  const tenantValue = withTenant ? ', u."tenant_id"' : '';

  await queryRunner.query('DROP INDEX "ix_recovery_codes_user"');
  await queryRunner.query(
    `CREATE TABLE "temporary_recovery_codes" ("id" varchar(36) PRIMARY KEY NOT NULL, "user_id" varchar(36) NOT NULL${tenantColumn}, "code_hash" varchar(64) NOT NULL, "used_at" datetime(3), CONSTRAINT "fk_recovery_codes_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION${withTenant ? TENANT_FK('recovery_codes') : ''})`,
  );
  await queryRunner.query(
    `INSERT INTO "temporary_recovery_codes"("id", "user_id"${tenantName}, "code_hash", "used_at") SELECT c."id", c."user_id"${tenantValue}, c."code_hash", c."used_at" FROM "recovery_codes" c INNER JOIN "users" u ON u."id" = c."user_id"`,
  );
  await queryRunner.query('DROP TABLE "recovery_codes"');
  await queryRunner.query('ALTER TABLE "temporary_recovery_codes" RENAME TO "recovery_codes"');
  await queryRunner.query('CREATE INDEX "ix_recovery_codes_user" ON "recovery_codes" ("user_id") ');

  await queryRunner.query('DROP INDEX "uq_password_reset_tokens_hash"');
  await queryRunner.query(
    `CREATE TABLE "temporary_password_reset_tokens" ("id" varchar(36) PRIMARY KEY NOT NULL, "user_id" varchar(36) NOT NULL${tenantColumn}, "token_hash" varchar(64) NOT NULL, "expires_at" datetime(3) NOT NULL, "used_at" datetime(3), CONSTRAINT "fk_password_reset_tokens_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION${withTenant ? TENANT_FK('password_reset_tokens') : ''})`,
  );
  await queryRunner.query(
    `INSERT INTO "temporary_password_reset_tokens"("id", "user_id"${tenantName}, "token_hash", "expires_at", "used_at") SELECT t."id", t."user_id"${tenantValue}, t."token_hash", t."expires_at", t."used_at" FROM "password_reset_tokens" t INNER JOIN "users" u ON u."id" = t."user_id"`,
  );
  await queryRunner.query('DROP TABLE "password_reset_tokens"');
  await queryRunner.query('ALTER TABLE "temporary_password_reset_tokens" RENAME TO "password_reset_tokens"');
  await queryRunner.query('CREATE UNIQUE INDEX "uq_password_reset_tokens_hash" ON "password_reset_tokens" ("token_hash") ');
}

/**
 * recovery_codes and password_reset_tokens carry their tenant, as the other tables of a user's
 * credentials do, so each statement over them names the tenant on the row itself rather than
 * through users. Existing rows take their user's tenant (every row has its user: the foreign
 * key removes a user's rows with it).
 */
export class SecretsCarryTenant1796053000000 implements MigrationInterface {
  name = 'SecretsCarryTenant1796053000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rebuild(queryRunner, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await rebuild(queryRunner, false);
  }
}
