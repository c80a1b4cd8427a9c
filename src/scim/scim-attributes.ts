import { DomainError } from '../common/errors.js';
import { SCIM } from './scim.constants.js';

/*
 * Attribute names as SCIM clients send them (any case, dotted, or prefixed with a schema URN),
 * put in the case this server writes them, and `attributes` / `excludedAttributes` applied to
 * a resource (RFC 7644 section 3.9).
 */

type Shape = { [key: string]: Shape | true };

const MULTI = { value: true, type: true, primary: true, display: true } as const;

/**
 * Every User attribute of RFC 7643 a client may send. Those this server does not store
 * (title, addresses, locale, …) are accepted and ignored, as Entra ID's default mappings send
 * them; anything else is refused. The enterprise extension sits under its URN.
 */
export const USER_SHAPE: Shape = {
  schemas: true,
  id: true,
  externalId: true,
  userName: true,
  name: { formatted: true, familyName: true, givenName: true, middleName: true, honorificPrefix: true, honorificSuffix: true },
  displayName: true,
  nickName: true,
  profileUrl: true,
  title: true,
  userType: true,
  preferredLanguage: true,
  locale: true,
  timezone: true,
  active: true,
  password: true,
  emails: MULTI,
  phoneNumbers: MULTI,
  ims: MULTI,
  photos: MULTI,
  addresses: {
    formatted: true,
    streetAddress: true,
    locality: true,
    region: true,
    postalCode: true,
    country: true,
    type: true,
    primary: true,
  },
  groups: { value: true, $ref: true, display: true, type: true },
  entitlements: MULTI,
  roles: MULTI,
  x509Certificates: MULTI,
  meta: { resourceType: true, created: true, lastModified: true, location: true, version: true },
  [SCIM.enterprise]: {
    employeeNumber: true,
    costCenter: true,
    organization: true,
    division: true,
    department: true,
    manager: { value: true, $ref: true, displayName: true },
  },
};

export const GROUP_SHAPE: Shape = {
  schemas: true,
  id: true,
  externalId: true,
  displayName: true,
  members: { value: true, $ref: true, display: true, type: true },
  meta: { resourceType: true, created: true, lastModified: true, location: true, version: true },
};

function lookup(shape: Shape, key: string): [string, Shape | true] | undefined {
  const lower = key.toLowerCase();
  for (const [name, child] of Object.entries(shape)) if (name.toLowerCase() === lower) return [name, child];
  return undefined;
}

const unknown = (path: string, code: 'invalid_path' | 'invalid_value' = 'invalid_value'): DomainError =>
  new DomainError(code, `Unknown attribute: ${path.slice(0, 200)}`);

/**
 * An attribute path (`userName`, `name.givenName`, `urn:…:enterprise:2.0:User:manager.value`,
 * `urn:…:core:2.0:User:userName`) as its segments in this server's spelling. The core schema's
 * URN is dropped; an extension's URN is the first segment.
 */
export function canonicalPath(path: string, shape: Shape, coreSchema: string, code: 'invalid_path' | 'invalid_value' = 'invalid_path'): string[] {
  let rest = path;
  const segments: string[] = [];
  let node: Shape = shape;
  if (rest.toLowerCase().startsWith(`${coreSchema.toLowerCase()}:`)) rest = rest.slice(coreSchema.length + 1);
  else if (/^urn:/i.test(rest)) {
    const extension = Object.keys(shape).find((name) => name.startsWith('urn:') && rest.toLowerCase().startsWith(name.toLowerCase()));
    if (!extension) throw unknown(path, code);
    rest = rest.slice(extension.length);
    segments.push(extension);
    node = shape[extension] as Shape;
    if (rest === '') return segments;
    if (!rest.startsWith(':')) throw unknown(path, code);
    rest = rest.slice(1);
  }
  let at: Shape | true = node;
  for (const part of rest.split('.')) {
    const found: [string, Shape | true] | undefined = at === true ? undefined : lookup(at, part);
    if (!found) throw unknown(path, code);
    segments.push(found[0]);
    at = found[1];
  }
  return segments;
}

/**
 * A resource body with every known key in this server's spelling (recursively, through the
 * shape). Unknown keys are refused; dotted and URN keys are put in place as nested objects.
 */
