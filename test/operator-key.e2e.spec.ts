import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, startApp, useMysql } from './helpers/app.js';

/** With no ADMIN_API_KEY, the first start makes a key, prints it once and stores its hash. */
describe('generated operator key', () => {
  it('is printed on the first start only and keeps working across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'identity-'));
    const db = useMysql ? await freshDatabase() : { url: `sqlite:${join(dir, 'identity.sqlite')}`, drop: async () => undefined };
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const capture = (chunk: string | Uint8Array): boolean => {
      printed.push(String(chunk));
      return true;
    };
    try {
      process.stdout.write = capture as typeof process.stdout.write;
      const first = await startApp({ ADMIN_API_KEY: '', DATABASE_URL: db.url });
      process.stdout.write = write;
      const key = /(idop_[A-Za-z0-9_-]{43})/.exec(printed.join(''))?.[1];
      expect(key).toBeDefined();
      const rows = await first.dataSource.query('SELECT key_hash FROM operator_credentials');
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(key);
      expect((await first.call('GET', '/api/v2/tenants', { as: null, headers: { 'x-admin-key': key! } })).status).toBe(200);
      await first.app.close();

      printed.length = 0;
      process.stdout.write = capture as typeof process.stdout.write;
      const second = await startApp({ ADMIN_API_KEY: '', DATABASE_URL: db.url });
      process.stdout.write = write;
      expect(printed.join('')).not.toContain('idop_');
      expect((await second.call('GET', '/api/v2/tenants', { as: null, headers: { 'x-admin-key': key! } })).status).toBe(200);
      expect((await second.call('GET', '/api/v2/tenants', { as: null, headers: { 'x-admin-key': `${key}x` } })).status).toBe(401);
      await second.app.close();
    } finally {
      process.stdout.write = write;
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
