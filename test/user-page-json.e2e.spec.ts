import fc from 'fast-check';
import type { Principal } from '../src/auth/principal.js';
import { newId } from '../src/common/ids.js';
import { UserTfa } from '../src/sessions/session.entities.js';
import { writeUserPage } from '../src/users/dto/user-page.json.js';
import { toUserResponses } from '../src/users/dto/user-response.dto.js';
import { UserPlan } from '../src/users/user-relations.entity.js';
import { User } from '../src/users/user.entity.js';
import { type UserListPage, UsersRepository } from '../src/users/users.repository.js';
import { createTenant, startApp, useMysql, type TestApp } from './helpers/app.js';
import { signedInUser, type SignedIn } from './helpers/sessions.js';
import { insertRandomUsers, randomDate, randomGroup, randomText, randomUser } from './helpers/random-users.js';
import { createUser, insertGroup, insertPlan } from './helpers/users.js';

/*
 * The list page is written straight from its rows (writeUserPage); every other user
 * representation goes through toUserResponse. These hold the page to that general mapping,
 * byte for byte: over users with every kind of child row, for every kind of viewer, through
 * the route itself and through the repository, and over random users.
 */

const PAGE: UserListPage = { filter: {}, sort: 'createdAt', offset: 0, limit: 200 };
const META = { limit: 200, offset: 0, nextCursor: 'cursor' };

/** What the general mapping makes of the same page: the entities, then toUserResponses, then JSON.stringify. */
/** A bcrypt hash some random users hold: the page never shows it. */
const PASSWORD_HASH = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';

async function general(repository: UsersRepository, tenantId: string, page: UserListPage, viewer: Principal, now: Date, meta: object = META): Promise<string> {
  const { users } = await repository.listPage(tenantId, page);
  return JSON.stringify({ data: toUserResponses(users, viewer, now), meta });
}

async function fast(repository: UsersRepository, tenantId: string, page: UserListPage, viewer: Principal, now: Date, meta = META): Promise<string> {
  const { rows, columns, conversions } = await repository.listPageRows(tenantId, page);
  return writeUserPage(rows, columns, conversions, viewer, meta, now);
}

const userViewer = (tenantId: string, userId: string, canViewMaskedData: boolean, admin = false): Principal => ({
  kind: 'user', via: 'session', userId, tenantId, sessionId: null, permissions: new Set(['users:read']), admin, canViewMaskedData, restrictedTo: [],
});

