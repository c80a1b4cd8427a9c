import { useCreate, useInvalidate, useUpdate } from '@refinedev/core';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { session } from '../api/session';
import type { Tenant } from '../api/types';
import { CursorPager, useCursorPages } from '../components/CursorList';
import { ErrorNotice, Loading, Notice, TextField, fieldError, formatDate } from '../components/ui';

/** The operator's tenants: list, create, (de)activate, and switch the console to one. */
export function TenantsPage() {
  const pages = useCursorPages<Tenant>('tenants');
  const create = useCreate<Tenant>();
  const update = useUpdate<Tenant>();
  const invalidate = useInvalidate();
  const navigate = useNavigate();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const current = session.getState().credentials;
  const currentId = current?.kind === 'operator' ? current.tenantId : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setMessage(null);
    try {
      const { data } = await create.mutateAsync({ resource: 'tenants', values: { slug: slug.trim(), name: name.trim() }, successNotification: false, errorNotification: false });
      setMessage(`Tenant ${data.slug} created.`);
      setSlug('');
      setName('');
    } catch (caught) {
      setError(caught);
    }
  }

  const switchTo = (tenant: Tenant) => {
    session.selectTenant(tenant.id);
    void navigate('/users');
  };

  return (
    <>
      <h1>Tenants</h1>
      {!currentId && <Notice>Choose a tenant to manage its users, groups, plans and settings.</Notice>}
      <form className="inline-form card" onSubmit={(e) => void submit(e)} aria-label="New tenant" noValidate>
        <TextField label="Slug" value={slug} onChange={setSlug} hint="Lower-case letters, digits and dashes" error={fieldError(error, 'slug')} />
        <TextField label="Name" value={name} onChange={setName} error={fieldError(error, 'name')} />
        <button type="submit" className="primary">
          Create tenant
        </button>
      </form>
      {message && <Notice tone="success">{message}</Notice>}
      <ErrorNotice error={error ?? pages.query.error} />
      {pages.query.isLoading ? (
        <Loading />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Slug</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {pages.rows.map((tenant) => (
              <tr key={tenant.id} aria-current={tenant.id === currentId ? 'true' : undefined}>
                <td>{tenant.name}</td>
                <td>
                  <code>{tenant.slug}</code>
                </td>
                <td>{tenant.active ? 'active' : 'deactivated'}</td>
                <td>{formatDate(tenant.createdAt)}</td>
                <td className="actions">
                  <button type="button" onClick={() => switchTo(tenant)} aria-label={`Manage ${tenant.slug}`} disabled={tenant.id === currentId}>
                    {tenant.id === currentId ? 'Current' : 'Manage'}
                  </button>
                  <button
                    type="button"
                    aria-label={`${tenant.active ? 'Deactivate' : 'Activate'} ${tenant.slug}`}
                    onClick={() => {
                      setError(null);
                      update.mutate(
                        { resource: 'tenants', id: tenant.id, values: { active: !tenant.active }, successNotification: false, errorNotification: false },
                        { onSuccess: () => void invalidate({ resource: 'tenants', invalidates: ['list'] }), onError: (e) => setError(e) },
                      );
                    }}
                  >
                    {tenant.active ? 'Deactivate' : 'Activate'}
                  </button>
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
