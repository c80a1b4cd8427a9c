import fc from 'fast-check';
import type { Principal } from '../src/auth/principal.js';
import { newId } from '../src/common/ids.js';
import { UserTfa } from '../src/sessions/session.entities.js';
import { writeUserLines } from '../src/users/dto/user-page.json.js';
import { toUserResponse } from '../src/users/dto/user-response.dto.js';
import type { UsersFilter } from '../src/users/dto/users-query.dto.js';
import { UserPlan } from '../src/users/user-relations.entity.js';
import { User } from '../src/users/user.entity.js';
import { UsersRepository } from '../src/users/users.repository.js';
import { createTenant, startApp, useMysql, type TestApp } from './helpers/app.js';
import { signedInUser, type SignedIn } from './helpers/sessions.js';
import { insertRandomUsers, randomDate, randomGroup, randomText, randomUser } from './helpers/random-users.js';
import { createUser, insertGroup, insertPlan } from './helpers/users.js';

/*
 * The export (GET /api/v2/users/export) is written straight from its rows (writeUserLines);
 * every other user representation goes through toUserResponse. These hold the export's
 * bytes to that general mapping, a line each: over users with every kind of child row, for
 * every kind of viewer, with the list's filters, across page boundaries, through the route
 * and through the repository, and over random users.
 */

const PASSWORD_HASH = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';

/** What the general mapping makes of the same users: the list's entities, oldest first, each through toUserResponse and JSON.stringify. */
async function general(repository: UsersRepository, tenantId: string, filter: UsersFilter, viewer: Principal, now: Date): Promise<string> {
  const { users } = await repository.listPage(tenantId, { filter, sort: 'createdAt', offset: 0, limit: 10_000 });
  return users.map((loaded) => `${JSON.stringify(toUserResponse(loaded, viewer, now))}\n`).join('');
}

/** The export's own way: its pages of rows, each written by writeUserLines. */
async function fast(repository: UsersRepository, tenantId: string, filter: UsersFilter, viewer: Principal, now: Date, pageSize = 1000): Promise<string> {
  const { columns, conversions } = repository.exportShape;
  let out = '';
  for await (const page of repository.exportPages(tenantId, filter, pageSize)) {
    const rows = [...page];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(pageSize);
    // No hash is even read on the export's way out.
    for (const row of rows) expect(row).not.toContain(PASSWORD_HASH);
    out += writeUserLines(rows, columns, conversions, viewer, now).toString('utf8');
  }
  return out;
}

const userViewer = (tenantId: string, userId: string, canViewMaskedData: boolean, admin = false): Principal => ({
  kind: 'user', via: 'session', userId, tenantId, sessionId: null, permissions: new Set(['users:read']), admin, canViewMaskedData, restrictedTo: [],
});

