import { createTenant, expectProblem, startApp, type TestApp } from './helpers/app.js';
import { signedInUser } from './helpers/sessions.js';
import { createUser } from './helpers/users.js';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** YYYY-MM-DD, `days` from today (UTC). */
function dayFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

describe('plans and plan assignments', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ LOGIN_RATE_LIMIT: '1000' });
  });
  afterAll(async () => {
    await t.close();
  });

  async function createPlan(tenant: { id: string }, body: Record<string, unknown>): Promise<any> {
    const res = await t.call('POST', '/api/v2/plans', { tenant: tenant.id, body });
    if (res.status !== 201) throw new Error(`plan create failed: ${res.status} ${res.text}`);
    return res.body;
  }

  const assign = (tenant: { id: string }, userId: string, body: Record<string, unknown>) =>
    t.call('POST', `/api/v2/users/${userId}/plans`, { tenant: tenant.id, body });

  describe('CRUD', () => {
    it('creates, reads, lists, updates and deletes a plan, with an audit event for each change', async () => {
      const tenant = await createTenant(t);
      const created = await t.call('POST', '/api/v2/plans', { tenant: tenant.id, body: { name: 'Pro', description: 'Paid', sessionsLimit: 3 } });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/),
        name: 'Pro',
        description: 'Paid',
        sessionsLimit: 3,
        createdAt: expect.stringMatching(ISO_MS),
        updatedAt: created.body.createdAt,
      });
      const id = created.body.id;
      expect((await t.call('GET', `/api/v2/plans/${id}`, { tenant: tenant.id })).body).toEqual(created.body);
      const free = await createPlan(tenant, { name: 'Free' });
      expect(free).toMatchObject({ description: null, sessionsLimit: null });

      const list = await t.call('GET', '/api/v2/plans?limit=1', { tenant: tenant.id });
      expect(list.body.data.map((p: any) => p.id)).toEqual([id]);
      expect(list.body.meta).toEqual({ limit: 1, nextCursor: expect.any(String) });
      const next = await t.call('GET', `/api/v2/plans?limit=1&after=${list.body.meta.nextCursor}`, { tenant: tenant.id });
      expect(next.body).toEqual({ data: [free], meta: { limit: 1, nextCursor: null } });

      const patched = await t.call('PATCH', `/api/v2/plans/${id}`, { tenant: tenant.id, body: { sessionsLimit: null, description: null } });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ id, name: 'Pro', description: null, sessionsLimit: null });
      const renamed = await t.call('PATCH', `/api/v2/plans/${id}`, { tenant: tenant.id, body: { name: 'Premium', sessionsLimit: 999999 } });
      expect(renamed.body).toMatchObject({ name: 'Premium', description: null, sessionsLimit: 999999 });
      expect((await t.call('GET', `/api/v2/plans/${id}`, { tenant: tenant.id })).body).toEqual(renamed.body);

      expect((await t.call('DELETE', `/api/v2/plans/${id}`, { tenant: tenant.id })).status).toBe(204);
      expectProblem(await t.call('GET', `/api/v2/plans/${id}`, { tenant: tenant.id }), 404, 'not_found');
      expectProblem(await t.call('DELETE', `/api/v2/plans/${id}`, { tenant: tenant.id }), 404, 'not_found');

      const events = await t.call('GET', `/api/v2/audit-events?filter[targetId]=${id}`, { tenant: tenant.id });
      expect(events.body.data.map((e: any) => e.action)).toEqual(['plan.created', 'plan.updated', 'plan.updated', 'plan.deleted']);
      expect(events.body.data[0].target).toEqual({ type: 'plan', id });
    });

    it('answers 409 name_taken for a duplicate name, and creates one plan when ten requests race for a name', async () => {
      const tenant = await createTenant(t);
      await createPlan(tenant, { name: 'Basic' });
      const gold = await createPlan(tenant, { name: 'Gold' });
      expectProblem(await t.call('POST', '/api/v2/plans', { tenant: tenant.id, body: { name: 'Basic' } }), 409, 'name_taken');
      expectProblem(await t.call('PATCH', `/api/v2/plans/${gold.id}`, { tenant: tenant.id, body: { name: 'Basic' } }), 409, 'name_taken');
      const other = await createTenant(t);
      expect((await t.call('POST', '/api/v2/plans', { tenant: other.id, body: { name: 'Basic' } })).status).toBe(201);

      const replies = await Promise.all(
        Array.from({ length: 10 }, () => t.call('POST', '/api/v2/plans', { tenant: tenant.id, body: { name: 'Racers' } })),
      );
      expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
      for (const r of replies.filter((r) => r.status === 409)) expectProblem(r, 409, 'name_taken');
      const names = (await t.call('GET', '/api/v2/plans', { tenant: tenant.id })).body.data.map((p: any) => p.name);
      expect(names).toEqual(['Basic', 'Gold', 'Racers']);
    });

    it.each([
      ['no name', {}, 'name'],
      ['a null name', { name: null }, 'name'],
      ['sessionsLimit 0', { name: 'P', sessionsLimit: 0 }, 'sessionsLimit'],
      ['sessionsLimit 1000000', { name: 'P', sessionsLimit: 1_000_000 }, 'sessionsLimit'],
      ['a fractional sessionsLimit', { name: 'P', sessionsLimit: 1.5 }, 'sessionsLimit'],
      ['sessionsLimit as a string', { name: 'P', sessionsLimit: '5' }, 'sessionsLimit'],
      ['an unknown field', { name: 'P', price: 10 }, 'price'],
    ])('rejects a create with %s (422)', async (_label, body, field) => {
      const tenant = await createTenant(t);
      const res = await t.call('POST', '/api/v2/plans', { tenant: tenant.id, body });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
      expect((await t.call('GET', '/api/v2/plans', { tenant: tenant.id })).body.data).toEqual([]);
    });

    it.each([
      ['a null name', { name: null }, 'name'],
      ['sessionsLimit -1', { sessionsLimit: -1 }, 'sessionsLimit'],
      ['an unknown field', { id: '0190a2b4-0000-7000-8000-000000000000' }, 'id'],
    ])('rejects a patch with %s (422) and changes nothing', async (_label, body, field) => {
      const tenant = await createTenant(t);
      const plan = await createPlan(tenant, { name: 'Keep', sessionsLimit: 2 });
      const res = await t.call('PATCH', `/api/v2/plans/${plan.id}`, { tenant: tenant.id, body });
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
      expect((await t.call('GET', `/api/v2/plans/${plan.id}`, { tenant: tenant.id })).body).toEqual(plan);
    });

    it("answers 404 for another tenant's plan and for a malformed id", async () => {
      const tenant = await createTenant(t);
      const other = await createTenant(t);
      const theirs = await createPlan(other, { name: 'Theirs' });
      for (const id of [theirs.id, 'nope', '0190a2b4-0000-7000-8000-000000000000']) {
        expectProblem(await t.call('GET', `/api/v2/plans/${id}`, { tenant: tenant.id }), 404, 'not_found');
        expectProblem(await t.call('PATCH', `/api/v2/plans/${id}`, { tenant: tenant.id, body: { name: 'Mine' } }), 404, 'not_found');
        expectProblem(await t.call('DELETE', `/api/v2/plans/${id}`, { tenant: tenant.id }), 404, 'not_found');
      }
      expect((await t.call('GET', `/api/v2/plans/${theirs.id}`, { tenant: other.id })).body).toEqual(theirs);
    });

    it('removes its assignments when a plan is deleted', async () => {
      const tenant = await createTenant(t);
      const gone = await createPlan(tenant, { name: 'Gone' });
      const kept = await createPlan(tenant, { name: 'Kept' });
      const user = await createUser(t, tenant, { plans: [{ planId: gone.id }, { planId: kept.id }] });
      expect(user.plans.map((p: any) => p.name)).toEqual(['Gone', 'Kept']);
      expect((await t.call('DELETE', `/api/v2/plans/${gone.id}`, { tenant: tenant.id })).status).toBe(204);
      const after = await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id });
      expect(after.body.plans.map((p: any) => p.planId)).toEqual([kept.id]);
      expect(after.body.version).toBe(user.version + 1);
      expect((await t.call('GET', `/api/v2/users?filter[plan]=${gone.id}`, { tenant: tenant.id })).body.data).toEqual([]);
    });
  });

  describe('POST /api/v2/users/{id}/plans and DELETE /api/v2/users/{id}/plans/{planId}', () => {
    it('adds an assignment, replaces it keeping validFrom, and removes it', async () => {
      const tenant = await createTenant(t);
      const pro = await createPlan(tenant, { name: 'Pro', sessionsLimit: 2 });
      const user = await createUser(t, tenant);
      expect(user.plans).toEqual([]);

      const added = await assign(tenant, user.id, { planId: pro.id });
      expect(added.status).toBe(200);
      expect(added.body).toMatchObject({ id: user.id, email: user.email, version: user.version + 1 });
      expect(added.body.plans).toEqual([{ planId: pro.id, name: 'Pro', validFrom: expect.stringMatching(ISO_MS), validTo: null, active: true }]);
      expect(added.headers.etag).toBe(`"${user.version + 1}"`);
      const validFrom = added.body.plans[0].validFrom;

      const until = dayFromToday(30);
      const replaced = await assign(tenant, user.id, { planId: pro.id.toUpperCase(), validTo: until });
      expect(replaced.status).toBe(200);
      expect(replaced.body.plans).toEqual([{ planId: pro.id, name: 'Pro', validFrom, validTo: until, active: true }]);
      const open = await assign(tenant, user.id, { planId: pro.id, validTo: null });
      expect(open.body.plans).toEqual([{ planId: pro.id, name: 'Pro', validFrom, validTo: null, active: true }]);

      const read = await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id });
      expect(read.body.plans).toEqual(open.body.plans);
      const found = await t.call('GET', `/api/v2/users?filter[plan]=${pro.id}`, { tenant: tenant.id });
      expect(found.body.data.map((u: any) => u.id)).toEqual([user.id]);

      const removed = await t.call('DELETE', `/api/v2/users/${user.id}/plans/${pro.id}`, { tenant: tenant.id });
      expect(removed.status).toBe(204);
      expect(removed.text).toBe('');
      const after = await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id });
      expect(after.body.plans).toEqual([]);
      expect(after.body.version).toBe(open.body.version + 1);
      expectProblem(await t.call('DELETE', `/api/v2/users/${user.id}/plans/${pro.id}`, { tenant: tenant.id }), 404, 'not_found');

      const events = await t.call('GET', `/api/v2/audit-events?filter[targetId]=${user.id}`, { tenant: tenant.id });
      expect(events.body.data.map((e: any) => e.action)).toEqual([
        'user.created',
        'user.plan_assigned',
        'user.plan_assigned',
        'user.plan_assigned',
        'user.plan_removed',
      ]);
    });

    it('keeps the other assignments and marks an assignment past its validTo inactive', async () => {
      const tenant = await createTenant(t);
      const trial = await createPlan(tenant, { name: 'Trial' });
      const basic = await createPlan(tenant, { name: 'Basic' });
      const user = await createUser(t, tenant, { plans: [{ planId: basic.id }] });
      const res = await assign(tenant, user.id, { planId: trial.id, validTo: dayFromToday(-1) });
      expect(res.body.plans).toEqual([
        expect.objectContaining({ planId: basic.id, active: true }),
        expect.objectContaining({ planId: trial.id, validTo: dayFromToday(-1), active: false }),
      ]);
      const today = await assign(tenant, user.id, { planId: trial.id, validTo: dayFromToday(0) });
      expect(today.body.plans[1]).toMatchObject({ planId: trial.id, active: true });
      const found = await t.call('GET', `/api/v2/users?filter[plan]=${trial.id}`, { tenant: tenant.id });
      expect(found.body.data.map((u: any) => u.id)).toEqual([user.id]);
    });

    it("answers 404 for an unknown or malformed user, another tenant's plan or user, and an unassigned plan", async () => {
      const tenant = await createTenant(t);
      const other = await createTenant(t);
      const plan = await createPlan(tenant, { name: 'Mine' });
      const theirPlan = await createPlan(other, { name: 'Theirs' });
      const user = await createUser(t, tenant);
      const theirUser = await createUser(t, other);
      const ghost = '0190a2b4-0000-7000-8000-000000000000';

      for (const userId of [theirUser.id, ghost, 'not-a-uuid']) {
        expectProblem(await assign(tenant, userId, { planId: plan.id }), 404, 'not_found');
        expectProblem(await t.call('DELETE', `/api/v2/users/${userId}/plans/${plan.id}`, { tenant: tenant.id }), 404, 'not_found');
      }
      for (const planId of [theirPlan.id, ghost]) expectProblem(await assign(tenant, user.id, { planId }), 404, 'not_found');
      for (const planId of [theirPlan.id, plan.id, 'not-a-uuid']) {
        expectProblem(await t.call('DELETE', `/api/v2/users/${user.id}/plans/${planId}`, { tenant: tenant.id }), 404, 'not_found');
      }
      const unchanged = await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id });
      expect(unchanged.body).toMatchObject({ plans: [], version: user.version });
      expect((await t.call('GET', `/api/v2/users/${theirUser.id}`, { tenant: other.id })).body.plans).toEqual([]);
    });

    it.each([
      ['no planId', () => ({}), 'planId'],
      ['a malformed planId', () => ({ planId: 'pro' }), 'planId'],
      ['a null planId', () => ({ planId: null }), 'planId'],
      ['validTo not a date', (planId: string) => ({ planId, validTo: '2030-02-30' }), 'validTo'],
      ['validTo with a time', (planId: string) => ({ planId, validTo: '2030-01-01T00:00:00Z' }), 'validTo'],
      ['an unknown field', (planId: string) => ({ planId, validFrom: '2030-01-01' }), 'validFrom'],
    ])('rejects an assignment with %s (422)', async (_label, body, field) => {
      const tenant = await createTenant(t);
      const plan = await createPlan(tenant, { name: 'P' });
      const user = await createUser(t, tenant);
      const res = await assign(tenant, user.id, body(plan.id));
      expectProblem(res, 422, 'validation_failed');
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
      expect((await t.call('GET', `/api/v2/users/${user.id}`, { tenant: tenant.id })).body.plans).toEqual([]);
    });
  });

  describe('access', () => {
    it('lets a plan admin manage plans and assignments, and nothing of groups or user creation', async () => {
      const tenant = await createTenant(t);
      const planAdmin = await signedInUser(t, tenant, { planAdmin: true });
      expect(planAdmin.user.permissions).toEqual(['users:read', 'plans:read', 'plans:write']);
      const as = planAdmin.bearer;
      const customer = await createUser(t, tenant, { email: 'customer@example.com' });

      const created = await t.call('POST', '/api/v2/plans', { as, body: { name: 'Team', sessionsLimit: 5 } });
      expect(created.status).toBe(201);
      expect((await t.call('GET', '/api/v2/plans', { as })).body.data.map((p: any) => p.id)).toEqual([created.body.id]);
      expect((await t.call('GET', `/api/v2/plans/${created.body.id}`, { as })).status).toBe(200);
      expect((await t.call('PATCH', `/api/v2/plans/${created.body.id}`, { as, body: { sessionsLimit: 10 } })).body.sessionsLimit).toBe(10);

      const assigned = await t.call('POST', `/api/v2/users/${customer.id}/plans`, { as, body: { planId: created.body.id } });
      expect(assigned.status).toBe(200);
      expect(assigned.body.plans).toEqual([expect.objectContaining({ planId: created.body.id, name: 'Team', active: true })]);
      // The plan admin cannot view masked data, so the answer masks it.
      expect(assigned.body.email).toBe('c***@example.com');
      expect((await t.call('DELETE', `/api/v2/users/${customer.id}/plans/${created.body.id}`, { as })).status).toBe(204);
      const events = await t.call('GET', `/api/v2/audit-events?filter[actorId]=${planAdmin.user.id}`, { tenant: tenant.id });
      expect(events.body.data.map((e: any) => e.action).filter((a: string) => a !== 'auth.logged_in')).toEqual([
        'plan.created',
        'plan.updated',
        'user.plan_assigned',
        'user.plan_removed',
      ]);
      expect((await t.call('DELETE', `/api/v2/plans/${created.body.id}`, { as })).status).toBe(204);

      expectProblem(await t.call('GET', '/api/v2/groups', { as }), 403, 'forbidden');
      expectProblem(await t.call('POST', '/api/v2/groups', { as, body: { name: 'G' } }), 403, 'forbidden');
      expectProblem(await t.call('POST', '/api/v2/users', { as, body: { email: 'new@example.com' } }), 403, 'forbidden');
    });

    it('needs plans:read to read and plans:write to change or assign', async () => {
      const tenant = await createTenant(t);
      const plan = await createPlan(tenant, { name: 'P' });
      const readers = await t.call('POST', '/api/v2/groups', { tenant: tenant.id, body: { name: 'Plan readers', permissions: ['plans:read'] } });
      const reader = await signedInUser(t, tenant, { groups: [readers.body.id] });
      const as = reader.bearer;
      expect((await t.call('GET', '/api/v2/plans', { as })).status).toBe(200);
      expect((await t.call('GET', `/api/v2/plans/${plan.id}`, { as })).status).toBe(200);
      expectProblem(await t.call('POST', '/api/v2/plans', { as, body: { name: 'Q' } }), 403, 'forbidden');
      expectProblem(await t.call('PATCH', `/api/v2/plans/${plan.id}`, { as, body: { name: 'Q' } }), 403, 'forbidden');
      expectProblem(await t.call('DELETE', `/api/v2/plans/${plan.id}`, { as }), 403, 'forbidden');
      expectProblem(await t.call('POST', `/api/v2/users/${reader.user.id}/plans`, { as, body: { planId: plan.id } }), 403, 'forbidden');
      expectProblem(await t.call('DELETE', `/api/v2/users/${reader.user.id}/plans/${plan.id}`, { as }), 403, 'forbidden');
      const plain = await signedInUser(t, tenant);
      expectProblem(await t.call('GET', '/api/v2/plans', { as: plain.bearer }), 403, 'forbidden');
    });
  });
});
