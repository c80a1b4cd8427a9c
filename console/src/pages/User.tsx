import { useList, useOne } from '@refinedev/core';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../api/errors';
import { api } from '../api/client';
import type { Group, Plan, Session, User } from '../api/types';
import { useViewer } from '../api/viewer';
import { CheckField, ConfirmButton, ErrorNotice, Loading, Notice, SecretOnce, SelectField, TextArea, TextField, fieldError, formatDate } from '../components/ui';

const lines = (text: string) => text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The banner for a 412: someone saved this user after it was loaded here. */
function Conflict({ onReload }: { onReload: () => void }) {
  return (
    <div className="notice notice-error" role="alert" data-testid="conflict">
      <p>
        <strong>This user was changed by someone else</strong> since you opened it, so your changes were not saved. Reload to see
        the current version, then make your changes again.
      </p>
      <button type="button" onClick={onReload}>
        Reload
      </button>
    </div>
  );
}

function EditForm({ user, onSaved, onConflict }: { user: User; onSaved: (user: User) => void; onConflict: () => void }) {
  const viewer = useViewer();
  const writable = viewer.can('users:write');
  const guarded = writable && viewer.canActOn(user);
  const [form, setForm] = useState({
    name: user.name,
    firstName: user.firstName ?? '',
    lastName: user.lastName ?? '',
    username: user.username ?? '',
    email: user.email,
    phone: user.phone ?? '',
    externalId: user.externalId ?? '',
    sessionsLimit: user.sessionsLimit === null ? '' : String(user.sessionsLimit),
    ipWhitelist: user.ipWhitelist.join('\n'),
    clientTags: user.clientTags.join(', '),
    tfa: user.tfa,
    admin: user.admin,
    planAdmin: user.planAdmin,
    canViewMaskedData: user.canViewMaskedData,
    onlySeesReadable: user.onlySeesReadable,
    password: '',
  });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof typeof form>(key: K) => (value: (typeof form)[K]) => setForm((f) => ({ ...f, [key]: value }));

  /** Only what changed is sent: a masked value left as it was is never written back. */
  function changes(): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    const text = (key: 'name' | 'email', value: string, was: string) => value.trim() !== was && (body[key] = value.trim());
    const optional = (key: 'firstName' | 'lastName' | 'username' | 'phone' | 'externalId', value: string, was: string | null) => {
      const next = value.trim() === '' ? null : value.trim();
      if (next !== was) body[key] = next;
    };
    text('name', form.name, user.name);
    optional('firstName', form.firstName, user.firstName);
    optional('lastName', form.lastName, user.lastName);
    optional('username', form.username, user.username);
    optional('externalId', form.externalId, user.externalId);
    if (guarded) {
      text('email', form.email, user.email);
      optional('phone', form.phone, user.phone);
      if (!sameList(lines(form.ipWhitelist), user.ipWhitelist)) body.ipWhitelist = lines(form.ipWhitelist);
      if (form.tfa !== user.tfa) body.tfa = form.tfa;
      if (form.password) body.password = form.password;
    }
    const limit = form.sessionsLimit.trim() === '' ? null : Number(form.sessionsLimit);
    if (limit !== user.sessionsLimit) body.sessionsLimit = limit;
    if (!sameList(lines(form.clientTags), user.clientTags)) body.clientTags = lines(form.clientTags);
    if (form.onlySeesReadable !== user.onlySeesReadable) body.onlySeesReadable = form.onlySeesReadable;
    if (viewer.privileged) {
      for (const key of ['admin', 'planAdmin', 'canViewMaskedData'] as const) if (form[key] !== user[key]) body[key] = form[key];
    }
    return body;
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body = changes();
    if (Object.keys(body).length === 0) return;
    setBusy(true);
    setError(null);
    try {
      onSaved(await api.patch<User>(`/users/${user.id}`, body, user.version));
    } catch (caught) {
      if (caught instanceof ApiError && caught.statusCode === 412) onConflict();
      else setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const masked = !viewer.unmasked && viewer.me?.id !== user.id;
  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="profile-title" noValidate>
      <h2 id="profile-title">Profile</h2>
      {masked && (
        <p className="muted">
          E-mail, phone and allow-list are masked for you, as the API masks them
          {guarded ? '; they are kept unless you change them.' : '.'}
        </p>
      )}
      <div className="grid">
        <TextField label="Name" value={form.name} onChange={set('name')} error={fieldError(error, 'name')} readOnly={!writable} />
        <TextField label="First name" value={form.firstName} onChange={set('firstName')} error={fieldError(error, 'firstName')} readOnly={!writable} />
        <TextField label="Last name" value={form.lastName} onChange={set('lastName')} error={fieldError(error, 'lastName')} readOnly={!writable} />
        <TextField label="Username" value={form.username} onChange={set('username')} error={fieldError(error, 'username')} readOnly={!writable} />
        <TextField label="Email" type="email" value={form.email} onChange={set('email')} error={fieldError(error, 'email')} readOnly={!guarded} />
        <TextField label="Phone" value={form.phone} onChange={set('phone')} error={fieldError(error, 'phone')} readOnly={!guarded} />
        <TextField label="External id" value={form.externalId} onChange={set('externalId')} error={fieldError(error, 'externalId')} readOnly={!writable} />
        <TextField
          label="Sessions limit"
          value={form.sessionsLimit}
          onChange={set('sessionsLimit')}
          inputMode="numeric"
          hint="Empty: from the user's plans or the tenant"
          error={fieldError(error, 'sessionsLimit')}
          readOnly={!writable}
        />
        <TextArea
          label="IP allow-list"
          value={form.ipWhitelist}
          onChange={set('ipWhitelist')}
          hint={
            guarded
              ? 'One address or CIDR a line; empty allows any'
              : form.ipWhitelist
                ? 'Read only: changing it is reserved to someone who may act on this account'
                : 'Empty: any address. Read only: changing it is reserved to someone who may act on this account'
          }
          error={fieldError(error, 'ipWhitelist')}
          readOnly={!guarded}
        />
        <TextField label="Client tags" value={form.clientTags} onChange={set('clientTags')} hint="Separated by commas" error={fieldError(error, 'clientTags')} readOnly={!writable} />
        {guarded && (
          <TextField label="Set a new password" type="password" autoComplete="new-password" value={form.password} onChange={set('password')} hint="Ends the user's sessions" error={fieldError(error, 'password')} />
        )}
      </div>
      <fieldset>
        <legend>Access</legend>
        <CheckField label="Two-factor authentication required" checked={form.tfa} onChange={set('tfa')} disabled={!guarded} error={fieldError(error, 'tfa')} />
        <CheckField label="Sees only users it can read" checked={form.onlySeesReadable} onChange={set('onlySeesReadable')} disabled={!writable} />
        {viewer.privileged && (
          <>
            <CheckField label="Admin" checked={form.admin} onChange={set('admin')} error={fieldError(error, 'admin')} />
            <CheckField label="Plan admin" checked={form.planAdmin} onChange={set('planAdmin')} error={fieldError(error, 'planAdmin')} />
            <CheckField label="Sees masked data" checked={form.canViewMaskedData} onChange={set('canViewMaskedData')} error={fieldError(error, 'canViewMaskedData')} />
          </>
        )}
      </fieldset>
      <ErrorNotice error={error} />
      {writable && (
        <button type="submit" className="primary" disabled={busy}>
          Save changes
        </button>
      )}
    </form>
  );
}

