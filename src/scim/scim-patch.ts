import { filter as evaluate, parse, type Filter } from 'scim2-parse-filter';
import { ScimError, scimPatch, type ScimPatchOperation } from 'scim-patch';
import { DomainError, type ErrorCode } from '../common/errors.js';
import type { MembershipChange } from '../groups/groups.service.js';
import { canonicalBody, canonicalPath, GROUP_SHAPE, joinPath, USER_SHAPE } from './scim-attributes.js';
import type { ScimDocument } from './scim-users.mapper.js';
import { assertWellFormed } from './scim-filter.js';
import { FILTER_LIMITS, PATCH_LIMITS, SCIM } from './scim.constants.js';

/*
 * PATCH (RFC 7644 section 3.5.2), with what Okta and Entra ID really send: `op` in any case
 * ("Replace"), booleans as strings ("False", read where the value is used), path-less
 * replaces whose keys are dotted (`name.givenName`) or URNs, members removed by a value array,
 * the whole members list replaced, and a replace on a filtered path that matches nothing
 * treated as an add.
 */

type Op = 'add' | 'replace' | 'remove';
interface Operation {
  op: Op;
  path?: string;
  value?: unknown;
}

const syntax = (detail: string): DomainError => new DomainError('bad_request', detail);

/** The body's operations, checked for shape; `op` lower-cased. */
export function patchOperations(body: unknown): Operation[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw syntax('A PATCH body is a PatchOp message');
  const { schemas, Operations: operations } = body as { schemas?: unknown; Operations?: unknown };
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SCIM.patchOp.toLowerCase())) {
    throw syntax(`schemas must hold ${SCIM.patchOp}`);
  }
  if (!Array.isArray(operations) || operations.length === 0) throw syntax('Operations must be a non-empty array');
  if (operations.length > PATCH_LIMITS.operations) throw syntax(`At most ${PATCH_LIMITS.operations} operations per request`);
  return operations.map((raw, i) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw syntax(`Operations[${i}] must be an object`);
    const { op, path, value } = raw as Record<string, unknown>;
    const name = typeof op === 'string' ? op.trim().toLowerCase() : '';
    if (name !== 'add' && name !== 'replace' && name !== 'remove') throw syntax(`Operations[${i}].op must be add, replace or remove`);
    if (path !== undefined && (typeof path !== 'string' || path.trim() === '')) throw new DomainError('invalid_path', `Operations[${i}].path must be a string`);
    if (typeof path === 'string' && path.length > FILTER_LIMITS.length) throw new DomainError('invalid_path', `Operations[${i}].path is too long`);
    if (name !== 'remove' && value === undefined) throw syntax(`Operations[${i}] (${name}) needs a value`);
    if (name === 'remove' && path === undefined) throw new DomainError('no_target', `Operations[${i}]: remove needs a path`);
    return { op: name, path: path === undefined ? undefined : path.trim(), value };
  });
}

interface SplitPath {
  /** Canonical segments of the attribute before any filter. */
  attribute: string[];
  filter?: string;
  /** Canonical sub-attribute after the filter. */
  sub?: string;
}

/** `emails[type eq "work"].value` → emails, the filter, value; attribute names in this server's spelling. */
function splitPath(path: string, shape: Record<string, unknown>, coreSchema: string): SplitPath {
  const open = path.indexOf('[');
  if (open < 0) return { attribute: canonicalPath(path, shape as never, coreSchema) };
  const close = path.lastIndexOf(']');
  if (close < open) throw new DomainError('invalid_path', `${path.slice(0, 200)} is not a path`);
  const attribute = canonicalPath(path.slice(0, open), shape as never, coreSchema);
  const filter = path.slice(open + 1, close);
  const rest = path.slice(close + 1);
  if (rest !== '' && !rest.startsWith('.')) throw new DomainError('invalid_path', `${path.slice(0, 200)} is not a path`);
  const sub = rest ? canonicalPath(`${joinPath(attribute)}.${rest.slice(1)}`, shape as never, coreSchema).at(-1) : undefined;
  return { attribute, filter, sub };
}

