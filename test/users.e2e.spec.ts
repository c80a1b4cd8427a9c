import type { MigrationInterface } from 'typeorm';
import { AuditEvent } from '../src/audit/audit-event.entity.js';
import { UserClientTag, UserGroup, UserIpWhitelistEntry, UserPlan } from '../src/users/user-relations.entity.js';
import { User } from '../src/users/user.entity.js';
import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { patchBody, scimClient } from './helpers/scim.js';
import { createUser, insertGroup, insertPlan, uniqueEmail } from './helpers/users.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('users (operator)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a user from the body existing clients send, returns every field and finds it by filters', async () => {
    const tenant = await createTenant(t);
    const body = {
      name: 'Mary',
      email: 'email@website.com',
      password: 'MySecret123',
      active: true,
      tfa: true,
      groups: [],
      phone: '+18043257762',
      ipWhitelist: ['79.24.241.198', '20.65.174.119'],
      clientTags: ['my_tag'],
      canViewMaskedData: true,
      sendNotify: true,
    };
    const created = await t.call('POST', '/api/v2/users', { tenant: tenant.id, body });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(UUID),
      tenantId: tenant.id,
      externalId: null,
      name: 'Mary',
      firstName: null,
      lastName: null,
      username: null,
      email: 'email@website.com',
      phone: '+18043257762',
      active: true,
      admin: false,
      planAdmin: false,
      tfa: true,
      tfaEnrolled: false,
      resetPassword: false,
      resetTfa: false,
      passwordResetAllowed: true,
      canViewMaskedData: true,
      onlySeesReadable: false,
      sessionsLimit: null,
      groups: [],
      permissions: [],
      ipWhitelist: ['79.24.241.198', '20.65.174.119'],
      clientTags: ['my_tag'],
      plans: [],
      enterprise: { employeeNumber: null, costCenter: null, organization: null, division: null, department: null, managerId: null },
      lockedUntil: null,
      lastLoginAt: null,
      lastActionAt: null,
      createdAt: expect.stringMatching(ISO),
      updatedAt: created.body.createdAt,
      version: 1,
    });
    expect(created.headers.etag).toBe('"1"');
    expect(created.text).not.toMatch(/MySecret123|argon2|"password(Hash)?"/i);

    const found = await t.call(
      'GET',
      '/api/v2/users?limit=10&offset=0&filter[name]=Mary&filter[email]=email@website.com&filter[active]=1',
      { tenant: tenant.id },
    );
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ data: [created.body], meta: { limit: 10, offset: 0, nextCursor: null } });

    const read = await t.call('GET', `/api/v2/users/${created.body.id}`, { tenant: tenant.id });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect(read.headers.etag).toBe('"1"');
  });

  it('stores an argon2id hash with m=19456, t=2, p=1 and never returns it', async () => {
    const tenant = await createTenant(t);
    const user = await createUser(t, tenant, { password: 'correct horse battery' });
    const row = await t.dataSource.getRepository(User).findOneByOrFail({ id: user.id });
    expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    const responses = [
      await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id }),
      await t.call('GET', '/api/v2/users', { tenant: tenant.id }),
      await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { password: 'another long secret' } }),
    ];
    for (const res of responses) {
      expect(res.text).not.toContain('argon2');
      expect(res.text).not.toMatch(/"password(Hash)?"/);
      expect(res.text).not.toContain('correct horse');
    }
    const changed = await t.dataSource.getRepository(User).findOneByOrFail({ id: user.id });
    expect(changed.passwordHash).not.toBe(row.passwordHash);
  });

  it('applies defaults: name from first and last name or the email local part, email and username lower-cased', async () => {
    const tenant = await createTenant(t);
    const a = await createUser(t, tenant, { email: 'Jane.Doe@Example.COM', firstName: 'Jane', lastName: 'Doe', username: 'JaneD' });
    expect(a).toMatchObject({ name: 'Jane Doe', email: 'jane.doe@example.com', username: 'janed', active: true });
    const b = await createUser(t, tenant, { email: 'solo@example.com' });
    expect(b.name).toBe('solo');
    const c = await createUser(t, tenant, { email: 'p@example.com', phone: '+1 (804) 325-7762', active: false });
    expect(c).toMatchObject({ phone: '+18043257762', active: false });
  });

  it.each([
    [{}, 'email'],
    [{ email: 'not-an-email' }, 'email'],
    [{ email: null }, 'email'],
    [{ email: 'ok@example.com', name: '' }, 'name'],
    [{ email: 'ok@example.com', name: null }, 'name'],
    [{ email: 'ok@example.com', phone: '12345' }, 'phone'],
    [{ email: 'ok@example.com', phone: '+0123456789' }, 'phone'],
    [{ email: 'ok@example.com', ipWhitelist: ['300.1.1.1'] }, 'ipWhitelist'],
    [{ email: 'ok@example.com', ipWhitelist: ['10.0.0.0/33'] }, 'ipWhitelist'],
    [{ email: 'ok@example.com', ipWhitelist: ['10'] }, 'ipWhitelist'],
    [{ email: 'ok@example.com', ipWhitelist: Array.from({ length: 101 }, () => '10.0.0.1') }, 'ipWhitelist'],
    [{ email: 'ok@example.com', ipWhitelist: '10.0.0.1' }, 'ipWhitelist'],
    [{ email: 'ok@example.com', clientTags: [''] }, 'clientTags'],
    [{ email: 'ok@example.com', clientTags: ['x'.repeat(65)] }, 'clientTags'],
    [{ email: 'ok@example.com', clientTags: Array.from({ length: 101 }, (_, i) => `t${i}`) }, 'clientTags'],
    [{ email: 'ok@example.com', sessionsLimit: 0 }, 'sessionsLimit'],
    [{ email: 'ok@example.com', sessionsLimit: 1_000_000 }, 'sessionsLimit'],
    [{ email: 'ok@example.com', sessionsLimit: 1.5 }, 'sessionsLimit'],
    [{ email: 'ok@example.com', password: 'short' }, 'password'],
    [{ email: 'ok@example.com', password: 'x'.repeat(257) }, 'password'],
    [{ email: 'ok@example.com', groups: ['not-a-uuid'] }, 'groups'],
    [{ email: 'ok@example.com', plans: [{ planId: '0190e0b6-0000-7000-8000-000000000000', validTo: '2025-02-30' }] }, 'plans.0.validTo'],
    [{ email: 'ok@example.com', plans: [{ validTo: '2025-01-01' }] }, 'plans.0.planId'],
    [{ email: 'ok@example.com', active: 'yes' }, 'active'],
    [{ email: 'ok@example.com', tfaEnrolled: true }, 'tfaEnrolled'],
    [{ email: 'ok@example.com', version: 3 }, 'version'],
    [{ email: 'ok@example.com', colour: 'red' }, 'colour'],
  ])('rejects %j with 422 naming %s and creates nothing', async (body, field) => {
    const tenant = await createTenant(t);
    const res = await t.call('POST', '/api/v2/users', { tenant: tenant.id, body });
    expectProblem(res, 422, 'validation_failed');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await t.dataSource.getRepository(User).countBy({ tenantId: tenant.id })).toBe(0);
  });

  it('accepts IPv4, IPv6 and CIDR allow-list entries', async () => {
    const tenant = await createTenant(t);
    const entries = ['10.0.0.1', '10.0.0.0/8', '2001:db8::1', '2001:db8::/32', '::1'];
    expect((await createUser(t, tenant, { ipWhitelist: entries })).ipWhitelist).toEqual(entries);
  });

  it('honours the tenant password minimum', async () => {
    const tenant = await createTenant(t, { settings: { passwordMinLength: 12 } });
    const res = await t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email: uniqueEmail(), password: 'elevenchars' } });
    expectProblem(res, 422);
    expect(res.body.errors).toEqual([{ field: 'password', message: 'must be 12 to 256 characters long' }]);
    await createUser(t, tenant, { password: 'twelve chars' });
  });

  it('gives exactly one 201 when one email is created 30 times at once in different letter cases', async () => {
    const tenant = await createTenant(t);
    const local = `race${Date.now()}`;
    const variants = Array.from({ length: 30 }, (_, i) =>
      `${local}@example.com`
        .split('')
        .map((c, j) => ((i >> j % 5) & 1 ? c.toUpperCase() : c))
        .join(''),
    );
    const replies = await Promise.all(variants.map((email) => t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email } })));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    const conflicts = replies.filter((r) => r.status === 409);
    expect(conflicts).toHaveLength(29);
    for (const r of conflicts) expectProblem(r, 409, 'email_taken');
    expect(await t.dataSource.getRepository(User).countBy({ tenantId: tenant.id })).toBe(1);
  });

  it('answers 409 for a taken email, username (any case) or externalId, on create and on update', async () => {
    const tenant = await createTenant(t);
    const a = await createUser(t, tenant, { username: 'alice', externalId: 'ext-a' });
    const b = await createUser(t, tenant);
    const post = (body: object) => t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email: uniqueEmail(), ...body } });
    expectProblem(await post({ email: a.email.toUpperCase() }), 409, 'email_taken');
    expectProblem(await post({ username: 'ALICE' }), 409, 'username_taken');
    expectProblem(await post({ externalId: 'ext-a' }), 409, 'external_id_taken');
    const patch = (body: object) => t.call('PATCH', `/api/v2/users/${b.id}`, { tenant: tenant.id, body });
    expectProblem(await patch({ email: a.email }), 409, 'email_taken');
    expectProblem(await patch({ username: 'Alice' }), 409, 'username_taken');
    expectProblem(await patch({ externalId: 'ext-a' }), 409, 'external_id_taken');
    // The same values are free in another tenant.
    const other = await createTenant(t);
    await createUser(t, other, { email: a.email, username: 'alice', externalId: 'ext-a' });
    // Many users may have no username or externalId.
    await createUser(t, tenant);
  });

  it('updates only the fields sent, with PUT and PATCH alike, bumping the version', async () => {
    const tenant = await createTenant(t);
    const user = await createUser(t, tenant, { firstName: 'Ann', lastName: 'Lee', phone: '+4915112345678', clientTags: ['a', 'b'] });
    const put = await t.call('PUT', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { lastName: 'Smith' } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ ...user, name: 'Ann Smith', lastName: 'Smith', version: 2, updatedAt: expect.stringMatching(ISO) });
    expect(put.headers.etag).toBe('"2"');
    const patch = await t.call('PATCH', `/api/v2/users/${user.id}`, {
      tenant: tenant.id,
      body: { phone: null, clientTags: ['c'], admin: true, sessionsLimit: 5, resetPassword: true },
    });
    expect(patch.body).toMatchObject({ firstName: 'Ann', lastName: 'Smith', phone: null, clientTags: ['c'], admin: true, sessionsLimit: 5, version: 3 });
    expect(patch.body.permissions).toHaveLength(14);
    expectProblem(await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { email: null } }), 422);
    expectProblem(await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { colour: 'red' } }), 422);
  });

  it('keeps a name never set in step with firstName and lastName, and leaves a chosen one alone (issue 14, point 7)', async () => {
    const tenant = await createTenant(t);
    const put = (id: string, body: object) => t.call('PUT', `/api/v2/users/${id}`, { tenant: tenant.id, body });
    const patch = (id: string, body: object) => t.call('PATCH', `/api/v2/users/${id}`, { tenant: tenant.id, body });
    const dave = await createUser(t, tenant, { email: 'dave@example.com', firstName: 'Dave' });
    expect(dave.name).toBe('Dave');
    expect((await patch(dave.id, { lastName: 'Jones' })).body).toMatchObject({ name: 'Dave Jones', firstName: 'Dave', lastName: 'Jones' });
    expect((await put(dave.id, { firstName: 'David' })).body.name).toBe('David Jones');
    // A read-modify-write PUT sends the name back as it read it: that is no choice of a name.
    const read = (await t.call('GET', `/api/v2/users/${dave.id}`, { tenant: tenant.id })).body;
    expect((await put(dave.id, { name: read.name, firstName: read.firstName, lastName: 'Jonas' })).body.name).toBe('David Jonas');
    expect((await patch(dave.id, { firstName: null, lastName: null })).body.name).toBe('dave');
    expect((await patch(dave.id, { email: 'd.jones@example.com' })).body.name).toBe('d.jones');
    // An identity provider changing the family name through SCIM moves the name with it.
    const idp = await scimClient(t, tenant, 'admin');
    const scim = await idp.call('PATCH', `/scim/v2/Users/${dave.id}`, patchBody({ op: 'replace', path: 'name.familyName', value: 'Jonas' }));
    expect(scim.body).toMatchObject({ displayName: 'Jonas', name: { formatted: 'Jonas', familyName: 'Jonas' } });

    // A name of its own stays whatever happens to the parts.
    const own = await createUser(t, tenant, { email: 'ann@example.com', firstName: 'Ann', lastName: 'Lee', name: 'Dr. Ann Lee' });
    expect((await patch(own.id, { lastName: 'Smith' })).body).toMatchObject({ name: 'Dr. Ann Lee', lastName: 'Smith' });
    const later = await createUser(t, tenant, { email: 'bo@example.com', firstName: 'Bo' });
    expect((await patch(later.id, { name: 'Bobby' })).body.name).toBe('Bobby');
    expect((await put(later.id, { firstName: 'Robert', lastName: 'Berg' })).body).toMatchObject({ name: 'Bobby', firstName: 'Robert' });
    const rows = await t.dataSource.getRepository(User).findBy({ tenantId: tenant.id });
    expect(Object.fromEntries(rows.filter((u) => u.id !== idp.userId).map((u) => [u.email, u.nameExplicit]))).toEqual({
      'd.jones@example.com': false,
      'ann@example.com': true,
      'bo@example.com': true,
    });
  });

  it('takes, on migrating, a user whose name is exactly its derived one as never named', async () => {
    const tenant = await createTenant(t);
    const users = {
      derived: await createUser(t, tenant, { firstName: 'Ann', lastName: 'Lee' }),
      local: await createUser(t, tenant, {}),
      blankFirst: await createUser(t, tenant, { firstName: '  ', lastName: 'Zed' }),
      own: await createUser(t, tenant, { firstName: 'Ann', lastName: 'Lee', name: 'Dr. Ann Lee' }),
      otherCase: await createUser(t, tenant, { firstName: 'Ann', lastName: 'Lee', name: 'ann lee' }),
    };
    expect(users.local.name).toBe(users.local.email.split('@')[0]);
    const migration = (t.dataSource.migrations as MigrationInterface[]).find((m) => m.name?.startsWith('UserNameExplicit'))!;
    const runner = t.dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const rows = await t.dataSource.getRepository(User).findBy({ tenantId: tenant.id });
    const explicit = Object.fromEntries(Object.entries(users).map(([key, u]) => [key, rows.find((r) => r.id === u.id)!.nameExplicit]));
    expect(explicit).toEqual({ derived: false, local: false, blankFirst: false, own: true, otherCase: true });
  });

  it('sends the version as ETag and answers 412 to a stale If-Match on PUT, PATCH and DELETE', async () => {
    const tenant = await createTenant(t);
    const user = await createUser(t, tenant);
    const url = `/api/v2/users/${user.id}`;
    const first = await t.call('PATCH', url, { tenant: tenant.id, body: { name: 'v2' }, headers: { 'if-match': '"1"' } });
    expect(first.status).toBe(200);
    expect(first.headers.etag).toBe('"2"');
    expectProblem(await t.call('PATCH', url, { tenant: tenant.id, body: { name: 'lost' }, headers: { 'if-match': '"1"' } }), 412, 'precondition_failed');
    expectProblem(await t.call('PUT', url, { tenant: tenant.id, body: { name: 'lost' }, headers: { 'if-match': '"1"' } }), 412);
    expectProblem(await t.call('PUT', url, { tenant: tenant.id, body: { name: 'lost' }, headers: { 'if-match': 'W/"2"' } }), 412);
    expectProblem(await t.call('DELETE', url, { tenant: tenant.id, headers: { 'if-match': '"1"' } }), 412);
    const read = await t.call('GET', url, { tenant: tenant.id });
    expect(read.body.name).toBe('v2');
    expect(read.headers.etag).toBe('"2"');
    expect((await t.call('PUT', url, { tenant: tenant.id, body: { name: 'v3' }, headers: { 'if-match': '"1", "2"' } })).status).toBe(200);
    expect((await t.call('PATCH', url, { tenant: tenant.id, body: { name: 'v4' }, headers: { 'if-match': '*' } })).status).toBe(200);
    expect((await t.call('DELETE', url, { tenant: tenant.id, headers: { 'if-match': '"4"' } })).status).toBe(204);
  });

  it('assigns groups and plans, computes permissions and plan activity, and refuses unknown or foreign ids', async () => {
    const tenant = await createTenant(t);
    const other = await createTenant(t);
    const readers = await insertGroup(t, tenant.id, 'Readers', ['users:read', 'audit:read']);
    const writers = await insertGroup(t, tenant.id, 'Writers', ['users:write', 'users:read']);
    const foreignGroup = await insertGroup(t, other.id, 'Foreign', ['tenant:write']);
    const gold = await insertPlan(t, tenant.id, 'Gold', 3);
    const old = await insertPlan(t, tenant.id, 'Old');
    const foreignPlan = await insertPlan(t, other.id, 'Foreign');

    const user = await createUser(t, tenant, {
      groups: [writers, readers],
      plans: [{ planId: gold }, { planId: old, validTo: '2020-01-31' }],
    });
    expect(user.groups).toEqual([
      { id: readers, name: 'Readers' },
      { id: writers, name: 'Writers' },
    ]);
    expect(user.permissions).toEqual(['users:read', 'users:write', 'audit:read']);
    expect(user.plans).toEqual([
      { planId: gold, name: 'Gold', validFrom: expect.stringMatching(ISO), validTo: null, active: true },
      { planId: old, name: 'Old', validFrom: expect.stringMatching(ISO), validTo: '2020-01-31', active: false },
    ]);

    const planAdmin = await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { planAdmin: true, groups: [readers] } });
    expect(planAdmin.body.permissions).toEqual(['users:read', 'plans:read', 'plans:write', 'audit:read']);
    expect(planAdmin.body.plans).toEqual(user.plans);

    const future = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const replaced = await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { plans: [{ planId: gold, validTo: future }] } });
    expect(replaced.body.plans).toEqual([{ ...user.plans[0], validTo: future }]);

    const bad = [
      [{ groups: [foreignGroup] }, 'groups[0]'],
      [{ groups: [readers, '0190e0b6-0000-7000-8000-000000000000'] }, 'groups[1]'],
      [{ plans: [{ planId: foreignPlan }] }, 'plans[0].planId'],
    ] as const;
    for (const [body, field] of bad) {
      const res = await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    const unchanged = await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id });
    expect(unchanged.body.groups).toEqual([{ id: readers, name: 'Readers' }]);
  });

  it("answers 404 for another tenant's user, an unknown id and a malformed id", async () => {
    const a = await createTenant(t);
    const b = await createTenant(t);
    const user = await createUser(t, a, { externalId: 'shared-ext' });
    const url = `/api/v2/users/${user.id}`;
    expectProblem(await t.call('GET', url, { tenant: b.id }), 404, 'not_found');
    expectProblem(await t.call('PATCH', url, { tenant: b.id, body: { name: 'x' } }), 404);
    expectProblem(await t.call('PUT', url, { tenant: b.id, body: { name: 'x' } }), 404);
    expectProblem(await t.call('DELETE', url, { tenant: b.id }), 404);
    expectProblem(await t.call('POST', `${url}/actions/deactivate`, { tenant: b.id }), 404);
    expectProblem(await t.call('GET', '/api/v2/users/external/shared-ext', { tenant: b.id }), 404);
    expectProblem(await t.call('GET', '/api/v2/users/0190e0b6-0000-7000-8000-000000000000', { tenant: a.id }), 404);
    expectProblem(await t.call('GET', '/api/v2/users/not-a-uuid', { tenant: a.id }), 404);
    expect((await t.call('GET', '/api/v2/users', { tenant: b.id })).body.data).toEqual([]);
    expect((await t.call('GET', url, { tenant: a.slug })).status).toBe(200);
  });

  it('needs credentials and a tenant', async () => {
    expectProblem(await t.call('GET', '/api/v2/users', { as: null }), 401);
    expectProblem(await t.call('GET', '/api/v2/users'), 400, 'tenant_header_required');
    expectProblem(await t.call('POST', '/api/v2/users', { body: { email: uniqueEmail() } }), 400, 'tenant_header_required');
  });

  it('deletes a user with everything hanging off it; the audit event keeps only the id', async () => {
    const tenant = await createTenant(t);
    const group = await insertGroup(t, tenant.id, 'G', ['users:read']);
    const plan = await insertPlan(t, tenant.id, 'P');
    const user = await createUser(t, tenant, { groups: [group], plans: [{ planId: plan }], ipWhitelist: ['10.0.0.1'], clientTags: ['x', 'y'] });
    const keep = await createUser(t, tenant, { groups: [group], clientTags: ['x'] });
    const count = async (userId: string) => [
      await t.dataSource.getRepository(UserGroup).countBy({ userId }),
      await t.dataSource.getRepository(UserPlan).countBy({ userId }),
      await t.dataSource.getRepository(UserIpWhitelistEntry).countBy({ userId }),
      await t.dataSource.getRepository(UserClientTag).countBy({ userId }),
    ];
    expect(await count(user.id)).toEqual([1, 1, 1, 2]);
    const res = await t.call('DELETE', `/api/v2/users/${user.id}`, { tenant: tenant.id });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectProblem(await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id }), 404);
    expectProblem(await t.call('DELETE', `/api/v2/users/${user.id}`, { tenant: tenant.id }), 404);
    expect(await count(user.id)).toEqual([0, 0, 0, 0]);
    expect(await count(keep.id)).toEqual([1, 0, 0, 1]);
    const event = await t.dataSource.getRepository(AuditEvent).findOneByOrFail({ action: 'user.deleted', targetId: user.id });
    expect(event).toMatchObject({ tenantId: tenant.id, actorType: 'operator', targetType: 'user', targetId: user.id });
  });

  it('records an audit event for each change, in the same transaction', async () => {
    const tenant = await createTenant(t);
    const user = await createUser(t, tenant);
    await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { name: 'x' } });
    await t.call('POST', `/api/v2/users/${user.id}/actions/deactivate`, { tenant: tenant.id });
    await t.call('POST', `/api/v2/users/${user.id}/actions/reactivate`, { tenant: tenant.id });
    await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { groups: ['0190e0b6-0000-7000-8000-000000000000'] } }); // 422: no event
    await t.call('DELETE', `/api/v2/users/${user.id}`, { tenant: tenant.id });
    const events = await t.call('GET', '/api/v2/audit-events?limit=50', { tenant: tenant.id });
    expect(events.body.data.filter((e: { target: { type: string } }) => e.target.type === 'user')).toEqual(
      ['user.created', 'user.updated', 'user.deactivated', 'user.reactivated', 'user.deleted'].map((action) =>
        expect.objectContaining({ action, actor: { type: 'operator', id: null }, target: { type: 'user', id: user.id } }),
      ),
    );
  });

  it('deactivates and reactivates by id and by externalId, and refuses an unknown action with 422', async () => {
    const tenant = await createTenant(t);
    const user = await createUser(t, tenant, { externalId: 'act-1' });
    const off = await t.call('POST', `/api/v2/users/${user.id}/actions/deactivate`, { tenant: tenant.id });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: user.id, active: false, version: 2 });
    const again = await t.call('POST', `/api/v2/users/${user.id}/actions/deactivate`, { tenant: tenant.id });
    expect(again.body).toMatchObject({ active: false, version: 2 });
    const on = await t.call('POST', '/api/v2/users/external/act-1/actions/reactivate', { tenant: tenant.id });
    expect(on.body).toMatchObject({ id: user.id, active: true, version: 3 });
    const unknown = await t.call('POST', `/api/v2/users/${user.id}/actions/explode`, { tenant: tenant.id });
    expectProblem(unknown, 422, 'validation_failed');
    expect(unknown.body.errors[0].field).toBe('action');
    expectProblem(await t.call('POST', '/api/v2/users/external/act-1/actions/explode', { tenant: tenant.id }), 422);
    expectProblem(await t.call('POST', '/api/v2/users/external/nobody/actions/deactivate', { tenant: tenant.id }), 404);
  });

  describe('by externalId', () => {
    it('upserts with PUT: 201 when created, 200 when updated, and reads, patches and deletes', async () => {
      const tenant = await createTenant(t);
      const url = '/api/v2/users/external/crm%2F42';
      expectProblem(await t.call('PUT', url, { tenant: tenant.id, body: { name: 'no email' } }), 422);
      const created = await t.call('PUT', url, { tenant: tenant.id, body: { email: 'crm42@example.com', name: 'First' } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ externalId: 'crm/42', name: 'First', version: 1 });
      const updated = await t.call('PUT', url, { tenant: tenant.id, body: { name: 'Second' } });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ id: created.body.id, externalId: 'crm/42', name: 'Second', email: 'crm42@example.com', version: 2 });
      const read = await t.call('GET', url, { tenant: tenant.id });
      expect(read.body).toEqual(updated.body);
      expect(read.headers.etag).toBe('"2"');
      expectProblem(await t.call('PUT', url, { tenant: tenant.id, body: { name: 'x' }, headers: { 'if-match': '"1"' } }), 412);
      expectProblem(await t.call('PUT', url, { tenant: tenant.id, body: { externalId: 'other' } }), 422);
      const patched = await t.call('PATCH', url, { tenant: tenant.id, body: { firstName: 'F' }, headers: { 'if-match': '"2"' } });
      expect(patched.body).toMatchObject({ firstName: 'F', version: 3 });
      expectProblem(await t.call('PATCH', '/api/v2/users/external/nobody', { tenant: tenant.id, body: { name: 'x' } }), 404);
      expectProblem(await t.call('PUT', '/api/v2/users/external/nobody', { tenant: tenant.id, body: { email: uniqueEmail() }, headers: { 'if-match': '"1"' } }), 412);
      expect((await t.call('DELETE', url, { tenant: tenant.id })).status).toBe(204);
      expectProblem(await t.call('GET', url, { tenant: tenant.id }), 404);
      expectProblem(await t.call('DELETE', url, { tenant: tenant.id }), 404);
    });

    it('ends parallel upserts of one externalId in one user', async () => {
      const tenant = await createTenant(t);
      const replies = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          t.call('PUT', '/api/v2/users/external/sync-1', { tenant: tenant.id, body: { email: 'sync1@example.com', name: `n${i}` } }),
        ),
      );
      expect(replies.map((r) => r.status).sort()).toEqual([...Array(11).fill(200), 201]);
      expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
      expect(await t.dataSource.getRepository(User).countBy({ tenantId: tenant.id })).toBe(1);
      const final = await t.call('GET', '/api/v2/users/external/sync-1', { tenant: tenant.id });
      expect(final.body.version).toBe(12);
    });
  });

  it("deleting a tenant erases its users and their rows", async () => {
    const tenant = await createTenant(t);
    const group = await insertGroup(t, tenant.id, 'G', []);
    const user = await createUser(t, tenant, { groups: [group], clientTags: ['t'], ipWhitelist: ['10.0.0.1'] });
    expect((await t.call('DELETE', `/api/v2/tenants/${tenant.id}`)).status).toBe(204);
    expect(await t.dataSource.getRepository(User).countBy({ tenantId: tenant.id })).toBe(0);
    expect(await t.dataSource.getRepository(UserGroup).countBy({ userId: user.id })).toBe(0);
    expect(await t.dataSource.getRepository(UserClientTag).countBy({ tenantId: tenant.id })).toBe(0);
    expect(await t.dataSource.getRepository(UserIpWhitelistEntry).countBy({ tenantId: tenant.id })).toBe(0);
  });
});
