import type { CrudFilter } from '@refinedev/core';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { AuditEvent } from '../api/types';
import { CursorPager, useCursorPages } from '../components/CursorList';
import { CheckField, ErrorNotice, Loading, TextField, fieldError } from '../components/ui';

const FOLLOW_EVERY_MS = 3000;

function Ref({ value }: { value: { type: string; id: string | null } }) {
  if (!value.id) return <>{value.type}</>;
  if (value.type === 'user') return <Link to={`/users/${value.id}`}>user {value.id}</Link>;
  return (
    <>
      {value.type} <code>{value.id}</code>
    </>
  );
}

/** The audit log, newest first; while following, the first page is read again every few seconds. */
export function AuditPage() {
  const [draft, setDraft] = useState({ action: '', actorId: '', targetId: '' });
  const [filters, setFilters] = useState<CrudFilter[]>([]);
  const [follow, setFollow] = useState(true);
  const [pagesKey, setPagesKey] = useState(0);
  return (
    <>
      <h1>Audit log</h1>
      <form
        className="filters"
        role="search"
        aria-label="Filter events"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setFilters(
            Object.entries(draft)
              .filter(([, v]) => v.trim())
              .map(([field, value]) => ({ field, operator: 'eq' as const, value: value.trim() })),
          );
          setPagesKey((k) => k + 1);
        }}
      >
        <TextField label="Action" value={draft.action} onChange={(action) => setDraft((d) => ({ ...d, action }))} hint="e.g. user.created" />
        <TextField label="Actor id" value={draft.actorId} onChange={(actorId) => setDraft((d) => ({ ...d, actorId }))} />
        <TextField label="Target id" value={draft.targetId} onChange={(targetId) => setDraft((d) => ({ ...d, targetId }))} />
        <div className="filter-actions">
          <button type="submit" className="primary">
            Apply
          </button>
        </div>
      </form>
      <CheckField label="Follow new events" checked={follow} onChange={setFollow} />
      <Events key={pagesKey} filters={filters} follow={follow} />
    </>
  );
}

function Events({ filters, follow }: { filters: CrudFilter[]; follow: boolean }) {
  const pages = useCursorPages<AuditEvent>('audit-events', {
    filters,
    sorters: [{ field: 'at', order: 'desc' }],
    refetchInterval: follow ? FOLLOW_EVERY_MS : false,
  });
  const following = follow && pages.page === 1;
  return (
    <>
      <ErrorNotice error={pages.query.error}>
        {fieldError(pages.query.error, 'filter.actorId') && <p>Actor id: {fieldError(pages.query.error, 'filter.actorId')}</p>}
      </ErrorNotice>
      <p className="muted" aria-live="polite">
        {following ? 'Following: new events appear at the top.' : ''}
      </p>
      {pages.query.isLoading ? (
        <Loading />
      ) : (
        <table className="table" data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Actor</th>
              <th scope="col">Target</th>
              <th scope="col">IP</th>
              <th scope="col">Request</th>
            </tr>
          </thead>
          <tbody>
            {pages.rows.map((event) => (
              <tr key={event.id}>
                <td>{new Date(event.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}</td>
                <td>
                  <code>{event.action}</code>
                </td>
                <td>
                  <Ref value={event.actor} />
                </td>
                <td>
                  <Ref value={event.target} />
                </td>
                <td>{event.ip ?? '—'}</td>
                <td>
                  <code>{event.requestId ?? '—'}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CursorPager pages={pages} />
    </>
  );
}
