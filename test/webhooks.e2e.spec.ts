import { Webhook } from 'standardwebhooks';
import { AuditService } from '../src/audit/audit.service.js';
import { Database } from '../src/database/database.service.js';
import { Metrics } from '../src/metrics/metrics.service.js';
import { WebhookRetention } from '../src/webhooks/webhook-retention.js';
import { WebhookDelivery, WebhookEndpoint } from '../src/webhooks/webhook.entities.js';
import { createTenant, expectProblem, startApp, type TestApp, useMysql } from './helpers/app.js';
import { signedInUser } from './helpers/sessions.js';
import { createUser, insertGroup, uniqueEmail } from './helpers/users.js';
import { Group } from '../src/groups/group.entity.js';
import { UserGroup } from '../src/users/user-relations.entity.js';
import { newId } from '../src/common/ids.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

/**
 * Webhooks end to end (API.md section 13): a real receiver on loopback verifies every request
 * with the standardwebhooks package, as a consumer would. Retries wait fractions of a second
 * (WEBHOOK_RETRY_SCHEDULE) so faults play out within a test.
 */
describe(`webhooks (${useMysql ? 'MariaDB' : 'SQLite'})`, () => {
  let t: TestApp;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    t = await startApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_RETRY_SCHEDULE: '0.3,0.3,0.3,0.3,0.3,0.3' });
  });
  afterAll(async () => {
    await t.close();
    for (const receiver of receivers) await receiver.stop();
  });

  async function receiver(): Promise<WebhookReceiver> {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  }

  async function register(tenant: any, r: WebhookReceiver, events: string[] = ['*']): Promise<any> {
    const res = await t.call('POST', '/api/v2/webhooks', { tenant: tenant.id, body: { url: r.url, events } });
    expect(res.status).toBe(201);
    r.secret = res.body.secret;
    return res.body;
  }

  async function deliveries(tenant: any, webhookId: string): Promise<any[]> {
    const res = await t.call('GET', `/api/v2/webhooks/${webhookId}/deliveries?limit=200`, { tenant: tenant.id });
    expect(res.status).toBe(200);
    return res.body.data;
  }

  describe('endpoints', () => {
    it('registers an endpoint, shows its secret once, and stores the secret encrypted', async () => {
      const tenant = await createTenant(t);
      const res = await t.call('POST', '/api/v2/webhooks', {
        tenant: tenant.id,
        body: { url: 'https://hooks.example.com/identity', events: ['user.*', 'group.created', 'user.created'], description: 'CRM sync', active: false },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        url: 'https://hooks.example.com/identity',
        events: ['user.*', 'group.created', 'user.created'],
        active: false,
        description: 'CRM sync',
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/=]{40,}$/),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const { secret, ...shown } = res.body;
      const got = await t.call('GET', `/api/v2/webhooks/${res.body.id}`, { tenant: tenant.id });
      expect(got.body).toEqual(shown);
      const list = await t.call('GET', '/api/v2/webhooks', { tenant: tenant.id });
      expect(list.body.data).toEqual([shown]);
      expect(list.text).not.toContain(secret);
      const [row] = await t.dataSource.query('SELECT secret_encrypted FROM webhook_endpoints WHERE id = ?', [res.body.id]);
      expect(row.secret_encrypted).not.toContain(secret.slice(6));
      const audit = await t.call('GET', '/api/v2/audit-events?filter[action]=webhook.created', { tenant: tenant.id });
      expect(audit.body.data).toHaveLength(1);
      expect(audit.text).not.toContain(secret);
    });

    it('refuses URLs that are not https or that name an inside address, and unknown event names', async () => {
      const tenant = await createTenant(t);
      const bad: [string, unknown][] = [
        ['http://hooks.example.com/x', 'url'],
        ['ftp://hooks.example.com/x', 'url'],
        ['not a url', 'url'],
        ['https://user:pass@hooks.example.com/x', 'url'],
        ['https://10.1.2.3/x', 'url'],
        ['https://169.254.169.254/latest/meta-data', 'url'],
        ['https://[::1]/x', 'url'],
        ['https://[fd00::1]/x', 'url'],
        ['https://localhost/x', 'url'],
        ['http://127.0.0.2/x', 'url'],
      ];
      for (const [url, field] of bad) {
        const res = await t.call('POST', '/api/v2/webhooks', { tenant: tenant.id, body: { url, events: ['*'] } });
        expectProblem(res, 422, 'validation_failed');
        expect(res.body.errors.map((e: any) => e.field)).toEqual([field]);
      }
      const events = await t.call('POST', '/api/v2/webhooks', { tenant: tenant.id, body: { url: 'https://hooks.example.com/x', events: ['user.created', 'user.nope', 'nope.*'] } });
      expectProblem(events, 422, 'validation_failed');
      expect(events.body.errors.map((e: any) => e.field)).toEqual(['events[1]', 'events[2]']);
      expectProblem(await t.call('POST', '/api/v2/webhooks', { tenant: tenant.id, body: { url: 'https://hooks.example.com/x', events: [] } }), 422);
      expectProblem(await t.call('POST', '/api/v2/webhooks', { tenant: tenant.id, body: { url: 'https://hooks.example.com/x', events: ['*'], secret: 'x' } }), 422);
      expect((await t.call('GET', '/api/v2/webhooks', { tenant: tenant.id })).body.data).toEqual([]);
      // Allowed hosts may use plain http.
      expect((await t.call('POST', '/api/v2/webhooks', { tenant: tenant.id, body: { url: 'http://127.0.0.1:9/x', events: ['*'], active: false } })).status).toBe(201);
    });

    it('lets only admins and the operator create, re-point or rotate; webhooks:write holders may edit the rest', async () => {
      const tenant = await createTenant(t);
      const group = await insertGroup(t, tenant.id, 'hooks', ['webhooks:read', 'webhooks:write']);
      const writer = await signedInUser(t, tenant, { groups: [group] });
      const admin = await signedInUser(t, tenant, { admin: true });
      const body = { url: 'https://hooks.example.com/x', events: ['user.*'], active: false };
      expectProblem(await t.call('POST', '/api/v2/webhooks', { as: writer.bearer, body }), 403, 'forbidden');
      const created = await t.call('POST', '/api/v2/webhooks', { as: admin.bearer, body });
      expect(created.status).toBe(201);
      const id = created.body.id;
      expectProblem(await t.call('PATCH', `/api/v2/webhooks/${id}`, { as: writer.bearer, body: { url: 'https://evil.example.com/' } }), 403);
      expectProblem(await t.call('POST', `/api/v2/webhooks/${id}/rotate-secret`, { as: writer.bearer }), 403);
      const patched = await t.call('PATCH', `/api/v2/webhooks/${id}`, { as: writer.bearer, body: { events: ['group.*'], description: 'groups' } });
      expect(patched.body).toMatchObject({ url: 'https://hooks.example.com/x', events: ['group.*'], description: 'groups' });
      const rotated = await t.call('POST', `/api/v2/webhooks/${id}/rotate-secret`, { as: admin.bearer });
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(created.body.secret);
      expect((await t.call('DELETE', `/api/v2/webhooks/${id}`, { as: writer.bearer })).status).toBe(204);
      expectProblem(await t.call('GET', `/api/v2/webhooks/${id}`, { as: writer.bearer }), 404);
      const actions = (await t.call('GET', '/api/v2/audit-events?limit=200', { tenant: tenant.id })).body.data.map((e: any) => e.action).filter((a: string) => a.startsWith('webhook.'));
      expect(actions).toEqual(['webhook.created', 'webhook.updated', 'webhook.secret_rotated', 'webhook.deleted']);
    });

    it("hides another tenant's endpoints and deliveries", async () => {
      const a = await createTenant(t);
      const b = await createTenant(t);
      const created = await t.call('POST', '/api/v2/webhooks', { tenant: a.id, body: { url: 'https://hooks.example.com/a', events: ['*'], active: false } });
      const id = created.body.id;
      for (const [method, url] of [['GET', `/api/v2/webhooks/${id}`], ['PATCH', `/api/v2/webhooks/${id}`], ['DELETE', `/api/v2/webhooks/${id}`],
        ['POST', `/api/v2/webhooks/${id}/rotate-secret`], ['GET', `/api/v2/webhooks/${id}/deliveries`]] as const) {
        expectProblem(await t.call(method, url, { tenant: b.id, body: method === 'PATCH' ? { description: 'x' } : undefined }), 404);
      }
      expect((await t.call('GET', '/api/v2/webhooks', { tenant: b.id })).body.data).toEqual([]);
    });
  });

  describe('delivery', () => {
    it('delivers matching events signed by the Standard Webhooks scheme, with the user as of the event', async () => {
      const tenant = await createTenant(t);
      const r = await receiver();
      const hook = await register(tenant, r, ['user.*']);
      const user = await createUser(t, tenant, { email: uniqueEmail('hooked'), firstName: 'Ada' });
      await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { firstName: 'Grace' } });
      await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'not-subscribed' } });
      await r.waitFor((x) => x.delivered.length >= 2);
      expect(r.received.every((x) => x.verified)).toBe(true);
      const [created, updated] = r.delivered;
      expect(created).toMatchObject({ type: 'user.created', data: { event: { action: 'user.created', target: { type: 'user', id: user.id } }, user: { id: user.id, firstName: 'Ada', email: user.email } } });
      expect(updated).toMatchObject({ type: 'user.updated', data: { user: { firstName: 'Grace' } } });
      expect(new Date(created.timestamp).toISOString()).toBe(created.timestamp);
      // The webhook-id is the audit event's id, so a consumer can deduplicate.
      const events = (await t.call('GET', `/api/v2/audit-events?filter[targetId]=${user.id}`, { tenant: tenant.id })).body.data;
      expect(r.received.slice(0, 2).map((x) => x.id)).toEqual(events.map((e: any) => e.id));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(r.received).toHaveLength(2);
      const log = await deliveries(tenant, hook.id);
      expect(log.map((d) => [d.eventType, d.status, d.attempts, d.lastStatusCode, d.nextAttemptAt])).toEqual([
        ['user.updated', 'delivered', 1, 200, null],
        ['user.created', 'delivered', 1, 200, null],
      ]);
    });

    it('delivers the change of a user whose payload is over 64 KB (a user in hundreds of groups), byte for byte', async () => {
      const tenant = await createTenant(t);
      const r = await receiver();
      await register(tenant, r, ['user.updated']);
      const user = await createUser(t, tenant, { email: uniqueEmail('many-groups') });
      // 320 groups with 180-character names: the user's representation alone is about 75 KB,
      // more than a TEXT column holds on MySQL. Seeded as rows; the change goes through the API.
      const now = new Date();
      const groups = Array.from({ length: 320 }, (_, i) => ({ id: newId(), tenantId: tenant.id, name: `${String(i).padStart(4, '0')}-${'g'.repeat(175)}`, description: null, permissions: [] as never, createdAt: now, updatedAt: now }));
      for (let i = 0; i < groups.length; i += 40) {
        await t.dataSource.getRepository(Group).insert(groups.slice(i, i + 40));
        await t.dataSource.getRepository(UserGroup).insert(groups.slice(i, i + 40).map((g) => ({ userId: user.id, groupId: g.id, tenantId: tenant.id })));
      }
      const res = await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { firstName: 'Many' } });
      expect(res.status).toBe(200);
      await r.waitFor((x) => x.delivered.length >= 1);
      expect(r.received[0]!.verified).toBe(true);
      const [row] = await t.dataSource.query('SELECT payload FROM webhook_deliveries WHERE tenant_id = ?', [tenant.id]);
      const stored = typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload);
      expect(stored.length).toBeGreaterThan(65_535);
      const current = (await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id })).body;
      expect(r.delivered[0].data.user.groups).toHaveLength(320);
      expect(r.delivered[0].data.user).toEqual({ ...current, lastActionAt: r.delivered[0].data.user.lastActionAt });
    });

    it('refuses a forged or stale signature on the consumer side (the receiver really verifies)', () => {
      const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
      const signer = new Webhook(secret);
      const now = new Date();
      const body = '{"type":"user.created"}';
      const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signer.sign('msg_1', now, body) };
      expect(new Webhook(secret).verify(body, headers)).toEqual({ type: 'user.created' });
      expect(() => new Webhook(`whsec_${Buffer.alloc(32, 2).toString('base64')}`).verify(body, headers)).toThrow();
      expect(() => new Webhook(secret).verify('{"type":"user.deleted"}', headers)).toThrow();
    });

    it('signs with the new secret after a rotation', async () => {
      const tenant = await createTenant(t);
      const r = await receiver();
      const hook = await register(tenant, r, ['group.*']);
      const rotated = await t.call('POST', `/api/v2/webhooks/${hook.id}/rotate-secret`, { tenant: tenant.id });
      r.secret = rotated.body.secret;
      await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'after-rotation' } });
      await r.waitFor((x) => x.delivered.length >= 1);
      expect(r.received[0]!.verified).toBe(true);
    });

    it('writes no delivery for a change that rolls back, and one for each endpoint when it commits', async () => {
      const tenant = await createTenant(t);
      const [r1, r2, r3] = [await receiver(), await receiver(), await receiver()];
      await register(tenant, r1, ['group.*']);
      await register(tenant, r2, ['group.created']);
      await register(tenant, r3, ['user.*']);
      const audit = t.app.get(AuditService);
      const db = t.app.get(Database);
      const count = async () => Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM webhook_deliveries WHERE tenant_id = ?', [tenant.id]))[0].n);
      const before = await count();
      const event = { tenantId: tenant.id, action: 'group.created' as const, target: { type: 'group' as const, id: tenant.id }, actor: { type: 'operator' as const, id: null }, ip: null, requestId: null };
      await expect(
        db.transaction(async (manager) => {
          await audit.record(manager, event);
          expect(Number((await manager.query('SELECT COUNT(*) AS n FROM webhook_deliveries WHERE tenant_id = ?', [tenant.id]))[0].n)).toBe(before + 2);
          throw new Error('the change fails after its audit event');
        }),
      ).rejects.toThrow('the change fails');
      expect(await count()).toBe(before);
      // A refused request through the API writes nothing either.
      await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'dup' } });
      const afterOne = await count();
      expect(afterOne).toBe(before + 2);
      expect((await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'dup' } })).status).toBe(409);
      expect(await count()).toBe(afterOne);
      await r1.waitFor((x) => x.delivered.length === 1);
      await r2.waitFor((x) => x.delivered.length === 1);
      expect(r3.received).toHaveLength(0);
    });

    it('keeps retrying while the receiver is down, and delivers once it is back', async () => {
      const tenant = await createTenant(t);
      const r = await receiver();
      const hook = await register(tenant, r, ['group.*']);
      await r.stop();
      await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'while-down' } });
      const started = Date.now();
      let log: any[] = [];
      while (Date.now() - started < 10_000) {
        log = await deliveries(tenant, hook.id);
        if (log[0]?.attempts >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(log[0]).toMatchObject({ status: 'pending', lastStatusCode: null, lastError: expect.stringContaining('could not connect') });
      await r.start();
      await r.waitFor((x) => x.delivered.length === 1);
      expect(r.delivered[0].data.event.action).toBe('group.created');
    });

    it('delivers the events of one user in order, whatever fails and is retried', async () => {
      const tenant = await createTenant(t);
      const r = await receiver();
      const seen = new Map<string, number>();
      // Every event fails its first attempt and every third event its second as well.
      let n = 0;
      r.respond = (id) => {
        const tries = (seen.get(id) ?? 0) + 1;
        seen.set(id, tries);
        if (tries === 1) return 500;
        if (tries === 2 && ++n % 3 === 0) return 503;
        return 204;
      };
      await register(tenant, r, ['user.*']);
      const users = [await createUser(t, tenant), await createUser(t, tenant)];
      for (let i = 1; i <= 5; i++) {
        for (const user of users) await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { lastName: `v${i}` } });
      }
      await r.waitFor((x) => x.delivered.length === 12, 30_000);
      for (const user of users) {
        const mine = r.delivered.filter((p) => p.data.user.id === user.id);
        expect(mine.map((p) => p.type)).toEqual(['user.created', ...Array(5).fill('user.updated')]);
        expect(mine.map((p) => p.data.user.lastName)).toEqual([null, 'v1', 'v2', 'v3', 'v4', 'v5']);
        expect(mine.map((p) => p.data.user.version)).toEqual([...mine.map((p) => p.data.user.version)].sort((x, y) => x - y));
      }
    }, 45_000);

    it('marks a delivery failed when the schedule is used up, and lets it be redelivered', async () => {
      const tenant = await createTenant(t);
      const r = await receiver();
      let answer = 500;
      r.respond = () => answer;
      const hook = await register(tenant, r, ['plan.*']);
      await t.call('POST', '/api/v2/plans', { tenant: tenant.id, body: { name: 'gold' } });
      await r.waitFor((x) => x.received.length === 7, 20_000, 'seven attempts');
      let log: any[] = [];
      for (let i = 0; i < 100 && log[0]?.status !== 'failed'; i++) {
        log = await deliveries(tenant, hook.id);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(log[0]).toMatchObject({ status: 'failed', attempts: 7, lastStatusCode: 500, lastError: 'answered 500', nextAttemptAt: null });
      answer = 200;
      const again = await t.call('POST', `/api/v2/webhooks/${hook.id}/deliveries/${log[0].id}/redeliver`, { tenant: tenant.id });
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({ eventId: log[0].eventId, status: 'pending', attempts: 0 });
      await r.waitFor((x) => x.delivered.length === 1);
      expect(r.received.at(-1)!.id).toBe(log[0].eventId);
      expectProblem(await t.call('POST', `/api/v2/webhooks/${hook.id}/deliveries/0190e0b6-0000-7000-8000-000000000000/redeliver`, { tenant: tenant.id }), 404);
      expect((await t.call('GET', `/api/v2/webhooks/${hook.id}/deliveries?status=failed`, { tenant: tenant.id })).body.data).toHaveLength(1);
      expectProblem(await t.call('GET', `/api/v2/webhooks/${hook.id}/deliveries?status=lost`, { tenant: tenant.id }), 422);
    }, 30_000);

    it('deactivates an endpoint that answers 410 Gone, and audits it', async () => {
      const tenant = await createTenant(t);
      const r = await receiver();
      r.respond = () => 410;
      const hook = await register(tenant, r, ['group.*']);
      await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'gone-1' } });
      await r.waitFor((x) => x.received.length === 1);
      let got: any;
      for (let i = 0; i < 100; i++) {
        got = (await t.call('GET', `/api/v2/webhooks/${hook.id}`, { tenant: tenant.id })).body;
        if (!got.active) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(got.active).toBe(false);
      const audit = await t.call('GET', '/api/v2/audit-events?filter[action]=webhook.deactivated', { tenant: tenant.id });
      expect(audit.body.data).toEqual([expect.objectContaining({ actor: { type: 'system', id: null }, target: { type: 'webhook', id: hook.id } })]);
      await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'gone-2' } });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(r.received).toHaveLength(1);
    });

    it('deactivates an endpoint that has failed for a day', async () => {
      const tenant = await createTenant(t);
      const r = await receiver();
      r.respond = () => 500;
      const hook = await register(tenant, r, ['group.*']);
      await t.dataSource.getRepository(WebhookEndpoint).update({ id: hook.id }, { failingSince: new Date(Date.now() - 25 * 3600_000) });
      await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'a-day-later' } });
      await r.waitFor((x) => x.received.length === 1);
      let got: any;
      for (let i = 0; i < 100; i++) {
        got = (await t.call('GET', `/api/v2/webhooks/${hook.id}`, { tenant: tenant.id })).body;
        if (!got.active) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(got.active).toBe(false);
      const log = await deliveries(tenant, hook.id);
      expect(log[0]).toMatchObject({ status: 'failed' });
    });

    it('lets a consumer keep a copy of the users from the payloads alone, changes through SCIM included', async () => {
      const tenant = await createTenant(t);
      const r = await receiver();
      await register(tenant, r, ['user.*']);
      const copy = new Map<string, any>();
      const apply = () => {
        copy.clear();
        for (const p of r.delivered) {
          if (p.data.user) copy.set(p.data.user.id, p.data.user);
          else copy.delete(p.data.event.target.id);
        }
      };
      const a = await createUser(t, tenant, { firstName: 'A', ipWhitelist: ['192.0.2.7'] });
      const b = await createUser(t, tenant, { firstName: 'B' });
      const c = await createUser(t, tenant, { firstName: 'C' });
      await t.call('PATCH', `/api/v2/users/${a.id}`, { tenant: tenant.id, body: { phone: '+15555550123' } });
      await t.call('POST', `/api/v2/users/${b.id}/actions/deactivate`, { tenant: tenant.id });
      await t.call('DELETE', `/api/v2/users/${c.id}`, { tenant: tenant.id });
      const scim = await t.call('POST', '/scim/v2/Users', {
        tenant: tenant.id,
        headers: { 'content-type': 'application/scim+json' },
        rawBody: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: uniqueEmail('scim'), name: { givenName: 'S' } }),
      });
      expect(scim.status).toBe(201);
      const all = (await t.call('GET', '/api/v2/users?limit=200', { tenant: tenant.id })).body.data;
      await r.waitFor(() => {
        apply();
        return copy.size === all.length && all.every((u: any) => JSON.stringify(copy.get(u.id)) === JSON.stringify(u));
      }, 15_000, 'the copy to match');
      expect(copy.get(a.id)).toMatchObject({ phone: '+15555550123', ipWhitelist: ['192.0.2.7'] });
      expect(copy.has(c.id)).toBe(false);
    });
  });

  describe('retention', () => {
    it('prunes finished deliveries older than WEBHOOK_DELIVERY_RETENTION_DAYS (30), and never a pending one', async () => {
      const tenant = await createTenant(t);
      const r = await receiver();
      const hook = await register(tenant, r, ['user.created']);
      for (let i = 0; i < 5; i++) await createUser(t, tenant, { email: uniqueEmail('kept') });
      await r.waitFor((x) => x.delivered.length === 5);
      const ids = (await deliveries(tenant, hook.id)).map((d) => d.id as string);
      const old = new Date(Date.now() - 31 * 86_400_000);
      const rows = t.dataSource.getRepository(WebhookDelivery);
      const age = (id: string, status: 'delivered' | 'failed') => rows.update({ id }, { status, nextAttemptAt: old, updatedAt: old });
      await age(ids[0]!, 'delivered');
      await age(ids[1]!, 'delivered');
      await age(ids[2]!, 'failed');
      // Old but still pending (held by another instance's lease): never pruned.
      await rows.update({ id: ids[3]! }, { status: 'pending', nextAttemptAt: old, updatedAt: old, leaseOwner: 'another-instance', leaseUntil: new Date(Date.now() + 3600_000) });
      const retention = t.app.get(WebhookRetention);
      expect(await retention.prune()).toBe(3);
      expect((await deliveries(tenant, hook.id)).map((d) => d.id).sort()).toEqual([ids[3], ids[4]].sort());
      expect(await retention.prune()).toBe(0);
    });
  });

  describe('addresses', () => {
    it('refuses, when connecting, an endpoint whose address is loopback and not allowed', async () => {
      const strict = await startApp({ WEBHOOK_RETRY_SCHEDULE: '0.2' });
      try {
        const tenant = await createTenant(strict);
        const r = await receiver();
        // Registered while its host was allowed elsewhere: written as such a row would be.
        const created = await strict.call('POST', '/api/v2/webhooks', { tenant: tenant.id, body: { url: 'https://hooks.example.com/x', events: ['group.*'] } });
        await strict.dataSource.getRepository(WebhookEndpoint).update({ id: created.body.id }, { url: r.url });
        await strict.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'inside' } });
        let row: WebhookDelivery | null = null;
        for (let i = 0; i < 100 && row?.status !== 'failed'; i++) {
          row = await strict.dataSource.getRepository(WebhookDelivery).findOne({ where: { endpointId: created.body.id } });
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(row).toMatchObject({ status: 'failed', lastError: 'only https is allowed' });
        await strict.dataSource.getRepository(WebhookEndpoint).update({ id: created.body.id }, { url: `https://127.0.0.1:${r.port}/hooks` });
        const again = await strict.call('POST', `/api/v2/webhooks/${created.body.id}/deliveries/${row!.id}/redeliver`, { tenant: tenant.id });
        expect(again.status).toBe(202);
        for (let i = 0; i < 100; i++) {
          row = await strict.dataSource.getRepository(WebhookDelivery).findOne({ where: { id: again.body.id } });
          if (row?.status === 'failed') break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(row).toMatchObject({ status: 'failed', lastError: '127.0.0.1 is not a public address' });
        // A name is resolved and refused on the connection itself (localhost: from /etc/hosts, no lookup leaves the machine).
        await strict.dataSource.getRepository(WebhookEndpoint).update({ id: created.body.id }, { url: `https://localhost:${r.port}/hooks` });
        const byName = await strict.call('POST', `/api/v2/webhooks/${created.body.id}/deliveries/${row!.id}/redeliver`, { tenant: tenant.id });
        for (let i = 0; i < 100; i++) {
          row = await strict.dataSource.getRepository(WebhookDelivery).findOne({ where: { id: byName.body.id } });
          if (row?.status === 'failed') break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(row).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/^localhost resolves to (127\.0\.0\.1|::1), which is not a public address$/) });
        expect(r.received).toHaveLength(0);
      } finally {
        await strict.close();
      }
    });
  });

  describe('metrics', () => {
    it('counts attempts by result and shows the outbox depth, with no label naming a user', async () => {
      const m = await startApp({ METRICS_PORT: '0', HOST: '127.0.0.1', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_RETRY_SCHEDULE: '0.3,0.3' });
      try {
        const address = await m.app.get(Metrics).listen();
        const scrape = async () => (await (await fetch(`http://127.0.0.1:${address!.port}/metrics`)).text()).split('\n').filter((l) => l.startsWith('identity_webhook'));
        const sample = (lines: string[], prefix: string) => Number(lines.find((l) => l.startsWith(prefix))?.split(' ').at(-1) ?? 0);
        const tenant = await createTenant(m);
        const r = await receiver();
        const res = await m.call('POST', '/api/v2/webhooks', { tenant: tenant.id, body: { url: r.url, events: ['user.*'] } });
        r.secret = res.body.secret;
        await r.stop();
        const user = await createUser(m, tenant);
        expect(sample(await scrape(), 'identity_webhook_outbox_pending')).toBe(1);
        let lines: string[] = [];
        for (let i = 0; i < 100 && sample(lines, 'identity_webhook_deliveries_total{result="retrying"}') < 1; i++) {
          lines = await scrape();
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await r.start();
        await r.waitFor((x) => x.delivered.length === 1);
        // The attempt is counted once its answer is recorded, a moment after the receiver has it.
        for (let i = 0; i < 100; i++) {
          lines = await scrape();
          if (sample(lines, 'identity_webhook_deliveries_total{result="delivered"}') >= 1 && sample(lines, 'identity_webhook_outbox_pending') === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(sample(lines, 'identity_webhook_deliveries_total{result="delivered"}')).toBe(1);
        expect(sample(lines, 'identity_webhook_deliveries_total{result="retrying"}')).toBeGreaterThanOrEqual(1);
        expect(sample(lines, 'identity_webhook_outbox_pending')).toBe(0);
        const text = lines.join('\n');
        expect(text).not.toContain(user.id);
        expect(text).not.toContain(user.email);
      } finally {
        await m.close();
      }
    });
  });
});
