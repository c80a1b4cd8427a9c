import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildService, operatorJson, startService } from './helpers/service-process.js';

/** The running service's own log: JSON lines, a request id on each, and no secret anywhere. */
describe('logs of the built service', () => {
  let dir: string;
  beforeAll(() => {
    buildService();
    dir = mkdtempSync(join(tmpdir(), 'identity-logs-'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are JSON with the request id and carry no password, hash, token or key', async () => {
    const service = await startService(`sqlite:${join(dir, 'identity.sqlite')}`, { LOG_LEVEL: 'info' });
    const secrets: string[] = ['Very-Secret-Pass-1'];
    try {
      const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${service.base}${path}`, { method: 'POST', headers: { ...operatorJson, ...headers }, body: JSON.stringify(body) });
      const tenant = (await (await post('/api/v2/tenants', { slug: 'logs', name: 'Logs' })).json()) as { id: string };
      const user = (await (
        await post('/api/v2/users', { email: 'log@example.com', password: secrets[0] }, { 'x-tenant-id': tenant.id, 'x-request-id': 'create-user-1' })
      ).json()) as { id: string };
      const login = (await (
        await fetch(`${service.base}/api/v2/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tenant: 'logs', email: 'log@example.com', password: secrets[0] }),
        })
      ).json()) as { accessToken: string; refreshToken: string };
      secrets.push(login.accessToken, login.refreshToken.split('.')[1]!);
      await fetch(`${service.base}/api/v2/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: 'logs', email: 'log@example.com', password: 'Wrong-Guess-123' }),
      });
      secrets.push('Wrong-Guess-123');
      const key = (await (await post(`/api/v2/users/${user.id}/actions/reset-api-key`, {}, { 'x-tenant-id': tenant.id })).json()) as { apiKey: string };
      secrets.push(key.apiKey);
      await fetch(`${service.base}/api/v2/me`, { headers: { authorization: `Bearer ${login.accessToken}` } });
      await fetch(`${service.base}/api/v2/users?filter[email]=log@example.com`, { headers: { ...operatorJson, 'x-tenant-id': tenant.id } });
      // Bad input is a 4xx with no stack trace logged (issue 12, point 10): 5,000 nested arrays, a huge offset.
      const deep = await fetch(`${service.base}/api/v2/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"tenant":"logs","email":${'['.repeat(5000)}${']'.repeat(5000)},"password":"x"}`,
      });
      expect(deep.status).toBe(400);
      const huge = await fetch(`${service.base}/api/v2/users?offset=99999999999999999999`, { headers: { ...operatorJson, 'x-tenant-id': tenant.id } });
      expect(huge.status).toBe(422);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    const lines = service.output().split('\n').filter((l) => l.trim() !== '');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requestLines = parsed.filter((l) => l.msg === 'request completed');
    expect(requestLines.length).toBeGreaterThanOrEqual(7);
    for (const line of requestLines) expect(line.requestId).toEqual(expect.any(String));
    expect(requestLines.some((l) => l.requestId === 'create-user-1')).toBe(true);
    // The level follows the status: the wrong password's 401 is a warning, the rest are info.
    const failed = requestLines.filter((l) => (l.res as { statusCode: number }).statusCode === 401);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const line of failed) expect(line.level).toBe(40);
    for (const line of requestLines) expect((line.req as { path: string }).path).not.toContain('?');
    // Nest's own lines go through the same logger, with the class that wrote them.
    expect(parsed.some((l) => l.context === 'NestApplication' && l.level === 30)).toBe(true);
    const text = lines.join('\n');
    expect(text).not.toMatch(/\bat [\w.<>]+ \(|RangeError|Maximum call stack/);
    for (const secret of [...secrets, 'test-operator-key', '$argon2id', 'log@example.com']) expect(text).not.toContain(secret);
  });
});
