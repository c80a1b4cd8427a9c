import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { login, PASSWORD, signedInUser } from './helpers/sessions.js';
import { createUser, insertGroup, insertPlan, uniqueEmail } from './helpers/users.js';

describe('sessions and authentication', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  const me = (bearer: string, ip?: string) => t.call('GET', '/api/v2/me', { as: { bearer }, ip });

  describe('login', () => {
    it('returns a token pair and the session, and the access token reads /me', async () => {
      const tenant = await createTenant(t);
      const email = uniqueEmail();
      const user = await createUser(t, tenant, { email, password: PASSWORD, phone: '+18043257762' });
      const res = await login(t, tenant, email.toUpperCase());
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        accessToken: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
        session: { id: expect.any(String), createdAt: expect.stringMatching(/Z$/) },
        passwordChangeRequired: false,
        tfaEnrollmentRequired: false,
      });
      const claims = JSON.parse(Buffer.from(res.body.accessToken.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ sub: user.id, tid: tenant.id, sid: res.body.session.id, iss: expect.any(String), aud: expect.any(String) });
      expect(claims.exp - claims.iat).toBe(900);
      const header = JSON.parse(Buffer.from(res.body.accessToken.split('.')[0], 'base64url').toString());
      expect(header).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
      const profile = await me(res.body.accessToken);
      expect(profile.status).toBe(200);
      expect(profile.body).toMatchObject({ id: user.id, email, phone: '+18043257762' });
      expect(profile.body.lastLoginAt).toEqual(expect.stringMatching(/Z$/));
      expect(profile.text).not.toMatch(/argon2|passwordHash/);
    });

    it('answers the same 401 for unknown email, wrong password, inactive user, unknown tenant and a disallowed IP', async () => {
      const tenant = await createTenant(t);
      const active = await createUser(t, tenant, { email: uniqueEmail(), password: PASSWORD });
      const inactive = await createUser(t, tenant, { email: uniqueEmail(), password: PASSWORD, active: false });
      const fenced = await createUser(t, tenant, { email: uniqueEmail(), password: PASSWORD, ipWhitelist: ['10.1.0.0/16'] });
      const noPassword = await createUser(t, tenant, { email: uniqueEmail() });
      const replies = [
        await login(t, tenant, 'nobody@example.com'),
        await login(t, tenant, active.email, 'wrong-password'),
        await login(t, tenant, inactive.email),
        await login(t, { slug: 'no-such-tenant' }, active.email),
        await login(t, tenant, fenced.email, PASSWORD, {}, '192.0.2.1'),
        await login(t, tenant, noPassword.email, 'anything-at-all'),
      ];
      for (const res of replies) expectProblem(res, 401, 'invalid_credentials');
      const details = new Set(replies.map((r) => `${r.body.title}|${r.body.detail}`));
      expect(details.size).toBe(1);
      expect((await login(t, tenant, fenced.email, PASSWORD, {}, '10.1.2.3')).status).toBe(200);
    });

    it('spends about as long on an unknown email as on a wrong password', async () => {
      const tenant = await createTenant(t);
      const user = await createUser(t, tenant, { email: uniqueEmail(), password: PASSWORD, });
      const time = async (email: string): Promise<number> => {
        const started = process.hrtime.bigint();
        await login(t, tenant, email, 'not-the-password');
        return Number(process.hrtime.bigint() - started) / 1e6;
      };
      const unknown: number[] = [];
      const wrong: number[] = [];
      for (let i = 0; i < 6; i++) {
        unknown.push(await time(`ghost${i}@example.com`));
        wrong.push(await time(user.email));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const ratio = median(unknown) / median(wrong);
      expect(ratio).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
      await t.call('POST', `/api/v2/users/${user.id}/actions/unlock`, { tenant: tenant.id });
    });

    it('locks the account after the threshold, even for the right password, until unlocked', async () => {
      const tenant = await createTenant(t, { settings: { lockoutThreshold: 3, lockoutMinutes: 10 } });
      const user = await createUser(t, tenant, { email: uniqueEmail(), password: PASSWORD });
      for (let i = 0; i < 3; i++) expectProblem(await login(t, tenant, user.email, 'wrong'), 401, 'invalid_credentials');
      expectProblem(await login(t, tenant, user.email), 401, 'invalid_credentials');
      const locked = await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id });
      expect(Date.parse(locked.body.lockedUntil)).toBeGreaterThan(Date.now() + 9 * 60_000);
      const unlocked = await t.call('POST', `/api/v2/users/${user.id}/actions/unlock`, { tenant: tenant.id });
      expect(unlocked.status).toBe(200);
      expect(unlocked.body.lockedUntil).toBeNull();
      expect((await login(t, tenant, user.email)).status).toBe(200);
      const events = await t.call('GET', `/api/v2/audit-events?filter[targetId]=${user.id}&limit=50`, { tenant: tenant.id });
      const actions = events.body.data.map((e: { action: string }) => e.action);
      expect(actions.filter((a: string) => a === 'auth.login_failed')).toHaveLength(4);
      expect(actions).toEqual(expect.arrayContaining(['auth.locked_out', 'user.unlocked']));
    });

    it('rate-limits login per client IP with 429 and Retry-After', async () => {
      const limited = await startApp({ LOGIN_RATE_LIMIT: '3' });
      try {
        const tenant = await createTenant(limited);
        const statuses: number[] = [];
        let last;
        for (let i = 0; i < 5; i++) {
          last = await login(limited, tenant, 'x@example.com', 'y', {}, '198.51.100.7');
          statuses.push(last.status);
        }
        expect(statuses).toEqual([401, 401, 401, 429, 429]);
        expectProblem(last!, 429, 'rate_limited');
        expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
        expect((await login(limited, tenant, 'x@example.com', 'y', {}, '198.51.100.8')).status).toBe(401);
      } finally {
        await limited.close();
      }
    });

    it('honours X-Forwarded-For only when TRUST_PROXY is set', async () => {
      const tenant = await createTenant(t);
      const user = await createUser(t, tenant, { email: uniqueEmail(), password: PASSWORD, ipWhitelist: ['203.0.113.5'] });
      const viaProxy = await t.call('POST', '/api/v2/auth/login', {
        as: null,
        headers: { 'x-forwarded-for': '203.0.113.5' },
        body: { tenant: tenant.slug, email: user.email, password: PASSWORD },
      });
      expectProblem(viaProxy, 401, 'invalid_credentials');
      const proxied = await startApp({ TRUST_PROXY: 'true' });
      try {
        const tenant2 = await createTenant(proxied);
        const user2 = await createUser(proxied, tenant2, { email: uniqueEmail(), password: PASSWORD, ipWhitelist: ['203.0.113.5'] });
        const res = await proxied.call('POST', '/api/v2/auth/login', {
          as: null,
          headers: { 'x-forwarded-for': '203.0.113.5' },
          body: { tenant: tenant2.slug, email: user2.email, password: PASSWORD },
        });
        expect(res.status).toBe(200);
      } finally {
        await proxied.close();
      }
    });

    it('rejects malformed login bodies with 422', async () => {
      expectProblem(await t.call('POST', '/api/v2/auth/login', { as: null, body: { tenant: 'x', email: 'a@b.c' } }), 422);
      expectProblem(await t.call('POST', '/api/v2/auth/login', { as: null, body: { tenant: 'x', email: 'a@b.c', password: 'p', extra: 1 } }), 422);
      expectProblem(await t.call('POST', '/api/v2/auth/login', { as: null, body: { tenant: 'x', email: 'a@b.c', password: 'p', otp: '12' } }), 422);
    });
  });

  describe('refresh and logout', () => {
    it('rotates the refresh token, and a reused old one ends the session', async () => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant);
      const first = await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: s.refreshToken } });
      expect(first.status).toBe(200);
      expect(first.body.refreshToken).not.toBe(s.refreshToken);
      expect(first.body.session.id).toBe(s.sessionId);
      expect((await me(first.body.accessToken)).status).toBe(200);
      const replay = await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: s.refreshToken } });
      expectProblem(replay, 401, 'invalid_credentials');
      expectProblem(await me(first.body.accessToken), 401);
      expectProblem(await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: first.body.refreshToken } }), 401);
    });

    it('lets at most one of 10 parallel refreshes with one token win, and the session is dead afterwards', async () => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant);
      const replies = await Promise.all(
        Array.from({ length: 10 }, () => t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: s.refreshToken } })),
      );
      const winners = replies.filter((r) => r.status === 200);
      expect(winners.length).toBeLessThanOrEqual(1);
      expect(replies.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(9);
      for (const w of winners) {
        expectProblem(await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: w.body.refreshToken } }), 401);
        expectProblem(await me(w.body.accessToken), 401);
      }
      expectProblem(await me(s.accessToken), 401);
    });

    it('rejects garbage refresh tokens', async () => {
      for (const refreshToken of ['x', 'a'.repeat(36) + '.b', '0190e0b6-0000-7000-8000-000000000000.zzz']) {
        expectProblem(await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken } }), 401);
      }
    });

    it('logs out the current session only', async () => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant);
      const other = await login(t, tenant, s.email);
      expect((await t.call('POST', '/api/v2/auth/logout', { as: s.bearer })).status).toBe(204);
      expectProblem(await me(s.accessToken), 401);
      expectProblem(await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: s.refreshToken } }), 401);
      expect((await me(other.body.accessToken)).status).toBe(200);
    });
  });

  describe('revocation takes effect on the next request', () => {
    const revokers: [string, (t: TestApp, tenant: any, s: any) => Promise<unknown>][] = [
      ['force-logout', (t, tenant, s) => t.call('POST', `/api/v2/users/${s.user.id}/actions/force-logout`, { tenant: tenant.id })],
      ['deactivate', (t, tenant, s) => t.call('POST', `/api/v2/users/${s.user.id}/actions/deactivate`, { tenant: tenant.id })],
      ['password set by an admin', (t, tenant, s) => t.call('PATCH', `/api/v2/users/${s.user.id}`, { tenant: tenant.id, body: { password: 'Another-Pass-1' } })],
      ['user deleted', (t, tenant, s) => t.call('DELETE', `/api/v2/users/${s.user.id}`, { tenant: tenant.id })],
      ['tenant deactivated', (t, tenant) => t.call('PATCH', `/api/v2/tenants/${tenant.id}`, { body: { active: false } })],
      ['force-logout by externalId', (t, tenant, s) => t.call('POST', `/api/v2/users/external/${s.user.externalId}/actions/force-logout`, { tenant: tenant.id })],
    ];
    it.each(revokers)('%s', async (_name, revoke) => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant, { externalId: `ext-${Date.now()}-${Math.random()}` });
      expect((await me(s.accessToken)).status).toBe(200);
      const res = (await revoke(t, tenant, s)) as { status: number };
      expect(res.status).toBeLessThan(300);
      expectProblem(await me(s.accessToken), 401);
      expectProblem(await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: s.refreshToken } }), 401);
    });

    it('a password change by the user ends its other sessions and keeps the current one', async () => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant);
      const other = await login(t, tenant, s.email);
      expectProblem(
        await t.call('POST', '/api/v2/me/password', { as: s.bearer, body: { currentPassword: 'wrong', newPassword: 'New-Password-1' } }),
        422,
      );
      expectProblem(await t.call('POST', '/api/v2/me/password', { as: s.bearer, body: { currentPassword: PASSWORD, newPassword: 'short' } }), 422);
      const changed = await t.call('POST', '/api/v2/me/password', { as: s.bearer, body: { currentPassword: PASSWORD, newPassword: 'New-Password-1' } });
      expect(changed.status).toBe(204);
      expect((await me(s.accessToken)).status).toBe(200);
      expectProblem(await me(other.body.accessToken), 401);
      expectProblem(await login(t, tenant, s.email), 401);
      expect((await login(t, tenant, s.email, 'New-Password-1')).status).toBe(200);
    });
  });

  describe('API keys', () => {
    it('authenticates as the user, shows the key once, the old key dies at reset, and deactivation suspends it (issue 14, point 4)', async () => {
      const tenant = await createTenant(t);
      await createUser(t, tenant, { admin: true });
      const user = await createUser(t, tenant, { email: uniqueEmail(), admin: true });
      const first = await t.call('POST', `/api/v2/users/${user.id}/actions/reset-api-key`, { tenant: tenant.id });
      expect(first.status).toBe(200);
      expect(first.body.apiKey).toMatch(/^idk_[\w-]{40,}$/);
      const key = { bearer: first.body.apiKey };
      expect((await t.call('GET', '/api/v2/users', { as: key })).status).toBe(200);
      expect((await t.call('GET', '/api/v2/me', { as: key })).body.id).toBe(user.id);
      const stored = await t.dataSource.query('SELECT key_hash FROM api_keys');
      expect(JSON.stringify(stored)).not.toContain(first.body.apiKey);
      const second = await t.call('POST', `/api/v2/users/${user.id}/actions/reset-api-key`, { tenant: tenant.id });
      expectProblem(await t.call('GET', '/api/v2/users', { as: key }), 401);
      expect((await t.call('GET', '/api/v2/users', { as: { bearer: second.body.apiKey } })).status).toBe(200);
      // Kept across a disable, as Keycloak and Auth0 keep credentials: refused while inactive, back on reactivation.
      expect((await t.call('POST', `/api/v2/users/${user.id}/actions/deactivate`, { tenant: tenant.id })).status).toBe(200);
      expectProblem(await t.call('GET', '/api/v2/users', { as: { bearer: second.body.apiKey } }), 401);
      expectProblem(await t.call('GET', '/api/v2/me', { as: { bearer: second.body.apiKey } }), 401);
      expect((await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { active: true } })).status).toBe(200);
      expect((await t.call('GET', '/api/v2/me', { as: { bearer: second.body.apiKey } })).body.id).toBe(user.id);
      await t.call('PATCH', `/api/v2/users/${user.id}`, { tenant: tenant.id, body: { active: false } });
      expectProblem(await t.call('GET', '/api/v2/users', { as: { bearer: second.body.apiKey } }), 401);
      expect((await t.call('POST', `/api/v2/users/${user.id}/actions/reactivate`, { tenant: tenant.id })).status).toBe(200);
      expect((await t.call('GET', '/api/v2/users', { as: { bearer: second.body.apiKey } })).status).toBe(200);
      expect((await t.call('DELETE', `/api/v2/users/${user.id}`, { tenant: tenant.id })).status).toBe(204);
      expectProblem(await t.call('GET', '/api/v2/users', { as: { bearer: second.body.apiKey } }), 401);
      expect(await t.dataSource.query('SELECT user_id FROM api_keys WHERE user_id = ?', [user.id])).toEqual([]);
      const doc = (await t.call('GET', '/docs/json', { as: null })).body;
      for (const path of ['/api/v2/users/{id}/actions/{action}', '/api/v2/users/external/{externalId}/actions/{action}']) {
        expect(doc.paths[path].post.description).toMatch(/API key is kept but refused \(401\) while the user is inactive, and works again after `reactivate`/);
      }
    });

    it('holds the key to the user permissions and IP allow-list', async () => {
      const tenant = await createTenant(t);
      const readers = await insertGroup(t, tenant.id, 'readers', ['users:read']);
      const user = await createUser(t, tenant, { email: uniqueEmail(), groups: [readers], ipWhitelist: ['192.0.2.0/24'] });
      const { body } = await t.call('POST', `/api/v2/users/${user.id}/actions/reset-api-key`, { tenant: tenant.id });
      const key = { bearer: body.apiKey };
      expect((await t.call('GET', '/api/v2/users', { as: key, ip: '192.0.2.10' })).status).toBe(200);
      expectProblem(await t.call('GET', '/api/v2/users', { as: key, ip: '198.51.100.1' }), 401);
      expectProblem(await t.call('POST', '/api/v2/users', { as: key, ip: '192.0.2.10', body: { email: uniqueEmail() } }), 403);
    });
  });

  describe('IP allow-list on every request', () => {
    it('gates an access token by the client address, including after the list changes', async () => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant);
      expect((await me(s.accessToken, '198.51.100.1')).status).toBe(200);
      await t.call('PATCH', `/api/v2/users/${s.user.id}`, { tenant: tenant.id, body: { ipWhitelist: ['2001:db8::/32', '127.0.0.1'] } });
      expectProblem(await me(s.accessToken, '198.51.100.1'), 401);
      expect((await me(s.accessToken, '2001:db8::1')).status).toBe(200);
      expect((await me(s.accessToken, '127.0.0.1')).status).toBe(200);
    });
  });

  describe('session limits', () => {
    it('ends the least recently used session when a login would pass the user limit', async () => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant, { sessionsLimit: 2 });
      const second = await login(t, tenant, s.email);
      await t.dataSource.query('UPDATE sessions SET last_used_at = ? WHERE id = ?', [
        t.dataSource.options.type === 'better-sqlite3' ? '2000-01-01 00:00:00.000' : new Date('2000-01-01T00:00:00Z'),
        second.body.session.id,
      ]);
      const third = await login(t, tenant, s.email);
      expectProblem(await me(second.body.accessToken), 401);
      expect((await me(s.accessToken)).status).toBe(200);
      expect((await me(third.body.accessToken)).status).toBe(200);
      const sessions = await t.call('GET', `/api/v2/users/${s.user.id}/sessions`, { tenant: tenant.id });
      expect(sessions.body.data.map((x: { id: string }) => x.id).sort()).toEqual([s.sessionId, third.body.session.id].sort());
    });

    it('takes the smallest active plan limit, then the tenant default', async () => {
      const tenant = await createTenant(t, { settings: { sessionsLimitDefault: 3 } });
      const big = await insertPlan(t, tenant.id, 'big', 5);
      const small = await insertPlan(t, tenant.id, 'small', 1);
      const expired = await insertPlan(t, tenant.id, 'expired', 1);
      const planned = await createUser(t, tenant, {
        email: uniqueEmail(),
        password: PASSWORD,
        plans: [{ planId: big }, { planId: expired, validTo: '2001-01-01' }],
      });
      const countLive = async (userId: string) =>
        (await t.call('GET', `/api/v2/users/${userId}/sessions`, { tenant: tenant.id })).body.data.length;
      for (let i = 0; i < 6; i++) await login(t, tenant, planned.email);
      expect(await countLive(planned.id)).toBe(5);
      await t.call('PATCH', `/api/v2/users/${planned.id}`, { tenant: tenant.id, body: { plans: [{ planId: big }, { planId: small }] } });
      await login(t, tenant, planned.email);
      expect(await countLive(planned.id)).toBe(1);
      const plain = await createUser(t, tenant, { email: uniqueEmail(), password: PASSWORD });
      for (let i = 0; i < 5; i++) await login(t, tenant, plain.email);
      expect(await countLive(plain.id)).toBe(3);
    });
  });

  describe('own and admin session routes', () => {
    it('lists and ends own sessions, and admins see and end a user sessions', async () => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant);
      const other = await login(t, tenant, s.email);
      const mine = await t.call('GET', '/api/v2/me/sessions', { as: s.bearer });
      expect(mine.status).toBe(200);
      expect(mine.body.data).toHaveLength(2);
      expect(mine.body.data.find((x: { current: boolean }) => x.current).id).toBe(s.sessionId);
      expect((await t.call('DELETE', `/api/v2/me/sessions/${other.body.session.id}`, { as: s.bearer })).status).toBe(204);
      expectProblem(await me(other.body.accessToken), 401);
      expectProblem(await t.call('DELETE', `/api/v2/me/sessions/${other.body.session.id}`, { as: s.bearer }), 404);

      const third = await login(t, tenant, s.email);
      const listed = await t.call('GET', `/api/v2/users/${s.user.id}/sessions`, { tenant: tenant.id });
      expect(listed.body.data).toHaveLength(2);
      expect((await t.call('DELETE', `/api/v2/users/${s.user.id}/sessions/${third.body.session.id}`, { tenant: tenant.id })).status).toBe(204);
      expectProblem(await me(third.body.accessToken), 401);
      const elsewhere = await createTenant(t);
      expectProblem(await t.call('GET', `/api/v2/users/${s.user.id}/sessions`, { tenant: elsewhere.id }), 404);
      expectProblem(await t.call('DELETE', `/api/v2/users/${s.user.id}/sessions/${s.sessionId}`, { tenant: elsewhere.id }), 404);
    });

    it('edits only the own profile fields through PATCH /me', async () => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant);
      const res = await t.call('PATCH', '/api/v2/me', { as: s.bearer, body: { firstName: 'Ada', phone: '+44 20 7946 0958' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ firstName: 'Ada', phone: '+442079460958' });
      expectProblem(await t.call('PATCH', '/api/v2/me', { as: s.bearer, body: { admin: true } }), 422);
      expectProblem(await t.call('PATCH', '/api/v2/me', { as: s.bearer, body: { email: 'x@example.com' } }), 422);
    });

    it('keeps a user in its own tenant', async () => {
      const tenant = await createTenant(t);
      const other = await createTenant(t);
      const s = await signedInUser(t, tenant, { admin: true });
      expect((await t.call('GET', '/api/v2/users', { as: s.bearer, tenant: tenant.slug })).status).toBe(200);
      expectProblem(await t.call('GET', '/api/v2/users', { as: s.bearer, tenant: other.id }), 404);
      expectProblem(await t.call('GET', '/api/v2/users', { as: s.bearer, tenant: other.slug }), 404);
      const foreign = await createUser(t, other, { email: uniqueEmail() });
      expectProblem(await t.call('GET', `/api/v2/users/${foreign.id}`, { as: s.bearer }), 404);
      expectProblem(await t.call('GET', '/api/v2/tenants', { as: s.bearer }), 403);
    });

    it('writes lastActionAt at most once a minute per session', async () => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant);
      const before = await t.call('GET', `/api/v2/users/${s.user.id}`, { tenant: tenant.id });
      await me(s.accessToken);
      const unchanged = await t.call('GET', `/api/v2/users/${s.user.id}`, { tenant: tenant.id });
      expect(unchanged.body.lastActionAt).toBe(before.body.lastActionAt);
      await t.dataSource.query('UPDATE sessions SET last_used_at = ? WHERE id = ?', [
        t.dataSource.options.type === 'better-sqlite3' ? '2000-01-01 00:00:00.000' : new Date('2000-01-01T00:00:00Z'),
        s.sessionId,
      ]);
      await me(s.accessToken);
      const touched = await t.call('GET', `/api/v2/users/${s.user.id}`, { tenant: tenant.id });
      expect(Date.parse(touched.body.lastActionAt)).toBeGreaterThan(Date.now() - 60_000);
    });

    it('records logins, logouts, force-logouts and key resets in the audit log', async () => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant);
      await t.call('POST', '/api/v2/auth/logout', { as: s.bearer });
      await t.call('POST', `/api/v2/users/${s.user.id}/actions/force-logout`, { tenant: tenant.id });
      await t.call('POST', `/api/v2/users/${s.user.id}/actions/reset-api-key`, { tenant: tenant.id });
      const events = await t.call('GET', '/api/v2/audit-events?limit=100', { tenant: tenant.id });
      const actions = events.body.data.map((e: { action: string }) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['auth.logged_in', 'auth.logged_out', 'user.force_logged_out', 'user.api_key_reset']));
      const loginEvent = events.body.data.find((e: { action: string }) => e.action === 'auth.logged_in');
      expect(loginEvent).toMatchObject({ actor: { type: 'user', id: s.user.id }, target: { type: 'session', id: s.sessionId } });
    });
  });
});
