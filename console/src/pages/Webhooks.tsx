import { useInvalidate, useOne } from '@refinedev/core';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../api/client';
import type { DeliveryStatus, Webhook, WebhookDelivery } from '../api/types';
import { useViewer } from '../api/viewer';
import { CursorPager, useCursorPages } from '../components/CursorList';
import { CheckField, ConfirmButton, ErrorNotice, Loading, Notice, SecretOnce, SelectField, TextField, fieldError, formatDate } from '../components/ui';

/** `user.*, group.created` → `["user.*", "group.created"]`. */
const patterns = (text: string) => text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

/** How often an open deliveries log reads its first page again, so retries show as they happen. */
const FOLLOW_EVERY_MS = 5000;

/**
 * Who may do what (API.md section 13): `webhooks:read` lists, `webhooks:write` changes,
 * and only an admin or the operator may create an endpoint or point one at another URL.
 */
function useWebhookRights() {
  const viewer = useViewer();
  const writable = viewer.can('webhooks:write');
  return { writable, creates: writable && viewer.privileged };
}

function CreateForm({ onCreated, onCancel }: { onCreated: (created: Webhook & { secret: string }) => void; onCancel: () => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('user.*');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onCreated(await api.post<Webhook & { secret: string }>('/webhooks', { url: url.trim(), events: patterns(events), description: description.trim() || null }));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" aria-label="New endpoint" onSubmit={(e) => void submit(e)} noValidate>
      <h2>New endpoint</h2>
      <TextField label="Endpoint URL" type="url" value={url} onChange={setUrl} required placeholder="https://hooks.example.com/identity" error={fieldError(error, 'url')} />
      <TextField label="Events" value={events} onChange={setEvents} hint="Audit action names or patterns, separated by commas: *, user.*, group.created" error={fieldError(error, 'events')} />
      <TextField label="Description" value={description} onChange={setDescription} error={fieldError(error, 'description')} />
      <ErrorNotice error={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Create endpoint
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The endpoints of the tenant. */
export function WebhooksPage() {
  const { writable, creates } = useWebhookRights();
  const pages = useCursorPages<Webhook>('webhooks');
  const invalidate = useInvalidate();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<(Webhook & { secret: string }) | null>(null);
  return (
    <>
      <div className="page-head">
        <h1>Webhooks</h1>
        {creates && !creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New endpoint
          </button>
        )}
      </div>
      {creating && (
        <CreateForm
          onCancel={() => setCreating(false)}
          onCreated={(endpoint) => {
            setCreating(false);
            setCreated(endpoint);
            void invalidate({ resource: 'webhooks', invalidates: ['list'] });
          }}
        />
      )}
      {created && (
        <>
          <Notice tone="success">
            Endpoint <Link to={`/webhooks/${created.id}`}>{created.url}</Link> created.
          </Notice>
          <SecretOnce title="Signing secret" value={created.secret} onDone={() => setCreated(null)} />
        </>
      )}
      <ErrorNotice error={pages.query.error} />
      {pages.query.isLoading ? (
        <Loading />
      ) : pages.rows.length === 0 ? (
        <p className="muted">No endpoint yet{creates ? ': add one to receive the tenant\u2019s events.' : '.'}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">State</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {pages.rows.map((endpoint) => (
              <tr key={endpoint.id}>
                <td>
                  <Link to={`/webhooks/${endpoint.id}`}>{endpoint.url}</Link>
                </td>
                <td>{endpoint.events.join(', ')}</td>
                <td>{endpoint.active ? 'active' : 'off'}</td>
                <td>{endpoint.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CursorPager pages={pages} />
      {!writable && <p className="muted">You may read the endpoints and their deliveries; changing them needs webhooks:write.</p>}
    </>
  );
}

function EditForm({ endpoint, onSaved }: { endpoint: Webhook; onSaved: (next: Webhook) => void }) {
  const { creates } = useWebhookRights();
  const [url, setUrl] = useState(endpoint.url);
  const [events, setEvents] = useState(endpoint.events.join(', '));
  const [description, setDescription] = useState(endpoint.description ?? '');
  const [active, setActive] = useState(endpoint.active);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body: Record<string, unknown> = {};
    if (creates && url.trim() !== endpoint.url) body.url = url.trim();
    const nextEvents = patterns(events);
    if (nextEvents.join('\n') !== endpoint.events.join('\n')) body.events = nextEvents;
    const nextDescription = description.trim() || null;
    if (nextDescription !== endpoint.description) body.description = nextDescription;
    if (active !== endpoint.active) body.active = active;
    if (Object.keys(body).length === 0) return;
    setBusy(true);
    setError(null);
    try {
      onSaved(await api.patch<Webhook>(`/webhooks/${endpoint.id}`, body));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card" aria-labelledby="endpoint-edit-title" onSubmit={(e) => void submit(e)} noValidate>
      <h2 id="endpoint-edit-title">Endpoint</h2>
      <TextField
        label="Endpoint URL"
        type="url"
        value={url}
        onChange={setUrl}
        readOnly={!creates}
        hint={creates ? undefined : 'Only an admin or the operator may point an endpoint elsewhere'}
        error={fieldError(error, 'url')}
      />
      <TextField label="Events" value={events} onChange={setEvents} hint="Separated by commas: *, user.*, group.created" error={fieldError(error, 'events')} />
      <TextField label="Description" value={description} onChange={setDescription} error={fieldError(error, 'description')} />
      <CheckField label="Active (deliveries are sent)" checked={active} onChange={setActive} error={fieldError(error, 'active')} />
      <ErrorNotice error={error} />
      <button type="submit" className="primary" disabled={busy}>
        Save endpoint
      </button>
    </form>
  );
}

const STATUS_OPTIONS = [
  { value: '', label: 'Any status' },
  { value: 'pending', label: 'Pending' },
  { value: 'delivered', label: 'Delivered' },
  { value: 'failed', label: 'Failed' },
];

function Deliveries({ endpointId, writable }: { endpointId: string; writable: boolean }) {
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <p className="muted">Newest first; the first page is read again every few seconds, so retries show as they happen.</p>
      <SelectField label="Status" value={status} onChange={(value) => setStatus(value as DeliveryStatus | '')} options={STATUS_OPTIONS} />
      <DeliveryLog key={status} endpointId={endpointId} status={status} writable={writable} />
    </section>
  );
}

function DeliveryLog({ endpointId, status, writable }: { endpointId: string; status: DeliveryStatus | ''; writable: boolean }) {
  const pages = useCursorPages<WebhookDelivery>('webhook-deliveries', {
    path: `/webhooks/${encodeURIComponent(endpointId)}/deliveries`,
    query: status ? { status } : undefined,
    refetchInterval: FOLLOW_EVERY_MS,
  });
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function redeliver(delivery: WebhookDelivery) {
    setError(null);
    setMessage(null);
    try {
      await api.post(`/webhooks/${endpointId}/deliveries/${delivery.id}/redeliver`);
      setMessage(`${delivery.eventType}: sent again.`);
      void pages.query.refetch();
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <>
      {message && <Notice tone="success">{message}</Notice>}
      <ErrorNotice error={pages.query.error ?? error} />
      {pages.query.isLoading ? (
        <Loading />
      ) : pages.rows.length === 0 ? (
        <p className="muted">No delivery{status ? ` with status ${status}` : ''}.</p>
      ) : (
        <table className="table" data-testid="deliveries">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">Last attempt</th>
              <th scope="col">Next attempt</th>
              {writable && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {pages.rows.map((delivery) => (
              <tr key={delivery.id}>
                <td>
                  {delivery.eventType}
                  <br />
                  <small className="muted">{formatDate(delivery.createdAt)}</small>
                </td>
                <td>{delivery.status}</td>
                <td>{delivery.attempts}</td>
                <td>{delivery.lastStatusCode ?? delivery.lastError ?? '—'}</td>
                <td>{formatDate(delivery.lastAttemptAt)}</td>
                <td>{formatDate(delivery.nextAttemptAt)}</td>
                {writable && (
                  <td>
                    <button type="button" aria-label={`Redeliver ${delivery.eventType} of ${formatDate(delivery.createdAt)}`} onClick={() => void redeliver(delivery)}>
                      Redeliver
                    </button>
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

/** One endpoint: its settings, its signing secret rotated (shown once), its deliveries. */
export function WebhookPage() {
  const { id = '' } = useParams();
  const { writable } = useWebhookRights();
  const { result, query } = useOne<Webhook>({ resource: 'webhooks', id, queryOptions: { retry: false } });
  const invalidate = useInvalidate();
  const [saved, setSaved] = useState<Webhook | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [removed, setRemoved] = useState(false);
  const endpoint = saved ?? result;

  async function rotate() {
    setError(null);
    setMessage(null);
    try {
      setSecret((await api.post<{ secret: string }>(`/webhooks/${id}/rotate-secret`)).secret);
    } catch (caught) {
      setError(caught);
    }
  }

  async function remove() {
    setError(null);
    try {
      await api.delete(`/webhooks/${id}`);
      setRemoved(true);
      void invalidate({ resource: 'webhooks', invalidates: ['list'] });
    } catch (caught) {
      setError(caught);
    }
  }

  const back = (
    <p>
      <Link to="/webhooks">← Webhooks</Link>
    </p>
  );
  if (removed) {
    return (
      <>
        {back}
        <Notice tone="success">Endpoint deleted.</Notice>
      </>
    );
  }
  if (query.isLoading) return <Loading />;
  if (!endpoint?.id) return <ErrorNotice error={query.error ?? new Error('Endpoint not found')} />;
  return (
    <>
      {back}
      <div className="page-head">
        <h1>{endpoint.url}</h1>
        <p className="muted">
          {endpoint.active ? 'Active' : 'Off'} · {endpoint.events.join(', ')} · created {formatDate(endpoint.createdAt)}
        </p>
      </div>
      {message && <Notice tone="success">{message}</Notice>}
      {writable ? (
        <EditForm
          key={endpoint.updatedAt}
          endpoint={endpoint}
          onSaved={(next) => {
            setSaved(next);
            setMessage('Endpoint saved.');
            void invalidate({ resource: 'webhooks', invalidates: ['list'] });
          }}
        />
      ) : (
        endpoint.description && <p>{endpoint.description}</p>
      )}
      {writable && (
        <section aria-labelledby="endpoint-actions-title">
          <h2 id="endpoint-actions-title">Signing secret</h2>
          <p className="muted">Rotating makes a new secret at once: the receiver needs the new one to verify what is sent from now on.</p>
          <div className="actions">
            <ConfirmButton label="Rotate secret" onConfirm={() => void rotate()} />
            <ConfirmButton label="Delete endpoint" danger onConfirm={() => void remove()} />
          </div>
          {secret && <SecretOnce title="New signing secret" value={secret} onDone={() => setSecret(null)} />}
        </section>
      )}
      <ErrorNotice error={error} />
      <Deliveries endpointId={endpoint.id} writable={writable} />
    </>
  );
}
