import { dirname, isAbsolute, join, resolve } from 'node:path';

export type DatabaseConfig =
  | { type: 'sqlite'; path: string }
  | { type: 'mysql'; url: string; flavor?: 'mysql' | 'mariadb' };

export interface AuthConfig {
  /** 32-byte key that encrypts signing keys and TOTP secrets at rest; null = kept in a key file. */
  encryptionKey: Buffer | null;
  /** Where the generated encryption key lives when ENCRYPTION_KEY is unset. */
  encryptionKeyFile: string;
  issuer: string;
  audience: string;
  /** PEM of an EC P-256 private key; null = generated on first start and stored encrypted. */
  jwtPrivateKey: string | null;
  /** Login attempts per client IP per minute. */
  loginRateLimit: number;
}

export const DEFAULT_AUTH_CONFIG: AuthConfig = {
  encryptionKey: null,
  encryptionKeyFile: resolve('data/encryption.key'),
  issuer: 'identity-service',
  audience: 'identity-api',
  jwtPrivateKey: null,
  loginRateLimit: 30,
};

/** What several instances of the service share, and how one is observed and stopped. */
export interface OperationsConfig {
  /** redis:// or rediss:// URL; null = the per-IP limits are counted in this instance's memory. */
  redisUrl: string | null;
  /** Prefix of every key the service writes to Redis, so deployments can share one server. */
  redisKeyPrefix: string;
  /** Port of the separate listener that serves GET /metrics; null = no metrics. */
  metricsPort: number | null;
  /** After SIGTERM, how long readiness answers 503 while requests are still served, before draining. */
  shutdownDelayMs: number;
  /** Then, how long the requests already running (client gone or not) get to finish before the pool closes under them. */
  shutdownDrainMs: number;
  /** A connection that has not sent a request's headers within this long is closed (idle and slow sockets). */
  headersTimeoutMs: number;
  /** A request whose body has not arrived within this long (from its start) is answered 408 and closed. */
  requestTimeoutMs: number;
}

export const DEFAULT_OPERATIONS_CONFIG: OperationsConfig = {
  redisUrl: null,
  redisKeyPrefix: 'identity:',
  metricsPort: null,
  shutdownDelayMs: 0,
  shutdownDrainMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

/** How webhooks are delivered (API.md section 13). */
export interface WebhooksConfig {
  /** Hosts (`host` or `host:port`, lower case) exempt from the address rules, which may use http. */
  allowedHosts: readonly string[];
  /** Seconds to wait before each retry; its length is the number of retries. */
  retrySchedule: readonly number[];
  /** Deliver from this instance; false leaves the outbox to other instances. */
  dispatch: boolean;
  /** Days a finished (delivered or failed) delivery stays in the log; 0 keeps them all. */
  retentionDays: number;
}

/** About a day in all: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 6 h (jitter added to each). */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 21600];

export const DEFAULT_WEBHOOKS_CONFIG: WebhooksConfig = { allowedHosts: [], retrySchedule: DEFAULT_RETRY_SCHEDULE, dispatch: true, retentionDays: 30 };