const READ_ONLY_USER = new Set(['id', 'meta', 'groups', 'schemas']);

/** A path-less add or replace as one operation per attribute, single-valued complex ones per sub-attribute. */
function spread(op: Op, value: unknown, shape: Record<string, unknown>, coreSchema: string): Operation[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new DomainError('invalid_value', 'Without a path, the value is an object of attributes');
  const body = canonicalBody(value as Record<string, unknown>, shape as never, coreSchema);
  const out: Operation[] = [];
  for (const [key, inner] of Object.entries(body)) {
    if (key === 'schemas' || key === 'id' || key === 'meta') continue;
    const singleComplex = key === 'name' || key === SCIM.enterprise;
    if (singleComplex && inner && typeof inner === 'object' && !Array.isArray(inner)) {
      for (const [sub, subValue] of Object.entries(inner as Record<string, unknown>)) out.push({ op, path: joinPath([key, sub]), value: subValue });
    } else {
      out.push({ op, path: key, value: inner });
    }
  }
  return out;
}

const SCIM_CODES: Record<string, ErrorCode> = {
  invalidPath: 'invalid_path',
  noTarget: 'no_target',
  invalidValue: 'invalid_value',
  invalidSyntax: 'bad_request',
  invalidFilter: 'invalid_filter',
};

/** Applies the operations to a copy of a User document with scim-patch; the caller maps the result back. */
export function patchUser(doc: ScimDocument, operations: Operation[]): ScimDocument {
  const patched = structuredClone(doc);
  const steps: ScimPatchOperation[] = [];
  for (const operation of operations) {
    const expanded = operation.path === undefined ? spread(operation.op, operation.value, USER_SHAPE, SCIM.user) : [operation];
    for (const step of expanded) {
      const { attribute, filter, sub } = splitPath(step.path!, USER_SHAPE, SCIM.user);
      if (READ_ONLY_USER.has(attribute[0]!)) throw new DomainError('mutability', `${attribute[0]} is read-only`);
      if (filter !== undefined) checkPathFilter(filter);
      const path = filter === undefined ? joinPath(attribute) : `${joinPath(attribute)}[${filter}]${sub ? `.${sub}` : ''}`;
      const value = step.value !== null && typeof step.value === 'object' && filter === undefined && attribute.length === 1
        ? canonicalBody({ [attribute[0]!]: step.value }, USER_SHAPE, SCIM.user)[attribute[0]!]
        : step.value;
      steps.push({ op: step.op, path, value } as ScimPatchOperation);
    }
  }
  try {
    return scimPatch(patched as never, steps, { mutateDocument: true, treatMissingAsAdd: true }) as unknown as ScimDocument;
  } catch (error) {
    if (error instanceof DomainError) throw error;
    if (error instanceof ScimError) throw new DomainError(SCIM_CODES[error.scimCode ?? ''] ?? 'invalid_value', error.message.slice(0, 300));
    throw new DomainError('invalid_value', 'The operations cannot be applied to this user');
  }
}

function checkPathFilter(filter: string): void {
  // eslint-disable-next-line no-control-regex
  if (filter.length > FILTER_LIMITS.length || /[\u0000-\u001f]/.test(filter)) throw new DomainError('invalid_filter', 'The path filter is not valid');
  try {
    assertWellFormed(parse(filter));
  } catch {
    throw new DomainError('invalid_filter', 'The path filter is not valid');
  }
}

// --------------------------------------------------------------------------------- groups

export interface GroupPatch {
  name?: string;
  externalId?: string | null;
  members: MembershipChange;
}

/** A member as a client sends it: `{ value }` (or, leniently, the id alone). */
function memberIds(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  if (list.length > PATCH_LIMITS.members) throw new DomainError('invalid_value', `${where}: at most ${PATCH_LIMITS.members} members at a time`);
  return list.map((entry, i) => {
    const id = typeof entry === 'string' ? entry : entry && typeof entry === 'object' ? (entry as { value?: unknown }).value : undefined;
    if (typeof id !== 'string' || id === '') throw new DomainError('invalid_value', `${where}[${i}] needs a value (the user id)`);
    return id;
  });
}

