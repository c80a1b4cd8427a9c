import { PasswordResetRepository } from '../src/account/password-reset.repository.js';
import { newId } from '../src/common/ids.js';
import { Database } from '../src/database/database.service.js';
import { SecondFactorRepository } from '../src/sessions/second-factor.repository.js';
import { LoginFactsRepository } from '../src/users/login-facts.repository.js';
import { User } from '../src/users/user.entity.js';
import { UsersRepository } from '../src/users/users.repository.js';
import { createTenant, startApp, type TestApp } from './helpers/app.js';
import { createUser } from './helpers/users.js';

/**
 * The attacker's side of the own-credentials repositories: a user named with another tenant is
 * not found and not changed, whichever table holds the row (users, user_tfa, recovery_codes and
 * password_reset_tokens each carry the tenant, which their statements name). Each refusal
 * is followed by the same call with the right tenant, which does find the row, so the refusal
 * is the tenant's doing.
 */
describe('own-credentials repositories, named with another tenant', () => {
  let t: TestApp;
  let db: Database;
  let users: UsersRepository;
  let counters: LoginFactsRepository;
  let factors: SecondFactorRepository;
  let tokens: PasswordResetRepository;
  let home: { id: string };
  let other: { id: string };
  let user: { id: string };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get(Database);
    users = t.app.get(UsersRepository);
    counters = t.app.get(LoginFactsRepository);
    factors = t.app.get(SecondFactorRepository);
    tokens = t.app.get(PasswordResetRepository);
    home = await createTenant(t);
    other = await createTenant(t);
    user = await createUser(t, home);
  });
  afterAll(async () => {
    await t.close();
  });

  const row = () => t.dataSource.getRepository(User).findOneByOrFail({ id: user.id });

  it('leaves the user row alone: password, TFA flag, sign-in, lockout counters', async () => {
    const before = await row();
    await db.transaction(async (m) => {
      await users.setOwnPassword(other.id, user.id, 'stolen', true, m);
      await users.setTfa(other.id, user.id, true, m);
      await users.recordSignIn(other.id, user.id, new Date(), m);
    });
    expect(await counters.claimGuess(other.id, user.id, 5)).toBe(false);
    expect(await counters.lockedUntil(other.id, user.id)).toBeUndefined();
    expect(await row()).toEqual(before);

    expect(await counters.claimGuess(home.id, user.id, 5)).toBe(true);
    expect(await db.transaction((m) => counters.lockAtThreshold(other.id, user.id, 1, new Date(Date.now() + 60_000), m))).toBe(false);
    await counters.returnGuess(other.id, user.id);
    expect((await row()).failedLogins).toBe(1);
    await counters.returnGuess(home.id, user.id);
    expect((await row()).failedLogins).toBe(0);

    await db.transaction((m) => users.setTfa(home.id, user.id, true, m));
    expect((await row()).tfa).toBe(true);
  });

  it('neither reads nor spends nor removes the second factor', async () => {
    await db.transaction(async (m) => {
      await factors.replaceEnrolment(home.id, user.id, 'sealed', new Date(), m);
      await factors.confirmEnrolment(home.id, user.id, m);
      await factors.replaceRecoveryCodes(home.id, user.id, ['b'.repeat(64)], m);
    });
    expect(await factors.enrolment(other.id, user.id)).toBeNull();
    expect(await factors.advanceStep(other.id, user.id, 1000)).toBe(false);
    expect(await factors.consumeRecoveryCode(other.id, user.id, 'b'.repeat(64), new Date())).toBe(false);
    await db.transaction((m) => factors.remove(other.id, user.id, m));
    await db.transaction((m) => factors.confirmEnrolment(other.id, user.id, m));

    expect(await factors.enrolment(home.id, user.id)).toMatchObject({ confirmed: true, lastStep: 0 });
    expect(await factors.advanceStep(home.id, user.id, 1000)).toBe(true);
    expect(await factors.consumeRecoveryCode(home.id, user.id, 'b'.repeat(64), new Date())).toBe(true);
    await db.transaction((m) => factors.remove(home.id, user.id, m));
    expect(await factors.enrolment(home.id, user.id)).toBeNull();
  });

  it('leaves a recovery code or reset token row of one tenant as it was, named with another with the right user and token', async () => {
    const codeHash = 'f'.repeat(64);
    const tokenId = newId();
    await db.transaction(async (m) => {
      await factors.replaceEnrolment(home.id, user.id, 'sealed', new Date(), m);
      await factors.confirmEnrolment(home.id, user.id, m);
      await factors.replaceRecoveryCodes(home.id, user.id, [codeHash], m);
      await tokens.replace(home.id, user.id, { id: tokenId, tokenHash: '9'.repeat(64), expiresAt: new Date(Date.now() + 60_000) }, m);
    });
    const rows = async () => ({
      codes: (await t.dataSource.query('SELECT id, tenant_id, code_hash, used_at FROM recovery_codes WHERE user_id = ? ORDER BY id', [user.id])) as unknown[],
      tokens: (await t.dataSource.query('SELECT id, tenant_id, token_hash, used_at FROM password_reset_tokens WHERE user_id = ? ORDER BY id', [user.id])) as unknown[],
    });
    const before = await rows();
    expect(before.codes).toEqual([expect.objectContaining({ tenant_id: home.id, code_hash: codeHash, used_at: null })]);
    expect(before.tokens).toEqual([expect.objectContaining({ id: tokenId, tenant_id: home.id, used_at: null })]);

    expect(await factors.consumeRecoveryCode(other.id, user.id, codeHash, new Date())).toBe(false);
    // Nor does a replacement named with the other tenant: it writes nothing, and removes nothing.
    expect(await db.transaction((m) => factors.replaceRecoveryCodes(other.id, user.id, ['0'.repeat(64)], m))).toBe(false);
    expect(await db.transaction((m) => factors.replaceEnrolment(other.id, user.id, 'other', new Date(), m))).toBe(false);
    expect(await t.dataSource.query('SELECT user_id FROM user_tfa WHERE tenant_id = ?', [other.id])).toEqual([]);
    expect(await factors.enrolment(home.id, user.id)).toMatchObject({ confirmed: true, secretEncrypted: 'sealed' });
    expect(await users.sourceCredentials(other.id, [user.id])).toEqual(new Map());
    expect(await db.transaction((m) => tokens.markUsed(other.id, tokenId, new Date(), m))).toBe(false);
    await db.transaction((m) => factors.remove(other.id, user.id, m));
    expect(await rows()).toEqual(before);

    expect((await users.sourceCredentials(home.id, [user.id])).get(user.id)?.secondFactor?.recoveryCodeHashes).toEqual([codeHash]);
    expect(await factors.consumeRecoveryCode(home.id, user.id, codeHash, new Date())).toBe(true);
    expect(await db.transaction((m) => tokens.markUsed(home.id, tokenId, new Date(), m))).toBe(true);
    await db.transaction((m) => factors.remove(home.id, user.id, m));
    expect((await rows()).codes).toEqual([]);
  });

  it('does not spend a reset token, nor delete the user’s unused one', async () => {
    const id = newId();
    await db.transaction((m) => tokens.replace(home.id, user.id, { id, tokenHash: 'd'.repeat(64), expiresAt: new Date(Date.now() + 60_000) }, m));
    expect(await tokens.findLive('d'.repeat(64), new Date())).toEqual({ id, userId: user.id, tenantId: home.id });
    expect(await db.transaction((m) => tokens.markUsed(other.id, id, new Date(), m))).toBe(false);
    // A replacement named with the other tenant deletes nothing of this user's, and writes no token.
    expect(await db.transaction((m) => tokens.replace(other.id, user.id, { id: newId(), tokenHash: 'e'.repeat(64), expiresAt: new Date(Date.now() + 60_000) }, m))).toBe(false);
    expect(await tokens.findLive('d'.repeat(64), new Date())).toEqual({ id, userId: user.id, tenantId: home.id });
    expect(await tokens.findLive('e'.repeat(64), new Date())).toBeNull();
    expect(await t.dataSource.query('SELECT id FROM password_reset_tokens WHERE tenant_id = ?', [other.id])).toEqual([]);

    expect(await db.transaction((m) => tokens.markUsed(home.id, id, new Date(), m))).toBe(true);
    expect(await tokens.findLive('d'.repeat(64), new Date())).toBeNull();
  });
});
