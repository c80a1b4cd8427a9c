import { SessionsRepository } from '../src/sessions/sessions.repository.js';
import { LoginFactsRepository } from '../src/users/login-facts.repository.js';
import { startApp, type TestApp } from './helpers/app.js';
import { expectSqlSnapshot } from './helpers/sql-snapshot.js';

/**
 * What sign-in and every authenticated request send to the database: the SQL each method of
 * SessionsRepository and LoginFactsRepository runs, per dialect, compared with the checked-in
 * src/queries/<repository>.<dialect>.sql (as test/repository-sql.spec.ts does for
 * UsersRepository). After a deliberate change, regenerate the files and review the diff:
 *
 *   UPDATE_SQL_SNAPSHOTS=1 npm test -- test/sign-in-repositories-sql.spec.ts
 *   UPDATE_SQL_SNAPSHOTS=1 npm run test:mysql -- test/sign-in-repositories-sql.spec.ts
 */
const TENANT = '00000000-0000-7000-8000-000000000001';
const USER = '00000000-0000-7000-8000-000000000002';
const SESSION = '00000000-0000-7000-8000-000000000005';
const AT = new Date('2026-01-02T03:04:05.678Z');
const KEY_HASH = 'a'.repeat(64);

describe('the SQL of the sign-in repositories', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No webhook dispatcher polling beside the methods: only their own statements are recorded.
    t = await startApp({ WEBHOOK_DISPATCH: 'false' });
  });
  afterAll(async () => {
    await t.close();
  });

  const matches = (repository: string, stem: string, cases: [string, () => Promise<unknown>][]) =>
    expectSqlSnapshot(t, 'test/sign-in-repositories-sql.spec.ts', repository, stem, cases);

  it('SessionsRepository matches src/queries/sessions.repository.<dialect>.sql', async () => {
    const sessions = t.app.get(SessionsRepository);
    await matches('SessionsRepository', 'sessions.repository', [
      ['liveSessionState(tenantId, sessionId, userId)', () => sessions.liveSessionState(TENANT, SESSION, USER)],
      ['apiKeyState(keyHash)', () => sessions.apiKeyState(KEY_HASH)],
      ['findForRefresh(sessionId)', () => sessions.findForRefresh(SESSION)],
      ['endOf(sessionId)', () => sessions.endOf(SESSION)],
    ]);
  });

  it('LoginFactsRepository matches src/queries/login-facts.repository.<dialect>.sql', async () => {
    const facts = t.app.get(LoginFactsRepository);
    await matches('LoginFactsRepository', 'login-facts.repository', [['loginFacts(tenantId, userId, now)', () => facts.loginFacts(TENANT, USER, AT)]]);
  });
});
