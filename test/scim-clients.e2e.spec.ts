import { createTenant, startApp, type TestApp } from './helpers/app.js';
import { login, PASSWORD } from './helpers/sessions.js';
import { ENTERPRISE, filterQuery, patchBody, SCIM_GROUP, SCIM_USER, scimClient, type ScimClient } from './helpers/scim.js';

/*
 * The request sequences Okta and Microsoft Entra ID send over a user's and a group's whole
 * life, as their SCIM documentation shows them (Okta: "SCIM 2.0 reference" of the Okta SCIM
 * guide; Microsoft: "Tutorial: Develop and plan provisioning for a SCIM endpoint", its request
 * and response examples), with the quirks of each client.
 */

describe('SCIM as Okta and Entra ID drive it', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '100000' });
  });
  afterAll(async () => {
    await t.close();
  });

  const audit = async (tenantId: string, targetId: string): Promise<{ action: string; actor: { type: string; id: string | null } }[]> =>
    (await t.call('GET', `/api/v2/audit-events?limit=200&filter[targetId]=${targetId}`, { tenant: tenantId })).body.data;

  describe('Okta', () => {
    let tenant: any;
    let okta: ScimClient;
    beforeAll(async () => {
      tenant = await createTenant(t);
      // An identity provider reads emails in clear: its user may view masked data.
      okta = await scimClient(t, tenant, ['users:read', 'users:write', 'users:delete', 'groups:read', 'groups:write'], { canViewMaskedData: true });
    });

    it('tests the connection, imports, creates, updates with PUT, deactivates, reactivates and deletes a user', async () => {
      // "Test API Credentials" and the first import.
      const probe = await okta.call('GET', '/scim/v2/Users?startIndex=1&count=2');
      expect(probe.status).toBe(200);
      expect(probe.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], startIndex: 1 });
      expect(Number.isInteger(probe.body.totalResults) && Number.isInteger(probe.body.itemsPerPage)).toBe(true);
      expect((await okta.call('GET', '/scim/v2/Groups?startIndex=1&count=100')).status).toBe(200);

      // Assignment: does the user exist? (userName eq, startIndex and count as Okta sends them)
      const lookup = await okta.call('GET', `/scim/v2/Users?${filterQuery('userName eq "test.user@okta.local"', 'startIndex=1&count=100')}`);
      expect(lookup.body).toMatchObject({ totalResults: 0, Resources: [] });

      const created = await okta.call('POST', '/scim/v2/Users', {
        schemas: [SCIM_USER],
        userName: 'test.user@okta.local',
        name: { givenName: 'Test', familyName: 'User' },
        emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
        displayName: 'Test User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        password: '1mPr0vised!',
        active: true,
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect(created.headers.location).toBe(created.body.meta.location);
      expect(created.headers.location).toMatch(new RegExp(`/scim/v2/Users/${id}$`));
      expect(created.headers.etag).toBe(created.body.meta.version);
      expect(created.body).toMatchObject({
        userName: 'test.user@okta.local',
        displayName: 'Test User',
        name: { givenName: 'Test', familyName: 'User', formatted: 'Test User' },
        emails: [{ value: 'test.user@okta.local', primary: true, type: 'work' }],
        externalId: '00ujl29u0le5T6Aj10h7',
        active: true,
        meta: { resourceType: 'User' },
      });
      expect(created.text).not.toContain('1mPr0vised!');
      // The password Okta set works for signing in.
      expect((await login(t, tenant, 'test.user@okta.local', '1mPr0vised!')).status).toBe(200);

      // The next assignment run finds it.
      const found = await okta.call('GET', `/scim/v2/Users?${filterQuery('userName eq "TEST.USER@okta.local"', 'startIndex=1&count=100')}`);
      expect(found.body.totalResults).toBe(1);
      expect(found.body.Resources[0].id).toBe(id);

      // Okta updates with PUT, sending the whole user.
      const put = await okta.call('PUT', `/scim/v2/Users/${id}`, {
        schemas: [SCIM_USER],
        id,
        userName: 'test.user@okta.local',
        name: { givenName: 'Another', familyName: 'User' },
        emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
        displayName: 'Another User',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        active: true,
        meta: { resourceType: 'User' },
      });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ name: { givenName: 'Another', familyName: 'User' }, displayName: 'Another User' });

      // A session, to see deactivation end it.
      const session = await login(t, tenant, 'test.user@okta.local', '1mPr0vised!');
      const bearer = { bearer: session.body.accessToken as string };
      expect((await t.call('GET', '/api/v2/me', { as: bearer })).status).toBe(200);

      // Unassignment: Okta deactivates with a path-less PATCH.
      const deactivated = await okta.call('PATCH', `/scim/v2/Users/${id}`, patchBody({ op: 'replace', value: { active: false } }));
      expect(deactivated.status).toBe(200);
      expect(deactivated.body.active).toBe(false);
      expect((await t.call('GET', '/api/v2/me', { as: bearer })).status).toBe(401);
      expect((await t.call('GET', `/api/v2/users/${id}`, { tenant: tenant.id })).body.active).toBe(false);

      // Reassignment reactivates.
      const reactivated = await okta.call('PATCH', `/scim/v2/Users/${id}`, patchBody({ op: 'replace', value: { active: true } }));
      expect(reactivated.body.active).toBe(true);
      expect((await login(t, tenant, 'test.user@okta.local', '1mPr0vised!')).status).toBe(200);

      // Every change is audited under the same names as /api/v2, the integration's user as the actor.
      const events = await audit(tenant.id, id);
      expect(events.map((e) => e.action)).toEqual(['user.created', 'user.updated', 'user.deactivated', 'user.reactivated']);
      expect(events.every((e) => e.actor.type === 'integration' && e.actor.id === okta.userId)).toBe(true);

      const removed = await okta.call('DELETE', `/scim/v2/Users/${id}`);
      expect(removed.status).toBe(204);
      expect(removed.text).toBe('');
      expect((await okta.call('GET', `/scim/v2/Users/${id}`)).status).toBe(404);
      expect((await audit(tenant.id, id)).at(-1)?.action).toBe('user.deleted');
    });

    it('pushes a group, renames it, adds, removes and replaces members, and deletes it', async () => {
      const members: string[] = [];
      for (const n of [1, 2, 3]) {
        const res = await okta.call('POST', '/scim/v2/Users', {
          schemas: [SCIM_USER],
          userName: `push${n}@okta.local`,
          name: { givenName: 'Push', familyName: String(n) },
          emails: [{ primary: true, value: `push${n}@okta.local`, type: 'work' }],
          active: true,
        });
        expect(res.status).toBe(201);
        members.push(res.body.id);
      }
      const none = await okta.call('GET', `/scim/v2/Groups?${filterQuery('displayName eq "Test SCIMv2"', 'startIndex=1&count=100')}`);
      expect(none.body.totalResults).toBe(0);

      const created = await okta.call('POST', '/scim/v2/Groups', { schemas: [SCIM_GROUP], displayName: 'Test SCIMv2', members: [] });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect(created.headers.location).toMatch(new RegExp(`/scim/v2/Groups/${id}$`));
      expect((await okta.call('GET', `/scim/v2/Groups?${filterQuery('displayName eq "test scimv2"')}`)).body.Resources[0].id).toBe(id);

      // Okta's rename sends the id along in a path-less replace.
      const renamed = await okta.call('PATCH', `/scim/v2/Groups/${id}`, patchBody({ op: 'replace', value: { id, displayName: 'Test SCIMv2 renamed' } }));
      expect(renamed.status).toBe(200);
      expect(renamed.body.displayName).toBe('Test SCIMv2 renamed');

      const added = await okta.call(
        'PATCH',
        `/scim/v2/Groups/${id}`,
        patchBody({ op: 'add', path: 'members', value: members.map((value) => ({ value, display: 'Push' })) }),
      );
      expect(added.body.members.map((m: any) => m.value).sort()).toEqual([...members].sort());

      const removed = await okta.call('PATCH', `/scim/v2/Groups/${id}`, patchBody({ op: 'remove', path: `members[value eq "${members[0]}"]` }));
      expect(removed.body.members.map((m: any) => m.value).sort()).toEqual(members.slice(1).sort());

      const replaced = await okta.call('PATCH', `/scim/v2/Groups/${id}`, patchBody({ op: 'replace', path: 'members', value: [{ value: members[0] }] }));
      expect(replaced.body.members.map((m: any) => m.value)).toEqual([members[0]]);

      // The membership is the same one /api/v2 shows.
      const user = await t.call('GET', `/api/v2/users/${members[0]}`, { tenant: tenant.id });
      expect(user.body.groups).toEqual([{ id, name: 'Test SCIMv2 renamed' }]);
      const scimUser = await okta.call('GET', `/scim/v2/Users/${members[0]}`);
      expect(scimUser.body.groups).toEqual([expect.objectContaining({ value: id, display: 'Test SCIMv2 renamed' })]);

      expect((await okta.call('DELETE', `/scim/v2/Groups/${id}`)).status).toBe(204);
      expect((await okta.call('GET', `/scim/v2/Groups/${id}`)).status).toBe(404);
      expect((await t.call('GET', `/api/v2/users/${members[0]}`, { tenant: tenant.id })).body.groups).toEqual([]);
      expect((await audit(tenant.id, id)).map((e) => e.action)).toEqual([
        'group.created',
        'group.updated',
        'group.updated',
        'group.updated',
        'group.updated',
        'group.deleted',
      ]);
    });
  });

  describe('Microsoft Entra ID', () => {
    let tenant: any;
    let entra: ScimClient;
    beforeAll(async () => {
      tenant = await createTenant(t);
      entra = await scimClient(t, tenant, 'admin', { canViewMaskedData: true });
    });

    it('creates, looks up, updates, disables, re-enables and deletes a user', async () => {
      // The provisioning service checks that the user does not exist, by userName, then by the matching attribute.
      const userName = 'Test_User_dfeef4c5-5681-4387-b016-bdf221e82081@testuser.com';
      expect((await entra.call('GET', `/scim/v2/Users?${filterQuery(`userName eq "${userName}"`)}`)).body).toMatchObject({ totalResults: 0, Resources: [] });

      const created = await entra.call('POST', '/scim/v2/Users', {
        schemas: [SCIM_USER, ENTERPRISE],
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: 'Test_User_11bb6099-9a48-4a8b-ac4a-3b2a30ddf9bc@testuser.com' }],
        meta: { resourceType: 'User' },
        name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
        roles: [],
        [ENTERPRISE]: { employeeNumber: 'E-1', department: 'Research', costCenter: 'CC-7' },
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect(created.body).toMatchObject({
        userName: userName.toLowerCase(),
        emails: [{ value: 'test_user_11bb6099-9a48-4a8b-ac4a-3b2a30ddf9bc@testuser.com', primary: true }],
        displayName: 'givenName familyName',
        [ENTERPRISE]: { employeeNumber: 'E-1', department: 'Research', costCenter: 'CC-7' },
      });
      expect(created.body.schemas).toEqual([SCIM_USER, ENTERPRISE]);

      // Looked up by the matching attributes Entra is configured with.
      for (const filter of [`userName eq "${userName}"`, 'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"', 'emails[type eq "work"].value eq "test_user_11bb6099-9a48-4a8b-ac4a-3b2a30ddf9bc@testuser.com"']) {
        const res = await entra.call('GET', `/scim/v2/Users?${filterQuery(filter)}`);
        expect({ filter, ids: res.body.Resources.map((r: any) => r.id) }).toEqual({ filter, ids: [id] });
      }
      // externalId is compared exactly.
      expect((await entra.call('GET', `/scim/v2/Users?${filterQuery('externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"')}`)).body.totalResults).toBe(0);

      // Multi-valued and single-valued updates, with Entra's capitalised ops.
      const updated = await entra.call(
        'PATCH',
        `/scim/v2/Users/${id}`,
        patchBody(
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
          { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
          { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 (804) 325-7762' },
        ),
      );
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        emails: [{ value: 'updatedemail@microsoft.com', primary: true }],
        name: { familyName: 'updatedFamilyName' },
        phoneNumbers: [{ value: '+18043257762' }],
      });
      const renamed = await entra.call('PATCH', `/scim/v2/Users/${id}`, patchBody({ op: 'Replace', path: 'userName', value: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com' }));
      expect(renamed.body.userName).toBe('5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com');

      // Dotted and URN keys in a path-less replace, booleans as strings, the manager as a bare id.
      const manager = await entra.call('POST', '/scim/v2/Users', { schemas: [SCIM_USER], userName: 'boss@testuser.com', active: true });
      expect(manager.status).toBe(201);
      const attributes = await entra.call(
        'PATCH',
        `/scim/v2/Users/${id}`,
        patchBody(
          { op: 'Replace', value: { 'name.givenName': 'Ada', [`${ENTERPRISE}:department`]: 'Engineering', displayName: 'Ada Updated' } },
          { op: 'Add', path: `${ENTERPRISE}:manager`, value: manager.body.id },
        ),
      );
      expect(attributes.status).toBe(200);
      expect(attributes.body).toMatchObject({
        name: { givenName: 'Ada' },
        displayName: 'Ada Updated',
        [ENTERPRISE]: { department: 'Engineering', manager: { value: manager.body.id } },
      });
      const rest = await t.call('GET', `/api/v2/users/${id}`, { tenant: tenant.id });
      expect(rest.body.enterprise).toEqual({
        employeeNumber: 'E-1',
        costCenter: 'CC-7',
        organization: null,
        division: null,
        department: 'Engineering',
        managerId: manager.body.id,
      });

      // Disable ("False" as a string, as Entra sends it without the feature flag), then enable.
      const disabled = await entra.call('PATCH', `/scim/v2/Users/${id}`, patchBody({ op: 'Replace', path: 'active', value: 'False' }));
      expect(disabled.body.active).toBe(false);
      const reread = await entra.call('GET', `/scim/v2/Users?${filterQuery(`userName eq "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"`)}`);
      expect(reread.body.Resources[0].active).toBe(false);
      const enabled = await entra.call('PATCH', `/scim/v2/Users/${id}`, patchBody({ op: 'Replace', value: { active: 'True' } }));
      expect(enabled.body.active).toBe(true);

      // The manager is removed with a path and no value.
      const unmanaged = await entra.call('PATCH', `/scim/v2/Users/${id}`, patchBody({ op: 'Remove', path: `${ENTERPRISE}:manager` }));
      expect(unmanaged.body[ENTERPRISE].manager).toBeUndefined();

      expect((await entra.call('DELETE', `/scim/v2/Users/${id}`)).status).toBe(204);
      expect((await entra.call('GET', `/scim/v2/Users/${id}`)).status).toBe(404);
    });

    it('creates a group, reads it without members, renames it, adds and removes members by value arrays, and deletes it', async () => {
      const users: string[] = [];
      for (const n of [1, 2]) {
        const res = await entra.call('POST', '/scim/v2/Users', { schemas: [SCIM_USER], userName: `member${n}@testuser.com`, active: true });
        users.push(res.body.id);
      }
      const created = await entra.call('POST', '/scim/v2/Groups', {
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        displayName: 'displayName',
        meta: { resourceType: 'Group' },
        schemas: [SCIM_GROUP],
        members: [],
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect(created.body).toMatchObject({ externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'displayName' });

      const read = await entra.call('GET', `/scim/v2/Groups/${id}?excludedAttributes=members`);
      expect(read.status).toBe(200);
      expect(read.body.members).toBeUndefined();
      expect(read.body.displayName).toBe('displayName');
      const byName = await entra.call('GET', `/scim/v2/Groups?excludedAttributes=members&${filterQuery('displayName eq "displayName"')}`);
      expect(byName.body.Resources).toEqual([expect.objectContaining({ id })]);
      expect(byName.body.Resources[0].members).toBeUndefined();

      const renamed = await entra.call('PATCH', `/scim/v2/Groups/${id}`, patchBody({ op: 'Replace', path: 'displayName', value: '1879db59-updatedDisplayName' }));
      expect(renamed.body.displayName).toBe('1879db59-updatedDisplayName');

      const added = await entra.call('PATCH', `/scim/v2/Groups/${id}`, patchBody({ op: 'Add', path: 'members', value: users.map((value) => ({ $ref: null, value })) }));
      expect(added.status).toBe(200);
      expect((await entra.call('GET', `/scim/v2/Groups?${filterQuery(`members[value eq "${users[1]}"]`)}`)).body.Resources.map((g: any) => g.id)).toEqual([id]);

      const removed = await entra.call('PATCH', `/scim/v2/Groups/${id}`, patchBody({ op: 'Remove', path: 'members', value: [{ $ref: null, value: users[0] }] }));
      expect(removed.body.members.map((m: any) => m.value)).toEqual([users[1]]);
      // A replace on a filtered path that matches nothing adds.
      const readded = await entra.call('PATCH', `/scim/v2/Groups/${id}`, patchBody({ op: 'Replace', path: `members[value eq "${users[0]}"]`, value: [{ value: users[0] }] }));
      expect(readded.body.members.map((m: any) => m.value).sort()).toEqual([...users].sort());

      expect((await entra.call('DELETE', `/scim/v2/Groups/${id}`)).status).toBe(204);
      expect((await entra.call('GET', `/scim/v2/Groups/${id}`)).status).toBe(404);
    });
  });

  it('keeps the password out of every answer and applies the tenant policy to it', async () => {
    const tenant = await createTenant(t, { settings: { passwordMinLength: 12 } });
    const idp = await scimClient(t, tenant, 'admin');
    const short = await idp.call('POST', '/scim/v2/Users', { schemas: [SCIM_USER], userName: 'short@example.com', password: 'Short-1' });
    expect(short.status).toBe(400);
    expect(short.body.scimType).toBe('invalidValue');
    const ok = await idp.call('POST', '/scim/v2/Users', { schemas: [SCIM_USER], userName: 'long@example.com', password: PASSWORD + 'xyz' });
    expect(ok.status).toBe(201);
    expect(ok.text).not.toContain(PASSWORD);
  });
});
