import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import type { Problem } from '../api/types';
import { CheckField, ErrorNotice, Notice, SelectField } from '../components/ui';

/** One answer line of `POST /users/import` for one record (API.md section 12). */
interface RecordLine {
  line: number;
  status: 'created' | 'updated' | 'unchanged' | 'error';
  id?: string;
  error?: Problem;
}

type Counts = Record<RecordLine['status'], number>;

const STATUSES: RecordLine['status'][] = ['created', 'updated', 'unchanged', 'error'];
/** The rows shown as they are applied: the latest ones (a file may hold millions). */
const SHOWN_ROWS = 50;
/** Error lines kept for the page and the download. */
const KEPT_ERRORS = 5000;
/** The page is redrawn at most this often while lines arrive. */
const DRAW_EVERY_MS = 100;

const isRecordLine = (value: unknown): value is RecordLine =>
  typeof value === 'object' && value !== null && typeof (value as RecordLine).line === 'number' && STATUSES.includes((value as RecordLine).status);

function formatOf(file: File): 'ndjson' | 'csv' {
  return /\.csv$/i.test(file.name) || file.type === 'text/csv' ? 'csv' : 'ndjson';
}

/** Every line of a stream of text, as it arrives. */
async function* linesOf(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let rest = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += decoder.decode(value, { stream: true });
    const parts = rest.split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) if (part.trim()) yield part;
  }
  rest += decoder.decode();
  if (rest.trim()) yield rest;
}

interface Progress {
  counts: Counts;
  rows: RecordLine[];
  errors: RecordLine[];
  summary: Record<string, unknown> | null;
}

const emptyProgress = (): Progress => ({ counts: { created: 0, updated: 0, unchanged: 0, error: 0 }, rows: [], errors: [], summary: null });

function problemText(problem: Problem | undefined): string {
  if (!problem) return 'Refused';
  const fields = (problem.errors ?? []).map((e) => `${e.field}: ${e.message}`);
  return [problem.detail ?? problem.title ?? `Refused (${problem.status})`, ...fields].join(' · ');
}

