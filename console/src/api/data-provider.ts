import type { CrudFilter, CrudSort, DataProvider, GetListResponse, MetaQuery } from '@refinedev/core';
import type { ApiClient, Query } from './http.js';

/**
 * A refine data provider for this API.
 *
 * Lists page two ways, as the API does:
 * - offset pages (`pagination.currentPage` and `pageSize` → `offset`, `limit`), with the total
 *   when `meta.count` is set (`count=true`): the users list, where an admin jumps between pages;
 * - cursor pages (`meta.cursor` → `after`, the opaque `nextCursor` of the page before; null or
 *   undefined for the first page): every list, and the only way for groups, plans, tenants and
 *   the audit log. The answer carries `nextCursor` (and `hasMore` when the API sends it).
 * Filters become `filter[field]=value` (the API's filters are exact or prefix, so `eq` and
 * `startswith` are the only operators; `true` is sent as `1`); the first sorter becomes
 * `sort=field` or `sort=-field`. Updates send `If-Match: "<meta.ifMatch>"`, so a stale write is
 * refused with 412 and nothing changes.
 */

/** Where each resource lives; `tenant` is the caller's own tenant (no id). */
const PATHS: Record<string, string> = {
  users: '/users',
  groups: '/groups',
  plans: '/plans',
  tenants: '/tenants',
  tenant: '/tenant',
  'audit-events': '/audit-events',
  webhooks: '/webhooks',
};

/** Resources whose list accepts `offset` (the others page by cursor only). */
const OFFSET_PAGED = new Set(['users']);

function pathOf(resource: string): string {
  const path = PATHS[resource];
  if (!path) throw new Error(`Unknown resource "${resource}"`);
  return path;
}

function itemPath(resource: string, id: string | number | undefined): string {
  return resource === 'tenant' ? pathOf(resource) : `${pathOf(resource)}/${encodeURIComponent(String(id))}`;
}

export function filterQuery(filters: CrudFilter[] = []): Query {
  const query: Query = {};
  for (const filter of filters) {
    if (!('field' in filter)) throw new Error('The API has no and/or filters');
    if (filter.operator !== 'eq' && filter.operator !== 'startswith') throw new Error(`The API has no "${filter.operator}" filter`);
    const value: unknown = filter.value;
    if (value === undefined || value === null || value === '' || value === false) continue;
    query[`filter[${filter.field}]`] = value === true ? '1' : String(value);
  }
  return query;
}

export function sortQuery(sorters: CrudSort[] = []): string | undefined {
  const first = sorters[0];
  if (!first) return undefined;
  return first.order === 'desc' ? `-${first.field}` : first.field;
}

interface ListBody<T> {
  data: T[];
  meta?: { limit?: number; offset?: number; nextCursor?: string | null; total?: number; hasMore?: boolean };
}

export interface ListResult<T> extends GetListResponse<T> {
  nextCursor: string | null;
  hasMore: boolean;
}

export function createDataProvider(client: ApiClient): DataProvider {
  return {
    getApiUrl: () => '/api/v2',

    async getList<T>({ resource, pagination, sorters, filters, meta }: Parameters<DataProvider['getList']>[0]) {
      const pageSize = Math.min(Math.max(pagination?.pageSize ?? 20, 1), 200);
      const query: Query = { limit: pageSize, sort: sortQuery(sorters), ...filterQuery(filters), ...(meta?.query as Query | undefined) };
      const byCursor = meta !== undefined && 'cursor' in meta;
      if (byCursor) {
        query.after = (meta as MetaQuery).cursor as string | null | undefined;
      } else if (pagination?.mode !== 'off' && (pagination?.currentPage ?? 1) > 1) {
        if (!OFFSET_PAGED.has(resource)) throw new Error(`${resource} pages by cursor only`);
        query.offset = ((pagination?.currentPage ?? 1) - 1) * pageSize;
      }
      if (meta?.count) query.count = 'true';
      // A list under another resource (a webhook's deliveries) names its path in `meta.path`.
      const path = typeof meta?.path === 'string' ? meta.path : pathOf(resource);
      const body = await client.get<ListBody<T>>(path, query, meta?.signal as AbortSignal | undefined);
      const nextCursor = body.meta?.nextCursor ?? null;
      const result: ListResult<T> = {
        data: body.data,
        total: body.meta?.total ?? body.data.length,
        nextCursor,
        hasMore: body.meta?.hasMore ?? nextCursor !== null,
      };
      return result as unknown as GetListResponse<never>;
    },

    async getOne({ resource, id }) {
      return { data: await client.get(itemPath(resource, id)) };
    },

    async create({ resource, variables }) {
      return { data: await client.post(pathOf(resource), variables) };
    },

    async update({ resource, id, variables, meta }) {
      const ifMatch = meta?.ifMatch as number | string | undefined;
      return { data: await client.patch(itemPath(resource, id), variables, ifMatch) };
    },

    async deleteOne({ resource, id }) {
      await client.delete(itemPath(resource, id));
      return { data: { id } as never };
    },

    async custom({ url, method, payload, query, filters, sorters }) {
      const response = await client.request(method.toUpperCase(), url, {
        body: payload,
        query: { ...(query as Query | undefined), ...filterQuery(filters), sort: sortQuery(sorters) },
      });
      return { data: response.data as never };
    },
  };
}
