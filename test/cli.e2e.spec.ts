import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freshDatabase, OPERATOR_KEY } from './helpers/app.js';
import { totpCode } from '../src/sessions/totp.js';
import { buildService, operatorJson, startService, type ServiceProcess } from './helpers/service-process.js';

const run = promisify(execFile);

interface Vector {
  format: string;
  password: string;
  hash: string;
}
const { vectors } = JSON.parse(readFileSync(new URL('./fixtures/password-hashes.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const pick = (format: string): Vector => vectors.find((v) => v.format === format && v.password.length >= 3)!;

/**
 * The command-line client against a started service, as a user runs it: a file from another
 * system imported into a tenant, whose users then log in with their old passwords; the tenant
 * exported and the export imported into a new tenant.
 */
describe('npx identity import / export', () => {
  let service: ServiceProcess;
  let dir: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    buildService();
    dir = mkdtempSync(join(tmpdir(), 'identity-cli-'));
    const db = await freshDatabase();
    drop = db.drop;
    service = await startService(db.url === 'sqlite::memory:' ? `sqlite:${join(dir, 'cli.sqlite')}` : db.url);
  }, 300_000);

  afterAll(async () => {
    service?.child.kill('SIGTERM');
    await service?.exited;
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const tenant = async (): Promise<{ id: string; slug: string }> => {
    const res = await fetch(`${service.base}/api/v2/tenants`, { method: 'POST', headers: operatorJson, body: JSON.stringify({ slug: `cli-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, name: 'CLI' }) });
    return (await res.json()) as { id: string; slug: string };
  };
  const identity = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, ['bin/identity.mjs', ...args], { env: { ...process.env, IDENTITY_URL: service.base, IDENTITY_ADMIN_KEY: OPERATOR_KEY, ...env } }).then(
      (done) => ({ code: 0, ...done }),
      (failed: { code: number; stdout: string; stderr: string }) => ({ code: failed.code, stdout: failed.stdout, stderr: failed.stderr }),
    );
  const login = (slug: string, email: string, password: string) =>
    fetch(`${service.base}/api/v2/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: slug, email, password }) }).then((r) => r.status);

  it('imports a file from another system, reports its errors to a file, and its users log in with their old passwords', async () => {
    const source = await tenant();
    const people = [
      { email: 'bcrypt.user@example.com', externalId: 'old-1', name: 'Bea Crypt', vector: pick('bcrypt') },
      { email: 'django.user@example.com', externalId: 'old-2', name: 'Django Reinhardt', vector: pick('django-pbkdf2') },
      { email: 'argon.user@example.com', externalId: 'old-3', name: 'Argon Eye', vector: pick('argon2i') },
    ];
    const file = join(dir, 'users.ndjson');
    const lines = people.map((p) => JSON.stringify({ email: p.email, externalId: p.externalId, name: p.name, passwordHash: p.vector.hash }));
    lines.push(JSON.stringify({ email: 'broken', externalId: 'old-4' }));
    writeFileSync(file, `${lines.join('\n')}\n`);

    const first = await identity(['import', file, '--tenant', source.id]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('4 records: 3 created, 0 updated, 0 unchanged, 1 errors');
    expect(first.stderr).toMatch(/importing: \d+ rows, \d+ rows\/s/);
    const errors = readFileSync(`${file}.errors.ndjson`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(errors).toEqual([expect.objectContaining({ line: 4, status: 'error', error: expect.objectContaining({ status: 422 }) })]);

    for (const p of people) expect(await login(source.slug, p.email, p.vector.password)).toBe(200);
    expect(await login(source.slug, people[0]!.email, 'not-the-password')).toBe(401);

    // Fixed and run again: what is there is unchanged, the fixed record is created, exit 0.
    lines[3] = JSON.stringify({ email: 'fixed@example.com', externalId: 'old-4' });
    writeFileSync(file, `${lines.join('\n')}\n`);
    const again = await identity(['import', file, '--tenant', source.id, '--errors', join(dir, 'again.errors')]);
    expect(again.stdout).toContain('4 records: 1 created, 0 updated, 3 unchanged, 0 errors');
    expect(again.code).toBe(0);
    expect(existsSync(join(dir, 'again.errors'))).toBe(false);

    // Exported to stdout and imported into a new tenant; the export carries no hash.
    const exported = await identity(['export', '--tenant', source.id]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain('4 users exported');
    expect(exported.stdout).not.toMatch(/passwordHash|\$2a\$|pbkdf2|argon2/);
    const exportFile = join(dir, 'export.ndjson');
    writeFileSync(exportFile, exported.stdout);
    const copy = await tenant();
    const moved = await identity(['import', exportFile, '--tenant', copy.id]);
    expect(moved.stdout).toContain('4 records: 4 created');
    expect(moved.code).toBe(0);
    const copied = await identity(['export', '--tenant', copy.id, '--output', join(dir, 'copy.ndjson'), '--filter', 'externalId=old-2']);
    expect(copied.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'copy.ndjson'), 'utf8'))).toMatchObject({ email: 'django.user@example.com', name: 'Django Reinhardt', externalId: 'old-2' });
  }, 120_000);

  it('moves a tenant with its passwords: export, import into a new tenant with --credentials-from, and its users log in there', async () => {
    const source = await tenant();
    const json = (path: string, body: unknown, headers: Record<string, string> = { ...operatorJson, 'x-tenant-id': source.id }, method = 'POST') =>
      fetch(`${service.base}${path}`, { method, headers, body: method === 'GET' ? undefined : JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    // One user created with a password, one imported with a bcrypt hash, one with a password and TOTP.
    const plain = { email: 'plain.user@example.com', password: 'Plain-Pass-2026' };
    const plainUser = await json('/api/v2/users', { ...plain, externalId: 'j-1' });
    expect(plainUser.status).toBe(201);
    const bcrypt = pick('bcrypt');
    const hashed = join(dir, 'hashed.ndjson');
    writeFileSync(hashed, `${JSON.stringify({ email: 'bcrypt.journey@example.com', externalId: 'j-2', passwordHash: bcrypt.hash })}\n`);
    expect((await identity(['import', hashed, '--tenant', source.id])).code).toBe(0);
    const guarded = { email: 'totp.user@example.com', password: 'Totp-Pass-2026' };
    const guardedUser = await json('/api/v2/users', { ...guarded, externalId: 'j-3' });
    expect(guardedUser.status).toBe(201);
    // The first user's manager is the last one: the export writes the report before its manager.
    const managed = await json(`/api/v2/users/${plainUser.body.id as string}`, { enterprise: { managerId: guardedUser.body.id } }, undefined, 'PATCH');
    expect(managed.status).toBe(200);
    const signedIn = await json('/api/v2/auth/login', { tenant: source.slug, ...guarded }, { 'content-type': 'application/json' });
    const bearer = { 'content-type': 'application/json', authorization: `Bearer ${signedIn.body.accessToken as string}` };
    const { secret } = (await json('/api/v2/me/tfa/enroll', {}, bearer)).body as { secret: string };
    expect((await json('/api/v2/me/tfa/confirm', { otp: totpCode(secret, Date.now()) }, bearer)).status).toBe(200);

    const file = join(dir, 'journey.ndjson');
    const exported = await identity(['export', '--tenant', source.id, '--output', file]);
    expect(exported.code).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toMatch(/passwordHash|\$2a\$|argon2|secret/);

    const copy = await tenant();
    // Only the operator key may bring credentials along, not the new tenant's own admin.
    const admin = { email: 'admin.copy@example.com', password: 'Admin-Pass-2026' };
    expect((await json('/api/v2/users', { ...admin, admin: true }, { ...operatorJson, 'x-tenant-id': copy.id })).status).toBe(201);
    const adminToken = (await json('/api/v2/auth/login', { tenant: copy.slug, ...admin }, { 'content-type': 'application/json' })).body.accessToken as string;
    const refused = await identity(['import', file, '--credentials-from', source.slug], { IDENTITY_ADMIN_KEY: '', IDENTITY_TOKEN: adminToken });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/import refused: 403/);
    const moved = await identity(['import', file, '--tenant', copy.slug, '--credentials-from', source.slug]);
    expect(moved.stdout).toContain('3 records: 3 created, 0 updated, 0 unchanged, 0 errors');
    expect(moved.code).toBe(0);

    expect(await login(copy.slug, plain.email, plain.password)).toBe(200);
    expect(await login(copy.slug, 'bcrypt.journey@example.com', bcrypt.password)).toBe(200);
    expect(await login(copy.slug, guarded.email, guarded.password)).toBe(401);
    const withCode = await fetch(`${service.base}/api/v2/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: copy.slug, ...guarded, otp: totpCode(secret, Date.now() + 30_000) }),
    });
    expect(withCode.status).toBe(200);
    expect(await login(copy.slug, plain.email, 'not-the-password')).toBe(401);
    // The manager named by its id in the source is its counterpart in the new tenant.
    const inCopy = (externalId: string) => json(`/api/v2/users/external/${externalId}`, null, { 'x-admin-key': OPERATOR_KEY, 'x-tenant-id': copy.id }, 'GET');
    expect((await inCopy('j-1')).body.enterprise.managerId).toBe((await inCopy('j-3')).body.id);

    // Run again: converged. And no hash reached the service's log.
    const again = await identity(['import', file, '--tenant', copy.id, '--credentials-from', source.id]);
    expect(again.stdout).toContain('3 records: 0 created, 0 updated, 3 unchanged, 0 errors');
    expect(service.output()).not.toMatch(/\$2a\$|\$argon2|v1\.[A-Za-z0-9_-]{16}\./);
  }, 120_000);

  it('exits 1 with the problem when the service refuses the whole request', async () => {
    const file = join(dir, 'one.ndjson');
    writeFileSync(file, '{"email":"a@example.com"}\n');
    const refused = await identity(['import', file, '--tenant', (await tenant()).id], { IDENTITY_ADMIN_KEY: 'wrong-key-0123456789' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/import refused: 401/);
    const noCredential = await identity(['export'], { IDENTITY_ADMIN_KEY: '' });
    expect(noCredential.code).toBe(1);
    expect(noCredential.stderr).toMatch(/credential/);
  });
});
