import { filter as evaluate, parse, type Filter } from 'scim2-parse-filter';
import { DomainError } from '../common/errors.js';
import { type Condition, conditionSize } from '../database/condition.js';
import { FILTER_LIMITS, SCIM } from './scim.constants.js';

/*
 * SCIM filters (RFC 7644 section 3.4.2.2), parsed by scim2-parse-filter and translated to a
 * Condition over the domain's fields, which the users and groups repositories compile to SQL.
 * Attribute names are case-insensitive; an attribute this server does not hold is a 400
 * invalidFilter, as is anything the parser refuses.
 */

type Target =
  /** A field of the table. */
  | { field: string }
  /** A sub-attribute with one value on every element (emails.type is "work"), present when `parent` is. */
  | { constant: string | boolean; parent: string | null }
  /** A field of a related table (a user's groups, a group's members). */
  | { relation: string; field: string };

/** Lower-cased attribute path → what it reads. A complex attribute alone stands for its value. */
export type AttributeMap = Record<string, Target>;

const ENTERPRISE = SCIM.enterprise.toLowerCase();

export const USER_FILTER_ATTRIBUTES: AttributeMap = {
  id: { field: 'id' },
  externalid: { field: 'externalId' },
  username: { field: 'userName' },
  displayname: { field: 'name' },
  name: { field: 'name' },
  'name.formatted': { field: 'name' },
  'name.givenname': { field: 'firstName' },
  'name.familyname': { field: 'lastName' },
  emails: { field: 'email' },
  'emails.value': { field: 'email' },
  'emails.type': { constant: 'work', parent: 'email' },
  'emails.primary': { constant: true, parent: 'email' },
  phonenumbers: { field: 'phone' },
  'phonenumbers.value': { field: 'phone' },
  'phonenumbers.type': { constant: 'work', parent: 'phone' },
  'phonenumbers.primary': { constant: true, parent: 'phone' },
  active: { field: 'active' },
  'meta.created': { field: 'createdAt' },
  'meta.lastmodified': { field: 'updatedAt' },
  'meta.resourcetype': { constant: 'User', parent: null },
  groups: { relation: 'groups', field: 'id' },
  'groups.value': { relation: 'groups', field: 'id' },
  'groups.display': { relation: 'groups', field: 'name' },
  [`${ENTERPRISE}:employeenumber`]: { field: 'employeeNumber' },
  [`${ENTERPRISE}:costcenter`]: { field: 'costCenter' },
  [`${ENTERPRISE}:organization`]: { field: 'organization' },
  [`${ENTERPRISE}:division`]: { field: 'division' },
  [`${ENTERPRISE}:department`]: { field: 'department' },
  [`${ENTERPRISE}:manager`]: { field: 'managerId' },
  [`${ENTERPRISE}:manager.value`]: { field: 'managerId' },
};

export const GROUP_FILTER_ATTRIBUTES: AttributeMap = {
  id: { field: 'id' },
  externalid: { field: 'externalId' },
  displayname: { field: 'name' },
  'meta.created': { field: 'createdAt' },
  'meta.lastmodified': { field: 'updatedAt' },
  'meta.resourcetype': { constant: 'Group', parent: null },
  members: { relation: 'members', field: 'id' },
  'members.value': { relation: 'members', field: 'id' },
  'members.display': { relation: 'members', field: 'name' },
  'members.type': { constant: 'User', parent: null },
};

const invalid = (detail: string): DomainError => new DomainError('invalid_filter', detail);

