import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freshDatabase, OPERATOR_KEY, useMysql } from './helpers/app.js';
import { buildService, type ServiceProcess, startService } from './helpers/service-process.js';

/**
 * The README as a newcomer meets it: its "First ten minutes" block is run as written
 * (only the port is the test's own) against a freshly built service that generated its
 * operator key, and a password reset is finished from the mail the service logs.
 */

/** The shell block that follows a heading of the README. */
function readmeBlock(heading: string): string {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no heading "${heading}"`);
  const fence = /```sh\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!fence) throw new Error(`no sh block after "${heading}"`);
  return fence[1]!;
}

async function stop(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode === null) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
}

/** The JSON log lines the service wrote, parsed; other lines (the key banner) are left out. */
function logLines(service: ServiceProcess): Record<string, any>[] {
  return service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

describe('the README, followed by a newcomer', () => {
  let dir: string;
  let drops: (() => Promise<void>)[] = [];

  beforeAll(() => {
    buildService();
    dir = mkdtempSync(join(tmpdir(), 'identity-readme-'));
  }, 180_000);

  afterAll(async () => {
    for (const drop of drops) await drop();
    drops = [];
    rmSync(dir, { recursive: true, force: true });
  });

  /** A database of its own: a SQLite file, or a fresh MariaDB database. */
  async function database(name: string): Promise<string> {
    if (!useMysql) return `sqlite:${join(dir, `${name}.sqlite`)}`;
    const db = await freshDatabase();
    drops.push(db.drop);
    return db.url;
  }

  it('runs "First ten minutes" as written: tenant, admin, login, list, force-logout', async () => {
    // No ADMIN_API_KEY, as on a first `npm start`: the service generates the key and prints it once.
    const service = await startService(await database('first'), { ADMIN_API_KEY: '', LOG_LEVEL: 'warn' });
    try {
      const key = /^\s+(idop_[A-Za-z0-9_-]+)$/m.exec(service.output())?.[1];
      expect(key).toBeDefined();
      const script = readmeBlock('### First ten minutes').replaceAll('localhost:3000', service.base.replace('http://', ''));
      const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, KEY: key },
        timeout: 60_000,
      });
      expect(stdout).toContain('"slug":"acme"');
      // Created, listed by Ada herself, and answered by the force-logout.
      expect(stdout.match(/"email":"ada@acme\.example"/g)?.length).toBeGreaterThanOrEqual(3);
      expect(stdout).toMatch(/"admin":true/);
      // The token Ada signed in with is refused once her sessions are ended: curl -w prints the status last.
      expect(stdout.trimEnd()).toMatch(/\}401$/);
    } finally {
      await stop(service);
    }
  });

  it('logs mail without SMTP_URL without its text; MAIL_LOG_BODIES=true logs the text, and a reset finishes with it', async () => {
    const request = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const setUp = async (service: ServiceProcess) => {
      const operator = { 'x-admin-key': OPERATOR_KEY };
      expect((await request(service.base, '/api/v2/tenants', { slug: 'mail', name: 'Mail' }, operator)).status).toBe(201);
      const user = await request(service.base, '/api/v2/users', { email: 'reset@mail.example', password: 'Old-Password-123' }, { ...operator, 'x-tenant-id': 'mail' });
      expect(user.status).toBe(201);
      expect((await request(service.base, '/api/v2/auth/password-reset/request', { tenant: 'mail', email: 'reset@mail.example' })).status).toBe(202);
    };
    const mailLine = async (service: ServiceProcess) => {
      for (let i = 0; i < 50; i++) {
        const line = logLines(service).find((l) => l.context === 'MailService' && /mail logged|would have sent/.test(String(l.msg)));
        if (line) return line;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no mail line in:\n${service.output()}`);
    };

    // Off by default: the subject and the masked recipient, never the text or the token.
    const quiet = await startService(await database('quiet'), { LOG_LEVEL: 'info' });
    try {
      await setUp(quiet);
      const line = await mailLine(quiet);
      expect(line.msg).toContain('would have sent "Reset your password" to r***@mail.example');
      expect(line.mail).toBeUndefined();
      expect(quiet.output()).not.toContain('use this token');
      expect(quiet.output()).not.toContain('reset@mail.example');
    } finally {
      await stop(quiet);
    }

    const loud = await startService(await database('loud'), { LOG_LEVEL: 'info', MAIL_LOG_BODIES: 'true' });
    try {
      expect(logLines(loud).some((l) => l.level === 40 && String(l.msg).includes('MAIL_LOG_BODIES is on'))).toBe(true);
      await setUp(loud);
      const line = await mailLine(loud);
      expect(line.msg).toBe('SMTP_URL is not set; mail logged, not sent');
      expect(line.mail).toMatchObject({ to: 'r***@mail.example', subject: 'Reset your password' });
      const token = /use this token within one hour:\n\n(\S+)\n/.exec(line.mail.text)?.[1];
      expect(token).toBeDefined();
      const confirmed = await request(loud.base, '/api/v2/auth/password-reset/confirm', { token, newPassword: 'New-Password-456' });
      expect(confirmed.status).toBe(204);
      const login = await request(loud.base, '/api/v2/auth/login', { tenant: 'mail', email: 'reset@mail.example', password: 'New-Password-456' });
      expect(login.status).toBe(200);
    } finally {
      await stop(loud);
    }
  });
});
