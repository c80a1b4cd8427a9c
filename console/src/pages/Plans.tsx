import { useCreate, useDelete, useInvalidate, useUpdate } from '@refinedev/core';
import { useState, type FormEvent } from 'react';
import type { Plan } from '../api/types';
import { useViewer } from '../api/viewer';
import { CursorPager, useCursorPages } from '../components/CursorList';
import { ConfirmButton, ErrorNotice, Loading, Notice, TextField, fieldError } from '../components/ui';

function PlanForm({ plan, onDone }: { plan: Plan | null; onDone: () => void }) {
  const [name, setName] = useState(plan?.name ?? '');
  const [description, setDescription] = useState(plan?.description ?? '');
  const [limit, setLimit] = useState(plan?.sessionsLimit === null || plan === null ? '' : String(plan.sessionsLimit));
  const create = useCreate();
  const update = useUpdate();
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const values = { name: name.trim(), description: description.trim() || null, sessionsLimit: limit.trim() === '' ? null : Number(limit) };
    try {
      if (plan) await update.mutateAsync({ resource: 'plans', id: plan.id, values, successNotification: false, errorNotification: false });
      else await create.mutateAsync({ resource: 'plans', values, successNotification: false, errorNotification: false });
      onDone();
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} aria-label={plan ? `Edit plan ${plan.name}` : 'New plan'} className="card" noValidate>
      <h2>{plan ? `Edit ${plan.name}` : 'New plan'}</h2>
      <TextField label="Plan name" value={name} onChange={setName} required error={fieldError(error, 'name')} />
      <TextField label="Description" value={description} onChange={setDescription} error={fieldError(error, 'description')} />
      <TextField label="Sessions limit" value={limit} onChange={setLimit} inputMode="numeric" hint="Empty: no limit from this plan" error={fieldError(error, 'sessionsLimit')} />
      <ErrorNotice error={error} />
      <div className="actions">
        <button type="submit" className="primary">
          {plan ? 'Save plan' : 'Create plan'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function PlansPage() {
  const viewer = useViewer();
  const pages = useCursorPages<Plan>('plans');
  const invalidate = useInvalidate();
  const remove = useDelete();
  const [editing, setEditing] = useState<Plan | 'new' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const writable = viewer.can('plans:write');

  return (
    <>
      <div className="page-head">
        <h1>Plans</h1>
        {writable && editing === null && (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New plan
          </button>
        )}
      </div>
      <p className="muted">A user's assignment to a plan, with its validity, is set on the user's page.</p>
      {message && <Notice tone="success">{message}</Notice>}
      {editing !== null && (
        <PlanForm
          key={editing === 'new' ? 'new' : editing.id}
          plan={editing === 'new' ? null : editing}
          onDone={() => {
            setMessage(editing === 'new' ? 'Plan created.' : 'Plan saved.');
            setEditing(null);
            void invalidate({ resource: 'plans', invalidates: ['list', 'detail'] });
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
              <th scope="col">Sessions limit</th>
              {writable && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {pages.rows.map((plan) => (
              <tr key={plan.id}>
                <td>{plan.name}</td>
                <td>{plan.description ?? ''}</td>
                <td>{plan.sessionsLimit ?? 'none'}</td>
                {writable && (
                  <td className="actions">
                    <button type="button" onClick={() => setEditing(plan)} aria-label={`Edit ${plan.name}`}>
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      onConfirm={() => {
                        setError(null);
                        remove.mutate(
                          { resource: 'plans', id: plan.id, successNotification: false, errorNotification: false },
                          { onSuccess: () => setMessage('Plan deleted.'), onError: (e) => setError(e) },
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
