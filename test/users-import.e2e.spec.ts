import { readFileSync } from 'node:fs';
import { AuditEvent } from '../src/audit/audit-event.entity.js';
import { User } from '../src/users/user.entity.js';
import { UsersImportService } from '../src/users/import/users-import.service.js';
import { createTenant, expectProblem, startApp, type Reply, type TestApp } from './helpers/app.js';
import { login, signedInUser } from './helpers/sessions.js';
import { createUser, insertGroup, insertPlan, uniqueEmail } from './helpers/users.js';

interface Vector {
  format: string;
  password: string;
  hash: string;
}
const { vectors } = JSON.parse(readFileSync(new URL('./fixtures/password-hashes.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const bcrypt = vectors.find((v) => v.format === 'bcrypt' && v.password === 'U*U*U')!;
const django = vectors.find((v) => v.format === 'django-pbkdf2')!;
const scrypt = vectors.find((v) => v.format === 'scrypt' && v.password === 'correct horse')!;

const ndjson = (records: unknown[]): string => records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
const lines = (res: Reply): any[] =>
  res.text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));

describe('bulk import and export of users', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  const importUsers = (tenant: { id: string }, body: string, query = '', contentType = 'application/x-ndjson', as?: { bearer: string }) =>
    t.call('POST', `/api/v2/users/import${query}`, { tenant: tenant.id, rawBody: body, headers: { 'content-type': contentType }, ...(as ? { as } : {}) });

  it('creates the users of an NDJSON body, one answer line each and a summary, with their hashes as given', async () => {
    const tenant = await createTenant(t);
    const records = [
      { email: 'Ada@Example.com', name: 'Ada', externalId: 'ext-ada', passwordHash: bcrypt.hash },
      { email: uniqueEmail(), firstName: 'Grace', lastName: 'Hopper', passwordHash: django.hash, enterprise: { department: 'Navy' } },
      { email: uniqueEmail(), passwordHash: scrypt.hash, clientTags: ['a', 'b'] },
    ];
    const res = await importUsers(tenant, ndjson(records));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const answer = lines(res);
    expect(answer.slice(0, 3)).toEqual([1, 2, 3].map((line) => ({ line, status: 'created', id: expect.any(String) })));
    expect(answer[3]).toEqual({ summary: { records: 3, created: 3, updated: 0, unchanged: 0, errors: 0, mode: 'upsert', dryRun: false } });
    expect(res.text).not.toMatch(/\$2a\$|pbkdf2|scrypt/);

    const stored = await t.dataSource.getRepository(User).findOneByOrFail({ id: answer[0].id });
    expect(stored).toMatchObject({ email: 'ada@example.com', externalId: 'ext-ada', passwordHash: bcrypt.hash });
    const grace = (await t.call('GET', `/api/v2/users/${answer[1].id}`, { tenant: tenant.id })).body;
    expect(grace).toMatchObject({ name: 'Grace Hopper', enterprise: { department: 'Navy' } });

    // Each imported user logs in with the password of the system it came from.
    expect((await login(t, tenant, 'ada@example.com', bcrypt.password)).status).toBe(200);
    expect((await login(t, tenant, records[1]!.email, django.password)).status).toBe(200);
    expect((await login(t, tenant, records[2]!.email, scrypt.password)).status).toBe(200);

    const events = await t.dataSource.getRepository(AuditEvent).find({ where: { tenantId: tenant.id } });
    expect(events.filter((e) => e.action === 'user.created').map((e) => e.targetId).sort()).toEqual(answer.slice(0, 3).map((a) => a.id).sort());
    expect(events.filter((e) => e.action === 'tenant.users_imported')).toHaveLength(1);
    const audit = await t.call('GET', '/api/v2/audit-events?filter[action]=tenant.users_imported', { tenant: tenant.id });
    expect(audit.body.data).toEqual([
      expect.objectContaining({ target: { type: 'tenant', id: tenant.id }, details: { records: 3, created: 3, updated: 0, unchanged: 0, errors: 0 } }),
    ]);

    // Run again after the logins upgraded the hashes to argon2id: nothing changes, and the
    // passwords, now argon2id, still work.
    const upgraded = await t.dataSource.getRepository(User).findOneByOrFail({ id: answer[0].id });
    expect(upgraded.passwordHash).toMatch(/^\$argon2id\$/);
    const again = lines(await importUsers(tenant, ndjson(records)));
    expect(again.slice(0, 3).map((l) => l.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect((await t.dataSource.getRepository(User).findOneByOrFail({ id: answer[0].id })).passwordHash).toBe(upgraded.passwordHash);
    expect((await login(t, tenant, 'ada@example.com', bcrypt.password)).status).toBe(200);
  });

  it('makes the webhook deliveries of each created user, through the audit events', async () => {
    const tenant = await createTenant(t);
    const hook = await t.call('POST', '/api/v2/webhooks', { tenant: tenant.id, body: { url: 'https://hooks.example.com/import', events: ['user.created'], active: false } });
    expect(hook.status).toBe(201);
    await t.call('PATCH', `/api/v2/webhooks/${hook.body.id}`, { tenant: tenant.id, body: { active: true } });
    const answer = lines(await importUsers(tenant, ndjson([{ email: uniqueEmail() }, { email: uniqueEmail() }])));
    const deliveries = (await t.call('GET', `/api/v2/webhooks/${hook.body.id}/deliveries?limit=200`, { tenant: tenant.id })).body.data;
    expect(deliveries).toHaveLength(2);
    expect(answer.slice(0, 2).map((l) => l.status)).toEqual(['created', 'created']);
  });

  it('answers "unchanged" for every record when the same file runs again, and writes nothing', async () => {
    const tenant = await createTenant(t);
    const groupId = await insertGroup(t, tenant.id, 'Support', ['users:read']);
    await insertPlan(t, tenant.id, 'Gold');
    const body = ndjson([
      { email: uniqueEmail(), externalId: 'e1', groups: ['support'], plans: ['Gold'], passwordHash: bcrypt.hash },
      { email: uniqueEmail(), externalId: 'e2', groups: [groupId], password: 'Correct-Horse-9', ipWhitelist: ['10.0.0.0/8'] },
      { email: uniqueEmail(), name: 'No external id', clientTags: ['x'] },
    ]);
    const first = lines(await importUsers(tenant, body));
    expect(first.slice(0, 3).map((l) => l.status)).toEqual(['created', 'created', 'created']);
    const user = (await t.call('GET', `/api/v2/users/${first[0].id}`, { tenant: tenant.id })).body;
    expect(user.groups).toEqual([{ id: groupId, name: 'Support' }]);
    expect(user.plans).toEqual([expect.objectContaining({ name: 'Gold' })]);
    const eventsBefore = await t.dataSource.getRepository(AuditEvent).count({ where: { tenantId: tenant.id } });

    const again = lines(await importUsers(tenant, body));
    expect(again.slice(0, 3)).toEqual(first.slice(0, 3).map((l) => ({ ...l, status: 'unchanged' })));
    expect(again[3].summary).toMatchObject({ records: 3, unchanged: 3, created: 0, updated: 0 });
    // Only the import's own event is new.
    expect(await t.dataSource.getRepository(AuditEvent).count({ where: { tenantId: tenant.id } })).toBe(eventsBefore + 1);
  });

  it('upserts by externalId, else by email; mode=create refuses a user that exists', async () => {
    const tenant = await createTenant(t);
    const byExternal = await createUser(t, tenant, { externalId: 'crm-1', name: 'Old name' });
    const byEmail = await createUser(t, tenant, { name: 'Old too' });
    const res = lines(
      await importUsers(
        tenant,
        ndjson([
          { externalId: 'crm-1', email: byExternal.email, name: 'New name' },
          { email: byEmail.email.toUpperCase(), name: 'New too' },
        ]),
      ),
    );
    expect(res.slice(0, 2)).toEqual([
      { line: 1, status: 'updated', id: byExternal.id },
      { line: 2, status: 'updated', id: byEmail.id },
    ]);
    expect((await t.call('GET', `/api/v2/users/${byEmail.id}`, { tenant: tenant.id })).body.name).toBe('New too');
    const created = lines(await importUsers(tenant, ndjson([{ email: byEmail.email }]), '?mode=create'));
    expect(created[0]).toMatchObject({ line: 1, status: 'error', error: { status: 409, code: 'email_taken' } });
  });

  it('reports a bad record with its line number and a problem, and goes on with the rest', async () => {
    const tenant = await createTenant(t);
    const taken = await createUser(t, tenant);
    const ok = uniqueEmail();
    const body = [
      JSON.stringify({ email: 'not-an-email' }),
      '{"email": ',
      JSON.stringify({ email: uniqueEmail(), passwordHash: '$1$deadbeef$0Huu6KHrKLVWfqa4WljDE0' }),
      '',
      JSON.stringify({ email: taken.email, externalId: 'new-one' }),
      JSON.stringify({ email: uniqueEmail(), groups: ['No such group'] }),
      JSON.stringify({ email: uniqueEmail(), name: 'x'.repeat(70_000) }),
      JSON.stringify({ email: ok }),
      JSON.stringify({ email: ok.toUpperCase(), externalId: 'dup' }),
      JSON.stringify({ email: uniqueEmail(), unknownField: 1 }),
      JSON.stringify([1, 2]),
    ].join('\n');
    const answer = lines(await importUsers(tenant, body));
    const byLine = new Map(answer.filter((l) => l.line).map((l) => [l.line, l]));
    expect(byLine.get(1)).toMatchObject({ status: 'error', error: { status: 422, code: 'validation_failed', errors: [{ field: 'email' }] } });
    expect(byLine.get(2)).toMatchObject({ status: 'error', error: { status: 400, code: 'bad_request' } });
    expect(byLine.get(3)).toMatchObject({ status: 'error', error: { status: 422, errors: [{ field: 'passwordHash' }] } });
    expect(byLine.has(4)).toBe(false);
    expect(byLine.get(5)).toMatchObject({ status: 'error', error: { status: 409, code: 'email_taken' } });
    expect(byLine.get(6)).toMatchObject({ status: 'error', error: { status: 422, errors: [{ field: 'groups[0]' }] } });
    expect(byLine.get(7)).toMatchObject({ status: 'error', error: { status: 413, code: 'payload_too_large' } });
    expect(byLine.get(8)).toMatchObject({ status: 'created' });
    expect(byLine.get(9)).toMatchObject({ status: 'error', error: { status: 409, code: 'email_taken' } });
    expect(byLine.get(10)).toMatchObject({ status: 'error', error: { status: 422, errors: [{ field: 'unknownField' }] } });
    expect(byLine.get(11)).toMatchObject({ status: 'error', error: { status: 400 } });
    expect(answer.at(-1).summary).toMatchObject({ records: 10, created: 1, errors: 9 });
    for (const line of answer.filter((l) => l.error)) expect(line.error).toMatchObject({ type: expect.stringMatching(/^\/problems\//), title: expect.any(String), detail: expect.any(String) });
  });

  it('reads CSV with a header row, groups and plans by name, list cells split on ;', async () => {
    const tenant = await createTenant(t);
    await insertGroup(t, tenant.id, 'Sales', ['users:read']);
    await insertPlan(t, tenant.id, 'Basic');
    const email = uniqueEmail();
    const csv = [
      'email,firstName,lastName,active,groups,plans,clientTags,enterprise.department,passwordHash',
      `${email},Ada,"Lovelace, Countess",false,Sales,Basic,a;b,R&D,${bcrypt.hash}`,
      `bad-email,X,Y,true,,,,,`,
    ].join('\r\n');
    const answer = lines(await importUsers(tenant, csv, '', 'text/csv; charset=utf-8'));
    expect(answer[0]).toMatchObject({ line: 2, status: 'created' });
    expect(answer[1]).toMatchObject({ line: 3, status: 'error', error: { status: 422 } });
    const user = (await t.call('GET', `/api/v2/users/${answer[0].id}`, { tenant: tenant.id })).body;
    expect(user).toMatchObject({ lastName: 'Lovelace, Countess', active: false, clientTags: ['a', 'b'], groups: [{ name: 'Sales' }], enterprise: { department: 'R&D' } });
    expect(user.plans).toEqual([expect.objectContaining({ name: 'Basic' })]);
  });

  it('dryRun=true reports what it would do and writes nothing', async () => {
    const tenant = await createTenant(t);
    const answer = lines(await importUsers(tenant, ndjson([{ email: uniqueEmail() }, { email: 'bad' }]), '?dryRun=true'));
    expect(answer.map((l) => l.status ?? 'summary')).toEqual(['created', 'error', 'summary']);
    expect(answer[2].summary).toMatchObject({ dryRun: true, created: 1, errors: 1 });
    expect(await t.dataSource.getRepository(User).count({ where: { tenantId: tenant.id } })).toBe(0);
    expect(await t.dataSource.getRepository(AuditEvent).count({ where: { tenantId: tenant.id, action: 'user.created' } })).toBe(0);
  });

  it('applies more records than one batch holds', async () => {
    const tenant = await createTenant(t);
    const records = Array.from({ length: 1203 }, (_, i) => ({ email: `bulk${i}@example.com`, externalId: `bulk-${i}`, passwordHash: bcrypt.hash }));
    const answer = lines(await importUsers(tenant, ndjson(records)));
    expect(answer.at(-1).summary).toMatchObject({ records: 1203, created: 1203, errors: 0 });
    expect(answer.slice(0, -1).map((l) => l.line)).toEqual(records.map((_, i) => i + 1));
    expect(await t.dataSource.getRepository(User).count({ where: { tenantId: tenant.id } })).toBe(1203);
  });

  it('keeps the privilege guard per record: no admin flag nor stronger user for a non-admin importer', async () => {
    const tenant = await createTenant(t);
    const writers = await insertGroup(t, tenant.id, 'Writers', ['users:read', 'users:write']);
    const admin = await createUser(t, tenant, { admin: true });
    const importer = await signedInUser(t, tenant, { groups: [writers] });
    const answer = lines(
      await importUsers(
        tenant,
        ndjson([
          { email: uniqueEmail(), admin: true },
          { email: admin.email, passwordHash: bcrypt.hash },
          { email: uniqueEmail(), groups: ['Writers'] },
        ]),
        '',
        'application/x-ndjson',
        importer.bearer,
      ),
    );
    expect(answer[0]).toMatchObject({ line: 1, status: 'error', error: { status: 403, code: 'forbidden' } });
    expect(answer[1]).toMatchObject({ line: 2, status: 'error', error: { status: 403, code: 'forbidden' } });
    expect(answer[2]).toMatchObject({ line: 3, status: 'created' });
    expect((await t.dataSource.getRepository(User).findOneByOrFail({ id: admin.id })).passwordHash).toBeNull();

    // A user stronger through a group than the importer, met by records that name no group
    // (so their batch compares no groups): a change of its password still meets the guard,
    // with its groups.
    const deleters = await insertGroup(t, tenant.id, 'Deleters', ['users:delete']);
    const stronger = await createUser(t, tenant, { externalId: 'strong-1', groups: [deleters], clientTags: ['a'] });
    const records = [{ externalId: 'strong-1', email: stronger.email, clientTags: ['a'] }, { externalId: 'strong-1', email: stronger.email, clientTags: ['b'], passwordHash: bcrypt.hash }];
    const guarded = lines(await importUsers(tenant, ndjson(records), '', 'application/x-ndjson', importer.bearer));
    expect(guarded[0]).toMatchObject({ line: 1, status: 'unchanged', id: stronger.id });
    expect(guarded[1]).toMatchObject({ line: 2, status: 'error', error: { status: 403, code: 'forbidden' } });
    expect((await t.call('GET', `/api/v2/users/${stronger.id}`, { tenant: tenant.id })).body).toMatchObject({ clientTags: ['a'], groups: [{ id: deleters, name: 'Deleters' }] });
    expect((await t.dataSource.getRepository(User).findOneByOrFail({ id: stronger.id })).passwordHash).toBeNull();
    // The operator may: the user keeps its group.
    expect(lines(await importUsers(tenant, ndjson(records.slice(1))))[0]).toMatchObject({ line: 1, status: 'updated', id: stronger.id });
    expect((await t.call('GET', `/api/v2/users/${stronger.id}`, { tenant: tenant.id })).body).toMatchObject({ clientTags: ['b'], groups: [{ id: deleters, name: 'Deleters' }] });
  });

  it('runs one import per tenant at a time (409), and refuses other media types (415)', async () => {
    const tenant = await createTenant(t);
    const release = await t.app.get(UsersImportService).begin(tenant.id);
    expectProblem(await importUsers(tenant, ndjson([{ email: uniqueEmail() }])), 409, 'conflict');
    const other = await createTenant(t);
    expect((await importUsers(other, ndjson([{ email: uniqueEmail() }]))).status).toBe(200);
    await release();
    expect((await importUsers(tenant, ndjson([{ email: uniqueEmail() }]))).status).toBe(200);

    expectProblem(await importUsers(tenant, '{"email":"a@example.com"}', '', 'text/plain'), 415);
    expectProblem(await importUsers(tenant, ndjson([{ email: uniqueEmail() }]), '?mode=merge'), 422);
    // The streamed media types stay a 415 everywhere else.
    const elsewhere = await t.call('POST', '/api/v2/users', { tenant: tenant.id, rawBody: ndjson([{ email: uniqueEmail() }]), headers: { 'content-type': 'application/x-ndjson' } });
    expectProblem(elsewhere, 415, 'unsupported_media_type');
    const csvElsewhere = await t.call('PATCH', '/api/v2/tenant', { tenant: tenant.id, rawBody: 'name\nx\n', headers: { 'content-type': 'text/csv' } });
    expectProblem(csvElsewhere, 415, 'unsupported_media_type');
  });

  it('exports every user as NDJSON in the user representation, masked per viewer, filtered, without a hash', async () => {
    const tenant = await createTenant(t);
    const body = ndjson(Array.from({ length: 1005 }, (_, i) => ({ email: `export${i}@example.com`, phone: '+18043257762', active: i % 2 === 0, passwordHash: bcrypt.hash })));
    expect(lines(await importUsers(tenant, body)).at(-1).summary.created).toBe(1005);

    const all = await t.call('GET', '/api/v2/users/export', { tenant: tenant.id });
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const users = lines(all);
    expect(users).toHaveLength(1005);
    expect(new Set(users.map((u) => u.id)).size).toBe(1005);
    expect(users[0]).toMatchObject({ email: 'export0@example.com', phone: '+18043257762', groups: [], plans: [] });
    expect(all.text).not.toMatch(/passwordHash|\$2a\$|argon2/);

    const active = lines(await t.call('GET', '/api/v2/users/export?filter[active]=1', { tenant: tenant.id }));
    expect(active).toHaveLength(503);

    const readers = await insertGroup(t, tenant.id, 'Readers', ['users:read']);
    const viewer = await signedInUser(t, tenant, { groups: [readers] });
    const masked = lines(await t.call('GET', '/api/v2/users/export?filter[email]=export7@example.com', { tenant: tenant.id, as: viewer.bearer }));
    expect(masked).toEqual([expect.objectContaining({ email: 'e***@example.com', phone: '+*******7762' })]);

    expectProblem(await t.call('GET', '/api/v2/users/export?filter[nope]=1', { tenant: tenant.id }), 422);

    // A user with every kind of child row: its line is the text of its representation, in
    // clear for the operator and masked for the viewer.
    const plan = await insertPlan(t, tenant.id, 'Gold');
    const full = await createUser(t, tenant, {
      email: 'full@example.com', phone: '+18043257762', groups: [readers], plans: [{ planId: plan }], ipWhitelist: ['192.0.2.0/24'], clientTags: ['x', 'y'],
      enterprise: { department: 'R&D "quoted"', costCenter: 'Ünïcode' },
    });
    for (const as of ['operator', viewer.bearer] as const) {
      const [line] = (await t.call('GET', '/api/v2/users/export?filter[email]=full@example.com', { tenant: tenant.id, as })).text.split('\n');
      expect(line).toBe(JSON.stringify((await t.call('GET', `/api/v2/users/${full.id}`, { tenant: tenant.id, as })).body));
    }
  });

  it('imports what it exported into another tenant', async () => {
    const source = await createTenant(t);
    const target = await createTenant(t);
    for (const tenant of [source, target]) await insertGroup(t, tenant.id, 'Staff', ['users:read']);
    const body = ndjson([
      { email: uniqueEmail(), externalId: 'x-1', groups: ['Staff'], clientTags: ['k'] },
      { email: uniqueEmail(), username: 'second', enterprise: { costCenter: 'CC1' } },
    ]);
    expect(lines(await importUsers(source, body)).at(-1).summary.created).toBe(2);
    const exported = (await t.call('GET', '/api/v2/users/export', { tenant: source.id })).text;
    const answer = lines(await importUsers(target, exported));
    expect(answer.at(-1).summary).toMatchObject({ created: 2, errors: 0 });
    const copied = lines(await t.call('GET', '/api/v2/users/export', { tenant: target.id }));
    const strip = (u: any) => ({ ...u, id: undefined, tenantId: undefined, createdAt: undefined, updatedAt: undefined, groups: u.groups.map((g: any) => g.name) });
    expect(copied.map(strip)).toEqual(lines({ text: exported } as Reply).map(strip));
  });
});
