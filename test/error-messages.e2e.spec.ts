import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { createUser, uniqueEmail } from './helpers/users.js';

/** Error answers a person can act on: one message per mistake, saying what to send instead. */
describe('error messages', () => {
  let t: TestApp;
  let tenant: any;

  beforeAll(async () => {
    t = await startApp();
    tenant = await createTenant(t);
  });

  afterAll(async () => {
    await t.close();
  });

  const list = (query: string, path = '/api/v2/users') => t.call('GET', `${path}?${query}`, { tenant: tenant.id });

  describe('If-Match', () => {
    it('takes a bare version as the quoted tag curl users forget to send', async () => {
      const user = await createUser(t, tenant, { email: uniqueEmail('etag') });
      const bare = await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { lastName: 'One' }, headers: { 'if-match': String(user.version) } });
      expect(bare.status).toBe(200);
      expect(bare.headers.etag).toBe(`"${user.version + 1}"`);
      const stale = await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { lastName: 'Two' }, headers: { 'if-match': String(user.version) } });
      expectProblem(stale, 412, 'precondition_failed');
      const listed = await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { lastName: 'Three' }, headers: { 'if-match': `0, ${user.version + 1}` } });
      expect(listed.status).toBe(200);
    });

    it('refuses a malformed one, saying how to quote it, and changes nothing', async () => {
      const user = await createUser(t, tenant, { email: uniqueEmail('etag'), lastName: 'Kept' });
      for (const header of [`"${user.version}`, `${user.version}"`, `"${user.version}" "x"`]) {
        const res = await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { lastName: 'Lost' }, headers: { 'if-match': header } });
        expectProblem(res, 400, 'bad_request');
        expect(res.body.detail).toContain('If-Match: "3"');
      }
      expect((await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id })).body.lastName).toBe('Kept');
    });

    it('never matches a weak tag, as a strong comparison', async () => {
      const user = await createUser(t, tenant, { email: uniqueEmail('etag') });
      const res = await t.call('DELETE', `/api/v2/users/${user.id}`, { tenant: tenant.id, headers: { 'if-match': `W/"${user.version}"` } });
      expectProblem(res, 412, 'precondition_failed');
    });
  });

  describe('filters', () => {
    it('say once that a filter takes a string', async () => {
      for (const query of ['filter[email][x]=1', 'filter[email]=a@b.c&filter[email]=d@e.f', 'filter[email][]=a']) {
        const res = await list(query);
        expectProblem(res, 422, 'validation_failed');
        expect(res.body.errors).toEqual([{ field: 'filter.email', message: 'must be a string' }]);
      }
    });

    it('say what a filter looks like when it is not one', async () => {
      const res = await list('filter=abc');
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors[0].field).toBe('filter');
      expect(res.body.errors[0].message).toContain('filter[key]=value');
      expect(res.body.errors[0].message).toContain('email');
      expect(res.body.errors[0].message).toContain('filter[email]=ada@example.com');
      const audit = await list('filter=user.created', '/api/v2/audit-events');
      expect(audit.body.errors).toEqual([{ field: 'filter', message: expect.stringContaining('filter[action]=user.created') }]);
    });

    it('report a number that is not one once, not with the bounds it cannot have', async () => {
      const res = await list('limit=abc');
      expect(res.body.errors).toEqual([{ field: 'limit', message: 'must be an integer number' }]);
      const over = await list('limit=1000');
      expect(over.body.errors).toEqual([{ field: 'limit', message: 'must not be greater than 200' }]);
    });
  });

  describe('bodies', () => {
    it('refuse JSON nested deeper than 32 levels with a 400, at any depth, never a 500', async () => {
      for (const depth of [33, 5000, 40000]) {
        const objects = await t.call('POST', '/api/v2/tenants', { rawBody: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` });
        expectProblem(objects, 400, 'bad_request');
        expect(objects.body.detail).toBe('The JSON body nests deeper than 32 levels');
        const arrays = await t.call('POST', '/api/v2/tenants', { rawBody: `${'['.repeat(depth)}${']'.repeat(depth)}` });
        expectProblem(arrays, 400, 'bad_request');
      }
      const within = await t.call('POST', '/api/v2/tenants', { rawBody: `{"slug":"deep-ok","name":"x","zz":${'['.repeat(31)}${']'.repeat(31)}}` });
      expectProblem(within, 422, 'validation_failed');
    });

    it('refuse a phone number longer than 32 characters as sent, however it would clean up', async () => {
      const user = await createUser(t, tenant, { email: uniqueEmail('phone') });
      const padded = `+1 ${'- '.repeat(15)}804 325 7762`;
      const res = await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { phone: padded } });
      expect(res.body.errors).toEqual([{ field: 'phone', message: 'must be a phone number such as +18043257762' }]);
      const ok = await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { phone: '+1 (804) 325-7762' } });
      expect(ok.body.phone).toBe('+18043257762');
    });

    it('refuse form-encoded and text bodies with a 415 that says to send JSON', async () => {
      for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
        const res = await t.call('POST', '/api/v2/tenants', { rawBody: 'slug=formed&name=Formed', headers: { 'content-type': type } });
        expectProblem(res, 415, 'unsupported_media_type');
        expect(res.body.detail).toBe('Send the body as application/json');
      }
      expect((await t.call('GET', '/api/v2/tenants/formed')).status).toBe(404);
    });
  });

  describe('problem types', () => {
    it('resolve to a page of the service that explains the code, for programs and for people', async () => {
      const problem = await t.call('GET', '/api/v2/users', { as: null });
      expect(problem.body.type).toBe('/problems/unauthenticated');
      const json = await t.call('GET', problem.body.type, { as: null });
      expect(json.status).toBe(200);
      expect(json.body).toEqual({
        code: 'unauthenticated',
        type: '/problems/unauthenticated',
        status: 401,
        title: 'Authentication required',
        meaning: expect.stringContaining('X-Admin-Key'),
      });
      const page = await t.call('GET', problem.body.type, { as: null, headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['content-security-policy']).toBe("default-src 'none'");
      expect(page.text).toContain('<code>X-Admin-Key</code>');
      const all = await t.call('GET', '/problems', { as: null });
      expect(all.body.data.map((p: { code: string }) => p.code)).toEqual(expect.arrayContaining(['validation_failed', 'precondition_failed', 'rate_limited']));
      for (const entry of all.body.data) expect(entry.meaning.length).toBeGreaterThan(20);
      expectProblem(await t.call('GET', '/problems/nope', { as: null }), 404, 'not_found');
    });
  });
});
