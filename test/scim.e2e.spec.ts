import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { ENTERPRISE, expectScimError, filterQuery, patchBody, SCIM_GROUP, SCIM_USER, scimClient, type ScimClient } from './helpers/scim.js';
import { createUser, insertGroup, uniqueEmail } from './helpers/users.js';

const ALL = ['users:read', 'users:write', 'users:delete', 'groups:read', 'groups:write'];

describe('SCIM server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '100000' });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('discovery', () => {
    let idp: ScimClient;
    beforeAll(async () => {
      idp = await scimClient(t, await createTenant(t), []);
    });

    it('says what the server supports, in SCIM terms', async () => {
      const res = await idp.call('GET', '/scim/v2/ServiceProviderConfig');
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type'])).toBe('application/scim+json');
      expect(res.body).toMatchObject({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        patch: { supported: true },
        bulk: { supported: false },
        filter: { supported: true, maxResults: 200 },
        changePassword: { supported: true },
        sort: { supported: true },
        etag: { supported: true },
        authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken' })],
      });
    });

    it('lists the schemas and resource types, each also by id', async () => {
      const schemas = await idp.call('GET', '/scim/v2/Schemas');
      expect(schemas.body.totalResults).toBe(3);
      expect(schemas.body.Resources.map((s: any) => s.id)).toEqual([SCIM_USER, ENTERPRISE, SCIM_GROUP]);
      const user = await idp.call('GET', `/scim/v2/Schemas/${SCIM_USER}`);
      const names = user.body.attributes.map((a: any) => a.name);
      expect(names).toEqual(expect.arrayContaining(['userName', 'name', 'displayName', 'active', 'password', 'emails', 'phoneNumbers', 'groups']));
      const attribute = (name: string) => user.body.attributes.find((a: any) => a.name === name);
      expect(attribute('userName')).toMatchObject({ required: true, uniqueness: 'server', caseExact: false });
      expect(attribute('password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
      expect(attribute('groups')).toMatchObject({ mutability: 'readOnly' });
      const types = await idp.call('GET', '/scim/v2/ResourceTypes');
      expect(types.body.Resources.map((r: any) => [r.id, r.endpoint])).toEqual([
        ['User', '/Users'],
        ['Group', '/Groups'],
      ]);
      expect((await idp.call('GET', '/scim/v2/ResourceTypes/Group')).body.schema).toBe(SCIM_GROUP);
      expectScimError(await idp.call('GET', '/scim/v2/Schemas/urn:nope'), 404);
    });
  });

  describe('credentials and errors', () => {
    let tenant: any;
    let other: any;
    beforeAll(async () => {
      tenant = await createTenant(t);
      other = await createTenant(t);
    });

    it('answers every refusal in the SCIM error schema, and /api/v2 still in problem+json', async () => {
      expectScimError(await t.call('GET', '/scim/v2/Users', { as: null }), 401);
      expectScimError(await t.call('GET', '/scim/v2/Users', { as: { bearer: 'idk_not-a-key' } }), 401);
      expectScimError(await t.call('GET', '/scim/v2/Users'), 400);
      expectScimError(await t.call('GET', '/scim/v2/Nothing', { tenant: tenant.id }), 404);
      expectScimError(await t.call('GET', '/scim/v2/Users/0190e0b6-0000-7000-8000-000000000000', { tenant: tenant.id }), 404);
      expectScimError(await t.call('POST', '/scim/v2/Users', { tenant: tenant.id, rawBody: '{"userName":', headers: { 'content-type': 'application/scim+json' } }), 400, 'invalidSyntax');
      expectScimError(await t.call('POST', '/scim/v2/Users', { tenant: tenant.id, rawBody: '<User/>', headers: { 'content-type': 'application/xml' } }), 415);
      expectScimError(await t.call('POST', '/scim/v2/Users', { tenant: tenant.id, body: { userName: 'x@example.com' } }), 400, 'invalidSyntax');
      expectScimError(await t.call('POST', '/scim/v2/Users', { tenant: tenant.id, body: { schemas: [SCIM_USER], userName: 'x@example.com', shoeSize: 9 } }), 400, 'invalidValue');
      expectScimError(await t.call('POST', '/scim/v2/Users', { tenant: tenant.id, body: { schemas: [SCIM_USER], userName: 'has spaces' } }), 400, 'invalidValue');
      expectProblem(await t.call('GET', '/api/v2/users/nope', { tenant: tenant.id }), 404, 'not_found');
      // Endpoint names in any case, as some clients send them.
      expect((await t.call('GET', '/scim/v2/users?count=1', { tenant: tenant.id })).status).toBe(200);
      expect((await t.call('GET', '/scim/v2/serviceproviderconfig', { tenant: tenant.id })).status).toBe(200);
      expect((await t.call('GET', `/scim/v2/Users/?${filterQuery('userName eq "nobody"')}`, { tenant: tenant.id })).body.totalResults).toBe(0);
    });

    it('lets a key do what its user may, in its own tenant only', async () => {
      const reader = await scimClient(t, tenant, ['users:read', 'groups:read']);
      const target = await createUser(t, tenant, { email: uniqueEmail('target') });
      expect((await reader.call('GET', `/scim/v2/Users/${target.id}`)).status).toBe(200);
      expectScimError(await reader.call('POST', '/scim/v2/Users', { schemas: [SCIM_USER], userName: 'new@example.com' }), 403);
      expectScimError(await reader.call('PATCH', `/scim/v2/Users/${target.id}`, patchBody({ op: 'replace', path: 'active', value: false })), 403);
      expectScimError(await reader.call('DELETE', `/scim/v2/Users/${target.id}`), 403);
      expectScimError(await reader.call('POST', '/scim/v2/Groups', { schemas: [SCIM_GROUP], displayName: 'x' }), 403);
      expect((await t.call('GET', `/api/v2/users/${target.id}`, { tenant: tenant.id })).body.active).toBe(true);

      // Another tenant's key meets 404 on this tenant's ids, and naming this tenant is a 404 too.
      const foreign = await scimClient(t, other, 'admin');
      expectScimError(await foreign.call('GET', `/scim/v2/Users/${target.id}`), 404);
      expectScimError(await foreign.call('PATCH', `/scim/v2/Users/${target.id}`, patchBody({ op: 'replace', path: 'active', value: false })), 404);
      expectScimError(await foreign.call('DELETE', `/scim/v2/Users/${target.id}`), 404);
      expectScimError(await foreign.call('GET', '/scim/v2/Users', undefined, { 'x-tenant-id': tenant.id }), 404);
      const listed = await foreign.call('GET', `/scim/v2/Users?${filterQuery(`id eq "${target.id}"`)}`);
      expect(listed.body.totalResults).toBe(0);
      expect((await t.call('GET', `/api/v2/users/${target.id}`, { tenant: tenant.id })).body.active).toBe(true);

      // A deactivated integration user's key stops at once.
      const admin = await scimClient(t, tenant, ALL);
      await t.call('POST', `/api/v2/users/${admin.userId}/actions/deactivate`, { tenant: tenant.id });
      expectScimError(await admin.call('GET', '/scim/v2/Users'), 401);
    });

    it('accepts core attributes grouped under the core schema URN, as some clients send them', async () => {
      const idp = await scimClient(t, tenant, ALL, { canViewMaskedData: true });
      const user = await idp.call('POST', '/scim/v2/Users', { schemas: [SCIM_USER], [SCIM_USER]: { userName: 'grouped@example.com', name: { givenName: 'Grouped' } } });
      expect(user.status).toBe(201);
      expect(user.body).toMatchObject({ userName: 'grouped@example.com', name: { givenName: 'Grouped' } });
      const group = await idp.call('POST', '/scim/v2/Groups', { schemas: [SCIM_GROUP], [SCIM_GROUP]: { displayName: 'Grouped' } });
      expect(group.body.displayName).toBe('Grouped');
    });

    it('answers 409 uniqueness for a taken userName, externalId or group name', async () => {
      const idp = await scimClient(t, tenant, ALL);
      const body = { schemas: [SCIM_USER], userName: 'unique@example.com', externalId: 'unique-1' };
      expect((await idp.call('POST', '/scim/v2/Users', body)).status).toBe(201);
      expectScimError(await idp.call('POST', '/scim/v2/Users', { ...body, externalId: 'unique-2' }), 409, 'uniqueness');
      expectScimError(await idp.call('POST', '/scim/v2/Users', { ...body, userName: 'other@example.com' }), 409, 'uniqueness');
      expect((await idp.call('POST', '/scim/v2/Groups', { schemas: [SCIM_GROUP], displayName: 'Unique' })).status).toBe(201);
      expectScimError(await idp.call('POST', '/scim/v2/Groups', { schemas: [SCIM_GROUP], displayName: 'Unique' }), 409, 'uniqueness');
    });

    it('honours If-Match with 412, for users and groups', async () => {
      const idp = await scimClient(t, tenant, ALL, { canViewMaskedData: true });
      const user = await idp.call('POST', '/scim/v2/Users', { schemas: [SCIM_USER], userName: 'etag@example.com' });
      const etag = user.headers.etag as string;
      expect(etag).toBe('"1"');
      const stale = await idp.call('PATCH', `/scim/v2/Users/${user.body.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'New' }), { 'if-match': '"7"' });
      expectScimError(stale, 412);
      const fresh = await idp.call('PATCH', `/scim/v2/Users/${user.body.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'New' }), { 'if-match': etag });
      expect(fresh.status).toBe(200);
      expect(fresh.headers.etag).toBe('"2"');
      expectScimError(await idp.call('PUT', `/scim/v2/Users/${user.body.id}`, { schemas: [SCIM_USER], userName: 'etag@example.com' }, { 'if-match': etag }), 412);
      expectScimError(await idp.call('DELETE', `/scim/v2/Users/${user.body.id}`, undefined, { 'if-match': etag }), 412);
      // A change made through /api/v2 moves the SCIM version on too.
      await t.call('PATCH', `/api/v2/users/${user.body.id}`, { tenant: tenant.id, body: { lastName: 'Rest' } });
      expect((await idp.call('GET', `/scim/v2/Users/${user.body.id}`)).body).toMatchObject({ name: { familyName: 'Rest' }, meta: { version: '"3"' } });

      const group = await idp.call('POST', '/scim/v2/Groups', { schemas: [SCIM_GROUP], displayName: 'Versioned' });
      expectScimError(await idp.call('PATCH', `/scim/v2/Groups/${group.body.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'V2' }), { 'if-match': '"9"' }), 412);
      const ok = await idp.call('PATCH', `/scim/v2/Groups/${group.body.id}`, patchBody({ op: 'replace', path: 'displayName', value: 'V2' }), { 'if-match': group.headers.etag as string });
      expect(ok.headers.etag).toBe('"2"');
      expectScimError(await idp.call('DELETE', `/scim/v2/Groups/${group.body.id}`, undefined, { 'if-match': '"1"' }), 412);
    });

    it('refuses malformed patches without changing anything', async () => {
      const idp = await scimClient(t, tenant, ALL);
      const user = await idp.call('POST', '/scim/v2/Users', { schemas: [SCIM_USER], userName: 'patch@example.com' });
      const url = `/scim/v2/Users/${user.body.id}`;
      expectScimError(await idp.call('PATCH', url, { Operations: [{ op: 'replace', path: 'active', value: false }] }), 400, 'invalidSyntax');
      expectScimError(await idp.call('PATCH', url, patchBody()), 400, 'invalidSyntax');
      expectScimError(await idp.call('PATCH', url, patchBody({ op: 'upsert', path: 'active', value: false })), 400, 'invalidSyntax');
      expectScimError(await idp.call('PATCH', url, patchBody({ op: 'remove' })), 400, 'noTarget');
      expectScimError(await idp.call('PATCH', url, patchBody({ op: 'replace', path: 'id', value: 'x' })), 400, 'mutability');
      expectScimError(await idp.call('PATCH', url, patchBody({ op: 'add', path: 'groups', value: [{ value: 'x' }] })), 400, 'mutability');
      expectScimError(await idp.call('PATCH', url, patchBody({ op: 'replace', path: 'shoeSize', value: 9 })), 400, 'invalidPath');
      expectScimError(await idp.call('PATCH', url, patchBody({ op: 'replace', path: '__proto__.admin', value: true })), 400, 'invalidPath');
      // The JSON parser itself refuses prototype keys.
      expectScimError(await idp.call('PATCH', url, patchBody({ op: 'replace', value: { constructor: { prototype: { admin: true } } } })), 400, 'invalidSyntax');
      expectScimError(await idp.call('PATCH', url, patchBody({ op: 'replace', value: { 'name.constructor': 'x' } })), 400, 'invalidValue');
      expectScimError(await idp.call('PATCH', url, patchBody({ op: 'replace', path: 'emails[type eq "work"', value: 'x@y.z' })), 400, 'invalidPath');
      expectScimError(await idp.call('PATCH', url, patchBody({ op: 'replace', path: 'active', value: 'maybe' })), 400, 'invalidValue');
      expectScimError(await idp.call('PATCH', url, patchBody({ op: 'replace', path: 'emails[type eq "work"].value', value: 'not an email' })), 400, 'invalidValue');
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
      const after = await idp.call('GET', url);
      expect(after.body.meta.version).toBe('"1"');
    });
  });

  describe('masked data', () => {
    let tenant: any;
    let masked: ScimClient;
    let mary: any;
    beforeAll(async () => {
      tenant = await createTenant(t);
      masked = await scimClient(t, tenant, ALL);
      mary = await createUser(t, tenant, { email: 'mary@website.com', phone: '+18043257762', name: 'Mary' });
    });

    it('shows emails, phone numbers and an email-shaped userName masked', async () => {
      const res = await masked.call('GET', `/scim/v2/Users/${mary.id}`);
      expect(res.body).toMatchObject({
        userName: 'm***@website.com',
        emails: [{ value: 'm***@website.com' }],
        phoneNumbers: [{ value: '+*******7762' }],
      });
      expect(res.text).not.toContain('mary@website.com');
      expect(res.text).not.toContain('8043257762');
    });

    it('lets a masked viewer find a user by the whole value, and nothing else', async () => {
      for (const filter of ['emails.value eq "mary@website.com"', 'userName eq "MARY@website.com"', 'emails[value eq "mary@website.com"]', 'phoneNumbers pr and emails.value ne "x@y.z"']) {
        const res = await masked.call('GET', `/scim/v2/Users?${filterQuery(filter)}`);
        expect({ filter, ids: res.body.Resources?.map((r: any) => r.id) }).toEqual({ filter, ids: [mary.id] });
      }
      // Each of these would spell out a masked value a character at a time.
      for (const filter of [
        'emails.value sw "m"',
        'emails.value co "ry@"',
        'emails[type eq "work" and value sw "m"]',
        'userName sw "m"',
        'userName gt "l"',
        'not (emails.value lt "n")',
        'phoneNumbers.value ew "62"',
        'phoneNumbers[value co "804"]',
      ]) {
        const res = await masked.call('GET', `/scim/v2/Users?${filterQuery(filter)}`);
        expect({ filter, status: res.status, type: res.body.scimType }).toEqual({ filter, status: 400, type: 'invalidFilter' });
      }
      for (const sortBy of ['emails.value', 'userName', 'emails']) {
        expectScimError(await masked.call('GET', `/scim/v2/Users?sortBy=${sortBy}`), 400, 'invalidValue');
      }
      // The same filters are fine for a viewer that sees data in clear.
      const clear = await scimClient(t, tenant, ALL, { canViewMaskedData: true });
      const res = await clear.call('GET', `/scim/v2/Users?${filterQuery('emails.value sw "mary"')}`);
      expect(res.body.Resources.map((r: any) => r.id)).toEqual([mary.id]);
    });

    it('never stores a masked value sent back by a read-modify-write', async () => {
      const read = await masked.call('GET', `/scim/v2/Users/${mary.id}`);
      const { meta: _meta, id: _id, ...body } = read.body;
      const put = await masked.call('PUT', `/scim/v2/Users/${mary.id}`, { ...body, name: { givenName: 'Mary', familyName: 'Jones' } });
      expect(put.status).toBe(200);
      const rest = await t.call('GET', `/api/v2/users/${mary.id}`, { tenant: tenant.id });
      expect(rest.body).toMatchObject({ email: 'mary@website.com', phone: '+18043257762', lastName: 'Jones', username: null });
      const patch = await masked.call('PATCH', `/scim/v2/Users/${mary.id}`, patchBody({ op: 'replace', value: { emails: read.body.emails, displayName: 'Mary J' } }));
      expect(patch.status).toBe(200);
      expect((await t.call('GET', `/api/v2/users/${mary.id}`, { tenant: tenant.id })).body).toMatchObject({ email: 'mary@website.com', name: 'Mary J' });
    });
  });

  describe('lists', () => {
    let tenant: any;
    let idp: ScimClient;
    const ids: string[] = [];
    beforeAll(async () => {
      tenant = await createTenant(t);
      idp = await scimClient(t, tenant, ALL, { canViewMaskedData: true });
      for (const [n, name] of ['carol', 'alice', 'erin', 'bob', 'dave'].entries()) {
        const res = await idp.call('POST', '/scim/v2/Users', {
          schemas: [SCIM_USER, ENTERPRISE],
          userName: `${name}@list.example`,
          name: { givenName: name[0]!.toUpperCase() + name.slice(1), familyName: 'List' },
          active: n % 2 === 0,
          [ENTERPRISE]: { department: n < 2 ? 'Sales' : 'Ops' },
        });
        ids.push(res.body.id);
      }
    });

    it('pages by startIndex and count, in a stable order, with integer totals', async () => {
      const filter = filterQuery('userName ew "@list.example"');
      const pages = [];
      for (const startIndex of [1, 3, 5]) {
        const res = await idp.call('GET', `/scim/v2/Users?${filter}&startIndex=${startIndex}&count=2`);
        expect(res.body).toMatchObject({ totalResults: 5, startIndex, itemsPerPage: startIndex === 5 ? 1 : 2 });
        pages.push(...res.body.Resources.map((r: any) => r.id));
      }
      expect(pages).toEqual(ids);
      expect((await idp.call('GET', `/scim/v2/Users?${filter}&count=0`)).body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
      expect((await idp.call('GET', `/scim/v2/Users?${filter}&startIndex=-4&count=1`)).body).toMatchObject({ startIndex: 1, itemsPerPage: 1 });
      expect((await idp.call('GET', `/scim/v2/Users?${filter}&startIndex=99`)).body).toMatchObject({ totalResults: 5, itemsPerPage: 0 });
      expect((await idp.call('GET', `/scim/v2/Users?count=100000000000000000000`)).body.itemsPerPage).toBeLessThanOrEqual(200);
      expectScimError(await idp.call('GET', '/scim/v2/Users?count=ten'), 400, 'invalidValue');
      expectScimError(await idp.call('GET', '/scim/v2/Users?count=1&count=2'), 400, 'invalidValue');
    });

    it('sorts by sortBy and sortOrder', async () => {
      const filter = filterQuery('userName ew "@list.example"');
      const names = async (query: string) => (await idp.call('GET', `/scim/v2/Users?${filter}&${query}`)).body.Resources.map((r: any) => r.name.givenName);
      expect(await names('sortBy=name.givenName')).toEqual(['Alice', 'Bob', 'Carol', 'Dave', 'Erin']);
      expect(await names('sortBy=userName&sortOrder=descending')).toEqual(['Erin', 'Dave', 'Carol', 'Bob', 'Alice']);
      expect(await names(`sortBy=${ENTERPRISE}:department&count=2`)).toEqual(['Erin', 'Bob']);
      expectScimError(await idp.call('GET', '/scim/v2/Users?sortBy=nickName'), 400, 'invalidValue');
      expectScimError(await idp.call('GET', '/scim/v2/Users?sortBy=userName&sortOrder=sideways'), 400, 'invalidValue');
    });

    it('returns only the attributes asked for, or all but the excluded ones', async () => {
      const only = await idp.call('GET', `/scim/v2/Users/${ids[0]}?attributes=userName,name.givenName,${ENTERPRISE}:department`);
      expect(only.body).toEqual({
        schemas: [SCIM_USER, ENTERPRISE],
        id: ids[0],
        userName: 'carol@list.example',
        name: { givenName: 'Carol' },
        [ENTERPRISE]: { department: 'Sales' },
      });
      // A create asked for one attribute still says where the user lives.
      const created = await idp.call('POST', '/scim/v2/Users?attributes=userName', { schemas: [SCIM_USER], userName: 'projected@list.example' });
      expect(created.body).toEqual({ schemas: [SCIM_USER], id: created.body.id, userName: 'projected@list.example' });
      expect(created.headers.location).toMatch(new RegExp(`/scim/v2/Users/${created.body.id}$`));
      await idp.call('DELETE', `/scim/v2/Users/${created.body.id}`);
      const without = await idp.call('GET', `/scim/v2/Users?${filterQuery(`id eq "${ids[0]}"`)}&excludedAttributes=emails,meta,name.familyName`);
      expect(without.body.Resources[0].emails).toBeUndefined();
      expect(without.body.Resources[0].meta).toBeUndefined();
      expect(without.body.Resources[0].name).toEqual({ formatted: 'Carol List', givenName: 'Carol' });
      expect(without.body.Resources[0].id).toBe(ids[0]);
    });

    it('filters with the whole grammar', async () => {
      const found = async (filter: string) => {
        const res = await idp.call('GET', `/scim/v2/Users?${filterQuery(filter)}&count=200`);
        expect({ filter, status: res.status }).toEqual({ filter, status: 200 });
        return res.body.Resources.map((r: any) => r.name?.givenName).filter((n: string) => n !== undefined && n !== 'List' && ids.length).sort();
      };
      const mine = 'userName ew "@list.example"';
      expect(await found(`${mine} and active eq true`)).toEqual(['Carol', 'Dave', 'Erin']);
      expect(await found(`${mine} and not (active eq true)`)).toEqual(['Alice', 'Bob']);
      expect(await found(`${mine} and (name.givenName sw "a" or displayName co "ROL")`)).toEqual(['Alice', 'Carol']);
      expect(await found(`${mine} and ${ENTERPRISE}:department eq "sales"`)).toEqual(['Alice', 'Carol']);
      expect(await found(`${mine} and ${ENTERPRISE}:department ne "Sales"`)).toEqual(['Bob', 'Dave', 'Erin']);
      expect(await found(`${mine} and phoneNumbers pr`)).toEqual([]);
      expect(await found(`${mine} and not (phoneNumbers pr)`)).toEqual(['Alice', 'Bob', 'Carol', 'Dave', 'Erin']);
      expect(await found(`${mine} and meta.created gt "2000-01-01T00:00:00Z" and meta.lastModified le "2999-01-01T00:00:00Z"`)).toHaveLength(5);
      expect(await found(`${mine} and emails[type eq "work" and value sw "a"]`)).toEqual(['Alice']);
      expect(await found(`${mine} and emails[type eq "home"]`)).toEqual([]);
      expect(await found(`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "BOB@list.example"`)).toEqual(['Bob']);
      expect(await found(`${mine} and externalId eq null`)).toHaveLength(5);
      for (const bad of ['userName eq', 'nickName eq "x"', 'userName zz "x"', '(userName eq "x"', 'active gt true', 'meta.created eq "yesterday"', 'emails[type eq "work"][value eq "x"]', '"x" eq userName', 'userName eq "a"not userName eq "a"', 'emails[value eq "a"not value eq "b"]']) {
        expectScimError(await idp.call('GET', `/scim/v2/Users?${filterQuery(bad)}`), 400, 'invalidFilter');
      }
      // The parser reads an infix "not" as a "not" of two filters; the grammar has only "not (…)".
      expectScimError(await idp.call('GET', `/scim/v2/Groups?${filterQuery('displayName eq "a"not displayName eq "b"')}`), 400, 'invalidFilter');
    });
  });

  describe('groups', () => {
    it("keeps the privilege guard: a non-admin cannot put users into a group holding permissions it lacks", async () => {
      const tenant = await createTenant(t);
      const idp = await scimClient(t, tenant, ['groups:read', 'groups:write', 'users:read']);
      const target = await createUser(t, tenant, { email: uniqueEmail('member') });
      const strong = await insertGroup(t, tenant.id, 'Deleters', ['users:delete']);
      const weak = await insertGroup(t, tenant.id, 'Readers', ['users:read']);
      expectScimError(await idp.call('PATCH', `/scim/v2/Groups/${strong}`, patchBody({ op: 'add', path: 'members', value: [{ value: target.id }] })), 403);
      expectScimError(await idp.call('PUT', `/scim/v2/Groups/${strong}`, { schemas: [SCIM_GROUP], displayName: 'Deleters', members: [{ value: target.id }] }), 403);
      expect((await t.call('GET', `/api/v2/users/${target.id}`, { tenant: tenant.id })).body.groups).toEqual([]);
      expect((await idp.call('PATCH', `/scim/v2/Groups/${weak}`, patchBody({ op: 'add', path: 'members', value: [{ value: target.id }] }))).status).toBe(200);
      // Its own key's user included: no way to raise itself.
      expectScimError(await idp.call('PATCH', `/scim/v2/Groups/${strong}`, patchBody({ op: 'add', path: 'members', value: [{ value: idp.userId }] })), 403);
    });

    it('keeps the rule for acting on a stronger user: its groups are part of its standing', async () => {
      const tenant = await createTenant(t);
      const idp = await scimClient(t, tenant, ['groups:read', 'groups:write', 'users:read']);
      const readers = await insertGroup(t, tenant.id, 'Readers', ['users:read']);
      const deleters = await insertGroup(t, tenant.id, 'Deleters', ['users:delete']);
      const admin = await createUser(t, tenant, { email: uniqueEmail('admin'), admin: true });
      const stronger = await createUser(t, tenant, { email: uniqueEmail('strong'), groups: [deleters] });
      const peer = await createUser(t, tenant, { email: uniqueEmail('peer') });
      for (const target of [admin, stronger]) {
        expectScimError(await idp.call('PATCH', `/scim/v2/Groups/${readers}`, patchBody({ op: 'add', path: 'members', value: [{ value: target.id }] })), 403);
      }
      await t.call('PATCH', `/api/v2/users/${admin.id}`, { tenant: tenant.id, body: { groups: [readers] } });
      expectScimError(await idp.call('PATCH', `/scim/v2/Groups/${readers}`, patchBody({ op: 'remove', path: `members[value eq "${admin.id}"]` })), 403);
      expectScimError(await idp.call('PATCH', `/scim/v2/Groups/${readers}`, patchBody({ op: 'remove', path: 'members[display eq "a"not value eq "b"]' })), 400, 'invalidFilter');
      expectScimError(await idp.call('PUT', `/scim/v2/Groups/${readers}`, { schemas: [SCIM_GROUP], displayName: 'Readers', members: [] }), 403);
      expect((await t.call('GET', `/api/v2/users/${admin.id}`, { tenant: tenant.id })).body.groups).toEqual([{ id: readers, name: 'Readers' }]);
      // A peer it may act on is fine.
      expect((await idp.call('PATCH', `/scim/v2/Groups/${readers}`, patchBody({ op: 'add', path: 'members', value: [{ value: peer.id }] }))).status).toBe(200);
    });

    it('adds a thousand members in one PATCH, each seen at once through /api/v2', async () => {
      const tenant = await createTenant(t);
      const idp = await scimClient(t, tenant, 'admin');
      const users = await t.dataSource.query('SELECT 1');
      expect(users).toBeDefined();
      const ids: string[] = [];
      const values: string[] = [];
      const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
      for (let i = 0; i < 1000; i++) {
        const id = `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`;
        ids.push(id);
        values.push(`('${id}', '${tenant.id}', 'Member ${i}', 'm${i}@bulk.example', 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, '${now}', '${now}')`);
      }
      await t.dataSource.query(
        `INSERT INTO users (id, tenant_id, name, email, active, admin, plan_admin, tfa, reset_password, reset_tfa, password_reset_allowed, can_view_masked_data, only_sees_readable, version, failed_logins, created_at, updated_at) VALUES ${values.join(', ')}`,
      );
      const group = await idp.call('POST', '/scim/v2/Groups', { schemas: [SCIM_GROUP], displayName: 'Everyone' });
      const added = await idp.call('PATCH', `/scim/v2/Groups/${group.body.id}?excludedAttributes=members`, patchBody({ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }));
      expect(added.status).toBe(200);
      expect(added.body.members).toBeUndefined();
      const read = await idp.call('GET', `/scim/v2/Groups/${group.body.id}`);
      expect(read.body.members).toHaveLength(1000);
      const member = await t.call('GET', `/api/v2/users/${ids[999]}`, { tenant: tenant.id });
      expect(member.body).toMatchObject({ groups: [{ id: group.body.id, name: 'Everyone' }], version: 2 });
      const some = await idp.call('GET', `/scim/v2/Users?${filterQuery(`groups.value eq "${group.body.id}"`)}&count=1`);
      expect(some.body.totalResults).toBe(1001 - 1);

      // An unknown user anywhere in the list refuses the whole change.
      const unknown = await idp.call('PATCH', `/scim/v2/Groups/${group.body.id}`, patchBody({ op: 'replace', path: 'members', value: [{ value: ids[0] }, { value: '0190e0b6-0000-7000-8000-000000000000' }] }));
      expectScimError(unknown, 400, 'invalidValue');
      expect((await idp.call('GET', `/scim/v2/Groups/${group.body.id}`)).body.members).toHaveLength(1000);
    });
  });

  describe('enterprise extension', () => {
    it('is one set of fields through both APIs, and a manager is a user of the same tenant', async () => {
      const tenant = await createTenant(t);
      const other = await createTenant(t);
      const idp = await scimClient(t, tenant, ALL, { canViewMaskedData: true });
      const boss = await createUser(t, tenant, { email: uniqueEmail('boss') });
      const stranger = await createUser(t, other, { email: uniqueEmail('stranger') });
      const user = await createUser(t, tenant, { email: uniqueEmail('emp'), enterprise: { employeeNumber: '42', division: 'North', managerId: boss.id } });
      expect(user.enterprise).toMatchObject({ employeeNumber: '42', division: 'North', managerId: boss.id });
      const scim = await idp.call('GET', `/scim/v2/Users/${user.id}`);
      expect(scim.body[ENTERPRISE]).toEqual({ employeeNumber: '42', division: 'North', manager: { value: boss.id, $ref: expect.stringMatching(new RegExp(`/scim/v2/Users/${boss.id}$`)) } });
      expect((await idp.call('GET', `/scim/v2/Users?${filterQuery(`${ENTERPRISE}:manager.value eq "${boss.id}"`)}`)).body.Resources.map((r: any) => r.id)).toEqual([user.id]);
      expectScimError(await idp.call('PATCH', `/scim/v2/Users/${user.id}`, patchBody({ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: stranger.id } })), 400, 'invalidValue');
      expectScimError(await idp.call('PATCH', `/scim/v2/Users/${user.id}`, patchBody({ op: 'replace', path: `${ENTERPRISE}:manager`, value: user.id })), 400, 'invalidValue');
      const rest = await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { enterprise: { managerId: stranger.id } } });
      expectProblem(rest, 422, 'validation_failed');
      // Deleting the manager clears the reference.
      await t.call('DELETE', `/api/v2/users/${boss.id}`, { tenant: tenant.id });
      expect((await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id })).body.enterprise.managerId).toBeNull();
      // A replace without the extension clears it.
      const put = await idp.call('PUT', `/scim/v2/Users/${user.id}`, { schemas: [SCIM_USER], userName: scim.body.userName });
      expect(put.body[ENTERPRISE]).toBeUndefined();
      expect((await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id })).body.enterprise).toEqual({
        employeeNumber: null,
        costCenter: null,
        organization: null,
        division: null,
        department: null,
        managerId: null,
      });
    });
  });
});
