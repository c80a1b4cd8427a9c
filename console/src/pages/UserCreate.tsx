import { useList } from '@refinedev/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/client';
import type { Group, User } from '../api/types';
import { useViewer } from '../api/viewer';
import { CheckField, ErrorNotice, TextField, fieldError } from '../components/ui';

export function UserCreatePage() {
  const viewer = useViewer();
  const navigate = useNavigate();
  const groups = useList<Group>({ resource: 'groups', pagination: { pageSize: 200 }, meta: { cursor: null }, queryOptions: { enabled: viewer.can('groups:read') } });
  const [form, setForm] = useState({ email: '', firstName: '', lastName: '', name: '', username: '', phone: '', externalId: '', password: '', tfa: false, admin: false, planAdmin: false, sendNotify: false });
  const [chosen, setChosen] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof typeof form>(key: K) => (value: (typeof form)[K]) => setForm((f) => ({ ...f, [key]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = { email: form.email.trim(), tfa: form.tfa, sendNotify: form.sendNotify };
    for (const key of ['firstName', 'lastName', 'name', 'username', 'phone', 'externalId'] as const) if (form[key].trim()) body[key] = form[key].trim();
    if (form.password) body.password = form.password;
    if (viewer.privileged) Object.assign(body, { admin: form.admin, planAdmin: form.planAdmin });
    if (chosen.length) body.groups = chosen;
    try {
      const user = await api.post<User>('/users', body);
      void navigate(`/users/${user.id}`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <p>
        <Link to="/users">← Users</Link>
      </p>
      <h1>New user</h1>
      <form onSubmit={(e) => void submit(e)} aria-label="New user" noValidate>
        <div className="grid">
          <TextField label="Email" type="email" value={form.email} onChange={set('email')} required error={fieldError(error, 'email')} />
          <TextField label="First name" value={form.firstName} onChange={set('firstName')} error={fieldError(error, 'firstName')} />
          <TextField label="Last name" value={form.lastName} onChange={set('lastName')} error={fieldError(error, 'lastName')} />
          <TextField label="Display name" value={form.name} onChange={set('name')} hint="Empty: first and last name, or the e-mail's local part" error={fieldError(error, 'name')} />
          <TextField label="Username" value={form.username} onChange={set('username')} error={fieldError(error, 'username')} />
          <TextField label="Phone" value={form.phone} onChange={set('phone')} error={fieldError(error, 'phone')} />
          <TextField label="External id" value={form.externalId} onChange={set('externalId')} error={fieldError(error, 'externalId')} />
          <TextField label="Password" type="password" autoComplete="new-password" value={form.password} onChange={set('password')} hint="Empty: the user cannot sign in until one is set" error={fieldError(error, 'password')} />
        </div>
        <fieldset>
          <legend>Access</legend>
          <CheckField label="Two-factor authentication required" checked={form.tfa} onChange={set('tfa')} />
          {viewer.privileged && (
            <>
              <CheckField label="Admin" checked={form.admin} onChange={set('admin')} error={fieldError(error, 'admin')} />
              <CheckField label="Plan admin" checked={form.planAdmin} onChange={set('planAdmin')} error={fieldError(error, 'planAdmin')} />
            </>
          )}
          <CheckField label="Send the user an e-mail about the new account" checked={form.sendNotify} onChange={set('sendNotify')} />
        </fieldset>
        {groups.result.data.length > 0 && (
          <fieldset>
            <legend>Groups</legend>
            {groups.result.data
              .filter((g) => viewer.privileged || g.permissions.every((p) => viewer.permissions.has(p)))
              .map((g) => (
                <CheckField
                  key={g.id}
                  label={g.name}
                  checked={chosen.includes(g.id)}
                  onChange={(on) => setChosen((c) => (on ? [...c, g.id] : c.filter((x) => x !== g.id)))}
                />
              ))}
          </fieldset>
        )}
        <ErrorNotice error={error} />
        <button type="submit" className="primary" disabled={busy}>
          Create user
        </button>
      </form>
    </>
  );
}
