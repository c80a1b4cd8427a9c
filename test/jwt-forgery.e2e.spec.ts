import { createHash, createHmac, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { loginWith, userWithPassword } from './helpers/sessions.js';

const ISSUER = 'identity-service';
const AUDIENCE = 'identity-api';

const b64url = (value: object | Buffer): string => (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');

/** The kid the service derives from a JWT_PRIVATE_KEY: sha256 of [crv, x, y] as JSON, 32 hex characters. */
function kidOf(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify([jwk.crv, jwk.x, jwk.y])).digest('hex').slice(0, 32);
}

function decodeHeader(token: string): { alg: string; kid?: string; typ?: string } {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
}

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/**
 * Every way to forge or misuse an access token gets 401 on GET /api/v2/me. The service runs
 * with a JWT_PRIVATE_KEY the test made, so the test can sign tokens that are valid in every
 * respect but one; a control token signed the same way with the right claims gets 200, so
 * each 401 is due to the one thing changed.
 */
describe('access token forgery', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = kidOf(privateKey);
  let t: TestApp;
  let tenant: any;
  let user: any;
  let session: { accessToken: string; refreshToken: string; session: { id: string } };

  beforeAll(async () => {
    t = await startApp({
      JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      LOGIN_RATE_LIMIT: '10000',
    });
    tenant = await createTenant(t);
    user = await userWithPassword(t, tenant);
    const res = await loginWith(t, { tenant: tenant.slug, email: user.email });
    expect(res.status).toBe(200);
    session = res.body;
  });
  afterAll(async () => {
    await t.close();
  });

  const me = (token: string) => t.call('GET', '/api/v2/me', { as: { bearer: token } });
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: user.id,
    tid: tenant.id,
    sid: session.session.id,
    iat: now(),
    exp: now() + 300,
    ...overrides,
  });
  /** Signs with ES256; keyid null leaves the kid out. */
  const signed = (payload: Record<string, unknown>, key: KeyObject = privateKey, keyid: string | null = kid): string =>
    jwt.sign(payload, key, { algorithm: 'ES256', ...(keyid === null ? {} : { keyid }) });

  it('issues ES256 tokens with the kid of JWT_PRIVATE_KEY and the contract claims, published in the JWKS', async () => {
    expect(decodeHeader(session.accessToken)).toMatchObject({ alg: 'ES256', kid });
    const payload = decodePayload(session.accessToken);
    expect(payload).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: user.id, tid: tenant.id, sid: session.session.id });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(900);

    const jwks = await t.call('GET', '/.well-known/jwks.json', { as: null });
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toEqual([expect.objectContaining({ kid, alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256' })]);
    expect(jwks.body.keys[0]).not.toHaveProperty('d');
    const published = createPublicKey({ key: jwks.body.keys[0], format: 'jwk' });
    expect(() => jwt.verify(session.accessToken, published, { algorithms: ['ES256'], issuer: ISSUER, audience: AUDIENCE })).not.toThrow();
  });

  it('accepts the control: a token signed with the key and the right claims', async () => {
    expect((await me(session.accessToken)).status).toBe(200);
    expect((await me(signed(claims()))).status).toBe(200);
  });

  it('refuses alg none, with or without a kid', async () => {
    for (const header of [{ alg: 'none', typ: 'JWT' }, { alg: 'none', typ: 'JWT', kid }, { alg: 'None', kid }]) {
      const unsigned = `${b64url(header)}.${b64url(claims())}.`;
      expectProblem(await me(unsigned), 401, 'invalid_credentials');
    }
  });

  it('refuses HS256 signed with the public key (PEM from the JWKS) as the HMAC secret', async () => {
    const jwks = await t.call('GET', '/.well-known/jwks.json', { as: null });
    const pem = createPublicKey({ key: jwks.body.keys[0], format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    for (const secret of [pem, pem.trim(), JSON.stringify(jwks.body.keys[0])]) {
      const unsigned = `${b64url({ alg: 'HS256', typ: 'JWT', kid })}.${b64url(claims())}`;
      const token = `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
      expectProblem(await me(token), 401, 'invalid_credentials');
    }
  });

  it('refuses a stripped, truncated or borrowed signature and a tampered payload', async () => {
    const [header, payload, signature] = session.accessToken.split('.') as [string, string, string];
    expectProblem(await me(`${header}.${payload}.`), 401, 'invalid_credentials');
    expectProblem(await me(`${header}.${payload}`), 401, 'invalid_credentials');
    expectProblem(await me(`${header}.${payload}.${signature.slice(0, -4)}`), 401, 'invalid_credentials');
    const other = signed(claims({ exp: now() + 600 }));
    expectProblem(await me(`${header}.${payload}.${other.split('.')[2]}`), 401, 'invalid_credentials');
    const tampered = b64url({ ...decodePayload(session.accessToken), exp: now() + 86_400 });
    expectProblem(await me(`${header}.${tampered}.${signature}`), 401, 'invalid_credentials');
  });

  it('refuses a wrong, unknown or missing kid, and another key under the right kid', async () => {
    const { privateKey: attacker } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expectProblem(await me(signed(claims(), attacker, kidOf(attacker))), 401, 'invalid_credentials');
    expectProblem(await me(signed(claims(), attacker, kid)), 401, 'invalid_credentials');
    expectProblem(await me(signed(claims(), privateKey, 'f'.repeat(32))), 401, 'invalid_credentials');
    expectProblem(await me(signed(claims(), privateKey, '../../etc/passwd')), 401, 'invalid_credentials');
    expectProblem(await me(signed(claims(), privateKey, null)), 401, 'invalid_credentials');
    // An expired token from an attacker's key is no better.
    expectProblem(await me(signed(claims({ iat: now() - 3600, exp: now() - 1800 }), attacker, kidOf(attacker))), 401);
    // Nor one signed with another algorithm.
    const { privateKey: rsa } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expectProblem(await me(jwt.sign(claims(), rsa, { algorithm: 'RS256', keyid: kid })), 401, 'invalid_credentials');
  });

  it('refuses wrong aud or iss, missing claims, and answers token_expired for an expired token', async () => {
    expectProblem(await me(signed(claims({ aud: 'another-api' }))), 401, 'invalid_credentials');
    expectProblem(await me(signed(claims({ iss: 'https://evil.example.com' }))), 401, 'invalid_credentials');
    const { aud: _aud, ...withoutAud } = claims();
    expectProblem(await me(signed(withoutAud)), 401, 'invalid_credentials');
    const { iss: _iss, ...withoutIss } = claims();
    expectProblem(await me(signed(withoutIss)), 401, 'invalid_credentials');
    const { sid: _sid, ...withoutSid } = claims();
    expectProblem(await me(signed(withoutSid)), 401, 'invalid_credentials');
    const { exp: _exp, ...withoutExp } = claims();
    expectProblem(await me(signed(withoutExp)), 401, 'invalid_credentials');
    expectProblem(await me(signed(claims({ iat: now() - 3600, exp: now() - 60 }))), 401, 'token_expired');
    expectProblem(await me(signed(claims({ nbf: now() + 3600 }))), 401, 'invalid_credentials');
  });

  it('refuses claims that do not match the session: another user, another tenant, an unknown session', async () => {
    const other = await userWithPassword(t, tenant);
    const otherTenant = await createTenant(t);
    expectProblem(await me(signed(claims({ sub: other.id }))), 401, 'invalid_credentials');
    expectProblem(await me(signed(claims({ tid: otherTenant.id }))), 401, 'invalid_credentials');
    expectProblem(await me(signed(claims({ sid: '01900000-0000-7000-8000-000000000000' }))), 401, 'invalid_credentials');
  });

  it('refuses the token of a session that has ended', async () => {
    const res = await loginWith(t, { tenant: tenant.slug, email: user.email });
    const token = res.body.accessToken as string;
    expect((await me(token)).status).toBe(200);
    expect((await t.call('POST', '/api/v2/auth/logout', { as: { bearer: token } })).status).toBe(204);
    expectProblem(await me(token), 401, 'invalid_credentials');
    // Re-signing the same claims with the real key does not revive it.
    expectProblem(await me(signed(claims({ sid: res.body.session.id }))), 401, 'invalid_credentials');
    // The other session lives on.
    expect((await me(session.accessToken)).status).toBe(200);
  });

  it('refuses the token of a deleted user', async () => {
    const doomed = await userWithPassword(t, tenant);
    const res = await loginWith(t, { tenant: tenant.slug, email: doomed.email });
    expect((await me(res.body.accessToken)).status).toBe(200);
    expect((await t.call('DELETE', `/api/v2/users/${doomed.id}`, { tenant: tenant.id })).status).toBe(204);
    expectProblem(await me(res.body.accessToken), 401, 'invalid_credentials');
    expectProblem(await me(signed(claims({ sub: doomed.id, sid: res.body.session.id }))), 401, 'invalid_credentials');
  });
});

describe('signing key rotation', () => {
  let t: TestApp;
  let tenant: any;
  let user: any;

  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '10000' });
    tenant = await createTenant(t);
    user = await userWithPassword(t, tenant);
  });
  afterAll(async () => {
    await t.close();
  });

  const me = (token: string) => t.call('GET', '/api/v2/me', { as: { bearer: token } });
  const kids = async (): Promise<string[]> => {
    const jwks = await t.call('GET', '/.well-known/jwks.json', { as: null });
    expect(jwks.status).toBe(200);
    for (const key of jwks.body.keys) {
      expect(key).toMatchObject({ kid: expect.any(String), alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256' });
      expect(key).not.toHaveProperty('d');
    }
    return jwks.body.keys.map((k: { kid: string }) => k.kid);
  };

  it('signs with the key staged at the previous rotation, keeps the old key published and its tokens valid', async () => {
    const before = await loginWith(t, { tenant: tenant.slug, email: user.email });
    const oldKid = decodeHeader(before.body.accessToken).kid!;
    const published = await kids();
    // The signing key and the staged one, published before it signs anything.
    expect(published).toHaveLength(2);
    expect(published).toContain(oldKid);
    const stagedKid = published.find((k) => k !== oldKid)!;

    // Only the operator rotates.
    expectProblem(await t.call('POST', '/api/v2/signing-keys/rotate', { as: { bearer: before.body.accessToken } }), 403);
    expectProblem(await t.call('POST', '/api/v2/signing-keys/rotate', { as: null }), 401);
    expect((await kids()).sort()).toEqual(published.sort());

    const rotated = await t.call('POST', '/api/v2/signing-keys/rotate');
    expect(rotated.status).toBe(200);
    const newKid = rotated.body.kid as string;
    expect(newKid).toBe(stagedKid);
    const afterRotation = await kids();
    expect(afterRotation).toHaveLength(3);
    expect(afterRotation).toEqual(expect.arrayContaining([oldKid, newKid]));

    expect((await me(before.body.accessToken)).status).toBe(200);
    const after = await loginWith(t, { tenant: tenant.slug, email: user.email });
    expect(decodeHeader(after.body.accessToken)).toMatchObject({ alg: 'ES256', kid: newKid });
    expect((await me(after.body.accessToken)).status).toBe(200);
    // A refresh after the rotation also moves to the new key.
    const refreshed = await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: before.body.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(decodeHeader(refreshed.body.accessToken).kid).toBe(newKid);

    // Each published key verifies the tokens of its kid, and not the other's.
    const jwks = (await t.call('GET', '/.well-known/jwks.json', { as: null })).body.keys as { kid: string }[];
    const keyOf = (k: string) => createPublicKey({ key: jwks.find((j) => j.kid === k) as never, format: 'jwk' });
    expect(() => jwt.verify(before.body.accessToken, keyOf(oldKid), { algorithms: ['ES256'] })).not.toThrow();
    expect(() => jwt.verify(after.body.accessToken, keyOf(newKid), { algorithms: ['ES256'] })).not.toThrow();
    expect(() => jwt.verify(after.body.accessToken, keyOf(oldKid), { algorithms: ['ES256'] })).toThrow();
  });

  it('never shows a verifier that caches the JWKS an unknown kid, rotation after rotation (issue 12, point 15)', async () => {
    /** A verifier as integrations run one: the JWKS fetched once and kept, as jose's remote key set does between refreshes. */
    const cachingVerifier = async () => {
      const { keys } = (await t.call('GET', '/.well-known/jwks.json', { as: null })).body as { keys: { kid: string }[] };
      const cached = new Map(keys.map((k) => [k.kid, createPublicKey({ key: k as never, format: 'jwk' })]));
      return (token: string) => {
        const key = cached.get(decodeHeader(token).kid ?? '');
        if (!key) throw new Error(`unknown kid ${decodeHeader(token).kid}`);
        return jwt.verify(token, key, { algorithms: ['ES256'], issuer: ISSUER, audience: AUDIENCE });
      };
    };
    for (let round = 0; round < 3; round++) {
      const verify = await cachingVerifier();
      expect((await t.call('POST', '/api/v2/signing-keys/rotate')).status).toBe(200);
      const fresh = await loginWith(t, { tenant: tenant.slug, email: user.email });
      expect(fresh.status).toBe(200);
      expect(() => verify(fresh.body.accessToken)).not.toThrow();
      const refreshed = await t.call('POST', '/api/v2/auth/refresh', { as: null, body: { refreshToken: fresh.body.refreshToken } });
      expect(() => verify(refreshed.body.accessToken)).not.toThrow();
    }
  });
});
