import { newId } from '../src/common/ids.js';
import { Session, SigningKey } from '../src/sessions/session.entities.js';
import { SessionsRepository } from '../src/sessions/sessions.repository.js';
import { SigningKeysRepository } from '../src/sessions/signing-keys.repository.js';
import { LoginFactsRepository } from '../src/users/login-facts.repository.js';
import { createTenant } from './helpers/app.js';
import { SNAPSHOT_VALUES, sqlSnapshotSuite } from './helpers/sql-snapshot.js';
import { createUser } from './helpers/users.js';

/**
 * What sign-in and every authenticated request send to the database: the SQL each method of
 * SessionsRepository, LoginFactsRepository and SigningKeysRepository runs, per dialect, compared with the checked-in
 * src/queries/<repository>.<dialect>.sql (as test/repository-sql.spec.ts does for
 * UsersRepository). After a deliberate change, regenerate the files and review the diff:
 *
 *   UPDATE_SQL_SNAPSHOTS=1 npm test -- test/sign-in-repositories-sql.spec.ts
 *   UPDATE_SQL_SNAPSHOTS=1 npm run test:mysql -- test/sign-in-repositories-sql.spec.ts
 */
const { TENANT, USER, AT } = SNAPSHOT_VALUES;
const SESSION = '00000000-0000-7000-8000-000000000005';
const OTHER_SESSION = '00000000-0000-7000-8000-000000000006';
const KEY_HASH = 'a'.repeat(64);

describe('the SQL of the sign-in repositories', () => {
  const suite = sqlSnapshotSuite('test/sign-in-repositories-sql.spec.ts');
  const { matches } = suite;

  it('SessionsRepository matches src/queries/sessions.repository.<dialect>.sql', async () => {
    const { t, db } = suite;
    const sessions = t.app.get(SessionsRepository);
    await matches('SessionsRepository', 'sessions.repository', [
      ['liveSessionState(tenantId, sessionId, userId)', () => sessions.liveSessionState(TENANT, SESSION, USER)],
      ['apiKeyState(keyHash)', () => sessions.apiKeyState(KEY_HASH)],
      ['findForRefresh(sessionId)', () => sessions.findForRefresh(SESSION)],
      ['endOf(sessionId)', () => sessions.endOf(SESSION)],
      ['live(tenantId, userId, now, newest first)', () => sessions.live(TENANT, USER, AT, 'newest')],
      ['live(tenantId, userId, now, least recently used first), in a transaction', () => db.transaction((m) => sessions.live(TENANT, USER, AT, 'leastRecentlyUsed', m))],
      ['unendedIds(tenantId, userId), in a transaction', () => db.transaction((m) => sessions.unendedIds(TENANT, USER, m))],
      ['endMany(tenantId, 2 sessions, reason)', () => db.transaction((m) => sessions.endMany(TENANT, [SESSION, OTHER_SESSION], 'limit', AT, m))],
      ['end(tenantId, sessionId, reason)', () => sessions.end(TENANT, SESSION, 'logout', AT)],
      ['swapRefresh(tenantId, sessionId, presented hash, the new hash and times)', () =>
        sessions.swapRefresh(TENANT, SESSION, KEY_HASH, { refreshHash: 'b'.repeat(64), lastUsedAt: AT, expiresAt: AT })],
      ['touch(tenantId, sessionId, userId, now, since), a session not used since', () => sessions.touch(TENANT, SESSION, USER, AT, AT)],
    ]);
  });

  it('SessionsRepository writes of new rows match src/queries/sessions.repository.writes.<dialect>.sql', async () => {
    // Rows that refer to a tenant and a user need real ones; the statements are the same whichever.
    const { t, db } = suite;
    const sessions = t.app.get(SessionsRepository);
    const tenant = await createTenant(t);
    const user = await createUser(t, tenant);
    const session = Object.assign(new Session(), {
      id: newId(), tenantId: tenant.id, userId: user.id, refreshHash: KEY_HASH, ip: '127.0.0.1', userAgent: null,
      createdAt: AT, lastUsedAt: AT, expiresAt: AT, endedAt: null, endReason: null,
    });
    await matches('SessionsRepository', 'sessions.repository.writes', [
      ['insert(tenantId, session)', () => db.transaction((m) => sessions.insert(tenant.id, session, m))],
      ['touch(tenantId, sessionId, userId, now, since), a session last used before', () =>
        sessions.touch(tenant.id, session.id, user.id, new Date(AT.getTime() + 120_000), new Date(AT.getTime() + 60_000))],
      ['replaceApiKey(tenantId, userId, keyHash)', () => db.transaction((m) => sessions.replaceApiKey(tenant.id, user.id, 'c'.repeat(64), AT, m))],
    ]);
  });

  it('LoginFactsRepository matches src/queries/login-facts.repository.<dialect>.sql', async () => {
    const facts = suite.t.app.get(LoginFactsRepository);
    await matches('LoginFactsRepository', 'login-facts.repository', [['loginFacts(tenantId, userId, now)', () => facts.loginFacts(TENANT, USER, AT)]]);
  });

  it('SigningKeysRepository matches src/queries/signing-keys.repository.<dialect>.sql', async () => {
    const { t, db } = suite;
    const keys = t.app.get(SigningKeysRepository);
    // Written retired, so the service never loads it as a key to sign with.
    const retired = Object.assign(new SigningKey(), { id: 'snapshot-key', algorithm: 'ES256', publicJwk: '{}', privateKeyEncrypted: 'x', createdAt: AT, retiredAt: AT });
    await matches('SigningKeysRepository', 'signing-keys.repository', [
      ['insert(key)', () => db.transaction((m) => keys.insert(retired, m))],
      ['exists(kid)', () => keys.exists('snapshot-key')],
      ['all()', () => keys.all()],
      ['live(), in a transaction', () => db.transaction((m) => keys.live(m))],
      ['retire(1 kid, at)', () => db.transaction((m) => keys.retire(['snapshot-key'], AT, m))],
    ]);
    expect(await keys.exists('snapshot-key')).toBe(true);
    expect(await keys.exists('no-such-key')).toBe(false);
    expect((await keys.all()).map((k) => k.createdAt.getTime())).toEqual([...(await keys.all())].map((k) => k.createdAt.getTime()).sort((a, b) => a - b));
  });
});