describe('the users list page written from its rows', () => {
  let t: TestApp;
  let repository: UsersRepository;
  let tenant: any;
  let users: any[];
  let viewers: Record<string, SignedIn>;

  beforeAll(async () => {
    t = await startApp({ WEBHOOK_DISPATCH: 'false' });
    repository = t.app.get(UsersRepository);
    tenant = await createTenant(t);
    const groups = [
      await insertGroup(t, tenant.id, 'Zeta', ['users:read', 'groups:read']),
      await insertGroup(t, tenant.id, 'émile', ['plans:read']),
      await insertGroup(t, tenant.id, 'Alpha "quoted" \\ group', []),
      await insertGroup(t, tenant.id, 'alpha', ['sessions:read', 'audit:read', 'users:read']),
    ];
    const plans = [await insertPlan(t, tenant.id, 'Gold', 5), await insertPlan(t, tenant.id, 'basic', null), await insertPlan(t, tenant.id, 'Émeraude', 2)];
    const specs: Record<string, unknown>[] = [
      { email: 'plain@example.com' },
      {
        email: 'every.kind@example.com', firstName: 'Every', lastName: 'Kind "of" \\ row', phone: '+1 (804) 325-7762', externalId: 'ext-1', username: 'every',
        groups, clientTags: ['vip', 'beta', 'a "tag"'], ipWhitelist: ['10.0.0.0/8', '2001:db8::/32', '192.168.1.1'],
        plans: [{ planId: plans[0] }, { planId: plans[1], validTo: '2099-12-31' }, { planId: plans[2], validTo: '2000-01-01' }],
        enterprise: { employeeNumber: 'E1', costCenter: 'CC', organization: 'Org', division: 'Div', department: 'Dept', managerId: null },
        sessionsLimit: 3,
      },
      { email: 'admin@example.com', admin: true, groups: [groups[1]], phone: '+4930123456' },
      { email: 'planadmin@example.com', planAdmin: true, groups: [groups[0], groups[2]], plans: [{ planId: plans[1], validTo: '2000-01-01' }] },
      { email: 'both@example.com', admin: true, planAdmin: true, canViewMaskedData: true, active: false, tfa: true, resetPassword: true },
      { email: 'x@example.com', name: 'Ünïcödé ✓ 😀 \u2028', onlySeesReadable: true, passwordResetAllowed: false, clientTags: ['ü'] },
    ];
    users = [];
    for (const spec of specs) users.push(await createUser(t, tenant, spec));
    // A manager, a confirmed TFA enrolment, and dates set the way logins and lockouts set them.
    await t.dataSource.getRepository(User).update({ id: users[1].id }, { managerId: users[0].id, lastLoginAt: new Date('2026-01-02T03:04:05.678Z'), lastActionAt: new Date('2026-01-02T03:05:00.000Z') });
    await t.dataSource.getRepository(User).update({ id: users[4].id }, { lockedUntil: new Date('2030-02-28T23:59:59.999Z') });
    await t.dataSource.getRepository(UserPlan).update({ userId: users[1].id, planId: plans[2] }, { validFrom: new Date('2999-01-01T00:00:00.000Z') });
    await t.dataSource.getRepository(UserTfa).insert({ userId: users[1].id, tenantId: tenant.id, secretEncrypted: 'x', confirmed: true, lastStep: 0, createdAt: new Date() });
    await t.dataSource.getRepository(UserTfa).insert({ userId: users[2].id, tenantId: tenant.id, secretEncrypted: 'x', confirmed: false, lastStep: 0, createdAt: new Date() });
    const reader = await insertGroup(t, tenant.id, 'Readers', ['users:read']);
    viewers = {
      admin: await signedInUser(t, tenant, { admin: true }),
      plain: await signedInUser(t, tenant, { groups: [reader], ipWhitelist: ['127.0.0.1'] }),
      clear: await signedInUser(t, tenant, { groups: [reader], canViewMaskedData: true }),
    };
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers the route with the bytes and content type the general representation has, for every kind of viewer', async () => {
    for (const as of ['operator', viewers.admin!.bearer, viewers.plain!.bearer, viewers.clear!.bearer] as const) {
      const list = await t.call('GET', '/api/v2/users?limit=3&count=true', { tenant: tenant.id, as });
      expect(list.status).toBe(200);
      const page = list.body as { data: { id: string }[]; meta: { nextCursor: string } };
      expect(page.data).toHaveLength(3);
      const each = await Promise.all(page.data.map(({ id }) => t.call('GET', `/api/v2/users/${id}`, { tenant: tenant.id, as })));
      expect(list.headers['content-type']).toBe(each[0]!.headers['content-type']);
      const meta = JSON.stringify({ limit: 3, offset: 0, nextCursor: page.meta.nextCursor, total: users.length + 3 });
      expect(list.text).toBe(`{"data":[${each.map((res) => res.text).join(',')}],"meta":${meta}}`);
      // The next page, through the cursor the first one gave.
      const next = await t.call('GET', `/api/v2/users?limit=3&after=${page.meta.nextCursor}`, { tenant: tenant.id, as });
      expect(next.status).toBe(200);
      expect((next.body as { data: { id: string }[] }).data[0]!.id).not.toBe(page.data[2]!.id);
    }
  });

  it('masks per viewer: the plain viewer sees its own record in clear and everyone else masked', async () => {
    const res = await t.call('GET', '/api/v2/users?limit=200', { tenant: tenant.id, as: viewers.plain!.bearer });
    const data = (res.body as { data: { id: string; email: string; ipWhitelist: string[] }[] }).data;
    expect(data.find((u) => u.id === viewers.plain!.user.id)).toMatchObject({ email: viewers.plain!.email, ipWhitelist: ['127.0.0.1'] });
    expect(data.find((u) => u.id === users[1].id)).toMatchObject({ email: 'e***@example.com', ipWhitelist: ['***', '***', '***'] });
  });

  it('gives the general mapping for each viewer kind, sort and filter, through the repository', async () => {
    const now = new Date();
    const principals: Principal[] = [
      { kind: 'operator' },
      userViewer(tenant.id, viewers.admin!.user.id, false, true),
      userViewer(tenant.id, viewers.plain!.user.id, false),
      userViewer(tenant.id, users[1].id, false),
      userViewer(tenant.id, viewers.clear!.user.id, true),
    ];
    const pages: UserListPage[] = [
      PAGE,
      { ...PAGE, sort: '-name', limit: 4 },
      { ...PAGE, sort: 'lastLoginAt', offset: 2 },
      { ...PAGE, sort: '-email', filter: { active: '1' } },
      { ...PAGE, filter: { clientTag: 'vip' } },
    ];
    for (const viewer of principals) {
      for (const page of pages) expect(await fast(repository, tenant.id, page, viewer, now)).toBe(await general(repository, tenant.id, page, viewer, now));
    }
    // Plan activity turns on `now`: a day earlier and far later give other answers, still the same on both paths.
    for (const at of [new Date('2000-01-01T00:00:00.000Z'), new Date('2999-06-01T00:00:00.000Z')]) {
      expect(await fast(repository, tenant.id, PAGE, { kind: 'operator' }, at)).toBe(await general(repository, tenant.id, PAGE, { kind: 'operator' }, at));
    }
  });

  it('hands back the last user of a page (for the cursor) and whether more follow, as listPage does', async () => {
    for (const page of [{ ...PAGE, limit: 2 }, { ...PAGE, sort: '-name', limit: 5 }, PAGE] as UserListPage[]) {
      const rows = await repository.listPageRows(tenant.id, page);
      const loaded = await repository.listPage(tenant.id, page);
      expect(rows.more).toBe(loaded.more);
      expect(rows.rows).toHaveLength(loaded.users.length);
      expect(rows.last).toEqual(loaded.users.at(-1)!.user);
    }
  });

  (useMysql ? it.skip : it)('takes the driver’s way for stored dates not in the service’s own form (SQLite)', async () => {
    const now = new Date();
    for (const stored of ['2024-02-30 10:00:00.000', '2023-02-29 00:00:00.000', '2024-01-01 24:00:00.000', '2026-11-30 16:20:00', '2026-11-30T16:20:00.123Z', '2024-02-29 23:59:59.999']) {
      await t.dataSource.query('UPDATE users SET last_login_at = ?, last_action_at = ? WHERE id = ?', [stored, stored, users[0].id]);
      await t.dataSource.query('UPDATE user_plans SET valid_from = ? WHERE user_id = ?', [stored, users[3].id]);
      expect(await fast(repository, tenant.id, PAGE, { kind: 'operator' }, now)).toBe(await general(repository, tenant.id, PAGE, { kind: 'operator' }, now));
    }
    await t.dataSource.query('UPDATE users SET last_login_at = NULL, last_action_at = NULL WHERE id = ?', [users[0].id]);
  });

  it('gives the general mapping for random users, child rows and viewers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(randomUser, { minLength: 1, maxLength: 5 }),
        fc.array(randomGroup, { minLength: 3, maxLength: 3 }),
        fc.array(randomText, { minLength: 2, maxLength: 2 }),
        fc.integer({ min: 0, max: 4 }),
        randomDate,
        async (specs, groupSpecs, planNames, viewerKind, now) => {
          const own = await createTenant(t);
          const ids = await insertRandomUsers(t, own.id, specs, groupSpecs, planNames, PASSWORD_HASH);
          const viewer: Principal = viewerKind === 0 ? { kind: 'operator' } : userViewer(own.id, viewerKind === 1 ? ids[0]! : newId(), viewerKind === 2, viewerKind === 3);
          expect(await fast(repository, own.id, PAGE, viewer, now)).toBe(await general(repository, own.id, PAGE, viewer, now));
        },
      ),
      { numRuns: useMysql ? 15 : 40 },
    );
  });
});
