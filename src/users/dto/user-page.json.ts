import { effectivePermissions } from '../../auth/permissions.js';
import type { Principal } from '../../auth/principal.js';
import { todayUtc } from '../../common/dates.js';
import { maskEmail, maskIpEntry, maskPhone } from '../../common/masking.js';
import { seesMaskedData } from './user-response.dto.js';

/*
 * The list page (GET /api/v2/users) written straight from the rows the repository reads, as the
 * JSON text that `JSON.stringify({ data: toUserResponses(users, viewer, now), meta })` gives for
 * the same users: the same fields in the same order, masked for the same viewers, the same
 * escapes. It skips what the general mapping builds on the way (an entity a user, its hydrated
 * dates, a response object a user, then JSON.stringify walking them all): on a 50-user page
 * with every kind of child row those were most of the request's JavaScript time.
 * test/user-page-json.e2e.spec.ts holds it to the general mapping, byte for byte, on both
 * databases and for every kind of viewer.
 */

/** A user as the page's statement hands it over: its columns (User's, in metadata order), then its child rows. */
export type PageRow = readonly unknown[];

/** Where each of the user's values sits in a PageRow. */
export interface PageColumns {
  id: number;
  tenantId: number;
  externalId: number;
  name: number;
  firstName: number;
  lastName: number;
  username: number;
  email: number;
  phone: number;
  active: number;
  admin: number;
  planAdmin: number;
  tfa: number;
  resetPassword: number;
  resetTfa: number;
  passwordResetAllowed: number;
  canViewMaskedData: number;
  onlySeesReadable: number;
  sessionsLimit: number;
  version: number;
  lastLoginAt: number;
  lastActionAt: number;
  lockedUntil: number;
  employeeNumber: number;
  costCenter: number;
  organization: number;
  division: number;
  department: number;
  managerId: number;
  createdAt: number;
  updatedAt: number;
  /** [[group id, name, permissions as stored], …] */
  groups: number;
  /** [entry, …] in the order sent */
  ipWhitelist: number;
  /** [tag, …] in the order sent */
  clientTags: number;
  /** [[plan id, name, validFrom as stored, validTo as stored], …] */
  plans: number;
  /** 1 when a confirmed TFA enrolment exists */
  tfaEnrolled: number;
}

/** The conversions that depend on the database: what hydrate would make of a stored value. */
export interface PageConversions {
  /** A datetime column's value as `Date.prototype.toISOString` writes the hydrated Date (null stays null). */
  iso(value: unknown): string | null;
  /** A plan assignment's validFrom (as a Date's milliseconds and ISO text) and validTo, as hydrated. */
  plan(validFrom: unknown, validTo: unknown): { from: number; validFrom: string; validTo: string | null };
  /** A group's stored permissions, as hydrated. */
  permissions(stored: unknown): readonly string[];
  /** `a.localeCompare(b)`, the order groups and plans are listed in. */
  compare(a: string, b: string): number;
}

export interface PageMeta {
  limit: number;
  offset: number;
  nextCursor: string | null;
  total?: number;
}

/** What JSON.stringify escapes in a string: quotes, backslashes, control characters and (unpaired) surrogates. */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * A JSON string literal, as JSON.stringify writes it: a string with nothing to escape (ids,
 * names, addresses: nearly all) as it is between quotes, anything else through JSON.stringify.
 */
const quote = (value: string): string => (ESCAPED.test(value) ? JSON.stringify(value) : `"${value}"`);

/**
 * Any value as JSON.stringify writes it in an object: strings and finite numbers, booleans,
 * null. What the page's columns hold; anything else goes through JSON.stringify itself.
 */
function value(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v) ?? 'null';
}

/** A boolean column as hydrate converts it: `Boolean(value)`, but NULL stays null. */
const flag = (v: unknown): string => (v === null || v === undefined ? 'null' : v ? 'true' : 'false');

