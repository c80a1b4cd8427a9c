import { DomainError } from '../common/errors.js';
import type { UserResponse } from '../users/dto/user-response.dto.js';
import type { EnterpriseInputDto, UserInputDto } from '../users/dto/user.dto.js';
import { SCIM } from './scim.constants.js';

/*
 * The SCIM User (RFC 7643 section 4.1 and the enterprise extension of 4.3) over the service's
 * user, in both directions. Reading starts from the /api/v2 representation, which is already
 * masked for the caller, so masking stays in its one place.
 */

export type ScimDocument = Record<string, unknown>;

const quoteVersion = (version: number): string => `"${version}"`;

export function toScimUser(user: UserResponse, base: string): ScimDocument {
  const enterprise: Record<string, unknown> = {};
  for (const key of ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const) {
    if (user.enterprise[key] !== null) enterprise[key] = user.enterprise[key];
  }
  if (user.enterprise.managerId !== null) {
    enterprise.manager = { value: user.enterprise.managerId, $ref: `${base}/Users/${user.enterprise.managerId}` };
  }
  const name: Record<string, string> = { formatted: user.name };
  if (user.firstName !== null) name.givenName = user.firstName;
  if (user.lastName !== null) name.familyName = user.lastName;
  const doc: ScimDocument = {
    schemas: Object.keys(enterprise).length ? [SCIM.user, SCIM.enterprise] : [SCIM.user],
    id: user.id,
  };
  if (user.externalId !== null) doc.externalId = user.externalId;
  Object.assign(doc, {
    userName: user.username ?? user.email,
    name,
    displayName: user.name,
    active: user.active,
    emails: [{ value: user.email, type: 'work', primary: true }],
  });
  if (user.phone !== null) doc.phoneNumbers = [{ value: user.phone, type: 'work', primary: true }];
  if (user.groups.length) {
    doc.groups = user.groups.map((g) => ({ value: g.id, display: g.name, $ref: `${base}/Groups/${g.id}`, type: 'direct' }));
  }
  if (Object.keys(enterprise).length) doc[SCIM.enterprise] = enterprise;
  doc.meta = {
    resourceType: 'User',
    created: user.createdAt,
    lastModified: user.updatedAt,
    version: quoteVersion(user.version),
    location: `${base}/Users/${user.id}`,
  };
  return doc;
}

const invalid = (detail: string): DomainError => new DomainError('invalid_value', detail);

function text(value: unknown, attribute: string): string | null | undefined {
  if (value === undefined || value === null || typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalid(`${attribute} must be a string`);
}

/** SCIM booleans, also as the strings Entra ID sends ("True", "False"). */
export function bool(value: unknown, attribute: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw invalid(`${attribute} must be true or false`);
}

function object(value: unknown, attribute: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(`${attribute} must be an object`);
  return value as Record<string, unknown>;
}

/** Of a multi-valued attribute the server keeps one value: the primary one (the last marked, so one added as primary wins), else the first. */
function kept(value: unknown, attribute: string): string | null {
  if (value === undefined || value === null) return null;
  const list = Array.isArray(value) ? value : [value];
  const entries = list.map((entry, i) => object(entry, `${attribute}[${i}]`) ?? {});
  const chosen = entries.findLast((e) => e.primary !== undefined && e.primary !== null && bool(e.primary, `${attribute}.primary`)) ?? entries.find((e) => e.value !== undefined && e.value !== null);
  return text(chosen?.value, `${attribute}.value`) ?? null;
}

/**
 * What a SCIM User document asks the service to hold, as the /api/v2 input. Absent optional
 * attributes are null (a SCIM replace clears them); `active`, `password` and the name are left
 * out when absent, and groups are read-only (RFC 7643: ignored when sent).
 */
export function scimUserInput(doc: ScimDocument): UserInputDto {
  const input: UserInputDto = {};
  const userName = text(doc.userName, 'userName');
  if (userName !== undefined && userName !== null) input.username = userName;
  input.externalId = text(doc.externalId, 'externalId') ?? null;
  const email = kept(doc.emails, 'emails');
  if (email !== null) input.email = email;
  else if (userName?.includes('@')) input.email = userName;
  const name = object(doc.name, 'name') ?? {};
  const fullName = text(doc.displayName, 'displayName') ?? text(name.formatted, 'name.formatted');
  if (fullName) input.name = fullName;
  input.firstName = text(name.givenName, 'name.givenName') ?? null;
  input.lastName = text(name.familyName, 'name.familyName') ?? null;
  input.phone = kept(doc.phoneNumbers, 'phoneNumbers');
  if (doc.active !== undefined && doc.active !== null) input.active = bool(doc.active, 'active');
  const password = text(doc.password, 'password');
  if (password) input.password = password;
  const extension = object(doc[SCIM.enterprise], SCIM.enterprise) ?? {};
  const enterprise: EnterpriseInputDto = {};
  for (const key of ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const) {
    enterprise[key] = text(extension[key], key) ?? null;
  }
  // Entra ID sends the manager as its id alone; the RFC as { value }.
  const manager = extension.manager;
  enterprise.managerId =
    manager === undefined || manager === null
      ? null
      : typeof manager === 'string'
        ? manager || null
        : (text(object(manager, 'manager')?.value, 'manager.value') ?? null);
  input.enterprise = enterprise;
  return input;
}

/**
 * The fields of `next` that differ from `current`: a replace or a patch sends the service only
 * what changed, so a value the caller saw masked and sent back unchanged is never written.
 */
export function changedInput(current: UserInputDto, next: UserInputDto): UserInputDto {
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    if (key === 'enterprise') {
      const was = (current.enterprise ?? {}) as Record<string, unknown>;
      const diff = Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k, v]) => v !== undefined && v !== was[k]));
      if (Object.keys(diff).length) changed.enterprise = diff;
    } else if (key === 'username' || key === 'email') {
      // Stored lower-cased: a change of case alone is no change.
      if (String(value).toLowerCase() !== String((current as Record<string, unknown>)[key] ?? '').toLowerCase()) changed[key] = value;
    } else if (key === 'password' || JSON.stringify(value) !== JSON.stringify((current as Record<string, unknown>)[key])) {
      changed[key] = value;
    }
  }
  return changed as UserInputDto;
}
