import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import type { Session, User } from '../api/types';
import { useViewer } from '../api/viewer';
import { ConfirmButton, ErrorNotice, Loading, Notice, TextField, fieldError, formatDate } from '../components/ui';
import { ChangePassword, EnrolTfa } from './ForcedSteps';

function MySessions() {
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () =>
    api.get<{ data: Session[] }>('/me/sessions').then(
      (r) => setSessions(r.data),
      (e: unknown) => setError(e),
    );
  useEffect(() => {
    void load();
  }, []);
  return (
    <section aria-labelledby="my-sessions">
      <h2 id="my-sessions">My sessions</h2>
      <ErrorNotice error={error} />
      {!sessions ? (
        <Loading />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Last used</th>
              <th scope="col">IP</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.id}>
                <td>{formatDate(s.createdAt)}</td>
                <td>{formatDate(s.lastUsedAt)}</td>
                <td>{s.ip ?? '—'}</td>
                <td>
                  {s.current ? (
                    'this one'
                  ) : (
                    <ConfirmButton label="End" onConfirm={() => void api.delete(`/me/sessions/${s.id}`).then(load, (e: unknown) => setError(e))} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TwoFactor({ me, onChange }: { me: User; onChange: () => void }) {
  const [enrolling, setEnrolling] = useState(false);
  const [otp, setOtp] = useState('');
  const [error, setError] = useState<unknown>(null);
  if (enrolling) {
    return (
      <EnrolTfa
        onDone={() => {
          setEnrolling(false);
          onChange();
        }}
      />
    );
  }
  return (
    <section aria-labelledby="tfa-state">
      <h2 id="tfa-state">Two-factor authentication</h2>
      {me.tfaEnrolled ? (
        <form
          aria-label="Turn two-factor off"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            setError(null);
            void api.delete('/me/tfa', { otp: otp.trim() }).then(onChange, (caught: unknown) => setError(caught));
          }}
        >
          <p>On: each sign-in asks for a code from your authenticator.</p>
          <TextField label="Current code, to turn it off" value={otp} onChange={setOtp} inputMode="numeric" autoComplete="one-time-code" error={fieldError(error, 'otp')} />
          <ErrorNotice error={error} />
          <button type="submit">Turn off</button>
        </form>
      ) : (
        <>
          <p>Off.</p>
          <button type="button" onClick={() => setEnrolling(true)}>
            Set up
          </button>
        </>
      )}
    </section>
  );
}

export function ProfilePage() {
  const viewer = useViewer();
  const [me, setMe] = useState<User | null>(viewer.me);
  const [form, setForm] = useState({ name: me?.name ?? '', firstName: me?.firstName ?? '', lastName: me?.lastName ?? '', phone: me?.phone ?? '' });
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const reload = () => void api.get<User>('/me').then(setMe, (e: unknown) => setError(e));
  if (!me) return <Loading />;

  async function save(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setMessage(null);
    try {
      const body = { name: form.name.trim(), firstName: form.firstName.trim() || null, lastName: form.lastName.trim() || null, phone: form.phone.trim() || null };
      setMe(await api.patch<User>('/me', body));
      setMessage('Profile saved.');
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <>
      <h1>My account</h1>
      <form onSubmit={(e) => void save(e)} aria-labelledby="my-profile" noValidate>
        <h2 id="my-profile">Profile</h2>
        <p className="muted">{me.email}</p>
        <div className="grid">
          <TextField label="Name" value={form.name} onChange={(name) => setForm((f) => ({ ...f, name }))} error={fieldError(error, 'name')} />
          <TextField label="First name" value={form.firstName} onChange={(firstName) => setForm((f) => ({ ...f, firstName }))} error={fieldError(error, 'firstName')} />
          <TextField label="Last name" value={form.lastName} onChange={(lastName) => setForm((f) => ({ ...f, lastName }))} error={fieldError(error, 'lastName')} />
          <TextField label="Phone" value={form.phone} onChange={(phone) => setForm((f) => ({ ...f, phone }))} error={fieldError(error, 'phone')} />
        </div>
        <ErrorNotice error={error} />
        {message && <Notice tone="success">{message}</Notice>}
        <button type="submit" className="primary">
          Save profile
        </button>
      </form>
      <ChangePassword onDone={() => setMessage('Password changed; your other sessions have ended.')} />
      <TwoFactor me={me} onChange={reload} />
      <MySessions />
    </>
  );
}