/** Member ids a value filter selects; `value eq "…"` (and or-lists of them) without reading the members. */
function selectedMembers(filter: string, members: () => Promise<{ value: string; display: string }[]>): Promise<string[]> | string[] {
  checkPathFilter(filter);
  const parsed = parse(filter);
  const ids: string[] = [];
  const simple = (f: Filter): boolean => {
    if (f.op === 'or') return f.filters.every(simple);
    if (f.op === 'eq' && f.attrPath.toLowerCase() === 'value' && typeof f.compValue === 'string') {
      ids.push(f.compValue);
      return true;
    }
    return false;
  };
  if (simple(parsed)) return ids;
  const test = evaluate(parsed);
  return members().then((list) => list.filter((m) => test({ value: m.value, display: m.display, type: 'User' })).map((m) => m.value));
}

/**
 * A Group PATCH as a change to the group and to its members, worked out without loading the
 * members unless a filter needs more than their ids. Operations apply in order.
 */
export async function groupPatch(operations: Operation[], members: () => Promise<{ value: string; display: string }[]>): Promise<GroupPatch> {
  const patch: GroupPatch = { members: {} };
  let replace: Set<string> | undefined;
  const add = new Set<string>();
  const remove = new Set<string>();
  const adding = (ids: string[]) => ids.forEach((id) => (remove.delete(id), add.add(id), replace?.add(id)));
  const removing = (ids: string[]) => ids.forEach((id) => (add.delete(id), remove.add(id), replace?.delete(id)));
  const replacing = (ids: string[]) => ((replace = new Set(ids)), add.clear(), remove.clear());

  const expanded = operations.flatMap((operation) =>
    operation.path === undefined ? spread(operation.op, operation.value, GROUP_SHAPE, SCIM.group) : [operation],
  );
  for (const { op, path, value } of expanded) {
    const { attribute, filter, sub } = splitPath(path!, GROUP_SHAPE, SCIM.group);
    const [name] = attribute;
    if (name === 'id' || name === 'meta' || name === 'schemas') throw new DomainError('mutability', `${name} is read-only`);
    if (name === 'displayName' || name === 'externalId') {
      if (filter !== undefined || attribute.length > 1) throw new DomainError('invalid_path', `${path} is not a path`);
      if (op === 'remove') {
        if (name === 'displayName') throw new DomainError('mutability', 'displayName is required');
        patch.externalId = null;
        continue;
      }
      if (value !== null && typeof value !== 'string') throw new DomainError('invalid_value', `${name} must be a string`);
      if (name === 'displayName') {
        if (!value) throw new DomainError('invalid_value', 'displayName must not be empty');
        patch.name = value as string;
      } else {
        patch.externalId = (value as string | null) || null;
      }
      continue;
    }
    // members, members[filter], members[filter].sub
    if (attribute.length > 1 || (sub !== undefined && sub !== 'value')) throw new DomainError('mutability', `Only members themselves can be changed, not ${path}`);
    if (filter === undefined) {
      if (op === 'add') adding(memberIds(value, 'members'));
      else if (op === 'replace') replacing(memberIds(value, 'members'));
      else if (value === undefined) replacing([]);
      else removing(memberIds(value, 'members'));
      continue;
    }
    const selected = await selectedMembers(filter, members);
    if (op === 'remove') removing(selected);
    else if (op === 'add') adding(value === undefined || value === null ? selected : memberIds(value, path!));
    else {
      // replace on a filtered path: the matching members give way to the value; matching none, it is an add.
      removing(selected);
      adding(memberIds(value, path!));
    }
  }
  if (replace) patch.members.replace = [...replace];
  if (add.size) patch.members.add = [...add];
  if (remove.size) patch.members.remove = [...remove];
  return patch;
}