/** Refuses what could make the parser work hard (its quoted-string pattern backtracks on control characters) or recurse deep. */
function precheck(text: string): void {
  if (text.trim() === '') throw invalid('The filter is empty');
  if (text.length > FILTER_LIMITS.length) throw invalid(`A filter is at most ${FILTER_LIMITS.length} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw invalid('A filter holds no control characters');
  let depth = 0;
  let quoted = false;
  let words = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ' ') words++;
    if (depth > FILTER_LIMITS.depth) throw invalid(`A filter nests at most ${FILTER_LIMITS.depth} levels`);
  }
  if (words > FILTER_LIMITS.terms * 4) throw invalid(`A filter has at most ${FILTER_LIMITS.terms} comparisons`);
}

/** The attribute path as the maps key it: lower-cased, without the core schema's URN. */
export function attributeKey(path: string, coreSchema: string): string {
  const lower = path.toLowerCase();
  const core = `${coreSchema.toLowerCase()}:`;
  return lower.startsWith(core) ? lower.slice(core.length) : lower;
}

/**
 * The filter a `not` negates. The parser reads `a eq "x"not b eq "y"` as a `not` between two
 * filters (no `filter` of its own); the grammar has only the prefix `not (…)`, so that is refused.
 */
function negated(filter: Filter & { op: 'not' }): Filter {
  const inner = (filter as { filter?: unknown }).filter;
  if (typeof inner !== 'object' || inner === null) throw invalid('"not" takes one filter in parentheses: not (…)');
  return inner as Filter;
}

/** Refuses a parsed filter the grammar does not allow (see negated), before anything evaluates it. */
export function assertWellFormed(filter: Filter): void {
  if (filter.op === 'and' || filter.op === 'or') filter.filters.forEach(assertWellFormed);
  else if (filter.op === 'not') assertWellFormed(negated(filter));
  else if (filter.op === '[]') assertWellFormed(filter.valFilter);
}

/** Parses a SCIM filter and translates it for the resource's attribute map. */
export function translateFilter(text: string, attributes: AttributeMap, coreSchema: string): Condition {
  precheck(text);
  let parsed: Filter;
  try {
    parsed = parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 200) : 'it does not parse';
    throw invalid(`The filter is not valid: ${reason}`);
  }
  const condition = new Translator(attributes, coreSchema).translate(parsed, '');
  if (conditionSize(condition) > FILTER_LIMITS.terms) throw invalid(`A filter has at most ${FILTER_LIMITS.terms} comparisons`);
  return condition;
}

class Translator {
  constructor(
    private readonly attributes: AttributeMap,
    private readonly coreSchema: string,
  ) {}

  translate(filter: Filter, prefix: string): Condition {
    switch (filter.op) {
      case 'and':
      case 'or':
        return { kind: filter.op, items: filter.filters.map((f) => this.translate(f, prefix)) };
      case 'not':
        return { kind: 'not', item: this.translate(negated(filter), prefix) };
      case '[]':
        return this.valuePath(filter.attrPath, filter.valFilter, prefix);
      case 'pr':
        return this.leaf(filter.attrPath, prefix, null);
      case 'eq':
      case 'ne':
      case 'co':
      case 'sw':
      case 'ew':
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le':
        return this.leaf(filter.attrPath, prefix, filter);
    }
  }

  private target(attrPath: string, prefix: string): { key: string; target: Target } {
    const key = `${prefix}${attributeKey(attrPath, this.coreSchema)}`;
    const target = Object.hasOwn(this.attributes, key) ? this.attributes[key] : undefined;
    if (!target) throw invalid(`Unknown attribute in filter: ${attrPath}`);
    return { key, target };
  }

  /** `emails[type eq "work"]`: the inner filter reads the attribute's sub-attributes. */
  private valuePath(attrPath: string, inner: Filter, prefix: string): Condition {
    if (prefix) throw invalid('A value path cannot be nested in another');
    const { key, target } = this.target(attrPath, prefix);
    if ('relation' in target) {
      return { kind: 'some', relation: target.relation, where: this.inRelation(inner, `${key}.`, target.relation) };
    }
    if (!('field' in target)) throw invalid(`${attrPath} has no sub-attributes`);
    // The attribute holds one element: the inner filter applies to it, when there is one.
    return { kind: 'and', items: [{ kind: 'present', field: target.field }, this.translate(inner, `${key}.`)] };
  }

  /** Inside `groups[…]` or `members[…]`, sub-attributes are fields of the related row. */
  private inRelation(filter: Filter, prefix: string, relation: string): Condition {
    switch (filter.op) {
      case 'and':
      case 'or':
        return { kind: filter.op, items: filter.filters.map((f) => this.inRelation(f, prefix, relation)) };
      case 'not':
        return { kind: 'not', item: this.inRelation(negated(filter), prefix, relation) };
      case '[]':
        throw invalid('A value path cannot be nested in another');
      case 'pr':
      case 'eq':
      case 'ne':
      case 'co':
      case 'sw':
      case 'ew':
      case 'gt':
      case 'ge':
      case 'lt':
      case 'le': {
        const { target } = this.target(filter.attrPath, prefix);
        if ('constant' in target) return this.constant(target, filter.op === 'pr' ? null : filter);
        if (!('relation' in target) || target.relation !== relation) throw invalid(`${filter.attrPath} is not a sub-attribute here`);
        return filter.op === 'pr'
          ? { kind: 'present', field: target.field }
          : { kind: 'compare', field: target.field, op: filter.op, value: filter.compValue };
      }
    }
  }

  private leaf(attrPath: string, prefix: string, compare: Extract<Filter, { compValue: unknown }> | null): Condition {
    const { target } = this.target(attrPath, prefix);
    if ('constant' in target) return this.constant(target, compare);
    if ('relation' in target) {
      const where: Condition = compare
        ? { kind: 'compare', field: target.field, op: compare.op, value: compare.compValue }
        : { kind: 'constant', value: true };
      return { kind: 'some', relation: target.relation, where };
    }
    return compare ? { kind: 'compare', field: target.field, op: compare.op, value: compare.compValue } : { kind: 'present', field: target.field };
  }

  /** A sub-attribute with one value everywhere: the comparison is decided here, the element's presence in SQL. */
  private constant(target: Extract<Target, { constant: unknown }>, compare: Extract<Filter, { compValue: unknown }> | null): Condition {
    const holds = compare ? evaluate({ ...compare, attrPath: 'v' })({ v: target.constant }) : true;
    if (!holds) return { kind: 'constant', value: false };
    return target.parent ? { kind: 'present', field: target.parent } : { kind: 'constant', value: true };
  }
}
