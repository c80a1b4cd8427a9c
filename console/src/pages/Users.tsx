import { useList, type CrudFilter } from '@refinedev/core';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Group, Plan, User } from '../api/types';
import { useViewer } from '../api/viewer';
import { ErrorNotice, Loading, SelectField, TextField, formatDate } from '../components/ui';

const PAGE_SIZE = 50;
const SORTS = [
  { value: '-createdAt', label: 'Newest first' },
  { value: 'createdAt', label: 'Oldest first' },
  { value: 'name', label: 'Name A–Z' },
  { value: '-name', label: 'Name Z–A' },
  { value: 'email', label: 'Email A–Z' },
  { value: '-email', label: 'Email Z–A' },
  { value: '-lastLoginAt', label: 'Last sign-in, latest first' },
  { value: 'lastLoginAt', label: 'Last sign-in, earliest first' },
];

/** The filters the list offers, kept in the address so a reload or a shared link keeps them. */
const FILTER_KEYS = ['q', 'status', 'admin', 'planAdmin', 'externalId', 'group', 'clientTag', 'plan'] as const;

export function usersFilters(params: URLSearchParams): CrudFilter[] {
  const filters: CrudFilter[] = [];
  const q = params.get('q')?.trim();
  // The API matches e-mails exactly (a prefix search would let a masked viewer spell an
  // address out letter by letter) and names by prefix.
  if (q) filters.push(q.includes('@') ? { field: 'email', operator: 'eq', value: q } : { field: 'name', operator: 'startswith', value: q });
  const status = params.get('status');
  if (status === 'active') filters.push({ field: 'active', operator: 'eq', value: '1' });
  if (status === 'deactivated') filters.push({ field: 'deactivated', operator: 'eq', value: '1' });
  for (const flag of ['admin', 'planAdmin'] as const) if (params.get(flag) === '1') filters.push({ field: flag, operator: 'eq', value: '1' });
  for (const key of ['externalId', 'group', 'clientTag', 'plan'] as const) {
    const value = params.get(key);
    if (value) filters.push({ field: key, operator: 'eq', value });
  }
  return filters;
}

function FiltersForm({ params, onApply }: { params: URLSearchParams; onApply: (next: URLSearchParams) => void }) {
  const viewer = useViewer();
  const [draft, setDraft] = useState(() => Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? ''])) as Record<string, string>);
  const groups = useList<Group>({ resource: 'groups', pagination: { pageSize: 200 }, meta: { cursor: null }, queryOptions: { enabled: viewer.can('groups:read') } });
  const plans = useList<Plan>({ resource: 'plans', pagination: { pageSize: 200 }, meta: { cursor: null }, queryOptions: { enabled: viewer.can('plans:read') } });
  const set = (key: string) => (value: string) => setDraft((d) => ({ ...d, [key]: value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of FILTER_KEYS) if (draft[key]) next.set(key, draft[key]);
    const sort = params.get('sort');
    if (sort) next.set('sort', sort);
    onApply(next);
  }

  return (
    <form className="filters" role="search" aria-label="Find users" onSubmit={submit}>
      <TextField label="Search" value={draft.q} onChange={set('q')} hint="Start of a name, or a whole e-mail address" name="q" />
      <SelectField
        label="Status"
        value={draft.status}
        onChange={set('status')}
        options={[
          { value: '', label: 'Any status' },
          { value: 'active', label: 'Active' },
          { value: 'deactivated', label: 'Deactivated' },
        ]}
      />
      <SelectField
        label="Role"
        value={draft.admin === '1' ? 'admin' : draft.planAdmin === '1' ? 'planAdmin' : ''}
        onChange={(v) => setDraft((d) => ({ ...d, admin: v === 'admin' ? '1' : '', planAdmin: v === 'planAdmin' ? '1' : '' }))}
        options={[
          { value: '', label: 'Anyone' },
          { value: 'admin', label: 'Admins' },
          { value: 'planAdmin', label: 'Plan admins' },
        ]}
      />
      {viewer.can('groups:read') && (
        <SelectField
          label="Group"
          value={draft.group}
          onChange={set('group')}
          options={[{ value: '', label: 'Any group' }, ...groups.result.data.map((g) => ({ value: g.id, label: g.name }))]}
        />
      )}
      {viewer.can('plans:read') && (
        <SelectField
          label="Plan"
          value={draft.plan}
          onChange={set('plan')}
          options={[{ value: '', label: 'Any plan' }, ...plans.result.data.map((p) => ({ value: p.id, label: p.name }))]}
        />
      )}
      <TextField label="External id" value={draft.externalId} onChange={set('externalId')} name="externalId" />
      <TextField label="Client tag" value={draft.clientTag} onChange={set('clientTag')} name="clientTag" />
      <div className="filter-actions">
        <button type="submit" className="primary">
          Apply
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])));
            onApply(new URLSearchParams());
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

