import fc from 'fast-check';
import { PERMISSIONS } from '../../src/auth/permissions.js';
import { newId } from '../../src/common/ids.js';
import { UserTfa } from '../../src/sessions/session.entities.js';
import { UserClientTag, UserGroup, UserIpWhitelistEntry, UserPlan } from '../../src/users/user-relations.entity.js';
import { User } from '../../src/users/user.entity.js';
import type { TestApp } from './app.js';
import { insertGroup, insertPlan } from './users.js';

/**
 * Random users with every kind of child row, for the property tests that hold a fast writer
 * of the user representation (the list page's, the export's) to the general mapping.
 */

/** Text with what JSON must escape, graphemes, and what collations fold. */
export const randomText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('', '"', '\\', '\n\t\r\b\f', '\u0000\u0001\u001f', '\u007f', '\u2028\u2029', 'é', 'Ä', 'z', 'Z', '😀', '</script>'),
);
export const randomDate = fc.date({ min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('2999-12-31T23:59:59.999Z'), noInvalidDate: true });

/** A user: its columns, which of three groups and two plans it holds, and its other child rows. */
export const randomUser = fc.record({
  name: randomText,
  firstName: fc.option(randomText),
  externalId: fc.option(randomText),
  phone: fc.option(fc.stringMatching(/^\+?[0-9]{0,15}$/)),
  flags: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
  sessionsLimit: fc.option(fc.integer({ min: 0, max: 1000 })),
  lastLoginAt: fc.option(randomDate),
  lockedUntil: fc.option(randomDate),
  createdAt: randomDate,
  department: fc.option(randomText),
  groups: fc.subarray([0, 1, 2]),
  ipWhitelist: fc.array(randomText, { maxLength: 3 }),
  // Numbered: MariaDB's collation may hold two different tags equal.
  clientTags: fc.array(randomText, { maxLength: 3 }),
  plans: fc.subarray([0, 1]),
  validFrom: randomDate,
  validTo: fc.option(randomDate.map((d) => d.toISOString().slice(0, 10))),
  tfa: fc.boolean(),
  hash: fc.boolean(),
});
export type RandomUser = typeof randomUser extends fc.Arbitrary<infer T> ? T : never;

/** A group: its name and permissions. */
export const randomGroup = fc.record({ name: randomText, permissions: fc.subarray([...PERMISSIONS]) });
export type RandomGroup = typeof randomGroup extends fc.Arbitrary<infer T> ? T : never;

/**
 * Writes the users into the tenant, with three groups and two plans (names numbered, so that
 * no two fold equal), the users' child rows and, where `hash`, `passwordHash` as their password
 * hash (which no representation shows). The users' ids, in order.
 */
export async function insertRandomUsers(
  t: TestApp,
  tenantId: string,
  specs: RandomUser[],
  groupSpecs: RandomGroup[],
  planNames: string[],
  passwordHash: string,
): Promise<string[]> {
  const groups: string[] = [];
  for (const [i, g] of groupSpecs.entries()) groups.push(await insertGroup(t, tenantId, `${i}${g.name}`.slice(0, 200), g.permissions));
  const plans: string[] = [];
  for (const [i, name] of planNames.entries()) plans.push(await insertPlan(t, tenantId, `${i}${name}`.slice(0, 200)));
  const ids: string[] = [];
  for (const [i, spec] of specs.entries()) {
    const id = newId();
    ids.push(id);
    const [active, admin, planAdmin, tfa, canViewMaskedData, onlySeesReadable, resetPassword] = spec.flags as boolean[];
    await t.dataSource.getRepository(User).insert({
      id, tenantId, externalId: spec.externalId === null ? null : `${i}${spec.externalId}`, name: spec.name, nameExplicit: true,
      firstName: spec.firstName, lastName: null, username: null, email: `u${i}@example.com`, phone: spec.phone, active: active!, admin: admin!,
      planAdmin: planAdmin!, tfa: tfa!, resetPassword: resetPassword!, resetTfa: false, passwordResetAllowed: true, canViewMaskedData: canViewMaskedData!,
      onlySeesReadable: onlySeesReadable!, sessionsLimit: spec.sessionsLimit, passwordHash: spec.hash ? passwordHash : null, importedHashDigest: null, version: i + 1,
      lastLoginAt: spec.lastLoginAt, lastActionAt: null, lockedUntil: spec.lockedUntil, employeeNumber: null, costCenter: null, organization: null,
      division: null, department: spec.department, managerId: null, failedLogins: 0, createdAt: spec.createdAt, updatedAt: spec.createdAt,
    });
    if (spec.groups.length) await t.dataSource.getRepository(UserGroup).insert(spec.groups.map((g) => ({ userId: id, groupId: groups[g]!, tenantId })));
    if (spec.ipWhitelist.length) await t.dataSource.getRepository(UserIpWhitelistEntry).insert(spec.ipWhitelist.map((entry, position) => ({ userId: id, tenantId, position, entry })));
    if (spec.clientTags.length) await t.dataSource.getRepository(UserClientTag).insert(spec.clientTags.map((tag, position) => ({ userId: id, tenantId, tag: `${position}${tag}`, position })));
    if (spec.plans.length) {
      await t.dataSource.getRepository(UserPlan).insert(spec.plans.map((p) => ({ userId: id, planId: plans[p]!, tenantId, validFrom: spec.validFrom, validTo: spec.validTo })));
    }
    if (spec.tfa) await t.dataSource.getRepository(UserTfa).insert({ userId: id, tenantId, secretEncrypted: 'x', confirmed: true, lastStep: 0, createdAt: spec.createdAt });
  }
  return ids;
}
