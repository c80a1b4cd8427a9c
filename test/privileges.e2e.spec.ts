import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { login, PASSWORD, signedInUser } from './helpers/sessions.js';
import { createUser, insertGroup, insertPlan, uniqueEmail } from './helpers/users.js';

/** API.md section 2: who may grant what, masking, and the last admin. */
describe('privileges', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '100000' });
  });
  afterAll(async () => {
    await t.close();
  });

  async function writer(tenant: any, permissions = ['users:read', 'users:write']) {
    const group = await insertGroup(t, tenant.id, `writers-${Math.random()}`, permissions);
    return signedInUser(t, tenant, { groups: [group] });
  }

  it.each(['admin', 'planAdmin', 'canViewMaskedData'])('lets only an admin or the operator set %s', async (flag) => {
    const tenant = await createTenant(t);
    const w = await writer(tenant);
    expectProblem(await t.call('POST', '/api/v2/users', { as: w.bearer, body: { email: uniqueEmail(), [flag]: true } }), 403, 'forbidden');
    const target = await createUser(t, tenant, { email: uniqueEmail() });
    expectProblem(await t.call('PATCH', `/api/v2/users/${target.id}`, { as: w.bearer, body: { [flag]: true } }), 403, 'forbidden');
    expect((await t.call('GET', `/api/v2/users/${target.id}`, { tenant: tenant.id })).body[flag]).toBe(false);
    // Sending the value a user already has changes nothing and is allowed.
    expect((await t.call('PATCH', `/api/v2/users/${target.id}`, { as: w.bearer, body: { [flag]: false } })).status).toBe(200);
    const admin = await signedInUser(t, tenant, { admin: true });
    expect((await t.call('PATCH', `/api/v2/users/${target.id}`, { as: admin.bearer, body: { [flag]: true } })).body[flag]).toBe(true);
  });

  it('refuses to put a user into a group holding a permission the caller lacks', async () => {
    const tenant = await createTenant(t);
    const w = await writer(tenant);
    const strong = await insertGroup(t, tenant.id, 'deleters', ['users:delete']);
    const weak = await insertGroup(t, tenant.id, 'readers', ['users:read']);
    expectProblem(await t.call('POST', '/api/v2/users', { as: w.bearer, body: { email: uniqueEmail(), groups: [strong] } }), 403);
    const created = await t.call('POST', '/api/v2/users', { as: w.bearer, body: { email: uniqueEmail(), groups: [weak] } });
    expect(created.status).toBe(201);
    expectProblem(await t.call('PATCH', `/api/v2/users/${created.body.id}`, { as: w.bearer, body: { groups: [weak, strong] } }), 403);
    expect((await t.call('PATCH', `/api/v2/users/${created.body.id}`, { tenant: tenant.id, body: { groups: [weak, strong] } })).status).toBe(200);
    // Keeping a strong group the user already has is no grant.
    expect((await t.call('PATCH', `/api/v2/users/${created.body.id}`, { as: w.bearer, body: { lastName: 'Same', groups: [strong, weak] } })).status).toBe(200);
  });

  it('keeps the last admin of a tenant', async () => {
    const tenant = await createTenant(t);
    const admin = await signedInUser(t, tenant, { admin: true });
    const res = await t.call('PATCH', '/api/v2/users/' + admin.user.id, { as: admin.bearer, body: { admin: false } });
    expectProblem(res, 409, 'last_admin');
    const second = await createUser(t, tenant, { email: uniqueEmail(), admin: true });
    expect((await t.call('PATCH', `/api/v2/users/${admin.user.id}`, { as: admin.bearer, body: { admin: false } })).status).toBe(200);
    expectProblem(await t.call('PATCH', `/api/v2/users/${second.id}`, { tenant: tenant.id, body: { admin: false } }), 409, 'last_admin');
  });

  it('masks email, phone and allow-list for callers without canViewMaskedData, and never for /me', async () => {
    const tenant = await createTenant(t);
    const support = await insertGroup(t, tenant.id, 'support', ['users:read']);
    const email = uniqueEmail('mary');
    const mary = await createUser(t, tenant, { email, phone: '+18043257762', ipWhitelist: ['79.24.241.198', '10.0.0.0/8'] });
    const reader = await signedInUser(t, tenant, { groups: [support], phone: '+15550001234' });
    const masked = await t.call('GET', `/api/v2/users/${mary.id}`, { as: reader.bearer });
    expect(masked.body.email).toBe(`m***@${email.split('@')[1]}`);
    expect(masked.body.phone).toBe('+*******7762');
    expect(masked.body.ipWhitelist).toEqual(['***', '***']);
    const list = await t.call('GET', `/api/v2/users?filter[email]=${encodeURIComponent(email)}`, { as: reader.bearer });
    expect(list.body.data[0].email).toBe(masked.body.email);
    expect(list.text).not.toContain(email);
    expect(list.text).not.toContain('8043257762');
    const own = await t.call('GET', '/api/v2/me', { as: reader.bearer });
    expect(own.body.phone).toBe('+15550001234');
    const clear = await signedInUser(t, tenant, { groups: [support], canViewMaskedData: true });
    expect((await t.call('GET', `/api/v2/users/${mary.id}`, { as: clear.bearer })).body.email).toBe(email);
    expect((await t.call('GET', `/api/v2/users/${mary.id}`, { tenant: tenant.id })).body.phone).toBe('+18043257762');
  });

  it('lets a tenant admin read and edit its own tenant, but not slug or active', async () => {
    const tenant = await createTenant(t);
    const admin = await signedInUser(t, tenant, { admin: true });
    const own = await t.call('GET', '/api/v2/tenant', { as: admin.bearer });
    expect(own.body.id).toBe(tenant.id);
    const patched = await t.call('PATCH', '/api/v2/tenant', { as: admin.bearer, body: { name: 'Renamed', settings: { passwordMinLength: 10 } } });
    expect(patched.body).toMatchObject({ name: 'Renamed', settings: { passwordMinLength: 10 } });
    expectProblem(await t.call('PATCH', '/api/v2/tenant', { as: admin.bearer, body: { slug: 'taken-over' } }), 403);
    expectProblem(await t.call('PATCH', '/api/v2/tenant', { as: admin.bearer, body: { active: false } }), 403);
    const plain = await signedInUser(t, tenant);
    expectProblem(await t.call('GET', '/api/v2/tenant', { as: plain.bearer }), 403);
  });

  it('runs the support-group scenario end to end', async () => {
    const tenant = await createTenant(t);
    const admin = await signedInUser(t, tenant, { admin: true });
    const group = await t.call('POST', '/api/v2/groups', { as: admin.bearer, body: { name: 'support', permissions: ['users:read'] } });
    expect(group.status).toBe(201);
    const email = uniqueEmail('agent');
    const agent = await t.call('POST', '/api/v2/users', { as: admin.bearer, body: { email, password: PASSWORD, groups: [group.body.id] } });
    expect(agent.body.groups).toEqual([{ id: group.body.id, name: 'support' }]);
    expect(agent.body.permissions).toEqual(['users:read']);
    const session = await login(t, tenant, email);
    const bearer = { bearer: session.body.accessToken };
    const list = await t.call('GET', '/api/v2/users', { as: bearer });
    expect(list.status).toBe(200);
    for (const u of list.body.data) expect(u.email).toMatch(u.id === agent.body.id ? /^agent\./ : /^.\*\*\*@/);
    expectProblem(await t.call('POST', '/api/v2/users', { as: bearer, body: { email: uniqueEmail() } }), 403);
    const other = await createTenant(t);
    const foreign = await createUser(t, other, { email: uniqueEmail() });
    expectProblem(await t.call('GET', `/api/v2/users/${foreign.id}`, { as: bearer }), 404);
  });
});

