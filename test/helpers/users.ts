import { newId } from '../../src/common/ids.js';
import { Group } from '../../src/groups/group.entity.js';
import { Plan } from '../../src/plans/plan.entity.js';
import type { TestApp } from './app.js';

let counter = 0;
/** A unique e-mail address for a test's user. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${Date.now().toString(36)}.${counter}@example.com`;
}

/** Creates a user through the API and returns its representation. */
export async function createUser(t: TestApp, tenant: { id: string }, body: Record<string, unknown> = {}): Promise<any> {
  const res = await t.call('POST', '/api/v2/users', { tenant: tenant.id, body: { email: uniqueEmail(), ...body } });
  if (res.status !== 201) throw new Error(`user create failed: ${res.status} ${res.text}`);
  return res.body;
}

/** Groups and plans have no routes yet, so tests insert them directly. */
export async function insertGroup(t: TestApp, tenantId: string, name: string, permissions: string[]): Promise<string> {
  const id = newId();
  const now = new Date();
  await t.dataSource.getRepository(Group).insert({ id, tenantId, name, description: null, permissions: permissions as never, createdAt: now, updatedAt: now });
  return id;
}

export async function insertPlan(t: TestApp, tenantId: string, name: string, sessionsLimit: number | null = null): Promise<string> {
  const id = newId();
  const now = new Date();
  await t.dataSource.getRepository(Plan).insert({ id, tenantId, name, description: null, sessionsLimit, createdAt: now, updatedAt: now });
  return id;
}