function GroupsSection({ user, onSaved, onConflict }: { user: User; onSaved: (user: User) => void; onConflict: () => void }) {
  const viewer = useViewer();
  const { result } = useList<Group>({ resource: 'groups', pagination: { pageSize: 200 }, meta: { cursor: null } });
  const [chosen, setChosen] = useState(() => new Set(user.groups.map((g) => g.id)));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const writable = viewer.can('users:write');
  const changed = chosen.size !== user.groups.length || user.groups.some((g) => !chosen.has(g.id));

  async function save() {
    setBusy(true);
    setError(null);
    try {
      onSaved(await api.patch<User>(`/users/${user.id}`, { groups: [...chosen] }, user.version));
    } catch (caught) {
      if (caught instanceof ApiError && caught.statusCode === 412) onConflict();
      else setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="groups-title">
      <h2 id="groups-title">Groups</h2>
      {result.data.length === 0 && <p className="muted">This tenant has no groups yet.</p>}
      <ul className="checklist">
        {result.data.map((group) => {
          // A group granting what the viewer lacks cannot be given (the API's privilege guard).
          const grantable = viewer.privileged || group.permissions.every((p) => viewer.permissions.has(p));
          return (
            <li key={group.id}>
              <CheckField
                label={`${group.name}${group.permissions.length ? ` (${group.permissions.join(', ')})` : ''}`}
                checked={chosen.has(group.id)}
                disabled={!writable || (!grantable && !chosen.has(group.id))}
                onChange={(on) =>
                  setChosen((current) => {
                    const next = new Set(current);
                    if (on) next.add(group.id);
                    else next.delete(group.id);
                    return next;
                  })
                }
              />
            </li>
          );
        })}
      </ul>
      <ErrorNotice error={error} />
      {writable && (
        <button type="button" disabled={!changed || busy} onClick={() => void save()}>
          Save groups
        </button>
      )}
    </section>
  );
}

function PlansSection({ user, reload }: { user: User; reload: () => void }) {
  const viewer = useViewer();
  const writable = viewer.can('plans:write');
  const { result } = useList<Plan>({ resource: 'plans', pagination: { pageSize: 200 }, meta: { cursor: null }, queryOptions: { enabled: viewer.can('plans:read') } });
  const [planId, setPlanId] = useState('');
  const [validTo, setValidTo] = useState('');
  const [error, setError] = useState<unknown>(null);

  async function run(work: () => Promise<unknown>) {
    setError(null);
    try {
      await work();
      reload();
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section aria-labelledby="plans-title">
      <h2 id="plans-title">Plans</h2>
      {user.plans.length === 0 ? (
        <p className="muted">No plan.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Plan</th>
              <th scope="col">Valid from</th>
              <th scope="col">Valid to</th>
              <th scope="col">Now</th>
              {writable && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {user.plans.map((plan) => (
              <tr key={plan.planId}>
                <td>{plan.name}</td>
                <td>{plan.validFrom}</td>
                <td>{plan.validTo ?? 'open-ended'}</td>
                <td>{plan.active ? 'active' : 'not active'}</td>
                {writable && (
                  <td>
                    <ConfirmButton label="Remove" onConfirm={() => void run(() => api.delete(`/users/${user.id}/plans/${plan.planId}`))} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {writable && (
        <form
          className="inline-form"
          aria-label="Assign a plan"
          onSubmit={(e) => {
            e.preventDefault();
            if (planId) void run(() => api.post(`/users/${user.id}/plans`, validTo ? { planId, validTo } : { planId }));
          }}
        >
          <SelectField label="Plan" value={planId} onChange={setPlanId} options={[{ value: '', label: 'Choose a plan' }, ...result.data.map((p) => ({ value: p.id, label: p.name }))]} error={fieldError(error, 'planId')} />
          <TextField label="Valid to" type="date" value={validTo} onChange={setValidTo} hint="Empty: open-ended" error={fieldError(error, 'validTo')} />
          <button type="submit" disabled={!planId}>
            Assign
          </button>
        </form>
      )}
      <ErrorNotice error={error} />
    </section>
  );
}

function SessionsSection({ user }: { user: User }) {
  const viewer = useViewer();
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () =>
    api.get<{ data: Session[] }>(`/users/${user.id}/sessions`).then(
      (r) => setSessions(r.data),
      (e: unknown) => setError(e),
    );
  useEffect(() => {
    void load();
  }, [user.id]);
  const revocable = viewer.can('sessions:write') && viewer.canActOn(user);
  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <ErrorNotice error={error} />
      {sessions === null ? (
        !error && <Loading />
      ) : sessions.length === 0 ? (
        <p className="muted">No open session.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">IP</th>
              <th scope="col">Client</th>
              {revocable && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.id}>
                <td>{formatDate(s.createdAt)}</td>
                <td>{formatDate(s.lastUsedAt)}</td>
                <td>{formatDate(s.expiresAt)}</td>
                <td>{s.ip ?? '—'}</td>
                <td>{s.userAgent ?? '—'}</td>
                {revocable && (
                  <td>
                    <ConfirmButton
                      label="Revoke"
                      onConfirm={() =>
                        void api.delete(`/users/${user.id}/sessions/${s.id}`).then(
                          () => load(),
                          (e: unknown) => setError(e),
                        )
                      }
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

type Action = 'force-logout' | 'deactivate' | 'reactivate' | 'reset-tfa' | 'require-password-reset' | 'allow-password-reset' | 'disallow-password-reset' | 'unlock' | 'reset-api-key';

const ACTION_LABELS: Record<Action, string> = {
  'force-logout': 'Force logout',
  deactivate: 'Deactivate',
  reactivate: 'Reactivate',
  'reset-tfa': 'Reset two-factor',
  'require-password-reset': 'Require a new password',
  'allow-password-reset': 'Allow password reset',
  'disallow-password-reset': 'Disallow password reset',
  unlock: 'Unlock',
  'reset-api-key': 'Reset API key',
};

function ActionsSection({ user, reload }: { user: User; reload: () => void }) {
  const viewer = useViewer();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [apiKey, setApiKey] = useState<string | null>(null);
  if (!viewer.canActOn(user)) {
    return (
      <section aria-labelledby="actions-title">
        <h2 id="actions-title">Actions</h2>
        <p className="muted">This user holds permissions you do not, so only someone who holds them all can act on its account.</p>
      </section>
    );
  }
  const locked = user.lockedUntil !== null && new Date(user.lockedUntil) > new Date();
  const offered: Action[] = [];
  if (viewer.can('sessions:write')) offered.push('force-logout');
  if (viewer.can('users:write')) {
    offered.push(user.active ? 'deactivate' : 'reactivate');
    if (user.tfa || user.tfaEnrolled) offered.push('reset-tfa');
    offered.push('require-password-reset', user.passwordResetAllowed ? 'disallow-password-reset' : 'allow-password-reset');
    if (locked) offered.push('unlock');
    offered.push('reset-api-key');
  }

  async function run(action: Action) {
    setError(null);
    setDone(null);
    try {
      if (action === 'reset-api-key') {
        setApiKey((await api.post<{ apiKey: string }>(`/users/${user.id}/actions/reset-api-key`)).apiKey);
      } else {
        await api.post(`/users/${user.id}/actions/${action}`);
        setDone(`${ACTION_LABELS[action]}: done.`);
      }
      reload();
    } catch (caught) {
      setError(caught);
    }
  }

  async function remove() {
    setError(null);
    try {
      await api.delete(`/users/${user.id}`);
      void navigate('/users', { replace: true });
    } catch (caught) {
      setError(caught);
    }
  }

  if (offered.length === 0 && !viewer.can('users:delete')) return null;
  return (
    <section aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <div className="actions wrap">
        {offered.map((action) => (
          <ConfirmButton key={action} label={ACTION_LABELS[action]} danger={action === 'deactivate' || action === 'force-logout'} onConfirm={() => void run(action)} />
        ))}
        {viewer.can('users:delete') && <ConfirmButton label="Delete user" danger onConfirm={() => void remove()} />}
      </div>
      {done && <Notice tone="success">{done}</Notice>}
      {apiKey && <SecretOnce title="New API key" value={apiKey} onDone={() => setApiKey(null)} />}
      <ErrorNotice error={error} />
    </section>
  );
}

export function UserPage() {
  const { id = '' } = useParams();
  const viewer = useViewer();
  const { result: user, query } = useOne<User>({ resource: 'users', id, queryOptions: { retry: false } });
  const [conflict, setConflict] = useState(false);
  const [latest, setLatest] = useState<User | null>(null);
  const [tick, setTick] = useState(0);
  const [saved, setSaved] = useState<string | null>(null);
  const onSaved = (next: User) => {
    setLatest(next);
    setSaved(`Saved (version ${next.version}).`);
  };
  const onConflict = () => {
    setSaved(null);
    setConflict(true);
  };
  const shown = latest && user && latest.version > user.version ? latest : user;

  const reload = () => {
    setConflict(false);
    setSaved(null);
    setLatest(null);
    setTick((t) => t + 1);
    void query.refetch();
  };

  if (query.isLoading) return <Loading />;
  if (!shown) return <ErrorNotice error={query.error ?? new Error('User not found')} />;
  return (
    <>
      <p>
        <Link to="/users">← Users</Link>
      </p>
      <div className="page-head">
        <h1>{shown.name}</h1>
        <p className="muted">
          {shown.active ? 'Active' : 'Deactivated'}
          {shown.admin && ' · admin'}
          {shown.planAdmin && ' · plan admin'}
          {shown.tfa && (shown.tfaEnrolled ? ' · two-factor on' : ' · two-factor pending enrolment')}
          {shown.lockedUntil && new Date(shown.lockedUntil) > new Date() && ` · locked until ${formatDate(shown.lockedUntil)}`}
          {' · '}last sign-in {formatDate(shown.lastLoginAt)} · version {shown.version}
        </p>
      </div>
      {conflict && <Conflict onReload={reload} />}
      {saved && <Notice tone="success">{saved}</Notice>}
      <EditForm key={`edit-${shown.version}`} user={shown} onSaved={onSaved} onConflict={onConflict} />
      {viewer.can('groups:read') && <GroupsSection key={`groups-${shown.version}`} user={shown} onSaved={onSaved} onConflict={onConflict} />}
      <PlansSection user={shown} reload={reload} />
      {viewer.can('sessions:read') && <SessionsSection key={`sessions-${shown.version}-${tick}`} user={shown} />}
      <ActionsSection user={shown} reload={reload} />
    </>
  );
}
