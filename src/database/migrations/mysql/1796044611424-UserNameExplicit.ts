import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * users.name_explicit: whether the name was given a value of its own. An existing user whose
 * name is exactly (byte for byte) what it would be derived as (firstName lastName, else the
 * email's local part) is taken as never named; any doubt leaves it named, which keeps the
 * name as it is.
 */
export class UserNameExplicit1796044611424 implements MigrationInterface {
  name = 'UserNameExplicit1796044611424';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`users\` ADD \`name_explicit\` tinyint NOT NULL DEFAULT 1`);
    const first = `CASE WHEN TRIM(\`first_name\`) <> '' THEN \`first_name\` END`;
    const last = `CASE WHEN TRIM(\`last_name\`) <> '' THEN \`last_name\` END`;
    const full = `TRIM(CONCAT_WS(' ', ${first}, ${last}))`;
    const local = `SUBSTRING_INDEX(\`email\`, '@', 1)`;
    await queryRunner.query(
      `UPDATE \`users\` SET \`name_explicit\` = 0 WHERE CAST(\`name\` AS BINARY) = CAST(LEFT(COALESCE(NULLIF(${full}, ''), ${local}), 200) AS BINARY)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`users\` DROP COLUMN \`name_explicit\``);
  }
}
