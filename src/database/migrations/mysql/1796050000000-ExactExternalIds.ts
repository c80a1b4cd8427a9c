import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * externalId is compared exactly on every database (API.md section 5): on MySQL/MariaDB the
 * columns get a binary collation without space padding, as SQLite compares text, so `Cust-X`,
 * `cust-x` and `Cust-X  ` are three ids there too. MariaDB names it utf8mb4_nopad_bin, MySQL 8
 * utf8mb4_0900_bin (utf8mb4_bin pads, and would make trailing spaces equal).
 */
const COLUMNS = [
  ['users', 'external_id'],
  ['groups', 'external_id'],
] as const;

async function exactCollation(queryRunner: QueryRunner): Promise<string> {
  const rows = (await queryRunner.query(
    `SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')`,
  )) as { name: string }[];
  const names = rows.map((r) => r.name);
  const found = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin'].find((n) => names.includes(n));
  if (!found) throw new Error('The server has no binary utf8mb4 collation without padding (MariaDB 10.2+ or MySQL 8 needed)');
  return found;
}

export class ExactExternalIds1796050000000 implements MigrationInterface {
  name = 'ExactExternalIds1796050000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const collation = await exactCollation(queryRunner);
    for (const [table, column] of COLUMNS) {
      await queryRunner.query(`ALTER TABLE \`${table}\` MODIFY \`${column}\` varchar(255) CHARACTER SET utf8mb4 COLLATE ${collation} NULL`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, column] of COLUMNS) {
      await queryRunner.query(`ALTER TABLE \`${table}\` MODIFY \`${column}\` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL`);
    }
  }
}