export function canonicalBody(body: Record<string, unknown>, shape: Shape, coreSchema: string, depth = 0): Record<string, unknown> {
  if (depth > 1) throw new DomainError('invalid_value', `${coreSchema} cannot nest in itself`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    // The core attributes may also come grouped under the core schema's URN.
    if (key.toLowerCase() === coreSchema.toLowerCase() && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      Object.assign(out, canonicalBody(value as Record<string, unknown>, shape, coreSchema, depth + 1));
      continue;
    }
    const segments = canonicalPath(key, shape, coreSchema, 'invalid_value');
    let target = out;
    let node: Shape | true = shape;
    for (const [index, segment] of segments.entries()) {
      node = (node as Shape)[segment]!;
      if (index === segments.length - 1) {
        target[segment] = canonicalValue(value, node);
      } else {
        const next = target[segment];
        target = (next && typeof next === 'object' && !Array.isArray(next) ? next : (target[segment] = {})) as Record<string, unknown>;
      }
    }
  }
  return out;
}

/** Keys of a complex value (or of each element of a multi-valued one) in this server's spelling; unknown sub-keys are dropped. */
function canonicalValue(value: unknown, node: Shape | true): unknown {
  if (node === true || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((element) => canonicalValue(element, node));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const found = lookup(node, key);
    if (found) out[found[0]] = canonicalValue(inner, found[1]);
  }
  return out;
}

/** A path as a string again, from canonicalPath's segments. */
export function joinPath(segments: string[]): string {
  const [first, ...rest] = segments;
  if (first?.startsWith('urn:')) return rest.length ? `${first}:${rest.join('.')}` : first;
  return segments.join('.');
}

/** The comma-separated list of a query parameter, each path in canonical segments (unknown paths are ignored, as RFC 7644 allows). */
function pathList(raw: string | undefined, shape: Shape, coreSchema: string): string[][] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .flatMap((p) => {
      try {
        return [canonicalPath(p, shape, coreSchema)];
      } catch {
        return [];
      }
    });
}

export interface Projection {
  attributes: string[][];
  excluded: string[][];
}

export function projection(attributes: string | undefined, excluded: string | undefined, shape: Shape, coreSchema: string): Projection {
  return { attributes: pathList(attributes, shape, coreSchema), excluded: pathList(excluded, shape, coreSchema) };
}

/** Whether the projection returns (part of) a top-level attribute, such as a group's members. */
export function returns(p: Projection, attribute: string): boolean {
  if (p.attributes.length) return p.attributes.some((path) => path[0] === attribute);
  return !p.excluded.some((path) => path[0] === attribute && path.length === 1);
}

/** The resource with only the attributes asked for (id and schemas always), or without the excluded ones. */
export function project(resource: Record<string, unknown>, p: Projection): Record<string, unknown> {
  if (p.attributes.length) {
    const out: Record<string, unknown> = { schemas: resource.schemas, id: resource.id };
    for (const path of p.attributes) copyPath(resource, out, path);
    return out;
  }
  if (!p.excluded.length) return resource;
  const out = structuredClone(resource);
  for (const path of p.excluded) {
    if (path.length === 1 && (path[0] === 'id' || path[0] === 'schemas')) continue;
    removePath(out, path);
  }
  return out;
}

function copyPath(from: Record<string, unknown>, to: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (!(head in from) || from[head] === undefined) return;
  const value = from[head];
  if (!rest.length || value === null || typeof value !== 'object') {
    to[head] = value;
    return;
  }
  if (Array.isArray(value)) {
    const existing = (Array.isArray(to[head]) ? to[head] : value.map(() => ({}))) as Record<string, unknown>[];
    value.forEach((element, i) => {
      if (element && typeof element === 'object') copyPath(element as Record<string, unknown>, existing[i]!, rest);
    });
    to[head] = existing;
    return;
  }
  const target = (to[head] && typeof to[head] === 'object' ? to[head] : (to[head] = {})) as Record<string, unknown>;
  copyPath(value as Record<string, unknown>, target, rest);
}

function removePath(from: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (!rest.length) {
    delete from[head];
    return;
  }
  const value = from[head];
  if (Array.isArray(value)) {
    for (const element of value) if (element && typeof element === 'object') removePath(element as Record<string, unknown>, rest);
  } else if (value && typeof value === 'object') {
    removePath(value as Record<string, unknown>, rest);
  }
}
