import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { login, PASSWORD, signedInUser } from './helpers/sessions.js';
import { createUser, insertGroup, uniqueEmail } from './helpers/users.js';

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
    for (const u of list.body.data) expect(u.email).toMatch(/^.\*\*\*@/);
    expectProblem(await t.call('POST', '/api/v2/users', { as: bearer, body: { email: uniqueEmail() } }), 403);
    const other = await createTenant(t);
    const foreign = await createUser(t, other, { email: uniqueEmail() });
    expectProblem(await t.call('GET', `/api/v2/users/${foreign.id}`, { as: bearer }), 404);
  });
});
