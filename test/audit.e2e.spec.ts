import { AUDIT_ACTIONS, RENAMED_ACTIONS } from '../src/audit/audit-actions.js';
import { AuditEvent } from '../src/audit/audit-event.entity.js';
import { newId } from '../src/common/ids.js';
import { AuditActionNames1796032537361 } from '../src/database/migrations/mysql/1796032537361-AuditActionNames.js';
import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { login, PASSWORD, signedInUser } from './helpers/sessions.js';
import { createUser, uniqueEmail } from './helpers/users.js';

describe('audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  const events = (tenant: { id: string }, query = '') => t.call('GET', `/api/v2/audit-events?${query}`, { tenant: tenant.id });
  const rename = (tenant: { id: string }, name: string) => t.call('PATCH', `/api/v2/tenants/${tenant.id}`, { body: { name } });

  describe('polling', () => {
    it('gives the last page a cursor that resumes after its last event, and says whether more is there', async () => {
      const tenant = await createTenant(t);
      for (let i = 0; i < 4; i++) await rename(tenant, `n${i}`);
      // 5 events: tenant.created + 4 tenant.updated
      const first = await events(tenant, 'limit=3');
      expect(first.body.data).toHaveLength(3);
      expect(first.body.meta).toEqual({ nextCursor: expect.any(String), hasMore: true });
      const last = await events(tenant, `limit=3&after=${first.body.meta.nextCursor}`);
      expect(last.body.data).toHaveLength(2);
      expect(last.body.meta).toEqual({ nextCursor: expect.any(String), hasMore: false });

      // Nothing new yet: an empty page, and a cursor that still resumes at the same place.
      const idle = await events(tenant, `limit=3&after=${last.body.meta.nextCursor}`);
      expect(idle.body).toEqual({ data: [], meta: { nextCursor: expect.any(String), hasMore: false } });

      await rename(tenant, 'later-1');
      await rename(tenant, 'later-2');
      const fresh = await events(tenant, `limit=3&after=${idle.body.meta.nextCursor}`);
      expect(fresh.body.data.map((e: any) => e.action)).toEqual(['tenant.updated', 'tenant.updated']);
      expect(fresh.body.meta.hasMore).toBe(false);
      const fromOldCursor = await events(tenant, `limit=10&after=${last.body.meta.nextCursor}`);
      expect(fromOldCursor.body.data.map((e: any) => e.id)).toEqual(fresh.body.data.map((e: any) => e.id));
    });

    it('pages exactly through every event once, whatever the page size', async () => {
      const tenant = await createTenant(t);
      for (let i = 0; i < 6; i++) await rename(tenant, `p${i}`);
      const all = (await events(tenant, 'limit=200')).body.data.map((e: any) => e.id);
      expect(all).toHaveLength(7);
      for (const limit of [1, 2, 3, 7]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let hasMore = true;
        while (hasMore) {
          const page: any = await events(tenant, `limit=${limit}${cursor ? `&after=${cursor}` : ''}`);
          seen.push(...page.body.data.map((e: any) => e.id));
          cursor = page.body.meta.nextCursor;
          hasMore = page.body.meta.hasMore;
        }
        expect(seen).toEqual(all);
      }
    });

    it('keeps cursors opaque and unforgeable, and accepts an event id as documented', async () => {
      const tenant = await createTenant(t);
      await rename(tenant, 'x');
      await rename(tenant, 'y');
      const page = await events(tenant, 'limit=1');
      const [firstEvent] = page.body.data;
      const cursor: string = page.body.meta.nextCursor;
      expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain(firstEvent.id);
      expect(cursor).not.toContain(firstEvent.id);

      // An event id continues after that event, in any case.
      const byId = await events(tenant, `limit=5&after=${firstEvent.id.toUpperCase()}`);
      const byCursor = await events(tenant, `limit=5&after=${cursor}`);
      expect(byId.body.data).toEqual(byCursor.body.data);
      expect(byId.body.data.map((e: any) => e.action)).toEqual(['tenant.updated', 'tenant.updated']);

      // A cursor edited by one character, the old base64 JSON form, garbage: 422, never a 500.
      const flipped = cursor.slice(0, 20) + (cursor[20] === 'A' ? 'B' : 'A') + cursor.slice(21);
      const plainOld = Buffer.from(JSON.stringify([firstEvent.id])).toString('base64url');
      for (const bad of [flipped, plainOld, 'abc', '%00', 'x'.repeat(1000)]) {
        const res = await events(tenant, `after=${encodeURIComponent(bad)}`);
        expectProblem(res, 422, 'validation_failed');
        expect(res.body.errors).toEqual([{ field: 'after', message: 'is not a cursor returned by this API' }]);
      }
    });

    it("never shows another tenant's events through a cursor or an event id", async () => {
      const a = await createTenant(t);
      const b = await createTenant(t);
      await rename(a, 'a1');
      const aPage = await events(a, 'limit=1');
      const fromB = await events(b, `after=${aPage.body.meta.nextCursor}`);
      expect(fromB.status).toBe(200);
      expect(fromB.text).not.toContain(a.id);
      const byId = await events(b, `after=${aPage.body.data[0].id}`);
      expect(byId.text).not.toContain(a.id);
    });
  });

  describe('action names', () => {
    it('follow <resource>.<past_tense_verb> in snake_case, and former names map onto current ones', () => {
      for (const action of AUDIT_ACTIONS) expect(action).toMatch(/^[a-z]+(_[a-z]+)*\.[a-z]+(_[a-z]+)*$/);
      for (const [old, current] of Object.entries(RENAMED_ACTIONS)) {
        expect(AUDIT_ACTIONS).toContain(current);
        expect(AUDIT_ACTIONS).not.toContain(old);
      }
    });

    it('records actions by their current names and finds them by their former names too', async () => {
      const tenant = await createTenant(t, { settings: { lockoutThreshold: 2 } });
      const admin = await signedInUser(t, tenant, { admin: true });
      const user = await createUser(t, tenant, { email: uniqueEmail('named'), password: PASSWORD });
      const as = admin.bearer;
      for (const action of ['allow-password-reset', 'disallow-password-reset', 'require-password-reset', 'reset-tfa', 'unlock', 'deactivate', 'reactivate']) {
        expect((await t.call('POST', `/api/v2/users/${user.id}/actions/${action}`, { as })).status).toBe(200);
      }
      expect((await t.call('POST', `/api/v2/users/${user.id}/actions/force-logout`, { as })).status).toBe(200);
      expect((await t.call('POST', `/api/v2/users/${user.id}/actions/reset-api-key`, { as })).status).toBe(200);
      const enroll = await t.call('POST', '/api/v2/me/tfa/enroll', { as });
      expect(enroll.status).toBe(200);
      await login(t, tenant, user.email, 'wrong-password-1');
      await login(t, tenant, user.email, 'wrong-password-1');

      const log = await events(tenant, 'limit=200');
      const actions: string[] = log.body.data.map((e: any) => e.action);
      expect(actions.filter((a) => !(AUDIT_ACTIONS as readonly string[]).includes(a))).toEqual([]);
      expect(actions).toEqual(
        expect.arrayContaining([
          'user.password_reset_allowed',
          'user.password_reset_disallowed',
          'user.password_reset_required',
          'user.tfa_reset',
          'user.unlocked',
          'user.deactivated',
          'user.reactivated',
          'user.force_logged_out',
          'user.api_key_reset',
          'tfa.enrollment_started',
          'auth.logged_in',
          'auth.login_failed',
          'auth.locked_out',
        ]),
      );

      for (const [old, current] of [
        ['user.force-logout', 'user.force_logged_out'],
        ['tfa.enroll_started', 'tfa.enrollment_started'],
        ['auth.login', 'auth.logged_in'],
        ['auth.lockout', 'auth.locked_out'],
      ]) {
        const byOld = await events(tenant, `filter[action]=${old}`);
        const byNew = await events(tenant, `filter[action]=${current}`);
        expect(byOld.body.data.length).toBeGreaterThan(0);
        expect(byOld.body.data).toEqual(byNew.body.data);
        expect(byOld.body.data.every((e: any) => e.action === current)).toBe(true);
      }
    });

    it('audits a session ended by the session limit as session.evicted', async () => {
      const tenant = await createTenant(t);
      const s = await signedInUser(t, tenant, { sessionsLimit: 1 });
      const second = await login(t, tenant, s.email);
      expect(second.status).toBe(200);
      expect((await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: s.refreshToken } })).status).toBe(401);

      const evicted = await events(tenant, 'filter[action]=session.evicted');
      expect(evicted.body.data).toEqual([
        expect.objectContaining({ action: 'session.evicted', actor: { type: 'user', id: s.user.id }, target: { type: 'session', id: s.sessionId } }),
      ]);
      // Evicted before the login that caused it is recorded, in the same transaction.
      const all = (await events(tenant, 'limit=200')).body.data.map((e: any) => `${e.action}:${e.target.id}`);
      expect(all.indexOf(`session.evicted:${s.sessionId}`)).toBe(all.indexOf(`auth.logged_in:${second.body.session.id}`) - 1);
    });
  });

  it('renames the events recorded under former names when migrating, and back when reverting', async () => {
    const tenant = await createTenant(t);
    const repo = t.dataSource.getRepository(AuditEvent);
    const row = (action: string) => ({
      id: newId(),
      tenantId: tenant.id,
      at: new Date(),
      action,
      actorType: 'operator',
      actorId: null,
      targetType: 'user',
      targetId: null,
      ip: null,
      requestId: null,
    });
    const olds = Object.keys(RENAMED_ACTIONS);
    await repo.insert(olds.map(row));
    const migration = new AuditActionNames1796032537361();
    const runner = t.dataSource.createQueryRunner();
    try {
      await migration.up(runner);
      const up = await repo.find({ where: { tenantId: tenant.id, targetType: 'user' }, order: { id: 'ASC' } });
      expect(up.map((e) => e.action)).toEqual(olds.map((old) => RENAMED_ACTIONS[old]));
      await migration.down(runner);
      const down = await repo.find({ where: { tenantId: tenant.id, targetType: 'user' }, order: { id: 'ASC' } });
      expect(down.map((e) => e.action)).toEqual(olds);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
  });
});
