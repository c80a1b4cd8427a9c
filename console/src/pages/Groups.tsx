import { useCreate, useDelete, useInvalidate, useUpdate } from '@refinedev/core';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { PERMISSIONS, type Group } from '../api/types';
import { useViewer } from '../api/viewer';
import { CursorPager, useCursorPages } from '../components/CursorList';
import { CheckField, ConfirmButton, ErrorNotice, Loading, Notice, TextField, fieldError } from '../components/ui';

/** Every permission of the catalogue, with those the viewer may not grant shown but not offered. */
function PermissionPicker({ value, onChange, error }: { value: string[]; onChange: (next: string[]) => void; error?: string }) {
  const viewer = useViewer();
  const [catalogue, setCatalogue] = useState<string[]>([...PERMISSIONS]);
  useEffect(() => {
    void api.get<{ data: string[] }>('/permissions').then(
      (r) => setCatalogue(r.data),
      () => undefined,
    );
  }, []);
  return (
    <fieldset className="permissions">
      <legend>Permissions</legend>
      {catalogue.map((permission) => (
        <CheckField
          key={permission}
          label={permission}
          checked={value.includes(permission)}
          // Granting a permission the viewer lacks is refused by the API (403), so it is not offered.
          disabled={!viewer.permissions.has(permission) && !value.includes(permission)}
          onChange={(on) => onChange(on ? [...value, permission] : value.filter((p) => p !== permission))}
        />
      ))}
      {error && <small className="field-error">{error}</small>}
    </fieldset>
  );
}

function GroupForm({ group, onDone }: { group: Group | null; onDone: () => void }) {
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const [permissions, setPermissions] = useState<string[]>(group?.permissions ?? []);
  const create = useCreate();
  const update = useUpdate();
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const values = { name: name.trim(), description: description.trim() || null, permissions };
    try {
      if (group) await update.mutateAsync({ resource: 'groups', id: group.id, values, successNotification: false, errorNotification: false });
      else await create.mutateAsync({ resource: 'groups', values, successNotification: false, errorNotification: false });
      onDone();
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} aria-label={group ? `Edit group ${group.name}` : 'New group'} className="card" noValidate>
      <h2>{group ? `Edit ${group.name}` : 'New group'}</h2>
      <TextField label="Group name" value={name} onChange={setName} required error={fieldError(error, 'name')} />
      <TextField label="Description" value={description} onChange={setDescription} error={fieldError(error, 'description')} />
      <PermissionPicker value={permissions} onChange={setPermissions} error={fieldError(error, 'permissions')} />
      <ErrorNotice error={error} />
      <div className="actions">
        <button type="submit" className="primary">
          {group ? 'Save group' : 'Create group'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function GroupsPage() {
  const viewer = useViewer();
  const pages = useCursorPages<Group>('groups');
  const invalidate = useInvalidate();
  const remove = useDelete();
  const [editing, setEditing] = useState<Group | 'new' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const writable = viewer.can('groups:write');
  const refresh = () => void invalidate({ resource: 'groups', invalidates: ['list', 'detail'] });

  return (
    <>
      <div className="page-head">
        <h1>Groups</h1>
        {writable && editing === null && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New group
          </button>
        )}
      </div>
      {message && <Notice tone="success">{message}</Notice>}
      {editing !== null && (
        <GroupForm
          key={editing === 'new' ? 'new' : editing.id}
          group={editing === 'new' ? null : editing}
          onDone={() => {
            setMessage(editing === 'new' ? 'Group created.' : 'Group saved.');
            setEditing(null);
            refresh();
          }}
        />
      )}
      <ErrorNotice error={pages.query.error ?? error} />
      {pages.query.isLoading ? (
        <Loading />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Permissions</th>
              {writable && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {pages.rows.map((group) => (
              <tr key={group.id}>
                <td>{group.name}</td>
                <td>{group.description ?? ''}</td>
                <td>{group.permissions.join(', ') || '—'}</td>
                {writable && (
                  <td className="actions">
                    <button type="button" onClick={() => setEditing(group)} aria-label={`Edit ${group.name}`}>
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      onConfirm={() => {
                        setError(null);
                        remove.mutate(
                          { resource: 'groups', id: group.id, successNotification: false, errorNotification: false },
                          { onSuccess: () => setMessage('Group deleted.'), onError: (e) => setError(e) },
                        );
                      }}
                    />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CursorPager pages={pages} />
    </>
  );
}
