import { resolve } from 'node:path';
import { ConfigError, loadConfig, parseDatabaseUrl } from './app-config.js';

describe('loadConfig', () => {
  it('needs nothing: SQLite in ./data, port 3000', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ type: 'sqlite', path: resolve('data/identity.sqlite') });
    expect(config.adminApiKey).toBeNull();
    expect(config.bodyLimitBytes).toBe(256 * 1024);
    expect(config.trustProxy).toBe(false);
    expect(config.mailLogBodies).toBe(false);
    expect(loadConfig({ MAIL_LOG_BODIES: 'true' }).mailLogBodies).toBe(true);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'postgres://x/y' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://root@localhost:3306' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'sqlite:' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ADMIN_API_KEY: 'short' }, 'ADMIN_API_KEY'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
    [{ MAIL_LOG_BODIES: 'sometimes' }, 'MAIL_LOG_BODIES'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL'],
  ])('stops on %j with a message naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });

  it('reads database URLs for both drivers', () => {
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ type: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('sqlite:/tmp/x.db')).toEqual({ type: 'sqlite', path: '/tmp/x.db' });
    expect(parseDatabaseUrl('mysql://u:p@db:3306/identity')).toEqual({ type: 'mysql', url: 'mysql://u:p@db:3306/identity' });
    expect(parseDatabaseUrl('mariadb://u@db/identity')).toEqual({ type: 'mysql', url: 'mysql://u@db/identity' });
  });
});