/** Issue 12, points 1, 2, 3 and 7, written as their attackers. */
describe('privileges under attack', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '100000' });
  });
  afterAll(async () => {
    await t.close();
  });

  const auditCount = async (tenantId: string): Promise<number> =>
    Number((await t.dataSource.query('SELECT COUNT(*) AS n FROM audit_events WHERE tenant_id = ?', [tenantId]))[0].n);

  async function writer(tenant: any, permissions = ['users:read', 'users:write']) {
    const group = await insertGroup(t, tenant.id, `writers-${Math.random()}`, permissions);
    return signedInUser(t, tenant, { groups: [group] });
  }

  describe('point 1: an id spelt in another case', () => {
    it('refuses a stronger group sent upper-cased, through PATCH, POST and PUT by externalId, and changes nothing', async () => {
      const tenant = await createTenant(t);
      const w = await writer(tenant);
      const strong = await insertGroup(t, tenant.id, 'everything', ['users:read', 'users:write', 'users:delete', 'groups:write', 'tenant:write']);
      const spellings = [strong.toUpperCase(), strong.slice(0, 9) + strong.slice(9).toUpperCase()];
      for (const id of spellings) {
        expectProblem(await t.call('PATCH', `/api/v2/users/${w.user.id}`, { as: w.bearer, body: { groups: [id] } }), 403, 'forbidden');
        expectProblem(await t.call('POST', '/api/v2/users', { as: w.bearer, body: { email: uniqueEmail(), groups: [id] } }), 403, 'forbidden');
        expectProblem(
          await t.call('PUT', `/api/v2/users/external/ext-${Math.random()}`, { as: w.bearer, body: { email: uniqueEmail(), groups: [id] } }),
          403,
          'forbidden',
        );
      }
      const self = await t.call('GET', '/api/v2/me', { as: w.bearer });
      expect(self.body.permissions).toEqual(['users:read', 'users:write']);
      expect(self.body.groups.map((g: any) => g.id)).not.toContain(strong);
      expectProblem(await t.call('DELETE', `/api/v2/users/${(await createUser(t, tenant)).id}`, { as: w.bearer }), 403);
    });

    it('stores and answers one spelling of every id, whatever the case sent', async () => {
      const tenant = await createTenant(t);
      const group = await insertGroup(t, tenant.id, 'readers', ['users:read']);
      const plan = await insertPlan(t, tenant.id, 'gold');
      const user = await createUser(t, tenant, { groups: [group.toUpperCase(), group], plans: [{ planId: plan.toUpperCase() }] });
      expect(user.groups).toEqual([{ id: group, name: 'readers' }]);
      expect(user.plans.map((p: any) => p.planId)).toEqual([plan]);
      const upper = user.id.toUpperCase();
      expect((await t.call('GET', `/api/v2/users/${upper}`, { tenant: tenant.id })).body.id).toBe(user.id);
      expect((await t.call('GET', `/api/v2/users/${upper}`, { tenant: tenant.id.toUpperCase() })).body.id).toBe(user.id);
      expect((await t.call('PATCH', `/api/v2/users/${upper}`, { tenant: tenant.id, body: { lastName: 'Case' } })).status).toBe(200);
      expect((await t.call('GET', `/api/v2/users?filter[group]=${group.toUpperCase()}`, { tenant: tenant.id })).body.data.map((u: any) => u.id)).toEqual([
        user.id,
      ]);
      expect((await t.call('GET', `/api/v2/users?filter[plan]=${plan.toUpperCase()}`, { tenant: tenant.id })).body.data).toHaveLength(1);
      expect((await t.call('GET', `/api/v2/groups/${group.toUpperCase()}`, { tenant: tenant.id })).status).toBe(200);
      expect((await t.call('DELETE', `/api/v2/users/${upper}/plans/${plan.toUpperCase()}`, { tenant: tenant.id })).status).toBe(204);
      const events = await t.call('GET', `/api/v2/audit-events?filter[targetId]=${upper}`, { tenant: tenant.id });
      expect(events.body.data.length).toBeGreaterThan(0);
    });
  });

  describe('point 2: acting on a more privileged user', () => {
    /** Every write to another user's credentials or standing, as [label, request]. */
    function standingChanges(target: any, sessionId: string): [string, string, string, unknown][] {
      const url = `/api/v2/users/${target.id}`;
      return [
        ['password', 'PATCH', url, { password: 'Taken-Over-123' }],
        ['email', 'PATCH', url, { email: uniqueEmail('hijack') }],
        ['username', 'PATCH', url, { username: `hijack-${Math.random()}` }],
        ['tfa', 'PATCH', url, { tfa: !target.tfa }],
        ['resetTfa', 'PATCH', url, { resetTfa: true }],
        ['resetPassword', 'PATCH', url, { resetPassword: true }],
        ['passwordResetAllowed', 'PATCH', url, { passwordResetAllowed: false }],
        ['active', 'PUT', url, { active: false }],
        ['onlySeesReadable', 'PATCH', url, { onlySeesReadable: true }],
        ['sessionsLimit', 'PATCH', url, { sessionsLimit: 1 }],
        ['ipWhitelist', 'PATCH', url, { ipWhitelist: ['192.0.2.1'] }],
        ['groups', 'PATCH', url, { groups: [] }],
        ['by externalId', 'PUT', `/api/v2/users/external/${target.externalId}`, { password: 'Taken-Over-123' }],
        ...['deactivate', 'reactivate', 'allow-password-reset', 'disallow-password-reset', 'require-password-reset', 'reset-tfa', 'unlock', 'force-logout', 'reset-api-key'].map(
          (action): [string, string, string, unknown] => [action, 'POST', `${url}/actions/${action}`, undefined],
        ),
        ['action by externalId', 'POST', `/api/v2/users/external/${target.externalId}/actions/reset-api-key`, undefined],
        ['end a session', 'DELETE', `${url}/sessions/${sessionId}`, undefined],
        ['delete', 'DELETE', url, undefined],
        ['delete by externalId', 'DELETE', `/api/v2/users/external/${target.externalId}`, undefined],
      ];
    }

    async function strongTarget(tenant: any, body: Record<string, unknown>) {
      const strong = await insertGroup(t, tenant.id, `strong-${Math.random()}`, ['users:read', 'users:delete', 'sessions:write']);
      const target = await signedInUser(t, tenant, { externalId: `ext-${Math.random()}`, tfa: false, groups: [strong], ...body });
      return target;
    }

    it('refuses a non-admin holding every permission any change of an admin, and nothing changes', async () => {
      const tenant = await createTenant(t);
      const all = await writer(tenant, ['users:read', 'users:write', 'users:delete', 'groups:read', 'groups:write', 'plans:read', 'plans:write', 'sessions:read', 'sessions:write', 'audit:read', 'tenant:read', 'tenant:write']);
      const admin = await strongTarget(tenant, { admin: true });
      const before = (await t.call('GET', `/api/v2/users/${admin.user.id}`, { tenant: tenant.id })).body;
      const events = await auditCount(tenant.id);
      const failures: string[] = [];
      for (const [label, method, url, body] of standingChanges(admin.user, admin.sessionId)) {
        const res = await t.call(method, url, { as: all.bearer, body });
        if (res.status !== 403) failures.push(`${label}: ${res.status} ${res.text.slice(0, 120)}`);
      }
      expect(failures).toEqual([]);
      expect((await t.call('GET', `/api/v2/users/${admin.user.id}`, { tenant: tenant.id })).body).toEqual(before);
      expect(await auditCount(tenant.id)).toBe(events);
      expect((await t.call('GET', '/api/v2/me', { as: admin.bearer })).status).toBe(200);
    });

    it('refuses a writer every change of a user holding a permission it lacks, and lets an admin make each', async () => {
      const tenant = await createTenant(t);
      const w = await writer(tenant);
      const admin = await signedInUser(t, tenant, { admin: true });
      const failures: string[] = [];
      const target = await strongTarget(tenant, {});
      for (const [label, method, url, body] of standingChanges(target.user, target.sessionId)) {
        const res = await t.call(method, url, { as: w.bearer, body });
        if (res.status !== 403) failures.push(`writer ${label}: ${res.status}`);
      }
      for (const [label, method, url, body] of standingChanges(target.user, target.sessionId)) {
        // Each change on a fresh copy, so that none hides the next (a deletion, a new email).
        const copy = await strongTarget(tenant, {});
        const res = await t.call(method, url.replace(target.user.id, copy.user.id).replace(target.user.externalId, copy.user.externalId).replace(target.sessionId, copy.sessionId), {
          as: admin.bearer,
          body,
        });
        if (res.status >= 300) failures.push(`admin ${label}: ${res.status} ${res.text.slice(0, 120)}`);
      }
      expect(failures).toEqual([]);
    });

    it('lets a writer make each change of a user holding no more than it does', async () => {
      const tenant = await createTenant(t);
      const w = await writer(tenant, ['users:read', 'users:write', 'users:delete', 'sessions:write']);
      const weak = await insertGroup(t, tenant.id, 'weak', ['users:read']);
      const failures: string[] = [];
      const probe = await signedInUser(t, tenant, { externalId: `ext-${Math.random()}`, groups: [weak] });
      for (const [label, method, url, body] of standingChanges(probe.user, probe.sessionId)) {
        const peer = await signedInUser(t, tenant, { externalId: `ext-${Math.random()}`, groups: [weak] });
        const res = await t.call(method, url.replace(probe.user.id, peer.user.id).replace(probe.user.externalId, peer.user.externalId).replace(probe.sessionId, peer.sessionId), {
          as: w.bearer,
          body: label === 'groups' ? { groups: [] } : body,
        });
        if (res.status >= 300) failures.push(`${label}: ${res.status} ${res.text.slice(0, 160)}`);
      }
      expect(failures).toEqual([]);
    });

    it("lets a writer edit an admin's descriptive fields, and resend its standing unchanged", async () => {
      const tenant = await createTenant(t);
      const w = await writer(tenant);
      const admin = await createUser(t, tenant, { admin: true, ipWhitelist: ['10.0.0.0/8'], tfa: true });
      const res = await t.call('PATCH', `/api/v2/users/${admin.id}`, {
        as: w.bearer,
        body: { lastName: 'Renamed', firstName: 'Ada', clientTags: ['vip'], tfa: true, active: true, ipWhitelist: ['***'] },
      });
      expect(res.status).toBe(200);
      expect(res.body.lastName).toBe('Renamed');
    });

    it('stops the takeover: a writer cannot reset an admin key and then make itself admin', async () => {
      const tenant = await createTenant(t);
      const w = await writer(tenant);
      const admin = await createUser(t, tenant, { admin: true });
      expectProblem(await t.call('POST', `/api/v2/users/${admin.id}/actions/reset-api-key`, { as: w.bearer }), 403, 'forbidden');
      expectProblem(await t.call('PATCH', `/api/v2/users/${w.user.id}`, { as: w.bearer, body: { admin: true } }), 403, 'forbidden');
      const guarded = await createUser(t, tenant, { admin: true, tfa: true });
      expectProblem(await t.call('PATCH', `/api/v2/users/${guarded.id}`, { as: w.bearer, body: { tfa: false } }), 403, 'forbidden');
      expect((await t.call('GET', `/api/v2/users/${guarded.id}`, { tenant: tenant.id })).body.tfa).toBe(true);
    });
  });

  describe('point 3: masked data', () => {
    it('seals the list cursor, refuses sort=email to a masked viewer, and refuses a forged or foreign cursor', async () => {
      const tenant = await createTenant(t);
      for (let i = 0; i < 3; i++) await createUser(t, tenant, { email: uniqueEmail(`secret${i}`), name: `Secret Name ${i}` });
      const reader = await writer(tenant, ['users:read']);
      expectProblem(await t.call('GET', '/api/v2/users?sort=email&limit=1', { as: reader.bearer }), 403, 'forbidden');
      expectProblem(await t.call('GET', '/api/v2/users?sort=-email&limit=1', { as: reader.bearer }), 403, 'forbidden');
      for (const sort of ['name', '-name', 'createdAt', 'lastLoginAt']) {
        const page = await t.call('GET', `/api/v2/users?sort=${sort}&limit=1`, { as: reader.bearer });
        expect(page.status).toBe(200);
        const cursor: string = page.body.meta.nextCursor;
        const decoded = Buffer.from(cursor, 'base64url').toString('latin1');
        expect(decoded).not.toMatch(/secret|Secret|example\.com|createdAt|name/);
        expect(() => JSON.parse(decoded)).toThrow();
        expect(cursor).not.toContain(page.body.data[0].id);
        const next = await t.call('GET', `/api/v2/users?sort=${sort}&limit=1&after=${cursor}`, { as: reader.bearer });
        expect(next.status).toBe(200);
        expect(next.body.data[0].id).not.toBe(page.body.data[0].id);
        const flipped = cursor.slice(0, -2) + (cursor.at(-2) === 'A' ? 'B' : 'A') + cursor.at(-1);
        expectProblem(await t.call('GET', `/api/v2/users?sort=${sort}&limit=1&after=${flipped}`, { as: reader.bearer }), 422);
        const other = sort === 'name' ? '-name' : 'name';
        expectProblem(await t.call('GET', `/api/v2/users?sort=${other}&limit=1&after=${cursor}`, { as: reader.bearer }), 422);
      }
      const forged = Buffer.from(JSON.stringify(['a@example.com', '0190e0b6-0000-7000-8000-000000000000'])).toString('base64url');
      expectProblem(await t.call('GET', `/api/v2/users?sort=email&after=${forged}`, { tenant: tenant.id }), 422);
      const operatorPage = await t.call('GET', '/api/v2/users?sort=email&limit=1', { tenant: tenant.id });
      expect(operatorPage.status).toBe(200);
    });

    it("keeps every value through a masked viewer's read-modify-write, and refuses a masked value that is not the user's", async () => {
      const tenant = await createTenant(t);
      const w = await writer(tenant);
      const email = uniqueEmail('ursula');
      const target = await createUser(t, tenant, { email, phone: '+18043257762', ipWhitelist: ['79.24.241.198', '10.0.0.0/8'], firstName: 'Ursula' });
      const seen = await t.call('GET', `/api/v2/users/${target.id}`, { as: w.bearer });
      expect(seen.body.email).toMatch(/^u\*\*\*@/);
      const writable = ['externalId', 'name', 'firstName', 'lastName', 'username', 'email', 'phone', 'active', 'tfa', 'resetPassword', 'resetTfa', 'passwordResetAllowed', 'onlySeesReadable', 'sessionsLimit', 'ipWhitelist', 'clientTags'];
      const body = Object.fromEntries(writable.map((field) => [field, seen.body[field]]));
      for (const method of ['PUT', 'PATCH']) {
        const res = await t.call(method, `/api/v2/users/${target.id}`, { as: w.bearer, body: { ...body, lastName: method } });
        expect(res.status).toBe(200);
      }
      const stored = (await t.call('GET', `/api/v2/users/${target.id}`, { tenant: tenant.id })).body;
      expect(stored).toMatchObject({ email, phone: '+18043257762', ipWhitelist: ['79.24.241.198', '10.0.0.0/8'], lastName: 'PATCH' });
      const raw = await t.dataSource.query('SELECT email, phone FROM users WHERE id = ?', [target.id]);
      expect(raw[0]).toEqual({ email, phone: '+18043257762' });
      for (const wrong of [{ email: 'x***@elsewhere.test' }, { phone: '+*******0000' }, { ipWhitelist: ['***'] }, { ipWhitelist: ['***', '***', '10.1.1.1'] }]) {
        expectProblem(await t.call('PATCH', `/api/v2/users/${target.id}`, { as: w.bearer, body: wrong }), 422);
      }
      expectProblem(await t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email: 'u***@acme.test' } }), 422);
      expect((await t.call('GET', `/api/v2/users/${target.id}`, { tenant: tenant.id })).body).toMatchObject({ email, phone: '+18043257762' });
    });

    it('shows a user its own record unmasked through /users/{its id} as through /me (issue 14, point 3)', async () => {
      const tenant = await createTenant(t);
      const group = await insertGroup(t, tenant.id, 'readers', ['users:read']);
      const self = await signedInUser(t, tenant, { groups: [group], phone: '+15550001234', ipWhitelist: ['127.0.0.1'] });
      const viaUsers = await t.call('GET', `/api/v2/users/${self.user.id}`, { as: self.bearer });
      const viaMe = await t.call('GET', '/api/v2/me', { as: self.bearer });
      expect(viaUsers.body).toEqual(viaMe.body);
      expect(viaUsers.body).toMatchObject({ email: self.email, phone: '+15550001234', ipWhitelist: ['127.0.0.1'] });
      const other = await createUser(t, tenant, { phone: '+15550009999' });
      expect((await t.call('GET', `/api/v2/users/${other.id}`, { as: self.bearer })).body.phone).toBe('+*******9999');
    });
  });

  describe('point 7: the last admin', () => {
    it('keeps one admin when two admins demote, or deactivate, each other at the same moment', async () => {
      for (const [round, body] of [{ admin: false }, { admin: false }, { admin: false }, { active: false }, { active: false }, { active: false }].entries()) {
        const tenant = await createTenant(t);
        const a = await signedInUser(t, tenant, { admin: true });
        const b = await signedInUser(t, tenant, { admin: true });
        const replies = await Promise.all([
          t.call('PATCH', `/api/v2/users/${b.user.id}`, { as: a.bearer, body }),
          t.call('PATCH', `/api/v2/users/${a.user.id}`, { as: b.bearer, body }),
        ]);
        const statuses = replies.map((r) => r.status).sort();
        expect([`${round}`, statuses.filter((s) => s === 200).length]).toEqual([`${round}`, 1]);
        const admins = await t.call('GET', '/api/v2/users?filter[admin]=1&filter[active]=1', { tenant: tenant.id });
        expect(admins.body.data).toHaveLength(1);
      }
    });

    it('refuses the only admin deactivating or deleting itself, and the operator doing it for it', async () => {
      const tenant = await createTenant(t);
      const admin = await signedInUser(t, tenant, { admin: true });
      await createUser(t, tenant, { admin: true, active: false });
      expectProblem(await t.call('POST', `/api/v2/users/${admin.user.id}/actions/deactivate`, { as: admin.bearer }), 409, 'last_admin');
      expectProblem(await t.call('PATCH', `/api/v2/users/${admin.user.id}`, { as: admin.bearer, body: { active: false } }), 409, 'last_admin');
      expectProblem(await t.call('DELETE', `/api/v2/users/${admin.user.id}`, { as: admin.bearer }), 409, 'last_admin');
      expectProblem(await t.call('DELETE', `/api/v2/users/${admin.user.id}`, { tenant: tenant.id }), 409, 'last_admin');
      expectProblem(await t.call('POST', `/api/v2/users/${admin.user.id}/actions/deactivate`, { tenant: tenant.id }), 409, 'last_admin');
      expect((await t.call('GET', '/api/v2/me', { as: admin.bearer })).body).toMatchObject({ admin: true, active: true });
      const second = await createUser(t, tenant, { admin: true });
      expect((await t.call('POST', `/api/v2/users/${admin.user.id}/actions/deactivate`, { tenant: tenant.id })).status).toBe(200);
      expectProblem(await t.call('DELETE', `/api/v2/users/${second.id}`, { tenant: tenant.id }), 409, 'last_admin');
    });
  });
});
