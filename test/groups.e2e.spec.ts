import { PERMISSIONS } from '../src/auth/permissions.js';
import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { signedInUser } from './helpers/sessions.js';
import { createUser } from './helpers/users.js';

describe('groups and the permission catalogue', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  async function createGroup(tenant: { id: string }, body: Record<string, unknown>): Promise<any> {
    const res = await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body });
    if (res.status !== 201) throw new Error(`group create failed: ${res.status} ${res.text}`);
    return res.body;
  }

  describe('GET /api/v2/permissions', () => {
    it('lists the whole catalogue to the operator and to any signed-in user of the tenant', async () => {
      const tenant = await createTenant(t);
      const operator = await t.call('GET', '/api/v2/permissions', { tenant: tenant.id });
      expect(operator.status).toBe(200);
      expect(operator.body).toEqual({ data: [...PERMISSIONS] });
      expect(operator.body.data).toEqual([
        'users:read', 'users:write', 'users:delete', 'groups:read', 'groups:write', 'plans:read', 'plans:write',
        'sessions:read', 'sessions:write', 'audit:read', 'tenant:read', 'tenant:write', 'webhooks:read', 'webhooks:write',
      ]);
      const plain = await signedInUser(t, tenant);
      const res = await t.call('GET', '/api/v2/permissions', { as: plain.bearer });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [...PERMISSIONS] });
    });

    it('needs a principal', async () => {
      expectProblem(await t.call('GET', '/api/v2/permissions', { as: null }), 401);
    });
  });

  describe('CRUD', () => {
    it('creates, reads, lists, updates and deletes a group, with an audit event for each change', async () => {
      const tenant = await createTenant(t);
      const created = await t.call('POST', '/api/v2/groups', {
        tenant: tenant.id,
        body: { name: 'Support', description: 'First line', permissions: ['users:write', 'users:read', 'users:read'] },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/),
        name: 'Support',
        externalId: null,
        description: 'First line',
        permissions: ['users:read', 'users:write'],
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        updatedAt: created.body.createdAt,
      });
      const id = created.body.id;

      const got = await t.call('GET', `/api/v2/groups/${id}`, { tenant: tenant.id });
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created.body);
      expect((await t.call('GET', `/api/v2/groups/${id.toUpperCase()}`, { tenant: tenant.id })).body.id).toBe(id);

      const minimal = await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'Nobody' } });
      expect(minimal.status).toBe(201);
      expect(minimal.body).toMatchObject({ description: null, permissions: [] });

      const patched = await t.call('PATCH', `/api/v2/groups/${id}`, {
        tenant: tenant.id,
        body: { name: 'Helpdesk', description: null, permissions: ['groups:read'] },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ id, name: 'Helpdesk', description: null, permissions: ['groups:read'], createdAt: created.body.createdAt });
      expect(patched.body.updatedAt >= created.body.updatedAt).toBe(true);
      const onlyName = await t.call('PATCH', `/api/v2/groups/${id}`, { tenant: tenant.id, body: { name: 'Helpdesk 2' } });
      expect(onlyName.body).toMatchObject({ name: 'Helpdesk 2', description: null, permissions: ['groups:read'] });
      expect((await t.call('GET', `/api/v2/groups/${id}`, { tenant: tenant.id })).body).toEqual(onlyName.body);

      const removed = await t.call('DELETE', `/api/v2/groups/${id}`, { tenant: tenant.id });
      expect(removed.status).toBe(204);
      expect(removed.text).toBe('');
      expectProblem(await t.call('GET', `/api/v2/groups/${id}`, { tenant: tenant.id }), 404, 'not_found');
      expectProblem(await t.call('DELETE', `/api/v2/groups/${id}`, { tenant: tenant.id }), 404, 'not_found');

      const events = await t.call('GET', `/api/v2/audit-events?filter[targetId]=${id}`, { tenant: tenant.id });
      expect(events.body.data.map((e: any) => e.action)).toEqual(['group.created', 'group.updated', 'group.updated', 'group.deleted']);
      expect(events.body.data[0]).toMatchObject({ actor: { type: 'operator', id: null }, target: { type: 'group', id } });
    });

    it('lists the tenant\'s groups oldest first, page by page', async () => {
      const tenant = await createTenant(t);
      const other = await createTenant(t);
      await createGroup(other, { name: 'Elsewhere' });
      const ids: string[] = [];
      for (const name of ['A', 'B', 'C']) ids.push((await createGroup(tenant, { name, permissions: ['users:read'] })).id);

      const first = await t.call('GET', '/api/v2/groups?limit=2', { tenant: tenant.id });
      expect(first.status).toBe(200);
      expect(first.body.data.map((g: any) => g.id)).toEqual(ids.slice(0, 2));
      expect(first.body.data[0]).toMatchObject({ name: 'A', permissions: ['users:read'] });
      expect(first.body.meta).toEqual({ limit: 2, nextCursor: expect.any(String) });
      const second = await t.call('GET', `/api/v2/groups?limit=2&after=${first.body.meta.nextCursor}`, { tenant: tenant.id });
      expect(second.body.data.map((g: any) => g.id)).toEqual(ids.slice(2));
      expect(second.body.meta).toEqual({ limit: 2, nextCursor: null });
      expect((await t.call('GET', '/api/v2/groups', { tenant: tenant.id })).body.meta).toEqual({ limit: 20, nextCursor: null });

      expectProblem(await t.call('GET', '/api/v2/groups?limit=0', { tenant: tenant.id }), 422, 'validation_failed');
      expectProblem(await t.call('GET', '/api/v2/groups?after=%25%25', { tenant: tenant.id }), 422, 'validation_failed');
      expectProblem(await t.call('GET', '/api/v2/groups?sort=name', { tenant: tenant.id }), 422, 'validation_failed');
    });
  });

  describe('names', () => {
    it('answers 409 name_taken for a duplicate name on create and on rename, within a tenant only', async () => {
      const tenant = await createTenant(t);
      await createGroup(tenant, { name: 'Ops' });
      const dev = await createGroup(tenant, { name: 'Dev' });
      expectProblem(await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'Ops' } }), 409, 'name_taken');
      expectProblem(await t.call('PATCH', `/api/v2/groups/${dev.id}`, { tenant: tenant.id, body: { name: 'Ops' } }), 409, 'name_taken');
      expect((await t.call('GET', `/api/v2/groups/${dev.id}`, { tenant: tenant.id })).body.name).toBe('Dev');
      const other = await createTenant(t);
      expect((await t.call('POST', '/api/v2/groups', { tenant: other.id, body: { name: 'Ops' } })).status).toBe(201);
    });

    it('creates exactly one group when ten requests race for one name', async () => {
      const tenant = await createTenant(t);
      const replies = await Promise.all(
        Array.from({ length: 10 }, () => t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'Racers' } })),
      );
      expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
      for (const r of replies.filter((r) => r.status === 409)) expectProblem(r, 409, 'name_taken');
      const list = await t.call('GET', '/api/v2/groups', { tenant: tenant.id });
      expect(list.body.data.map((g: any) => g.name)).toEqual(['Racers']);
    });
  });

  describe('validation', () => {
    it('names an unknown permission by its position', async () => {
      const tenant = await createTenant(t);
      const res = await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'X', permissions: ['users:read', 'users:admin'] } });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'permissions[1]', message: expect.any(String) }]);
      const group = await createGroup(tenant, { name: 'Y' });
      const patch = await t.call('PATCH', `/api/v2/groups/${group.id}`, { tenant: tenant.id, body: { permissions: ['Users:Read'] } });
      expectProblem(patch, 422, 'validation_failed');
      expect(patch.body.errors).toEqual([{ field: 'permissions[0]', message: expect.any(String) }]);
      expect((await t.call('GET', '/api/v2/groups', { tenant: tenant.id })).body.data.map((g: any) => g.name)).toEqual(['Y']);
    });

    it.each([
      ['no name', {}, 'name'],
      ['a null name', { name: null }, 'name'],
      ['an empty name', { name: '' }, 'name'],
      ['a too long name', { name: 'n'.repeat(201) }, 'name'],
      ['null permissions', { name: 'G', permissions: null }, 'permissions'],
      ['permissions not an array', { name: 'G', permissions: 'users:read' }, 'permissions'],
      ['a permission not a string', { name: 'G', permissions: [1] }, 'permissions'],
      ['a description not a string', { name: 'G', description: 5 }, 'description'],
      ['an unknown field', { name: 'G', members: [] }, 'members'],
      ['a computed field', { name: 'G', id: '0190a2b4-0000-7000-8000-000000000000' }, 'id'],
    ])('rejects a create with %s (422)', async (_label, body, field) => {
      const tenant = await createTenant(t);
      const res = await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
    });

    it.each([
      ['a null name', { name: null }, 'name'],
      ['null permissions', { permissions: null }, 'permissions'],
      ['an unknown field', { createdAt: '2020-01-01T00:00:00.000Z' }, 'createdAt'],
    ])('rejects a patch with %s (422) and changes nothing', async (_label, body, field) => {
      const tenant = await createTenant(t);
      const group = await createGroup(tenant, { name: 'Keep', permissions: ['users:read'] });
      const res = await t.call('PATCH', `/api/v2/groups/${group.id}`, { tenant: tenant.id, body });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
      expect((await t.call('GET', `/api/v2/groups/${group.id}`, { tenant: tenant.id })).body).toEqual(group);
    });
  });

  describe('tenancy', () => {
    it("answers 404 for another tenant's group and for a malformed id, and changes nothing", async () => {
      const tenant = await createTenant(t);
      const other = await createTenant(t);
      const theirs = await createGroup(other, { name: 'Theirs', permissions: ['users:read'] });
      for (const id of [theirs.id, 'not-a-uuid', '0190a2b4-0000-7000-8000-000000000000']) {
        expectProblem(await t.call('GET', `/api/v2/groups/${id}`, { tenant: tenant.id }), 404, 'not_found');
        expectProblem(await t.call('PATCH', `/api/v2/groups/${id}`, { tenant: tenant.id, body: { name: 'Mine' } }), 404, 'not_found');
        expectProblem(await t.call('DELETE', `/api/v2/groups/${id}`, { tenant: tenant.id }), 404, 'not_found');
      }
      expect((await t.call('GET', `/api/v2/groups/${theirs.id}`, { tenant: other.id })).body).toEqual(theirs);
      // A user of one tenant sees none of another's groups, even naming that tenant.
      const admin = await signedInUser(t, tenant, { admin: true });
      expectProblem(await t.call('GET', `/api/v2/groups/${theirs.id}`, { as: admin.bearer }), 404, 'not_found');
      expectProblem(await t.call('GET', '/api/v2/groups', { as: admin.bearer, tenant: other.id }), 404, 'not_found');
    });
  });

  describe('deleting a group', () => {
    it('removes its memberships: members lose the group and the permissions it gave, and their version moves on', async () => {
      const tenant = await createTenant(t);
      const auditors = await createGroup(tenant, { name: 'Auditors', permissions: ['audit:read', 'users:read'] });
      const readers = await createGroup(tenant, { name: 'Readers', permissions: ['users:read'] });
      const member = await createUser(t, tenant, { groups: [auditors.id, readers.id] });
      expect(member.permissions).toEqual(['users:read', 'audit:read']);
      const bystander = await createUser(t, tenant, { groups: [readers.id] });

      expect((await t.call('DELETE', `/api/v2/groups/${auditors.id}`, { tenant: tenant.id })).status).toBe(204);
      const after = await t.call('GET', `/api/v2/users/${member.id}`, { tenant: tenant.id });
      expect(after.body.groups).toEqual([{ id: readers.id, name: 'Readers' }]);
      expect(after.body.permissions).toEqual(['users:read']);
      expect(after.body.version).toBe(member.version + 1);
      expect(after.headers.etag).toBe(`"${member.version + 1}"`);
      const untouched = await t.call('GET', `/api/v2/users/${bystander.id}`, { tenant: tenant.id });
      expect(untouched.body).toMatchObject({ groups: [{ id: readers.id, name: 'Readers' }], version: bystander.version });
      const filtered = await t.call('GET', `/api/v2/users?filter[group]=${auditors.id}`, { tenant: tenant.id });
      expect(filtered.body.data).toEqual([]);
    });

    it('takes the permissions away from a signed-in member on its next request', async () => {
      const tenant = await createTenant(t);
      const readers = await createGroup(tenant, { name: 'Readers', permissions: ['groups:read'] });
      const member = await signedInUser(t, tenant, { groups: [readers.id] });
      expect((await t.call('GET', '/api/v2/groups', { as: member.bearer })).status).toBe(200);
      await t.call('DELETE', `/api/v2/groups/${readers.id}`, { tenant: tenant.id });
      expectProblem(await t.call('GET', '/api/v2/groups', { as: member.bearer }), 403, 'forbidden');
    });
  });

  describe('access', () => {
    it('needs groups:read to read and groups:write to change', async () => {
      const tenant = await createTenant(t);
      const readersGroup = await createGroup(tenant, { name: 'Readers', permissions: ['groups:read'] });
      const reader = await signedInUser(t, tenant, { groups: [readersGroup.id] });
      const nobody = await signedInUser(t, tenant);
      expect((await t.call('GET', '/api/v2/groups', { as: reader.bearer })).status).toBe(200);
      expect((await t.call('GET', `/api/v2/groups/${readersGroup.id}`, { as: reader.bearer })).status).toBe(200);
      expectProblem(await t.call('POST', '/api/v2/groups', { as: reader.bearer, body: { name: 'New' } }), 403, 'forbidden');
      expectProblem(await t.call('PATCH', `/api/v2/groups/${readersGroup.id}`, { as: reader.bearer, body: { name: 'N' } }), 403, 'forbidden');
      expectProblem(await t.call('DELETE', `/api/v2/groups/${readersGroup.id}`, { as: reader.bearer }), 403, 'forbidden');
      expectProblem(await t.call('GET', '/api/v2/groups', { as: nobody.bearer }), 403, 'forbidden');
      expectProblem(await t.call('GET', '/api/v2/groups', { as: null }), 401);
      expectProblem(await t.call('GET', '/api/v2/groups'), 400, 'tenant_header_required');
    });

    it('keeps a non-admin with groups:write from granting a permission it lacks; admins and the operator may', async () => {
      const tenant = await createTenant(t);
      const editors = await createGroup(tenant, { name: 'Editors', permissions: ['groups:read', 'groups:write', 'users:read'] });
      const editor = await signedInUser(t, tenant, { groups: [editors.id] });
      expect(editor.user.permissions).toEqual(['users:read', 'groups:read', 'groups:write']);

      const escalate = await t.call('POST', '/api/v2/groups', { as: editor.bearer, body: { name: 'Deleters', permissions: ['users:read', 'users:delete'] } });
      expectProblem(escalate, 403, 'forbidden');
      expect(escalate.body.detail).toContain('users:delete');
      const allowed = await t.call('POST', '/api/v2/groups', { as: editor.bearer, body: { name: 'Readers', permissions: ['users:read'] } });
      expect(allowed.status).toBe(201);
      expect(allowed.body.permissions).toEqual(['users:read']);

      // Editing: adding a lacking permission is refused, also to the editor's own group.
      for (const id of [allowed.body.id, editors.id]) {
        expectProblem(await t.call('PATCH', `/api/v2/groups/${id}`, { as: editor.bearer, body: { permissions: ['users:read', 'users:delete'] } }), 403, 'forbidden');
      }
      expect((await t.call('GET', `/api/v2/groups/${allowed.body.id}`, { tenant: tenant.id })).body.permissions).toEqual(['users:read']);
      // A group that already holds more may still be renamed or narrowed: that grants nothing.
      const strong = await createGroup(tenant, { name: 'Strong', permissions: ['users:delete', 'audit:read'] });
      const renamed = await t.call('PATCH', `/api/v2/groups/${strong.id}`, { as: editor.bearer, body: { name: 'Strong 2' } });
      expect(renamed.status).toBe(200);
      const narrowed = await t.call('PATCH', `/api/v2/groups/${strong.id}`, { as: editor.bearer, body: { permissions: ['users:delete'] } });
      expect(narrowed.body.permissions).toEqual(['users:delete']);

      const events = await t.call('GET', `/api/v2/audit-events?filter[targetId]=${allowed.body.id}`, { tenant: tenant.id });
      expect(events.body.data).toEqual([expect.objectContaining({ action: 'group.created', actor: { type: 'user', id: editor.user.id } })]);

      const admin = await signedInUser(t, tenant, { admin: true });
      const byAdmin = await t.call('POST', '/api/v2/groups', { as: admin.bearer, body: { name: 'All', permissions: [...PERMISSIONS] } });
      expect(byAdmin.status).toBe(201);
      expect(byAdmin.body.permissions).toEqual([...PERMISSIONS]);
      expect((await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'Op', permissions: ['tenant:write'] } })).status).toBe(201);
    });

    it('refuses groups to a plan admin', async () => {
      const tenant = await createTenant(t);
      const group = await createGroup(tenant, { name: 'G' });
      const planAdmin = await signedInUser(t, tenant, { planAdmin: true });
      expectProblem(await t.call('GET', '/api/v2/groups', { as: planAdmin.bearer }), 403, 'forbidden');
      expectProblem(await t.call('GET', `/api/v2/groups/${group.id}`, { as: planAdmin.bearer }), 403, 'forbidden');
      expectProblem(await t.call('POST', '/api/v2/groups', { as: planAdmin.bearer, body: { name: 'Mine' } }), 403, 'forbidden');
      expectProblem(await t.call('DELETE', `/api/v2/groups/${group.id}`, { as: planAdmin.bearer }), 403, 'forbidden');
    });
  });

  it('serves existing clients of a groups API: list groups, put a user in them, read its groups and permissions, change them', async () => {
    const tenant = await createTenant(t);
    const support = await createGroup(tenant, { name: 'Support', permissions: ['users:read', 'sessions:read'] });
    const billing = await createGroup(tenant, { name: 'Billing', description: 'Invoices', permissions: ['plans:read', 'plans:write'] });

    const list = await t.call('GET', '/api/v2/groups', { tenant: tenant.id });
    expect(list.body.data).toEqual([
      expect.objectContaining({ id: support.id, name: 'Support', permissions: ['users:read', 'sessions:read'] }),
      expect.objectContaining({ id: billing.id, name: 'Billing', description: 'Invoices', permissions: ['plans:read', 'plans:write'] }),
    ]);

    const created = await t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email: 'agent@example.com', groups: [support.id] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ groups: [{ id: support.id, name: 'Support' }], permissions: ['users:read', 'sessions:read'] });

    const read = await t.call('GET', `/api/v2/users/${created.body.id}`, { tenant: tenant.id });
    expect(read.body).toMatchObject({ groups: [{ id: support.id, name: 'Support' }], permissions: ['users:read', 'sessions:read'] });

    const both = await t.call('PATCH', `/api/v2/users/${created.body.id}`, { tenant: tenant.id, body: { groups: [support.id, billing.id] } });
    expect(both.status).toBe(200);
    expect(both.body.groups).toEqual([
      { id: billing.id, name: 'Billing' },
      { id: support.id, name: 'Support' },
    ]);
    expect(both.body.permissions).toEqual(['users:read', 'plans:read', 'plans:write', 'sessions:read']);

    // A change to a group's permissions shows in its members' effective permissions.
    await t.call('PATCH', `/api/v2/groups/${support.id}`, { tenant: tenant.id, body: { permissions: ['users:read'] } });
    const afterEdit = await t.call('GET', `/api/v2/users/${created.body.id}`, { tenant: tenant.id });
    expect(afterEdit.body.permissions).toEqual(['users:read', 'plans:read', 'plans:write']);

    const billingOnly = await t.call('PATCH', `/api/v2/users/${created.body.id}`, { tenant: tenant.id, body: { groups: [billing.id] } });
    expect(billingOnly.body).toMatchObject({ groups: [{ id: billing.id, name: 'Billing' }], permissions: ['plans:read', 'plans:write'] });
    const members = await t.call('GET', `/api/v2/users?filter[group]=${billing.id}`, { tenant: tenant.id });
    expect(members.body.data.map((u: any) => u.id)).toEqual([created.body.id]);
    const none = await t.call('PATCH', `/api/v2/users/${created.body.id}`, { tenant: tenant.id, body: { groups: [] } });
    expect(none.body).toMatchObject({ groups: [], permissions: [] });
  });
});
