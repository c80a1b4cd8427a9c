import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * users.name_explicit: whether the name was given a value of its own. An existing user whose
 * name is exactly what it would be derived as (firstName lastName, else the email's local part)
 * is taken as never named; any doubt leaves it named, which keeps the name as it is.
 * Added in place (ALTER TABLE ADD COLUMN) so the expression index on lower(name) stays.
 */
export class UserNameExplicit1796044607840 implements MigrationInterface {
  name = 'UserNameExplicit1796044607840';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD COLUMN "name_explicit" boolean NOT NULL DEFAULT (1)`);
    const first = `CASE WHEN trim("first_name") <> '' THEN "first_name" END`;
    const last = `CASE WHEN trim("last_name") <> '' THEN "last_name" END`;
    const full = `trim(COALESCE(${first}, '') || CASE WHEN ${first} IS NOT NULL AND ${last} IS NOT NULL THEN ' ' ELSE '' END || COALESCE(${last}, ''))`;
    const local = `substr("email", 1, instr("email", '@') - 1)`;
    await queryRunner.query(`UPDATE "users" SET "name_explicit" = 0 WHERE "name" = substr(COALESCE(NULLIF(${full}, ''), ${local}), 1, 200)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "name_explicit"`);
  }
}