export function UsersPage() {
  const viewer = useViewer();
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const sort = params.get('sort') ?? '-createdAt';
  const { result, query } = useList<User>({
    resource: 'users',
    pagination: { currentPage: page, pageSize: PAGE_SIZE, mode: 'server' },
    sorters: [{ field: sort.replace(/^-/, ''), order: sort.startsWith('-') ? 'desc' : 'asc' }],
    filters: usersFilters(params),
    meta: { count: true },
    queryOptions: { placeholderData: (previous) => previous },
  });
  const total = result.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  // For the console's own measurement: when this page's rows are on screen.
  useEffect(() => {
    if (!query.isFetching && query.isSuccess) {
      requestAnimationFrame(() => performance.mark('console:users-rendered', { detail: { rows: result.data.length } }));
    }
  }, [query.isFetching, query.isSuccess, result.data]);

  const go = (next: URLSearchParams) => setParams(next);
  const withParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value === null) next.delete(key);
    else next.set(key, value);
    if (key !== 'page') next.delete('page');
    return next;
  };

  return (
    <>
      <div className="page-head">
        <h1>Users</h1>
        {viewer.can('users:write') && (
          <div className="actions">
            <Link className="button" to="/users/import">
              Import users
            </Link>
            <Link className="button primary" to="/users/new">
              New user
            </Link>
          </div>
        )}
      </div>
      <FiltersForm key={params.toString()} params={params} onApply={go} />
      <div className="list-tools">
        <SelectField label="Sort" value={sort} onChange={(v) => go(withParam('sort', v))} options={SORTS} />
        <p className="muted" aria-live="polite" data-testid="users-count">
          {query.isSuccess ? (total === 0 ? 'No users match.' : `${(page - 1) * PAGE_SIZE + 1}–${(page - 1) * PAGE_SIZE + result.data.length} of ${total}`) : ''}
        </p>
      </div>
      <ErrorNotice error={query.error} />
      {query.isLoading ? (
        <Loading />
      ) : (
        <table className="table" aria-busy={query.isFetching}>
          <caption className="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Status</th>
              <th scope="col">Groups</th>
              <th scope="col">Last sign-in</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {result.data.map((user) => (
              <tr key={user.id}>
                <td>
                  <Link to={`/users/${user.id}`}>{user.name}</Link>
                  {user.admin && <span className="badge">admin</span>}
                  {user.planAdmin && <span className="badge">plan admin</span>}
                </td>
                <td>{user.email}</td>
                <td>{!user.active ? 'Deactivated' : user.lockedUntil && new Date(user.lockedUntil) > new Date() ? 'Locked' : 'Active'}</td>
                <td>{user.groups.map((g) => g.name).join(', ')}</td>
                <td>{formatDate(user.lastLoginAt)}</td>
                <td>{formatDate(user.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={page <= 1} onClick={() => go(withParam('page', String(page - 1)))}>
          Previous
        </button>
        <span>
          Page {page} of {pages}
        </span>
        <button type="button" disabled={page >= pages} onClick={() => go(withParam('page', String(page + 1)))}>
          Next
        </button>
      </nav>
    </>
  );
}