/** A user's groups: their ids as stored (the memo's key), their JSON, sorted, and what each grants. */
interface PageGroups {
  json: string;
  groups: { permissions: readonly string[] }[];
  /** The effective permissions' JSON, by the user's flags (admin 2, planAdmin 1). */
  permissions: (string | undefined)[];
}

/** What one page shares between its users: groups, their permissions and plan assignments, each worked out once. */
interface PageMemo {
  /** By the user's group ids (as stored). */
  groups: Map<string, PageGroups>;
}

/**
 * The JSON text of a page: `{"data":[…users…],"meta":{…}}`, the users as toUserResponses maps
 * them for this viewer at `now`.
 */
export function writeUserPage(rows: readonly PageRow[], columns: PageColumns, conversions: PageConversions, viewer: Principal, meta: PageMeta, now = new Date()): string {
  const today = todayUtc(now);
  const memo: PageMemo = { groups: new Map() };
  const seesAll = seesMaskedData(viewer);
  const self = viewer.kind === 'user' ? viewer.userId : null;
  let out = '{"data":[';
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) out += ',';
    out += writeUser(rows[i]!, columns, conversions, seesAll || rows[i]![columns.id] === self, now.getTime(), today, memo);
  }
  out += `],"meta":{"limit":${value(meta.limit)},"offset":${value(meta.offset)},"nextCursor":${value(meta.nextCursor)}`;
  if (meta.total !== undefined) out += `,"total":${value(meta.total)}`;
  return `${out}}}`;
}

/**
 * The same users as NDJSON (GET /users/export): each user's line as writeUserPage writes it in
 * a page, which is `JSON.stringify(toUserResponse(user, viewer, now))`, and a newline, as
 * UTF-8. Each line goes into the buffer as soon as it is made, and `rows` may make each row
 * as it is asked for: a page is then never held as strings and arrays of values all at once,
 * which young-generation collections would otherwise copy, again and again.
 */
export function writeUserLines(rows: Iterable<PageRow>, columns: PageColumns, conversions: PageConversions, viewer: Principal, now = new Date()): Buffer {
  const today = todayUtc(now);
  const memo: PageMemo = { groups: new Map() };
  const seesAll = seesMaskedData(viewer);
  const self = viewer.kind === 'user' ? viewer.userId : null;
  let out = Buffer.allocUnsafe(1 << 16);
  let at = 0;
  for (const row of rows) {
    const line = `${writeUser(row, columns, conversions, seesAll || row[columns.id] === self, now.getTime(), today, memo)}\n`;
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    if (at + line.length * 3 > out.length) {
      const larger = Buffer.allocUnsafe(Math.max(out.length * 2, at + line.length * 3));
      out.copy(larger, 0, 0, at);
      out = larger;
    }
    at += out.write(line, at);
  }
  return out.subarray(0, at);
}