describe('the users export written from its rows', () => {
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
      { email: 'plain@example.com', password: 'correct horse battery staple' },
      {
        email: 'every.kind@example.com', firstName: 'Every', lastName: 'Kind "of" \\ row', phone: '+1 (804) 325-7762', externalId: 'ext-1', username: 'every',
        groups, clientTags: ['vip', 'beta', 'a "tag"'], ipWhitelist: ['10.0.0.0/8', '2001:db8::/32', '192.168.1.1'],
        plans: [{ planId: plans[0] }, { planId: plans[1], validTo: '2099-12-31' }, { planId: plans[2], validTo: '2000-01-01' }],
        enterprise: { employeeNumber: 'E1', costCenter: 'CC', organization: 'Org', division: 'Div', department: 'Dept', managerId: null },
        sessionsLimit: 3,
      },
      { email: 'admin@example.com', admin: true, groups: [groups[1]], phone: '+4930123456', clientTags: ['vip'] },
      { email: 'planadmin@example.com', planAdmin: true, groups: [groups[0], groups[2]], plans: [{ planId: plans[1], validTo: '2000-01-01' }] },
      { email: 'both@example.com', admin: true, planAdmin: true, canViewMaskedData: true, active: false, tfa: true, resetPassword: true },
      { email: 'x@example.com', name: 'Ünïcödé ✓ 😀 \u2028', onlySeesReadable: true, passwordResetAllowed: false, clientTags: ['ü'] },
    ];
    users = [];
    for (const spec of specs) users.push(await createUser(t, tenant, spec));
    // A hash as an import stores it, a manager, a confirmed TFA enrolment, and dates set the way logins and lockouts set them.
    await t.dataSource.getRepository(User).update({ id: users[2].id }, { passwordHash: PASSWORD_HASH });
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

  it('answers the route with the text of each user’s representation, a line each, for every kind of viewer', async () => {
    for (const as of ['operator', viewers.admin!.bearer, viewers.plain!.bearer, viewers.clear!.bearer] as const) {
      const exported = await t.call('GET', '/api/v2/users/export', { tenant: tenant.id, as });
      expect(exported.status).toBe(200);
      const ids = exported.text.trimEnd().split('\n').map((line) => (JSON.parse(line) as { id: string }).id);
      expect(ids).toHaveLength(users.length + 3);
      const each = await Promise.all(ids.map((id) => t.call('GET', `/api/v2/users/${id}`, { tenant: tenant.id, as })));
      expect(exported.text).toBe(each.map((res) => `${res.text}\n`).join(''));
      expect(exported.text).not.toContain(PASSWORD_HASH);
    }
  });

  it('masks per viewer: the plain viewer sees its own record in clear and everyone else masked', async () => {
    const res = await t.call('GET', '/api/v2/users/export', { tenant: tenant.id, as: viewers.plain!.bearer });
    const data = res.text.trimEnd().split('\n').map((line) => JSON.parse(line) as { id: string; email: string; phone: string | null; ipWhitelist: string[] });
    expect(data.find((u) => u.id === viewers.plain!.user.id)).toMatchObject({ email: viewers.plain!.email, ipWhitelist: ['127.0.0.1'] });
    expect(data.find((u) => u.id === users[1].id)).toMatchObject({ email: 'e***@example.com', phone: '+*******7762', ipWhitelist: ['***', '***', '***'] });
  });

  it('gives the general mapping for each viewer kind and filter, across pages, through the repository', async () => {
    const now = new Date();
    const principals: Principal[] = [
      { kind: 'operator' },
      userViewer(tenant.id, viewers.admin!.user.id, false, true),
      userViewer(tenant.id, viewers.plain!.user.id, false),
      userViewer(tenant.id, users[1].id, false),
      userViewer(tenant.id, viewers.clear!.user.id, true),
    ];
    const filters: UsersFilter[] = [{}, { active: '1' }, { clientTag: 'vip' }, { admin: '1' }, { email: 'every.kind@example.com' }, { name: 'Ü' }];
    for (const viewer of principals) {
      for (const filter of filters) {
        const expected = await general(repository, tenant.id, filter, viewer, now);
        expect(expected).not.toBe('');
        for (const pageSize of [1000, 2, 3]) expect(await fast(repository, tenant.id, filter, viewer, now, pageSize)).toBe(expected);
      }
    }
    // A filter no user matches: no page at all.
    expect(await fast(repository, tenant.id, { externalId: 'nobody' }, { kind: 'operator' }, now)).toBe('');
    // Plan activity turns on `now`: a day earlier and far later give other answers, still the same on both paths.
    for (const at of [new Date('2000-01-01T00:00:00.000Z'), new Date('2999-06-01T00:00:00.000Z')]) {
      expect(await fast(repository, tenant.id, {}, { kind: 'operator' }, at, 4)).toBe(await general(repository, tenant.id, {}, { kind: 'operator' }, at));
    }
  });

  it('pages by (createdAt, id): users created in the same millisecond are each exported once', async () => {
    const own = await createTenant(t);
    const at = new Date('2026-03-04T05:06:07.089Z');
    for (let i = 0; i < 7; i++) {
      const id = newId();
      await t.dataSource.getRepository(User).insert({
        id, tenantId: own.id, externalId: null, name: `Same ${i}`, nameExplicit: true, firstName: null, lastName: null, username: null, email: `same${i}@example.com`,
        phone: null, active: true, admin: false, planAdmin: false, tfa: false, resetPassword: false, resetTfa: false, passwordResetAllowed: true,
        canViewMaskedData: false, onlySeesReadable: false, sessionsLimit: null, passwordHash: PASSWORD_HASH, importedHashDigest: null, version: 1, lastLoginAt: null,
        lastActionAt: null, lockedUntil: null, employeeNumber: null, costCenter: null, organization: null, division: null, department: null, managerId: null,
        failedLogins: 0, createdAt: at, updatedAt: at,
      });
    }
    const now = new Date();
    const expected = await general(repository, own.id, {}, { kind: 'operator' }, now);
    expect(expected.split('\n')).toHaveLength(8);
    for (const pageSize of [1, 2, 3, 7, 8]) expect(await fast(repository, own.id, {}, { kind: 'operator' }, now, pageSize)).toBe(expected);
  });

  (useMysql ? it.skip : it)('takes the driver’s way for stored dates not in the service’s own form (SQLite)', async () => {
    const now = new Date();
    for (const stored of ['2024-02-30 10:00:00.000', '2023-02-29 00:00:00.000', '2024-01-01 24:00:00.000', '2026-11-30 16:20:00', '2026-11-30T16:20:00.123Z', '2024-02-29 23:59:59.999']) {
      await t.dataSource.query('UPDATE users SET last_login_at = ?, last_action_at = ? WHERE id = ?', [stored, stored, users[0].id]);
      await t.dataSource.query('UPDATE user_plans SET valid_from = ? WHERE user_id = ?', [stored, users[3].id]);
      expect(await fast(repository, tenant.id, {}, { kind: 'operator' }, now, 3)).toBe(await general(repository, tenant.id, {}, { kind: 'operator' }, now));
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
        fc.integer({ min: 1, max: 6 }),
        async (specs, groupSpecs, planNames, viewerKind, now, pageSize) => {
          const own = await createTenant(t);
          const ids = await insertRandomUsers(t, own.id, specs, groupSpecs, planNames, PASSWORD_HASH);
          const viewer: Principal = viewerKind === 0 ? { kind: 'operator' } : userViewer(own.id, viewerKind === 1 ? ids[0]! : newId(), viewerKind === 2, viewerKind === 3);
          const expected = await general(repository, own.id, {}, viewer, now);
          expect(expected.split('\n')).toHaveLength(specs.length + 1);
          expect(await fast(repository, own.id, {}, viewer, now, pageSize)).toBe(expected);
        },
      ),
      { numRuns: useMysql ? 15 : 40 },
    );
  });
});
