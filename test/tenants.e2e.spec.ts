import { AuditEvent } from '../src/audit/audit-event.entity.js';
import { createTenant, expectProblem, OPERATOR_KEY, startApp, type TestApp, uniqueSlug } from './helpers/app.js';

describe('tenants (operator)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a tenant with default settings and reads it back by id', async () => {
    const slug = uniqueSlug();
    const created = await t.call('POST', '/api/v2/tenants', { body: { slug, name: 'Acme' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      slug,
      name: 'Acme',
      active: true,
      settings: {
        passwordMinLength: 8,
        lockoutThreshold: 5,
        lockoutMinutes: 15,
        sessionsLimitDefault: null,
        accessTokenTtlSeconds: 900,
        refreshTokenTtlSeconds: 2592000,
      },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: created.body.createdAt,
    });
    const read = await t.call('GET', `/api/v2/tenants/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('accepts settings on create and patches them partially', async () => {
    const tenant = await createTenant(t, { settings: { passwordMinLength: 12, sessionsLimitDefault: 3 } });
    expect(tenant.settings).toMatchObject({ passwordMinLength: 12, sessionsLimitDefault: 3, lockoutThreshold: 5 });
    const patched = await t.call('PATCH', `/api/v2/tenants/${tenant.id}`, {
      body: { name: 'Renamed', settings: { lockoutMinutes: 30, sessionsLimitDefault: null } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'Renamed',
      slug: tenant.slug,
      settings: { passwordMinLength: 12, lockoutMinutes: 30, sessionsLimitDefault: null },
    });
    expect(Date.parse(patched.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(tenant.updatedAt));
  });

  it('checks two settings changes sent at once one after the other: the refresh TTL never ends shorter than the access TTL', async () => {
    // Each change alone is valid against the stored settings (access 900 s, refresh 3,600 s);
    // both together are not. Read unlocked, both would pass their check against the old row.
    for (let round = 0; round < 8; round++) {
      const tenant = await createTenant(t, { settings: { accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 3600 } });
      const [longerAccess, shorterRefresh] = await Promise.all([
        t.call('PATCH', `/api/v2/tenants/${tenant.id}`, { body: { settings: { accessTokenTtlSeconds: 3000 } } }),
        t.call('PATCH', `/api/v2/tenants/${tenant.id}`, { body: { settings: { refreshTokenTtlSeconds: 1800 } } }),
      ]);
      expect([longerAccess.status, shorterRefresh.status].sort()).toEqual([200, 422]);
      const stored = (await t.call('GET', `/api/v2/tenants/${tenant.id}`)).body.settings;
      expect(stored.refreshTokenTtlSeconds).toBeGreaterThanOrEqual(stored.accessTokenTtlSeconds);
      // The refused change changed nothing: the stored settings are the accepted one's answer.
      expect(stored).toEqual((longerAccess.status === 200 ? longerAccess : shorterRefresh).body.settings);
    }
  });

  it('answers 409 for a taken slug, on create and on rename', async () => {
    const a = await createTenant(t);
    const b = await createTenant(t);
    expectProblem(await t.call('POST', '/api/v2/tenants', { body: { slug: a.slug, name: 'dup' } }), 409, 'slug_taken');
    expectProblem(await t.call('PATCH', `/api/v2/tenants/${b.id}`, { body: { slug: a.slug } }), 409, 'slug_taken');
    expect((await t.call('GET', `/api/v2/tenants/${b.id}`)).body.slug).toBe(b.slug);
  });

  it('gives exactly one 201 when the same slug is created concurrently', async () => {
    const slug = uniqueSlug();
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => t.call('POST', '/api/v2/tenants', { body: { slug, name: 'race' } })),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(9);
  });

  it.each([
    [{ slug: 'A', name: 'x' }, 'slug'],
    [{ slug: '-abc', name: 'x' }, 'slug'],
    [{ slug: 'a'.repeat(64), name: 'x' }, 'slug'],
    [{ slug: '01a20855-ad12-73e1-ac10-eb3f29124650', name: 'x' }, 'slug'],
    [{ slug: 'ok-slug', name: '' }, 'name'],
    [{ slug: 'ok-slug' }, 'name'],
    [{ slug: 'ok-slug', name: 'x', active: 'yes' }, 'active'],
    [{ slug: 'ok-slug', name: 'x', settings: { passwordMinLength: 4 } }, 'settings.passwordMinLength'],
    [{ slug: 'ok-slug', name: 'x', settings: { sessionsLimitDefault: 0 } }, 'settings.sessionsLimitDefault'],
    [{ slug: 'ok-slug', name: 'x', settings: { unknown: 1 } }, 'settings.unknown'],
    [{ slug: 'ok-slug', name: 'x', color: 'red' }, 'color'],
  ])('rejects %j with 422 naming %s, and creates nothing', async (body, field) => {
    const before = await t.call('GET', '/api/v2/tenants?limit=200');
    const res = await t.call('POST', '/api/v2/tenants', { body });
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    const after = await t.call('GET', '/api/v2/tenants?limit=200');
    expect(after.body.data).toHaveLength(before.body.data.length);
  });

  it('rejects null for fields that cannot be null, and changes nothing', async () => {
    const tenant = await createTenant(t);
    for (const body of [{ slug: null }, { name: null }, { active: null }, { settings: null }, { settings: { lockoutMinutes: null } }]) {
      const res = await t.call('PATCH', `/api/v2/tenants/${tenant.id}`, { body });
      expectProblem(res, 422, 'validation_failed');
    }
    expect((await t.call('GET', `/api/v2/tenants/${tenant.id}`)).body).toEqual(tenant);
  });

  it('rejects a refresh token lifetime shorter than the access token lifetime', async () => {
    const tenant = await createTenant(t);
    const res = await t.call('PATCH', `/api/v2/tenants/${tenant.id}`, {
      body: { settings: { accessTokenTtlSeconds: 3600, refreshTokenTtlSeconds: 600 } },
    });
    expectProblem(res, 422);
    expect(res.body.errors[0].field).toBe('settings.refreshTokenTtlSeconds');
  });

  it('lists tenants with keyset pagination', async () => {
    for (let i = 0; i < 3; i++) await createTenant(t);
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v2/tenants?limit=2${cursor ? `&after=${cursor}` : ''}`;
      const page = await t.call('GET', url);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      for (const tenant of page.body.data) {
        expect(seen.has(tenant.id)).toBe(false);
        seen.add(tenant.id);
      }
      cursor = page.body.meta.nextCursor;
      pages += 1;
    } while (cursor && pages < 100);
    const all = await t.call('GET', '/api/v2/tenants?limit=200');
    expect(seen.size).toBe(all.body.data.length);
    expectProblem(await t.call('GET', '/api/v2/tenants?after=garbage!'), 422);
    expectProblem(await t.call('GET', '/api/v2/tenants?limit=0'), 422);
    expectProblem(await t.call('GET', '/api/v2/tenants?limit=201'), 422);
  });

  it('answers 404 for an unknown or malformed tenant id', async () => {
    expectProblem(await t.call('GET', '/api/v2/tenants/0190e0b6-0000-7000-8000-000000000000'), 404, 'not_found');
    expectProblem(await t.call('GET', '/api/v2/tenants/not-a-uuid'), 404, 'not_found');
    expectProblem(await t.call('PATCH', '/api/v2/tenants/not-a-uuid', { body: { name: 'x' } }), 404);
    expectProblem(await t.call('DELETE', '/api/v2/tenants/0190e0b6-0000-7000-8000-000000000000'), 404);
  });

  it('deletes a tenant and all of its data', async () => {
    const tenant = await createTenant(t);
    await t.call('PATCH', `/api/v2/tenants/${tenant.id}`, { body: { name: 'to be deleted' } });
    const events = t.dataSource.getRepository(AuditEvent);
    expect(await events.countBy({ tenantId: tenant.id })).toBe(2);
    const res = await t.call('DELETE', `/api/v2/tenants/${tenant.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectProblem(await t.call('GET', `/api/v2/tenants/${tenant.id}`), 404);
    expect(await events.countBy({ tenantId: tenant.id })).toBe(0);
    const deletion = await events.findOneByOrFail({ action: 'tenant.deleted', targetId: tenant.id });
    expect(deletion).toMatchObject({ tenantId: null, actorType: 'operator', targetType: 'tenant' });
  });

  describe('authentication', () => {
    it('answers 401 without credentials or with a wrong operator key', async () => {
      expectProblem(await t.call('GET', '/api/v2/tenants', { as: null }), 401, 'unauthenticated');
      expectProblem(
        await t.call('GET', '/api/v2/tenants', { as: null, headers: { 'x-admin-key': `${OPERATOR_KEY}x` } }),
        401,
        'invalid_credentials',
      );
      expectProblem(await t.call('GET', '/api/v2/tenants', { as: { bearer: 'idk_not-a-key' } }), 401, 'invalid_credentials');
      expectProblem(
        await t.call('POST', '/api/v2/tenants', { as: null, body: { slug: uniqueSlug(), name: 'x' } }),
        401,
      );
    });
  });

  describe('own tenant and tenant selection', () => {
    it('lets the operator read and edit a tenant named by id or slug', async () => {
      const tenant = await createTenant(t);
      expect((await t.call('GET', '/api/v2/tenant', { tenant: tenant.id })).body.id).toBe(tenant.id);
      expect((await t.call('GET', '/api/v2/tenant', { tenant: tenant.slug })).body.id).toBe(tenant.id);
      const patched = await t.call('PATCH', '/api/v2/tenant', { tenant: tenant.slug, body: { settings: { lockoutThreshold: 3 } } });
      expect(patched.status).toBe(200);
      expect(patched.body.settings.lockoutThreshold).toBe(3);
    });

    it('needs X-Tenant-Id from the operator on tenant-scoped routes', async () => {
      expectProblem(await t.call('GET', '/api/v2/tenant'), 400, 'tenant_header_required');
      expectProblem(await t.call('GET', '/api/v2/audit-events'), 400, 'tenant_header_required');
      expectProblem(await t.call('GET', '/api/v2/tenant', { tenant: 'no-such-tenant' }), 404);
    });
  });

  describe('audit', () => {
    it('records tenant mutations with actor, target, ip and request id, pages by cursor and filters', async () => {
      const tenant = await createTenant(t);
      for (let i = 0; i < 3; i++) {
        await t.call('PATCH', `/api/v2/tenants/${tenant.id}`, { body: { name: `n${i}` }, headers: { 'x-request-id': `req-${i}` } });
      }
      const first = await t.call('GET', '/api/v2/audit-events?limit=2', { tenant: tenant.id });
      expect(first.status).toBe(200);
      expect(first.body.data).toHaveLength(2);
      expect(first.body.data[0]).toEqual({
        id: expect.any(String),
        at: expect.stringMatching(/Z$/),
        action: 'tenant.created',
        actor: { type: 'operator', id: null },
        target: { type: 'tenant', id: tenant.id },
        ip: expect.any(String),
        requestId: expect.any(String),
      });
      expect(first.body.data[1]).toMatchObject({ action: 'tenant.updated', requestId: 'req-0' });
      const second = await t.call('GET', `/api/v2/audit-events?limit=2&after=${first.body.meta.nextCursor}`, { tenant: tenant.id });
      expect(second.body.data.map((e: { requestId: string }) => e.requestId)).toEqual(['req-1', 'req-2']);
      expect(second.body.meta).toEqual({ nextCursor: expect.any(String), hasMore: false });
      const filtered = await t.call('GET', '/api/v2/audit-events?filter[action]=tenant.created', { tenant: tenant.id });
      expect(filtered.body.data).toHaveLength(1);
      expectProblem(await t.call('GET', '/api/v2/audit-events?filter[colour]=red', { tenant: tenant.id }), 422);
      expectProblem(await t.call('GET', '/api/v2/audit-events?filter[actorId]=x', { tenant: tenant.id }), 422);
    });

    it('writes no event when the change fails', async () => {
      const a = await createTenant(t);
      const b = await createTenant(t);
      await t.call('PATCH', `/api/v2/tenants/${b.id}`, { body: { slug: a.slug } });
      const events = await t.call('GET', '/api/v2/audit-events', { tenant: b.id });
      expect(events.body.data.map((e: { action: string }) => e.action)).toEqual(['tenant.created']);
    });
  });
});
