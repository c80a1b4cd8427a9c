import { useList, type BaseRecord, type CrudFilter, type CrudSort } from '@refinedev/core';
import { useState } from 'react';

/**
 * Cursor pages of a list: the first page, then each `nextCursor` in turn, with a stack of the
 * cursors already used so "Previous" returns exactly where it was. Constant cost at any depth.
 */
export function useCursorPages<T extends BaseRecord>(resource: string, options: { pageSize?: number; filters?: CrudFilter[]; sorters?: CrudSort[]; refetchInterval?: number | false; path?: string; query?: Record<string, string> } = {}) {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const cursor = stack[stack.length - 1];
  const { result, query } = useList<T>({
    resource,
    pagination: { pageSize: options.pageSize ?? 50 },
    filters: options.filters,
    sorters: options.sorters,
    meta: { cursor, ...(options.path ? { path: options.path } : {}), ...(options.query ? { query: options.query } : {}) },
    queryOptions: { placeholderData: (previous) => previous, refetchInterval: options.refetchInterval },
  });
  const nextCursor = (result as { nextCursor?: string | null }).nextCursor ?? null;
  const hasMore = (result as { hasMore?: boolean }).hasMore ?? nextCursor !== null;
  return {
    rows: result.data,
    query,
    page: stack.length,
    hasNext: hasMore && nextCursor !== null,
    hasPrevious: stack.length > 1,
    next: () => nextCursor && setStack((s) => [...s, nextCursor]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([null]),
  };
}

export function CursorPager({ pages }: { pages: ReturnType<typeof useCursorPages> }) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={!pages.hasPrevious} onClick={pages.previous}>
        Previous
      </button>
      <span>Page {pages.page}</span>
      <button type="button" disabled={!pages.hasNext} onClick={() => pages.next()}>
        Next
      </button>
    </nav>
  );
}
