import { useOne, useUpdate } from '@refinedev/core';
import { useState, type FormEvent } from 'react';
import type { Tenant, TenantSettings } from '../api/types';
import { useViewer } from '../api/viewer';
import { ErrorNotice, Loading, Notice, TextField, fieldError, formatDate } from '../components/ui';

const FIELDS: { key: keyof TenantSettings; label: string; hint: string; nullable?: boolean }[] = [
  { key: 'passwordMinLength', label: 'Minimum password length', hint: '8 to 256' },
  { key: 'lockoutThreshold', label: 'Failed sign-ins before lockout', hint: '0 turns lockout off' },
  { key: 'lockoutMinutes', label: 'Lockout minutes', hint: '1 to 10080' },
  { key: 'sessionsLimitDefault', label: 'Default sessions limit', hint: 'Empty: unlimited', nullable: true },
  { key: 'accessTokenTtlSeconds', label: 'Access token lifetime (seconds)', hint: '60 to 86400' },
  { key: 'refreshTokenTtlSeconds', label: 'Refresh token lifetime (seconds)', hint: 'Not shorter than the access token' },
];

function SettingsForm({ tenant, onSaved }: { tenant: Tenant; onSaved: () => void }) {
  const viewer = useViewer();
  const writable = viewer.can('tenant:write');
  const update = useUpdate<Tenant>();
  const [name, setName] = useState(tenant.name);
  const [values, setValues] = useState(() => Object.fromEntries(FIELDS.map((f) => [f.key, tenant.settings[f.key] === null ? '' : String(tenant.settings[f.key])])) as Record<string, string>);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const settings: Record<string, number | null> = {};
    for (const field of FIELDS) {
      const raw = values[field.key].trim();
      const next = raw === '' && field.nullable ? null : Number(raw);
      if (next !== tenant.settings[field.key]) settings[field.key] = next;
    }
    const body: Record<string, unknown> = {};
    if (name.trim() !== tenant.name) body.name = name.trim();
    if (Object.keys(settings).length) body.settings = settings;
    if (!Object.keys(body).length) return;
    try {
      await update.mutateAsync({ resource: 'tenant', id: 'current', values: body, successNotification: false, errorNotification: false });
      onSaved();
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Tenant settings" noValidate>
      <p className="muted">
        Slug <code>{tenant.slug}</code> · {tenant.active ? 'active' : 'deactivated'} · created {formatDate(tenant.createdAt)}
      </p>
      <TextField label="Tenant name" value={name} onChange={setName} readOnly={!writable} error={fieldError(error, 'name')} />
      <div className="grid">
        {FIELDS.map((field) => (
          <TextField
            key={field.key}
            label={field.label}
            hint={field.hint}
            inputMode="numeric"
            value={values[field.key]}
            readOnly={!writable}
            onChange={(v) => setValues((all) => ({ ...all, [field.key]: v }))}
            error={fieldError(error, `settings.${field.key}`) ?? fieldError(error, field.key)}
          />
        ))}
      </div>
      <ErrorNotice error={error} />
      {writable && (
        <button type="submit" className="primary">
          Save settings
        </button>
      )}
    </form>
  );
}

export function SettingsPage() {
  const { result, query } = useOne<Tenant>({ resource: 'tenant', id: 'current' });
  const [saved, setSaved] = useState(false);
  return (
    <>
      <h1>Tenant settings</h1>
      <ErrorNotice error={query.error} />
      {saved && <Notice tone="success">Settings saved.</Notice>}
      {query.isLoading || !result ? <Loading /> : <SettingsForm key={result.updatedAt} tenant={result} onSaved={() => setSaved(true)} />}
    </>
  );
}
