import { sha256Hex } from '../src/common/crypto.js';
import { SessionsRepository } from '../src/sessions/sessions.repository.js';
import { UserTfa } from '../src/sessions/session.entities.js';
import { LoginFactsRepository } from '../src/users/login-facts.repository.js';
import { createTenant, startApp, type TestApp, useMysql } from './helpers/app.js';
import { signedInUser } from './helpers/sessions.js';
import { createUser, insertGroup, insertPlan } from './helpers/users.js';

/**
 * The statements sign-in and every authenticated request run, read through their
 * repositories: what each returns, and that a tenant other than the credential's finds nothing.
 */
describe(`Sign-in repositories (${useMysql ? 'MariaDB' : 'SQLite'})`, () => {
  let t: TestApp;
  let facts: LoginFactsRepository;
  let sessions: SessionsRepository;

  beforeAll(async () => {
    t = await startApp();
    facts = t.app.get(LoginFactsRepository);
    sessions = t.app.get(SessionsRepository);
  });
  afterAll(() => t.close());

  it("login facts: the allow-list, a confirmed TFA, and the session limits of the plans valid today, within the user's tenant only", async () => {
    const tenant = await createTenant(t);
    const other = await createTenant(t);
    const limited = await insertPlan(t, tenant.id, 'Limited', 3);
    const open = await insertPlan(t, tenant.id, 'Open', null);
    const expired = await insertPlan(t, tenant.id, 'Expired', 1);
    const user = await createUser(t, tenant, {
      ipWhitelist: ['10.0.0.0/8', '192.0.2.7'],
      plans: [{ planId: limited }, { planId: open }, { planId: expired, validTo: '2000-01-01' }],
    });
    const now = new Date();
    const read = await facts.loginFacts(tenant.id, user.id, now);
    expect(read.ipWhitelist.sort()).toEqual(['10.0.0.0/8', '192.0.2.7']);
    expect(read.tfaConfirmed).toBe(false);
    expect(read.planLimits.sort()).toEqual([3, null]);

    await t.dataSource.getRepository(UserTfa).insert({ userId: user.id, tenantId: tenant.id, secretEncrypted: 'x', confirmed: true, lastStep: 0, createdAt: now });
    expect((await facts.loginFacts(tenant.id, user.id, now)).tfaConfirmed).toBe(true);

    expect(await facts.loginFacts(other.id, user.id, now)).toEqual({ ipWhitelist: [], tfaConfirmed: false, planLimits: [] });
  });

  it("a live session's state: the user's flags, its groups' permissions and allow-list; nothing for another tenant, another user, or once ended", async () => {
    const tenant = await createTenant(t);
    const other = await createTenant(t);
    const group = await insertGroup(t, tenant.id, 'Readers', ['users:read', 'groups:read']);
    const s = await signedInUser(t, tenant, { groups: [group], ipWhitelist: ['127.0.0.1'] });
    const live = await sessions.liveSessionState(tenant.id, s.sessionId, s.user.id);
    expect(live).not.toBeNull();
    expect(live!.lastUsedAt).toBeInstanceOf(Date);
    expect(live!.facts).toEqual({
      userId: s.user.id,
      tenantId: tenant.id,
      userActive: true,
      tenantActive: true,
      admin: false,
      planAdmin: false,
      canViewMaskedData: false,
      tfa: false,
      resetTfa: false,
      resetPassword: false,
      tfaConfirmed: false,
      groupPermissions: [['users:read', 'groups:read']],
      ipWhitelist: ['127.0.0.1'],
    });

    expect(await sessions.liveSessionState(other.id, s.sessionId, s.user.id)).toBeNull();
    const stranger = await signedInUser(t, tenant);
    expect(await sessions.liveSessionState(tenant.id, s.sessionId, stranger.user.id)).toBeNull();

    expect((await t.call('POST', '/api/v2/auth/logout', { as: s.bearer })).status).toBe(204);
    expect(await sessions.liveSessionState(tenant.id, s.sessionId, s.user.id)).toBeNull();
    expect(await sessions.endOf(s.sessionId)).toEqual({ tenantId: tenant.id, userId: s.user.id, endReason: 'logout' });
    expect((await sessions.findForRefresh(s.sessionId))?.endReason).toBe('logout');
    expect(await sessions.endOf('0190e0b6-0000-7000-8000-000000000000')).toBeUndefined();
  });

  it("an API key's state is its user's, found by the key's hash alone", async () => {
    const tenant = await createTenant(t);
    const s = await signedInUser(t, tenant, { admin: true });
    const reset = await t.call('POST', `/api/v2/users/${s.user.id}/actions/reset-api-key`, { tenant: tenant.id });
    expect(reset.status).toBe(200);
    const state = await sessions.apiKeyState(sha256Hex(reset.body.apiKey as string));
    expect(state).toMatchObject({ userId: s.user.id, tenantId: tenant.id, admin: true, groupPermissions: [], ipWhitelist: [] });
    expect(await sessions.apiKeyState(sha256Hex('idk_not-a-key'))).toBeNull();
  });
});