/** Typed configuration, read once from the environment and validated at boot. */
export class AppConfig {
  constructor(
    readonly port: number,
    readonly host: string,
    readonly database: DatabaseConfig,
    readonly adminApiKey: string | null,
    readonly logLevel: string,
    readonly bodyLimitBytes: number,
    readonly trustProxy: boolean,
    readonly smtpUrl: string | null,
    readonly mailFrom: string,
    /** Without SMTP_URL, log the text of each mail (reset tokens included): for development only. */
    readonly mailLogBodies: boolean,
    readonly auth: AuthConfig = DEFAULT_AUTH_CONFIG,
    readonly operations: OperationsConfig = DEFAULT_OPERATIONS_CONFIG,
    readonly webhooks: WebhooksConfig = DEFAULT_WEBHOOKS_CONFIG,
  ) {}
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string): boolean {
  const raw = optional(env, name);
  if (raw === undefined) return false;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

export function parseDatabaseUrl(raw: string | undefined, name = 'DATABASE_URL'): DatabaseConfig {
  if (raw === undefined) return { type: 'sqlite', path: resolve('data/identity.sqlite') };
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw new ConfigError(name, 'needs a file path after "sqlite:"');
    if (path === ':memory:') return { type: 'sqlite', path };
    return { type: 'sqlite', path: isAbsolute(path) ? path : resolve(path) };
  }
  if (raw.startsWith('mysql://') || raw.startsWith('mariadb://')) {
    let url: URL;
    try {
      url = new URL(raw.replace(/^mariadb:/, 'mysql:'));
    } catch {
      throw new ConfigError(name, 'is not a valid URL');
    }
    if (url.pathname.length <= 1) throw new ConfigError(name, 'must name a database, as in mysql://user:pass@host:3306/db');
    return { type: 'mysql', url: url.toString() };
  }
  throw new ConfigError(name, 'must start with sqlite: or mysql://');
}

export function loadConfig(env: Env): AppConfig {
  const logLevel = optional(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const adminApiKey = optional(env, 'ADMIN_API_KEY') ?? null;
  if (adminApiKey !== null && adminApiKey.length < 16) {
    throw new ConfigError('ADMIN_API_KEY', 'must be at least 16 characters long');
  }
  const smtpUrl = optional(env, 'SMTP_URL') ?? null;
  if (smtpUrl !== null && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new ConfigError('SMTP_URL', 'must start with smtp:// or smtps://');
  }
  const mailFrom = optional(env, 'MAIL_FROM') ?? 'identity@localhost';
  if (!/^[^\s@]+@[^\s@]+$/.test(mailFrom) && !/<[^\s@]+@[^\s@]+>$/.test(mailFrom)) {
    throw new ConfigError('MAIL_FROM', 'must be a mail address');
  }
  const database = parseDatabaseUrl(optional(env, 'DATABASE_URL'));
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const operations = loadOperationsConfig(env);
  if (operations.metricsPort !== null && operations.metricsPort !== 0 && operations.metricsPort === port) {
    throw new ConfigError('METRICS_PORT', 'must differ from PORT: metrics are never served with the API');
  }
  return new AppConfig(
    port,
    optional(env, 'HOST') ?? '0.0.0.0',
    database,
    adminApiKey,
    logLevel,
    integer(env, 'BODY_LIMIT_BYTES', 256 * 1024, 1024, 64 * 1024 * 1024),
    bool(env, 'TRUST_PROXY'),
    smtpUrl,
    mailFrom,
    bool(env, 'MAIL_LOG_BODIES'),
    loadAuthConfig(env, database),
    operations,
    loadWebhooksConfig(env),
  );
}

function loadWebhooksConfig(env: Env): WebhooksConfig {
  const allowedHosts = (optional(env, 'WEBHOOK_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  for (const entry of allowedHosts) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(entry)) {
      throw new ConfigError('WEBHOOK_ALLOWED_HOSTS', `must list host or host:port entries, got "${entry}"`);
    }
  }
  let retrySchedule = DEFAULT_RETRY_SCHEDULE;
  const rawSchedule = optional(env, 'WEBHOOK_RETRY_SCHEDULE');
  if (rawSchedule !== undefined) {
    const parts = rawSchedule.split(',').map((part) => part.trim());
    if (parts.length > 50 || parts.some((part) => !/^\d+(\.\d+)?$/.test(part) || Number(part) > 7 * 86400)) {
      throw new ConfigError('WEBHOOK_RETRY_SCHEDULE', 'must be up to 50 comma-separated waits in seconds (each at most a week)');
    }
    retrySchedule = parts.map(Number);
  }
  const dispatchRaw = optional(env, 'WEBHOOK_DISPATCH');
  return {
    allowedHosts,
    retrySchedule,
    dispatch: dispatchRaw === undefined ? true : bool(env, 'WEBHOOK_DISPATCH'),
    retentionDays: integer(env, 'WEBHOOK_DELIVERY_RETENTION_DAYS', DEFAULT_WEBHOOKS_CONFIG.retentionDays, 0, 3650),
  };
}

function loadOperationsConfig(env: Env): OperationsConfig {
  const redisUrl = optional(env, 'REDIS_URL') ?? null;
  if (redisUrl !== null) {
    let url: URL | null = null;
    try {
      url = new URL(redisUrl);
    } catch {
      // reported below
    }
    if (!url || !['redis:', 'rediss:'].includes(url.protocol) || url.hostname === '') {
      throw new ConfigError('REDIS_URL', 'must be a URL like redis://host:6379 or rediss://user:pass@host:6380/0');
    }
  }
  const redisKeyPrefix = optional(env, 'REDIS_KEY_PREFIX') ?? DEFAULT_OPERATIONS_CONFIG.redisKeyPrefix;
  if (!/^[A-Za-z0-9:._-]{1,64}$/.test(redisKeyPrefix)) {
    throw new ConfigError('REDIS_KEY_PREFIX', 'must be 1 to 64 letters, digits or : . _ -');
  }
  const metricsPort = optional(env, 'METRICS_PORT') === undefined ? null : integer(env, 'METRICS_PORT', 0, 0, 65535);
  return {
    redisUrl,
    redisKeyPrefix,
    metricsPort,
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_SECONDS', 0, 0, 300) * 1000,
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_SECONDS', DEFAULT_OPERATIONS_CONFIG.shutdownDrainMs / 1000, 1, 300) * 1000,
    ...httpTimeouts(env),
  };
}

/** Node requires the headers to be due no later than the whole request. */
function httpTimeouts(env: Env): Pick<OperationsConfig, 'headersTimeoutMs' | 'requestTimeoutMs'> {
  const headersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_SECONDS', DEFAULT_OPERATIONS_CONFIG.headersTimeoutMs / 1000, 1, 300) * 1000;
  const requestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_SECONDS', DEFAULT_OPERATIONS_CONFIG.requestTimeoutMs / 1000, 1, 3600) * 1000;
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_SECONDS', 'must not exceed HTTP_REQUEST_TIMEOUT_SECONDS');
  }
  return { headersTimeoutMs, requestTimeoutMs };
}

