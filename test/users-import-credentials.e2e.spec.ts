import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AuditEvent } from '../src/audit/audit-event.entity.js';
import { RecoveryCode, UserTfa } from '../src/sessions/session.entities.js';
import { User } from '../src/users/user.entity.js';
import { createTenant, expectProblem, startApp, type Reply, type TestApp } from './helpers/app.js';
import { codeAt, login, loginWith, PASSWORD, signedInUser } from './helpers/sessions.js';
import { createUser, uniqueEmail } from './helpers/users.js';

interface Vector {
  format: string;
  password: string;
  hash: string;
}
const { vectors } = JSON.parse(readFileSync(new URL('./fixtures/password-hashes.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const bcrypt = vectors.find((v) => v.format === 'bcrypt' && v.password === 'U*U*U')!;

const ndjson = (records: unknown[]): string => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
const lines = (res: Reply): any[] =>
  res.text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));

/**
 * POST /api/v2/users/import?credentialsFrom=…: a tenant's export imported into another tenant
 * takes its users' password hashes and second factors inside the service, since no hash is
 * ever exported. Only the operator may ask for it.
 */
describe('import with credentialsFrom', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  const importUsers = (tenant: { id: string }, body: string, query: string, as?: { bearer: string }) =>
    t.call('POST', `/api/v2/users/import${query}`, { tenant: tenant.id, rawBody: body, headers: { 'content-type': 'application/x-ndjson' }, ...(as ? { as } : {}) });
  const usersOf = (tenantId: string) => t.dataSource.getRepository(User).countBy({ tenantId });
  const importEvents = (tenantId: string) => t.dataSource.getRepository(AuditEvent).countBy({ tenantId, action: 'tenant.users_imported' });
  const exported = async (tenant: { id: string }): Promise<any[]> => lines(await t.call('GET', '/api/v2/users/export', { tenant: tenant.id }));

  it("refuses a tenant admin's token and API key, an unknown tenant and the target itself, and writes nothing", async () => {
    const source = await createTenant(t);
    await createUser(t, source, { email: uniqueEmail('victim'), password: PASSWORD });
    const [victim] = await exported(source);
    const target = await createTenant(t);
    const admin = await signedInUser(t, target, { admin: true });
    const apiKey = (await t.call('POST', `/api/v2/users/${admin.user.id}/actions/reset-api-key`, { tenant: target.id })).body.apiKey as string;
    const body = ndjson([{ ...victim, email: uniqueEmail('thief') }]);
    const before = await usersOf(target.id);

    // A tenant's own admin, by session and by API key, naming another tenant or its own.
    for (const as of [admin.bearer, { bearer: apiKey }]) {
      for (const ref of [source.id, source.slug, target.id]) {
        const res = await importUsers(target, body, `?credentialsFrom=${encodeURIComponent(ref)}`, as);
        expectProblem(res, 403, 'forbidden');
        expect(res.text).not.toContain(victim.email);
      }
      // The same user without credentialsFrom may import: the refusal is the option's.
      expect((await importUsers(target, ndjson([{ email: uniqueEmail('plain') }]), '?dryRun=true', as)).status).toBe(200);
    }
    // The operator naming no tenant, an unknown one, or the target itself.
    expectProblem(await importUsers(target, body, `?credentialsFrom=${randomUUID()}`), 404);
    expectProblem(await importUsers(target, body, '?credentialsFrom=no-such-tenant'), 404);
    expectProblem(await importUsers(target, body, '?credentialsFrom='), 422);
    for (const ref of [target.id, target.slug, target.id.toUpperCase()]) {
      const same = await importUsers(target, body, `?credentialsFrom=${ref}`);
      expectProblem(same, 422);
      expect(same.body.errors).toEqual([expect.objectContaining({ field: 'credentialsFrom' })]);
    }
    expect(await usersOf(target.id)).toBe(before);
    expect(await importEvents(target.id)).toBe(0);
    // The source's user still logs in, and the thief's address nowhere.
    expect((await login(t, source, victim.email)).status).toBe(200);
  });

  it("copies each exported user's hash and second factor into new users of the target, line by line, and converges", async () => {
    const source = await createTenant(t);
    const other = await createTenant(t);
    // Three users: a password set through the API, a bcrypt hash imported, a password with TOTP.
    const plain = await createUser(t, source, { email: uniqueEmail('plain'), externalId: 'p-1', password: PASSWORD });
    const imported = lines(await importUsers(source, ndjson([{ email: uniqueEmail('bcrypt'), externalId: 'p-2', passwordHash: bcrypt.hash }]), ''))[0];
    const withTfa = await signedInUser(t, source, { externalId: 'p-3' });
    const enrol = await t.call('POST', '/api/v2/me/tfa/enroll', { as: withTfa.bearer });
    const confirm = await t.call('POST', '/api/v2/me/tfa/confirm', { as: withTfa.bearer, body: { otp: codeAt(enrol.body.secret) } });
    expect(confirm.status).toBe(200);
    const recoveryCodes = confirm.body.recoveryCodes as string[];
    expect((await loginWith(t, { tenant: source.slug, email: withTfa.email, recoveryCode: recoveryCodes[0]! })).status).toBe(200);
    const stranger = await createUser(t, other, { email: uniqueEmail('stranger'), password: PASSWORD });

    const file = await exported(source);
    expect(file).toHaveLength(3);
    expect(JSON.stringify(file)).not.toMatch(/passwordHash|\$2a\$|argon2|secret/);
    const records = [
      ...file,
      { id: randomUUID(), email: uniqueEmail('unknown-id') },
      { id: stranger.id, email: uniqueEmail('other-tenant') },
      { ...file[0], email: uniqueEmail('with-password'), externalId: 'p-4', password: 'Another-Pass-77' },
      { id: 'not-an-id', email: uniqueEmail('bad-id') },
      { email: uniqueEmail('no-id'), externalId: 'p-5' },
    ];
    const target = await createTenant(t);
    const query = `?credentialsFrom=${source.slug}`;

    const dry = lines(await importUsers(target, ndjson(records), `${query}&dryRun=true`));
    expect(dry.map((l) => l.status ?? 'summary')).toEqual(['created', 'created', 'created', 'error', 'error', 'error', 'error', 'created', 'summary']);
    expect(await usersOf(target.id)).toBe(0);
    expect(await t.dataSource.getRepository(UserTfa).countBy({ tenantId: target.id })).toBe(0);

    const res = await importUsers(target, ndjson(records), query);
    expect(res.status).toBe(200);
    const answer = lines(res);
    expect(answer.slice(0, 3)).toEqual([1, 2, 3].map((line) => ({ line, status: 'created', id: expect.any(String) })));
    for (const [index, field] of [[3, 'id'], [4, 'id'], [5, 'password'], [6, 'id']] as const) {
      expect(answer[index]).toMatchObject({ line: index + 1, status: 'error', error: { status: 422, errors: [expect.objectContaining({ field })] } });
    }
    expect(answer[7]).toMatchObject({ line: 8, status: 'created' });
    expect(answer[8]).toEqual({ summary: { records: 8, created: 4, updated: 0, unchanged: 0, errors: 4, mode: 'upsert', dryRun: false } });
    // New ids: an id is never reused across tenants.
    expect(answer.slice(0, 3).map((l) => l.id)).not.toEqual(expect.arrayContaining([plain.id, imported.id, withTfa.user.id]));
    expect(res.text).not.toMatch(/\$2a\$|argon2|v1\./);

    // The three log in with their old passwords; the TOTP user still needs its code (or an
    // unused recovery code; the one used in the source is used here too).
    expect((await login(t, target, plain.email)).status).toBe(200);
    expect((await login(t, target, file[1].email, bcrypt.password)).status).toBe(200);
    expectProblem(await login(t, target, withTfa.email), 401, 'otp_required');
    expect((await loginWith(t, { tenant: target.slug, email: withTfa.email, otp: codeAt(enrol.body.secret, 1) })).status).toBe(200);
    expectProblem(await loginWith(t, { tenant: target.slug, email: withTfa.email, recoveryCode: recoveryCodes[0]! }), 401);
    expect((await loginWith(t, { tenant: target.slug, email: withTfa.email, recoveryCode: recoveryCodes[1]! })).status).toBe(200);
    expect(await t.dataSource.getRepository(RecoveryCode).countBy({ userId: answer[2].id })).toBe(recoveryCodes.length - 1);
    // A record without id is imported as ever, with no password; one of another tenant took nothing.
    expectProblem(await login(t, target, records[7]!.email as string), 401);
    expect(await t.dataSource.getRepository(User).countBy({ tenantId: target.id, email: records[4]!.email as string })).toBe(0);
    expect((await login(t, other, stranger.email)).status).toBe(200);

    const [event] = (await t.call('GET', '/api/v2/audit-events?filter[action]=tenant.users_imported', { tenant: target.id })).body.data;
    expect(event.details).toEqual({ records: 8, created: 4, updated: 0, unchanged: 0, errors: 4, credentialsFrom: source.id });

    // Run again after the bcrypt user's login upgraded its hash to argon2id: nothing changes.
    const upgraded = await t.dataSource.getRepository(User).findOneByOrFail({ id: answer[1].id });
    expect(upgraded.passwordHash).toMatch(/^\$argon2id\$/);
    const again = lines(await importUsers(target, ndjson(records.slice(0, 3)), query));
    expect(again.slice(0, 3).map((l) => [l.status, l.id])).toEqual(answer.slice(0, 3).map((l) => ['unchanged', l.id]));
    expect((await t.dataSource.getRepository(User).findOneByOrFail({ id: answer[1].id })).passwordHash).toBe(upgraded.passwordHash);
    expect((await login(t, target, file[1].email, bcrypt.password)).status).toBe(200);
  });

  it("links each user to its manager's counterpart in the target, wherever the manager is in the file, and converges", async () => {
    const source = await createTenant(t);
    const third = await createTenant(t);
    const setManager = async (tenant: { id: string }, userId: string, managerId: string): Promise<void> => {
      const res = await t.call('PATCH', `/api/v2/users/${userId}`, { tenant: tenant.id, body: { enterprise: { managerId } } });
      expect(res.status).toBe(200);
    };
    // A chain boss ← mid ← leaf; a lead before its report and a lead after it; a user whose
    // manager is not moved; one who names a user of a third tenant; one who names no user.
    const boss = await createUser(t, source, { email: uniqueEmail('boss'), externalId: 'c-boss' });
    const mid = await createUser(t, source, { email: uniqueEmail('mid'), enterprise: { managerId: boss.id } });
    const leaf = await createUser(t, source, { email: uniqueEmail('leaf'), externalId: 'c-leaf', enterprise: { managerId: mid.id } });
    const lead = await createUser(t, source, { email: uniqueEmail('lead') });
    const report = await createUser(t, source, { email: uniqueEmail('report'), enterprise: { managerId: lead.id } });
    const earlyReport = await createUser(t, source, { email: uniqueEmail('early-report') });
    const lateLead = await createUser(t, source, { email: uniqueEmail('late-lead'), externalId: 'c-late' });
    await setManager(source, earlyReport.id, lateLead.id);
    const notMoved = await createUser(t, source, { email: uniqueEmail('not-moved') });
    const orphan = await createUser(t, source, { email: uniqueEmail('orphan'), enterprise: { managerId: notMoved.id } });
    const stranger = await createUser(t, third, { email: uniqueEmail('stranger') });
    const file = new Map((await exported(source)).map((record) => [record.id as string, record]));
    expect(file.get(earlyReport.id).enterprise.managerId).toBe(lateLead.id);
    const record = (user: { id: string }) => file.get(user.id);
    const records = [
      record(leaf), // the chain written from its end: leaf, mid, boss
      record(mid),
      record(boss),
      record(lead), // the lead before its report
      record(report),
      record(earlyReport), // the report before its lead (as the export writes it: by creation)
      record(lateLead),
      record(orphan),
      { ...record(report), id: undefined, email: uniqueEmail('third'), enterprise: { managerId: stranger.id } },
      { ...record(report), id: undefined, email: uniqueEmail('unknown'), enterprise: { managerId: randomUUID() } },
    ];
    const moved = [leaf, mid, boss, lead, report, earlyReport, lateLead];
    const managers = new Map([[leaf.id, mid.id], [mid.id, boss.id], [boss.id, null], [lead.id, null], [report.id, lead.id], [earlyReport.id, lateLead.id], [lateLead.id, null]]);
    const target = await createTenant(t);
    const query = `?credentialsFrom=${source.slug}`;
    const byLine = (answer: any[]) => answer.filter((l) => l.line !== undefined).sort((a, b) => a.line - b.line);
    const unknownManager = { status: 422, errors: [{ field: 'enterprise.managerId', message: 'no user with this id in the tenant' }] };

    const dry = lines(await importUsers(target, ndjson(records), `${query}&dryRun=true`));
    expect(byLine(dry).map((l) => l.status)).toEqual([...moved.map(() => 'created'), 'error', 'error', 'error']);
    expect(await usersOf(target.id)).toBe(0);

    const answer = lines(await importUsers(target, ndjson(records), query));
    const applied = byLine(answer);
    expect(applied).toHaveLength(records.length);
    moved.forEach((_, index) => expect(applied[index]).toEqual({ line: index + 1, status: 'created', id: expect.any(String) }));
    // A manager not moved, a user of a third tenant and no user at all: one and the same error.
    for (const line of applied.slice(moved.length)) {
      expect(line).toMatchObject({ status: 'error', error: unknownManager });
      expect(line.error.detail).toBe(applied[moved.length].error.detail);
    }
    expect(answer.at(-1)).toEqual({ summary: { records: 10, created: 7, updated: 0, unchanged: 0, errors: 3, mode: 'upsert', dryRun: false } });
    expect(answer.map((l) => JSON.stringify(l)).join('\n')).not.toContain(stranger.email);

    const counterpart = new Map(moved.map((user, index) => [user.id as string, applied[index].id as string]));
    for (const user of moved) {
      const res = await t.call('GET', `/api/v2/users/${counterpart.get(user.id)}`, { tenant: target.id });
      const manager = managers.get(user.id);
      expect(res.body.enterprise.managerId).toBe(manager ? counterpart.get(manager) : null);
    }
    // No user of the target has a manager outside it; the third tenant's user is no one's manager.
    const linked = await t.dataSource.getRepository(User).find({ where: { tenantId: target.id } });
    expect(linked).toHaveLength(moved.length);
    const ids = new Set(linked.map((user) => user.id));
    for (const user of linked) if (user.managerId !== null) expect(ids.has(user.managerId)).toBe(true);
    expect(await t.dataSource.getRepository(User).countBy({ managerId: stranger.id })).toBe(0);

    // Run again: nothing changes, whichever comes first; the refused stay refused.
    const again = byLine(lines(await importUsers(target, ndjson(records), query)));
    expect(again.slice(0, moved.length)).toEqual(applied.slice(0, moved.length).map((l) => ({ ...l, status: 'unchanged' })));
    expect(again.slice(moved.length).map((l) => l.status)).toEqual(['error', 'error', 'error']);
    // A manager moved by an import of its own: the user left behind links to it (matched by
    // its email, as its record would be) in the next one.
    const [movedLater] = lines(await importUsers(target, ndjson([record(notMoved)]), query));
    const [left] = lines(await importUsers(target, ndjson([record(orphan)]), query));
    expect([movedLater.status, left.status]).toEqual(['created', 'created']);
    expect((await t.call('GET', `/api/v2/users/${left.id}`, { tenant: target.id })).body.enterprise.managerId).toBe(movedLater.id);

    // Without credentialsFrom, a managerId is a user of the target as ever: the source's ids are unknown there.
    const plain = await createTenant(t);
    const withoutSource = byLine(lines(await importUsers(plain, ndjson([record(boss), record(mid)]), '')));
    expect(withoutSource.map((l) => l.status)).toEqual(['created', 'error']);
    expect(withoutSource[1]).toMatchObject({ line: 2, error: unknownManager });
  });

  it('gives a user of the target that matches by externalId the hash and second factor it lacks', async () => {
    const source = await createTenant(t);
    const withTfa = await signedInUser(t, source, { externalId: 'm-1' });
    const enrol = await t.call('POST', '/api/v2/me/tfa/enroll', { as: withTfa.bearer });
    expect((await t.call('POST', '/api/v2/me/tfa/confirm', { as: withTfa.bearer, body: { otp: codeAt(enrol.body.secret) } })).status).toBe(200);
    const target = await createTenant(t);
    const existing = await createUser(t, target, { email: withTfa.email, externalId: 'm-1' });

    const [record] = await exported(source);
    const answer = lines(await importUsers(target, ndjson([record]), `?credentialsFrom=${source.id}`));
    expect(answer[0]).toEqual({ line: 1, status: 'updated', id: existing.id });
    expect((await t.call('GET', `/api/v2/users/${existing.id}`, { tenant: target.id })).body).toMatchObject({ tfa: true, tfaEnrolled: true });
    expectProblem(await login(t, target, withTfa.email), 401, 'otp_required');
    expect((await loginWith(t, { tenant: target.slug, email: withTfa.email, otp: codeAt(enrol.body.secret, 1) })).status).toBe(200);
    expect(lines(await importUsers(target, ndjson([record]), `?credentialsFrom=${source.id}`))[0]).toEqual({ line: 1, status: 'unchanged', id: existing.id });
  });
});
