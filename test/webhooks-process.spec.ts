import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, useMysql } from './helpers/app.js';
import { buildService, operatorJson, type ServiceProcess, startService } from './helpers/service-process.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

/**
 * Webhooks across the faults a process meets, on the built service run as it ships: a kill -9
 * between the commit and the delivery, a graceful stop with a delivery in flight, and two
 * instances sharing one MariaDB database.
 */
const WEBHOOK_ENV = { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_RETRY_SCHEDULE: '0.3,0.3,0.3,0.3,0.3' };

async function api(service: ServiceProcess, method: string, path: string, tenant: string | null, body?: unknown): Promise<any> {
  const res = await fetch(`${service.base}${path}`, {
    method,
    headers: { ...operatorJson, ...(tenant ? { 'x-tenant-id': tenant } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function stop(service: ServiceProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill(signal);
  await service.exited;
}

describe(`webhooks in the running service (${useMysql ? 'MariaDB' : 'SQLite'})`, () => {
  let dir: string;
  const services: ServiceProcess[] = [];
  const receivers: WebhookReceiver[] = [];
  const databases: { drop: () => Promise<void> }[] = [];

  let files = 0;
  async function database(): Promise<string> {
    if (!useMysql) return `sqlite:${join(dir, `identity-${++files}.sqlite`)}`;
    const db = await freshDatabase();
    databases.push(db);
    return db.url;
  }
  async function start(url: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await startService(url, { ...WEBHOOK_ENV, ...env });
    services.push(service);
    return service;
  }
  async function receiver(): Promise<WebhookReceiver> {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  }
  async function setUp(service: ServiceProcess, r: WebhookReceiver): Promise<{ tenant: any; hook: any }> {
    const tenant = await api(service, 'POST', '/api/v2/tenants', null, { slug: `wh-${Date.now()}-${Math.round(Math.random() * 1e6)}`, name: 'Hooks' });
    const hook = await api(service, 'POST', '/api/v2/webhooks', tenant.id, { url: r.url, events: ['user.*'] });
    r.secret = hook.secret;
    return { tenant, hook };
  }

  beforeAll(() => {
    buildService();
    dir = mkdtempSync(join(tmpdir(), 'identity-webhooks-'));
  }, 180_000);
  afterAll(async () => {
    for (const service of services) await stop(service, 'SIGKILL');
    for (const r of receivers) await r.stop();
    for (const db of databases) await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a committed change after a kill -9 that came before the delivery finished', async () => {
    const url = await database();
    const r = await receiver();
    const first = await start(url);
    const { tenant, hook } = await setUp(first, r);
    // The receiver takes the request and never answers: the process dies with it in flight.
    r.delayMs = Infinity;
    const user = await api(first, 'POST', '/api/v2/users', tenant.id, { email: `killed-${Date.now()}@example.com` });
    await r.waitFor((x) => x.received.length === 1, 10_000, 'the first attempt');
    await stop(first, 'SIGKILL');
    r.delayMs = 0;
    const second = await start(url);
    // Its lease (30 s) runs out, and the attempt is made again.
    await r.waitFor((x) => x.delivered.length === 1, 60_000, 'the delivery after the restart');
    expect(r.delivered[0]).toMatchObject({ type: 'user.created', data: { user: { id: user.id } } });
    expect(r.received.map((x) => x.id)).toEqual([r.received[0]!.id, r.received[0]!.id]);
    const log = await api(second, 'GET', `/api/v2/webhooks/${hook.id}/deliveries`, tenant.id);
    expect(log.data).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1, lastStatusCode: 200 })]);
  }, 120_000);

  it('delivers what a killed process committed but never tried to send', async () => {
    const url = await database();
    const r = await receiver();
    // An instance that does not dispatch commits; it is killed; one that does starts.
    const first = await start(url, { WEBHOOK_DISPATCH: 'false' });
    const { tenant } = await setUp(first, r);
    for (let i = 0; i < 5; i++) await api(first, 'POST', '/api/v2/users', tenant.id, { email: `queued-${i}-${Date.now()}@example.com` });
    await stop(first, 'SIGKILL');
    expect(r.received).toHaveLength(0);
    await start(url);
    await r.waitFor((x) => x.delivered.length === 5, 20_000);
  }, 60_000);

  it('lets a delivery in flight finish on SIGTERM, and records it', async () => {
    const url = await database();
    const r = await receiver();
    const service = await start(url);
    const { tenant, hook } = await setUp(service, r);
    r.delayMs = 1500;
    await api(service, 'POST', '/api/v2/users', tenant.id, { email: `graceful-${Date.now()}@example.com` });
    await r.waitFor((x) => x.received.length === 1, 10_000, 'the attempt');
    await stop(service, 'SIGTERM');
    expect(service.child.exitCode).toBe(0);
    r.delayMs = 0;
    const again = await start(url, { WEBHOOK_DISPATCH: 'false' });
    const log = await api(again, 'GET', `/api/v2/webhooks/${hook.id}/deliveries`, tenant.id);
    expect(log.data).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1 })]);
    expect(r.received).toHaveLength(1);
  }, 60_000);

  (useMysql ? it : it.skip)('shares the outbox between two instances on one database: each attempt is made once', async () => {
    const url = await database();
    const r = await receiver();
    // Every event fails its first attempt, so retries are shared too.
    const tries = new Map<string, number>();
    r.respond = (id) => {
      const n = (tries.get(id) ?? 0) + 1;
      tries.set(id, n);
      return n === 1 ? 503 : 200;
    };
    const [a, b] = [await start(url), await start(url)];
    const { tenant, hook } = await setUp(a, r);
    const events = 120;
    await Promise.all(
      Array.from({ length: events }, (_, i) => api(i % 2 ? a : b, 'POST', '/api/v2/users', tenant.id, { email: `pair-${i}-${Date.now()}@example.com` })),
    );
    await r.waitFor((x) => x.delivered.length >= events, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const delivered = r.delivered.map((p) => p.data.event.id);
    expect(new Set(delivered).size).toBe(events);
    expect(delivered).toHaveLength(events);
    expect([...tries.values()].every((n) => n === 2)).toBe(true);
    const page = await api(b, 'GET', `/api/v2/webhooks/${hook.id}/deliveries?limit=200`, tenant.id);
    expect(page.data.every((d: any) => d.status === 'delivered' && d.attempts === 2)).toBe(true);
  }, 120_000);
});