function loadAuthConfig(env: Env, database: DatabaseConfig): AuthConfig {
  const rawKey = optional(env, 'ENCRYPTION_KEY');
  let encryptionKey: Buffer | null = null;
  if (rawKey !== undefined) {
    encryptionKey = Buffer.from(rawKey, 'base64');
    if (encryptionKey.length !== 32) {
      throw new ConfigError('ENCRYPTION_KEY', 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');
    }
  }
  const keyDir = database.type === 'sqlite' && database.path !== ':memory:' ? dirname(database.path) : resolve('data');
  const jwtPrivateKey = optional(env, 'JWT_PRIVATE_KEY')?.replaceAll('\\n', '\n') ?? null;
  if (jwtPrivateKey !== null && !jwtPrivateKey.includes('PRIVATE KEY-----')) {
    throw new ConfigError('JWT_PRIVATE_KEY', 'must be a PEM private key (EC P-256)');
  }
  return {
    encryptionKey,
    encryptionKeyFile: join(keyDir, 'encryption.key'),
    issuer: optional(env, 'JWT_ISSUER') ?? DEFAULT_AUTH_CONFIG.issuer,
    audience: optional(env, 'JWT_AUDIENCE') ?? DEFAULT_AUTH_CONFIG.audience,
    jwtPrivateKey,
    loginRateLimit: integer(env, 'LOGIN_RATE_LIMIT', DEFAULT_AUTH_CONFIG.loginRateLimit, 1, 100_000),
  };
}
