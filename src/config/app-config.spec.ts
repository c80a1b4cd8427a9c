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

describe('operations settings', () => {
  it('leaves Redis, metrics and the shutdown delay off by default', () => {
    expect(loadConfig({}).operations).toEqual({
      redisUrl: null,
      redisKeyPrefix: 'identity:',
      metricsPort: null,
      shutdownDelayMs: 0,
      shutdownDrainMs: 10_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
    });
  });

  it('reads REDIS_URL, REDIS_KEY_PREFIX, METRICS_PORT, SHUTDOWN_DELAY_SECONDS and SHUTDOWN_DRAIN_SECONDS', () => {
    const config = loadConfig({ REDIS_URL: 'redis://:secret@cache:6380/2', REDIS_KEY_PREFIX: 'idp-eu:', METRICS_PORT: '9464', SHUTDOWN_DELAY_SECONDS: '5', SHUTDOWN_DRAIN_SECONDS: '25' });
    expect(config.operations).toMatchObject({ redisUrl: 'redis://:secret@cache:6380/2', redisKeyPrefix: 'idp-eu:', metricsPort: 9464, shutdownDelayMs: 5000, shutdownDrainMs: 25_000 });
    const timeouts = loadConfig({ HTTP_HEADERS_TIMEOUT_SECONDS: '3', HTTP_REQUEST_TIMEOUT_SECONDS: '20' }).operations;
    expect(timeouts).toMatchObject({ headersTimeoutMs: 3000, requestTimeoutMs: 20_000 });
    expect(loadConfig({ REDIS_URL: 'rediss://cache.internal' }).operations.redisUrl).toBe('rediss://cache.internal');
  });

  it.each([
    [{ REDIS_URL: 'http://cache:6379' }, 'REDIS_URL'],
    [{ REDIS_URL: 'cache:6379' }, 'REDIS_URL'],
    [{ REDIS_URL: 'redis://' }, 'REDIS_URL'],
    [{ REDIS_KEY_PREFIX: 'has space' }, 'REDIS_KEY_PREFIX'],
    [{ METRICS_PORT: 'x' }, 'METRICS_PORT'],
    [{ METRICS_PORT: '3000' }, 'METRICS_PORT'],
    [{ PORT: '8080', METRICS_PORT: '8080' }, 'METRICS_PORT'],
    [{ SHUTDOWN_DELAY_SECONDS: '-1' }, 'SHUTDOWN_DELAY_SECONDS'],
    [{ SHUTDOWN_DELAY_SECONDS: '301' }, 'SHUTDOWN_DELAY_SECONDS'],
    [{ SHUTDOWN_DRAIN_SECONDS: '0' }, 'SHUTDOWN_DRAIN_SECONDS'],
    [{ SHUTDOWN_DRAIN_SECONDS: '301' }, 'SHUTDOWN_DRAIN_SECONDS'],
    [{ HTTP_HEADERS_TIMEOUT_SECONDS: '0' }, 'HTTP_HEADERS_TIMEOUT_SECONDS'],
    [{ HTTP_HEADERS_TIMEOUT_SECONDS: '40' }, 'HTTP_HEADERS_TIMEOUT_SECONDS'],
    [{ HTTP_REQUEST_TIMEOUT_SECONDS: 'x' }, 'HTTP_REQUEST_TIMEOUT_SECONDS'],
  ])('stops on %j with a message naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });
});
