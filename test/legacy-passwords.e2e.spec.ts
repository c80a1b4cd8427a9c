import { readFileSync } from 'node:fs';
import { User } from '../src/users/user.entity.js';
import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { login } from './helpers/sessions.js';
import { createUser } from './helpers/users.js';

interface Vector {
  format: string;
  password: string;
  hash: string;
}
const { vectors } = JSON.parse(readFileSync(new URL('./fixtures/password-hashes.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
/** One vector of each format, with a password a login accepts. */
const perFormat = [...new Map(vectors.filter((v) => v.password.length >= 3).map((v) => [v.format, v])).values()];

describe('logging in with a password hash brought from another system', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  const storedHash = async (id: string): Promise<string | null> => (await t.dataSource.getRepository(User).findOneByOrFail({ id })).passwordHash;

  it.each(perFormat.map((v) => [v.format, v]))('%s: the old password logs in, the hash becomes argon2id, and the password still works', async (_format, vector) => {
    const v = vector as Vector;
    const tenant = await createTenant(t);
    const user = await createUser(t, tenant);
    await t.dataSource.getRepository(User).update({ id: user.id }, { passwordHash: v.hash });

    expectProblem(await login(t, tenant, user.email, `x${v.password}`), 401, 'invalid_credentials');
    expect(await storedHash(user.id)).toBe(v.hash);

    expect((await login(t, tenant, user.email, v.password)).status).toBe(200);
    const upgraded = await storedHash(user.id);
    // An argon2id hash is kept as it came, at its own parameters; any other is replaced.
    if (v.format === 'argon2id') expect(upgraded).toBe(v.hash);
    else expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,/);
    expect((await login(t, tenant, user.email, v.password)).status).toBe(200);
    expect(await storedHash(user.id)).toBe(upgraded);
    expectProblem(await login(t, tenant, user.email, `x${v.password}`), 401, 'invalid_credentials');
  });
});