/** The summary line's figures, whatever it names them. */
function summaryFigures(summary: Record<string, unknown>): [string, string][] {
  const source = typeof summary.summary === 'object' && summary.summary !== null ? (summary.summary as Record<string, unknown>) : summary;
  return Object.entries(source)
    .filter(([, value]) => typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string')
    .map(([key, value]) => [key, String(value)]);
}

/** Upload a file of users; each record's outcome is shown as the API applies it. */
export function ImportPage() {
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<'ndjson' | 'csv'>('ndjson');
  const [mode, setMode] = useState<'upsert' | 'create'>('upsert');
  const [dryRun, setDryRun] = useState(false);
  const [running, setRunning] = useState(false);
  const [finished, setFinished] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [progress, setProgress] = useState<Progress>(emptyProgress);
  const [errorsUrl, setErrorsUrl] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => () => void (errorsUrl && URL.revokeObjectURL(errorsUrl)), [errorsUrl]);

  async function start(event: FormEvent) {
    event.preventDefault();
    if (!file) return;
    const controller = new AbortController();
    abort.current = controller;
    const live = emptyProgress();
    let drawn = 0;
    const draw = (force = false) => {
      if (!force && Date.now() - drawn < DRAW_EVERY_MS) return;
      drawn = Date.now();
      setProgress({ counts: { ...live.counts }, rows: live.rows.slice(-SHOWN_ROWS), errors: [...live.errors], summary: live.summary });
    };
    setRunning(true);
    setFinished(false);
    setError(null);
    setErrorsUrl(null);
    setProgress(live);
    try {
      const response = await api.stream('POST', '/users/import', {
        query: { mode, dryRun: dryRun ? 'true' : undefined },
        body: file,
        contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
        signal: controller.signal,
      });
      if (!response.body) throw new Error('The answer had no body.');
      for await (const text of linesOf(response.body)) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          continue;
        }
        if (isRecordLine(value)) {
          live.counts[value.status] += 1;
          live.rows.push(value);
          if (live.rows.length > SHOWN_ROWS * 4) live.rows = live.rows.slice(-SHOWN_ROWS);
          if (value.status === 'error' && live.errors.length < KEPT_ERRORS) live.errors.push(value);
        } else if (typeof value === 'object' && value !== null) {
          live.summary = value as Record<string, unknown>;
        }
        draw();
      }
      draw(true);
      setFinished(true);
      if (live.errors.length > 0) setErrorsUrl(URL.createObjectURL(new Blob([live.errors.map((e) => JSON.stringify(e)).join('\n') + '\n'], { type: 'application/x-ndjson' })));
    } catch (caught) {
      draw(true);
      setError(caught instanceof DOMException && caught.name === 'AbortError' ? new Error('Import stopped here. Records already applied stay applied; running the same file again converges.') : caught);
    } finally {
      abort.current = null;
      setRunning(false);
    }
  }

  const done = progress.counts.created + progress.counts.updated + progress.counts.unchanged + progress.counts.error;
  return (
    <>
      <p>
        <Link to="/users">← Users</Link>
      </p>
      <h1>Import users</h1>
      <p className="muted">
        A file of user records, NDJSON (one JSON object a line) or CSV with a header row, each a user create body, optionally with a
        <code> passwordHash</code> exported by another system. Records are matched by external id, else by e-mail.
      </p>
      <form className="card" aria-label="Import a file" onSubmit={(e) => void start(e)}>
        <div className="field">
          <label htmlFor="import-file">File</label>
          <input
            id="import-file"
            type="file"
            accept=".ndjson,.jsonl,.json,.csv,application/x-ndjson,text/csv"
            aria-describedby="import-file-hint"
            disabled={running}
            onChange={(e) => {
              const chosen = e.target.files?.[0] ?? null;
              setFile(chosen);
              if (chosen) setFormat(formatOf(chosen));
            }}
          />
          <small id="import-file-hint" className="hint">
            {file ? `${file.name}, ${(file.size / 1024).toFixed(1)} KB` : 'NDJSON (.ndjson, .jsonl) or CSV (.csv)'}
          </small>
        </div>
        <SelectField
          label="Format"
          value={format}
          onChange={(value) => setFormat(value as 'ndjson' | 'csv')}
          options={[
            { value: 'ndjson', label: 'NDJSON' },
            { value: 'csv', label: 'CSV with a header row' },
          ]}
        />
        <SelectField
          label="Mode"
          value={mode}
          onChange={(value) => setMode(value as 'upsert' | 'create')}
          options={[
            { value: 'upsert', label: 'Create or update' },
            { value: 'create', label: 'Create only' },
          ]}
        />
        <CheckField label="Dry run (check every record, write nothing)" checked={dryRun} onChange={setDryRun} />
        <div className="actions">
          <button type="submit" className="primary" disabled={!file || running}>
            {dryRun ? 'Check file' : 'Import'}
          </button>
          {running && (
            <button type="button" onClick={() => abort.current?.abort()}>
              Stop
            </button>
          )}
        </div>
      </form>
      <ErrorNotice error={error} />
      {(running || finished || done > 0) && (
        <section aria-labelledby="import-progress-title">
          <h2 id="import-progress-title">{running ? 'Applying…' : finished ? (dryRun ? 'Checked' : 'Imported') : 'Stopped'}</h2>
          <p role="status" aria-live="polite" data-testid="import-counts">
            {done} records: {progress.counts.created} created, {progress.counts.updated} updated, {progress.counts.unchanged} unchanged, {progress.counts.error}{' '}
            with errors
          </p>
          {finished && progress.summary && (
            <Notice tone={progress.counts.error ? 'warning' : 'success'}>
              <strong>Summary: </strong>
              <span data-testid="import-summary">{summaryFigures(progress.summary).map(([key, value]) => `${key} ${value}`).join(', ')}</span>
            </Notice>
          )}
          {progress.rows.length > 0 && (
            <table className="table" aria-label="Latest records applied" data-testid="import-rows">
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">User</th>
                </tr>
              </thead>
              <tbody>
                {progress.rows.slice(-SHOWN_ROWS).map((row) => (
                  <tr key={row.line}>
                    <td>{row.line}</td>
                    <td>{row.status}</td>
                    <td>{row.id && !dryRun ? <Link to={`/users/${row.id}`}>{row.id}</Link> : row.status === 'error' ? problemText(row.error) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
      {progress.errors.length > 0 && (
        <section aria-labelledby="import-errors-title">
          <h2 id="import-errors-title">Lines with errors</h2>
          {errorsUrl && (
            <p>
              <a href={errorsUrl} download="import-errors.ndjson">
                Download the error lines
              </a>
            </p>
          )}
          <ul className="errors" data-testid="import-errors">
            {progress.errors.map((row) => (
              <li key={row.line}>
                Line {row.line}: {problemText(row.error)}
              </li>
            ))}
          </ul>
          {progress.counts.error > progress.errors.length && <p className="muted">The first {progress.errors.length} are listed.</p>}
        </section>
      )}
    </>
  );
}
