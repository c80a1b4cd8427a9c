/**
 * Writes the migration that brings a database migrated to date in line with the entities,
 * for MySQL/MariaDB or SQLite: `npm run migration:generate -- <mysql|sqlite> <Name>`.
 * MySQL needs MIGRATION_SERVER_URL (default mysql://root@127.0.0.1:3306/test); a scratch
 * database is created there and dropped.
 */
import 'reflect-metadata';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { dataSourceOptions, withServerFlavor } from '../src/database/data-source-options.js';

const [kind, name] = process.argv.slice(2);
if ((kind !== 'mysql' && kind !== 'sqlite') || !name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
  console.error('usage: generate-migration <mysql|sqlite> <PascalCaseName>');
  process.exit(2);
}
const dir = join('src/database/migrations', kind);

async function main(): Promise<void> {
  const server = process.env.MIGRATION_SERVER_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const scratch = `identity_migration_${Date.now()}`;
  let admin: Awaited<ReturnType<typeof createConnection>> | null = null;
  let options;
  if (kind === 'mysql') {
    admin = await createConnection(server);
    await admin.query(`CREATE DATABASE ${scratch}`);
    const url = new URL(server);
    url.pathname = `/${scratch}`;
    options = dataSourceOptions(await withServerFlavor({ type: 'mysql', url: url.toString() }), { migrationsRun: true });
  } else {
    options = dataSourceOptions({ type: 'sqlite', path: ':memory:' }, { migrationsRun: true });
  }
  const ds = new DataSource(options);
  try {
    await ds.initialize();
    const log = await ds.driver.createSchemaBuilder().log();
    if (log.upQueries.length === 0) {
      console.log('The schema already matches the entities; nothing to write.');
      return;
    }
    const stamp = Date.now();
    const quote = (q: string) => '`' + q.replaceAll('\\', '\\\\').replaceAll('`', '\\`').replaceAll('${', '\\${') + '`';
    const up = log.upQueries.map((q) => `    await queryRunner.query(${quote(q.query)});`).join('\n');
    const down = [...log.downQueries].reverse().map((q) => `    await queryRunner.query(${quote(q.query)});`).join('\n');
    const className = `${name}${stamp}`;
    const file = join(dir, `${stamp}-${name}.ts`);
    writeFileSync(
      file,
      `import type { MigrationInterface, QueryRunner } from 'typeorm';\n\n` +
        `export class ${className} implements MigrationInterface {\n  name = '${className}';\n\n` +
        `  async up(queryRunner: QueryRunner): Promise<void> {\n${up}\n  }\n\n` +
        `  async down(queryRunner: QueryRunner): Promise<void> {\n${down}\n  }\n}\n`,
    );
    writeIndex();
    console.log(`wrote ${file}`);
  } finally {
    if (ds.isInitialized) await ds.destroy();
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${scratch}`);
      await admin.end();
    }
  }
}

function writeIndex(): void {
  const files = readdirSync(dir)
    .filter((f) => /^\d+-\w+\.ts$/.test(f))
    .sort();
  const entries = files.map((f) => {
    const base = f.replace(/\.ts$/, '');
    const [stamp, cls] = base.split('-') as [string, string];
    return { base, cls: `${cls}${stamp}` };
  });
  const constName = kind === 'mysql' ? 'MYSQL_MIGRATIONS' : 'SQLITE_MIGRATIONS';
  writeFileSync(
    join(dir, 'index.ts'),
    entries.map((e) => `import { ${e.cls} } from './${e.base}.js';`).join('\n') +
      `\n\nexport const ${constName}: (new () => object)[] = [${entries.map((e) => e.cls).join(', ')}];\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