function writeUser(row: PageRow, c: PageColumns, conv: PageConversions, clear: boolean, now: number, today: string, memo: PageMemo): string {
  const email = row[c.email] as string;
  const phone = row[c.phone] as string | null;
  const groups = groupsOf(row[c.groups] as [string, string, unknown][], conv, memo);
  const admin = row[c.admin];
  const planAdmin = row[c.planAdmin];
  return (
    `{"id":${value(row[c.id])},"tenantId":${value(row[c.tenantId])},"externalId":${value(row[c.externalId])},"name":${value(row[c.name])}` +
    `,"firstName":${value(row[c.firstName])},"lastName":${value(row[c.lastName])},"username":${value(row[c.username])}` +
    `,"email":${value(clear ? email : maskEmail(email))},"phone":${value(phone === null || clear ? phone : maskPhone(phone))}` +
    `,"active":${flag(row[c.active])},"admin":${flag(admin)},"planAdmin":${flag(planAdmin)},"tfa":${flag(row[c.tfa])}` +
    `,"tfaEnrolled":${row[c.tfaEnrolled] === 1 ? 'true' : 'false'},"resetPassword":${flag(row[c.resetPassword])},"resetTfa":${flag(row[c.resetTfa])}` +
    `,"passwordResetAllowed":${flag(row[c.passwordResetAllowed])},"canViewMaskedData":${flag(row[c.canViewMaskedData])}` +
    `,"onlySeesReadable":${flag(row[c.onlySeesReadable])},"sessionsLimit":${value(row[c.sessionsLimit])}` +
    `,"groups":${groups.json},"permissions":${permissionsOf(groups, admin, planAdmin)}` +
    `,"ipWhitelist":${entries(row[c.ipWhitelist] as string[], clear)},"clientTags":${entries(row[c.clientTags] as string[], true)}` +
    `,"plans":${plansOf(row[c.plans] as [string, string, unknown, unknown][], conv, now, today)}` +
    `,"enterprise":{"employeeNumber":${value(row[c.employeeNumber])},"costCenter":${value(row[c.costCenter])}` +
    `,"organization":${value(row[c.organization])},"division":${value(row[c.division])},"department":${value(row[c.department])}` +
    `,"managerId":${value(row[c.managerId])}}` +
    `,"lockedUntil":${value(conv.iso(row[c.lockedUntil]))},"lastLoginAt":${value(conv.iso(row[c.lastLoginAt]))}` +
    `,"lastActionAt":${value(conv.iso(row[c.lastActionAt]))},"createdAt":${value(conv.iso(row[c.createdAt]))}` +
    `,"updatedAt":${value(conv.iso(row[c.updatedAt]))},"version":${value(row[c.version])}}`
  );
}

/** The allow-list (each entry `***` unless in clear) or the client tags. */
function entries(list: readonly string[], clear: boolean): string {
  if (list.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < list.length; i++) out += `${i ? ',' : ''}${value(clear ? list[i]! : maskIpEntry(list[i]!))}`;
  return `${out}]`;
}

/** The user's groups, by name then id, as `[{"id":…,"name":…}, …]`, with what each grants. */
function groupsOf(stored: readonly [string, string, unknown][], conv: PageConversions, memo: PageMemo): PageGroups {
  let key = '';
  for (const [id] of stored) key += `${id},`;
  let found = memo.groups.get(key);
  if (!found) {
    const sorted = stored.map(([id, name, permissions]) => ({ id, name, permissions: conv.permissions(permissions) }));
    if (sorted.length > 1) sorted.sort((a, b) => conv.compare(a.name, b.name) || conv.compare(a.id, b.id));
    found = { permissions: [], json: `[${sorted.map((g) => `{"id":${value(g.id)},"name":${value(g.name)}}`).join(',')}]`, groups: sorted };
    memo.groups.set(key, found);
  }
  return found;
}

/** effectivePermissions for these groups and flags, as JSON: worked out once per page for each distinct combination. */
function permissionsOf(groups: PageGroups, admin: unknown, planAdmin: unknown): string {
  const flags = (admin ? 2 : 0) + (planAdmin ? 1 : 0);
  let json = groups.permissions[flags];
  if (json === undefined) {
    json = JSON.stringify(effectivePermissions({ admin: Boolean(admin), planAdmin: Boolean(planAdmin) }, groups.groups));
    groups.permissions[flags] = json;
  }
  return json;
}

/** The user's plan assignments, by name then plan id, each with whether it is active at `now`. */
function plansOf(stored: readonly [string, string, unknown, unknown][], conv: PageConversions, now: number, today: string): string {
  if (stored.length === 0) return '[]';
  const list = stored.length > 1 ? [...stored].sort((a, b) => conv.compare(a[1], b[1]) || conv.compare(a[0], b[0])) : stored;
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    const [planId, name, validFrom, validTo] = list[i]!;
    const plan = conv.plan(validFrom, validTo);
    const active = plan.from <= now && (plan.validTo === null || plan.validTo >= today);
    out += `${i ? ',' : ''}{"planId":${value(planId)},"name":${value(name)},"validFrom":${value(plan.validFrom)},"validTo":${value(plan.validTo)},"active":${active}}`;
  }
  return `${out}]`;
}
