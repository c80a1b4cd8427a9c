import type { FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors.js';
import { DEFAULT_COUNT, MAX_COUNT, SCIM_BASE } from './scim.constants.js';

/** The absolute base of this server's SCIM endpoints, as the client reached it (for Location and meta.location). */
export function scimBase(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${SCIM_BASE}`;
}

export type Query = Record<string, unknown>;

/** A resource as a SCIM service wrote or read it: the document, its version (the ETag) and where it lives. */
export interface Written {
  resource: Record<string, unknown>;
  version: number;
  /** Where the resource lives (the Location of a create), whatever the projection left of meta. */
  location: string;
}

/** A query parameter sent once, by its name in any case; repeated or nested → 400 invalidValue. */
export function param(query: Query, name: string): string | undefined {
  const key = Object.keys(query).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return undefined;
  const value = query[key];
  if (typeof value !== 'string') throw new DomainError('invalid_value', `${name} must be sent once, as a string`);
  return value;
}

function integer(query: Query, name: string): number | undefined {
  const raw = param(query, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\s*-?\d+\s*$/.test(raw)) throw new DomainError('invalid_value', `${name} must be an integer`);
  return Number(raw);
}

export interface Paging {
  /** 1-based, as sent (at least 1). */
  startIndex: number;
  count: number;
}

/** startIndex (below 1 counts as 1) and count (default 100, negative counts as 0, at most 200), RFC 7644 section 3.4.2.4. */
export function paging(query: Query): Paging {
  const start = integer(query, 'startIndex') ?? 1;
  const count = integer(query, 'count') ?? DEFAULT_COUNT;
  return {
    startIndex: Math.min(Math.max(1, start), 2 ** 31),
    count: Math.min(Math.max(0, count), MAX_COUNT),
  };
}

/** sortOrder: ascending (default) or descending. */
export function descending(query: Query): boolean {
  const order = param(query, 'sortOrder');
  if (order === undefined || order === '') return false;
  if (!/^(ascending|descending)$/i.test(order)) throw new DomainError('invalid_value', 'sortOrder is ascending or descending');
  return order.toLowerCase() === 'descending';
}

export function listResponse(resources: unknown[], total: number, startIndex: number): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
    totalResults: total,
    itemsPerPage: resources.length,
    startIndex,
    Resources: resources,
  };
}
