import { PasswordResetRepository } from '../src/account/password-reset.repository.js';
import { newId } from '../src/common/ids.js';
import { SecondFactorRepository } from '../src/sessions/second-factor.repository.js';
import { LoginFactsRepository } from '../src/users/login-facts.repository.js';
import { UsersRepository } from '../src/users/users.repository.js';
import { createTenant } from './helpers/app.js';
import { SNAPSHOT_VALUES, sqlSnapshotSuite } from './helpers/sql-snapshot.js';
import { createUser } from './helpers/users.js';

/**
 * What a user's own credentials send to the database (sign-in, the own password, a reset by
 * mail, the second factor, the lockout's counters): the SQL each method runs, per dialect,
 * compared with the checked-in src/queries/<file>.<dialect>.sql, as the other repositories'
 * snapshots are. After a deliberate change, regenerate the files and review the diff:
 *
 *   UPDATE_SQL_SNAPSHOTS=1 npm test -- test/account-repositories-sql.spec.ts
 *   UPDATE_SQL_SNAPSHOTS=1 npm run test:mysql -- test/account-repositories-sql.spec.ts
 */
const { TENANT, USER, AT } = SNAPSHOT_VALUES;
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA';
const TOKEN_HASH = 'a'.repeat(64);

describe('the SQL of a user’s own credentials', () => {
  const suite = sqlSnapshotSuite('test/account-repositories-sql.spec.ts');
  const { matches } = suite;

  it('UsersRepository, the own credentials, matches src/queries/users.repository.credentials.<dialect>.sql', async () => {
    const { t, db } = suite;
    const users = t.app.get(UsersRepository);
    await matches('UsersRepository', 'users.repository.credentials', [
      ['setOwnPassword(tenantId, userId, hash, changed)', () => db.transaction((m) => users.setOwnPassword(TENANT, USER, HASH, false, m))],
      ['setOwnPassword(tenantId, userId, hash, reset: unlocked)', () => db.transaction((m) => users.setOwnPassword(TENANT, USER, HASH, true, m))],
      ['setTfa(tenantId, userId, on)', () => db.transaction((m) => users.setTfa(TENANT, USER, true, m))],
      ['setTfa(tenantId, userId, off)', () => db.transaction((m) => users.setTfa(TENANT, USER, false, m))],
      ['recordSignIn(tenantId, userId, now)', () => db.transaction((m) => users.recordSignIn(TENANT, USER, AT, m))],
      ['upgradePasswordHash(tenantId, userId, verified, upgraded)', () => db.transaction((m) => users.upgradePasswordHash(TENANT, USER, '$2b$10$verified', HASH, m))],
    ]);
  });

  it('LoginFactsRepository, the lockout counters, matches src/queries/login-facts.repository.lockout.<dialect>.sql', async () => {
    const { t, db } = suite;
    const counters = t.app.get(LoginFactsRepository);
    await matches('LoginFactsRepository', 'login-facts.repository.lockout', [
      ['claimGuess(tenantId, userId, threshold 5)', () => counters.claimGuess(TENANT, USER, 5)],
      ['claimGuess(tenantId, userId, no threshold)', () => counters.claimGuess(TENANT, USER, 0)],
      ['clearGuesses(tenantId, userId)', () => db.transaction((m) => counters.clearGuesses(TENANT, USER, m))],
      ['returnGuess(tenantId, userId)', () => counters.returnGuess(TENANT, USER)],
      ['lockAtThreshold(tenantId, userId, threshold 5, until)', () => db.transaction((m) => counters.lockAtThreshold(TENANT, USER, 5, AT, m))],
      ['lockedUntil(tenantId, userId)', () => counters.lockedUntil(TENANT, USER)],
    ]);
  });

  it('SecondFactorRepository matches src/queries/second-factor.repository.<dialect>.sql', async () => {
    const { t, db } = suite;
    // New rows refer to a tenant and a user, so these need real ones; the statements are the same whichever.
    const factors = t.app.get(SecondFactorRepository);
    const tenant = await createTenant(t);
    const user = await createUser(t, tenant);
    await matches('SecondFactorRepository', 'second-factor.repository', [
      ['enrolment(tenantId, userId)', () => factors.enrolment(tenant.id, user.id)],
      ['replaceEnrolment(tenantId, userId, secret)', () => db.transaction((m) => factors.replaceEnrolment(tenant.id, user.id, 'sealed', AT, m))],
      ['confirmEnrolment(tenantId, userId)', () => db.transaction((m) => factors.confirmEnrolment(tenant.id, user.id, m))],
      ['advanceStep(tenantId, userId, step)', () => factors.advanceStep(tenant.id, user.id, 1000)],
      ['replaceRecoveryCodes(tenantId, userId, 2 codes)', () => db.transaction((m) => factors.replaceRecoveryCodes(tenant.id, user.id, ['b'.repeat(64), 'c'.repeat(64)], m))],
      ['consumeRecoveryCode(tenantId, userId, codeHash)', () => factors.consumeRecoveryCode(tenant.id, user.id, 'b'.repeat(64), AT)],
      ['remove(tenantId, userId)', () => db.transaction((m) => factors.remove(tenant.id, user.id, m))],
    ]);
  });

  it('PasswordResetRepository matches src/queries/password-reset.repository.<dialect>.sql', async () => {
    const { t, db } = suite;
    const tokens = t.app.get(PasswordResetRepository);
    const tenant = await createTenant(t);
    const user = await createUser(t, tenant);
    await matches('PasswordResetRepository', 'password-reset.repository', [
      ['replace(tenantId, userId, token)', () => db.transaction((m) => tokens.replace(tenant.id, user.id, { id: newId(), tokenHash: TOKEN_HASH, expiresAt: AT }, m))],
      ['findLive(tokenHash, now)', () => tokens.findLive(TOKEN_HASH, AT)],
      ['markUsed(tenantId, tokenId, now)', () => db.transaction((m) => tokens.markUsed(TENANT, USER, AT, m))],
    ]);
  });
});
