/**
 * `npx identity import FILE` / `npx identity export`: the bulk import and export of users
 * (API.md section 12) driven over HTTP, with a progress bar on a terminal, plain progress
 * lines otherwise, a summary, and the error lines written to a file.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';

interface Connection {
  url: string;
  token?: string;
  adminKey?: string;
  tenant?: string;
}

/** What a progress report shows: rows done (of the file's, for an import). */
interface Progress {
  update(rows: number): void;
  stop(): void;
}

/** The lines of a file, counted as it streams by: the import's total, for the bar and its ETA. */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) lines += 1;
    if (chunk.length) last = chunk[chunk.length - 1]!;
  }
  return last === 0x0a ? lines : lines + 1;
}

/** A bar with rows/s and ETA on a terminal; a line every few seconds when stderr is a file or a pipe. */
function progress(label: string, totalRows: number | null): Progress {
  const started = Date.now();
  const rate = (rows: number): number => Math.round(rows / Math.max((Date.now() - started) / 1000, 0.001));
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: totalRows
        ? `${label} [{bar}] {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {left}`
        : `${label} {rows} rows | {rate} rows/s | {duration_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      fps: 5,
    });
    bar.start(totalRows ?? 1, 0, { rows: 0, rate: 0, left: '…' });
    return {
      // The ETA from the rate so far: the answer comes a batch at a time, which throws off
      // an estimate from the last few updates.
      update: (rows) => {
        const perSecond = rate(rows);
        const left = totalRows && perSecond > 0 ? `${Math.ceil(Math.max(totalRows - rows, 0) / perSecond)}s` : '…';
        bar.update(totalRows ? Math.min(rows, totalRows) : 0, { rows, rate: perSecond, left });
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  let latest = 0;
  const report = (rows: number): void => {
    process.stderr.write(`${label}: ${rows} rows, ${rate(rows)} rows/s\n`);
  };
  return {
    update: (rows) => {
      latest = rows;
      if (Date.now() - last < 2000) return;
      last = Date.now();
      report(rows);
    },
    stop: () => report(latest),
  };
}

function headers(connection: Connection): Record<string, string> {
  const result: Record<string, string> = { 'user-agent': 'identity-cli' };
  if (connection.token) result.authorization = `Bearer ${connection.token}`;
  else if (connection.adminKey) result['x-admin-key'] = connection.adminKey;
  else throw new InvalidArgumentError('Give a credential: --token (or IDENTITY_TOKEN), or --admin-key (or IDENTITY_ADMIN_KEY) with --tenant');
  if (connection.tenant) result['x-tenant-id'] = connection.tenant;
  return result;
}

function request(connection: Connection, method: string, path: string, extra: Record<string, string> = {}): http.ClientRequest {
  const url = new URL(path, connection.url.endsWith('/') ? connection.url : `${connection.url}/`);
  const client = url.protocol === 'https:' ? https : http;
  return client.request(url, { method, headers: { ...headers(connection), ...extra } });
}

function response(req: http.ClientRequest): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
}

/** A refusal of the whole request (401, 403, 409, 415…): its problem's title and detail. */
async function refusal(res: http.IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += String(chunk);
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string };
    return `${res.statusCode} ${problem.title ?? ''}: ${problem.detail ?? ''}`;
  } catch {
    return `${res.statusCode} ${text.slice(0, 200)}`;
  }
}

interface ImportOptions extends Connection {
  mode: 'upsert' | 'create';
  dryRun?: boolean;
  format?: 'ndjson' | 'csv';
  errors?: string;
  credentialsFrom?: string;
}

async function runImport(file: string, options: ImportOptions): Promise<number> {
  statSync(file);
  const format = options.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson');
  // A CSV's header row is no record; a record over several lines makes the total an estimate.
  const total = Math.max((await countLines(file)) - (format === 'csv' ? 1 : 0), 1);
  const query = new URLSearchParams({
    mode: options.mode,
    ...(options.dryRun ? { dryRun: 'true' } : {}),
    ...(options.credentialsFrom ? { credentialsFrom: options.credentialsFrom } : {}),
  });
  const req = request(options, 'POST', `api/v2/users/import?${query}`, {
    'content-type': format === 'csv' ? 'text/csv' : 'application/x-ndjson',
    'transfer-encoding': 'chunked',
  });
  const bar = progress(options.dryRun ? 'checking' : 'importing', total);
  const body = createReadStream(file);
  const answered = response(req);
  const sending = pipeline(body, req).catch(() => undefined);
  const res = await answered;
  if (res.statusCode !== 200) {
    bar.stop();
    body.destroy();
    process.stderr.write(`import refused: ${await refusal(res)}\n`);
    return 1;
  }
  const errorsPath = options.errors ?? `${file}.errors.ndjson`;
  let errorsFile: WriteStream | null = null;
  let rows = 0;
  let failed = 0;
  let summary: Record<string, unknown> | null = null;
  let stopped: unknown = null;
  for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    const answer = JSON.parse(line) as { line?: number; status?: string; summary?: Record<string, unknown>; error?: unknown };
    if (answer.summary) summary = answer.summary;
    else if (answer.line === undefined) stopped = answer.error;
    else {
      rows += 1;
      if (answer.status === 'error') {
        failed += 1;
        errorsFile ??= createWriteStream(errorsPath);
        errorsFile.write(`${line}\n`);
      }
    }
    bar.update(rows);
  }
  await sending;
  bar.stop();
  if (errorsFile) await new Promise((resolve) => errorsFile!.end(resolve));
  if (!summary) {
    process.stderr.write(`import stopped before its end after ${rows} records${stopped ? `: ${JSON.stringify(stopped)}` : ''}\n`);
    return 1;
  }
  const s = summary as { records: number; created: number; updated: number; unchanged: number; errors: number; dryRun: boolean };
  process.stdout.write(
    `${s.dryRun ? 'dry run: ' : ''}${s.records} records: ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged, ${s.errors} errors\n`,
  );
  if (failed > 0) process.stderr.write(`the ${failed} error lines are in ${errorsPath}\n`);
  return failed > 0 ? 1 : 0;
}

interface ExportOptions extends Connection {
  output?: string;
  filter: Record<string, string>;
}

async function runExport(options: ExportOptions): Promise<number> {
  const query = new URLSearchParams(Object.entries(options.filter).map(([key, value]): [string, string] => [`filter[${key}]`, value]));
  const req = request(options, 'GET', `api/v2/users/export${query.size ? `?${query}` : ''}`);
  req.end();
  const res = await response(req);
  if (res.statusCode !== 200) {
    process.stderr.write(`export refused: ${await refusal(res)}\n`);
    return 1;
  }
  const out = options.output ? createWriteStream(options.output) : process.stdout;
  const bar = progress('exporting', null);
  let rows = 0;
  res.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) rows += 1;
    bar.update(rows);
  });
  await pipeline(res, out);
  bar.stop();
  process.stderr.write(`${rows} users exported\n`);
  return res.complete ? 0 : 1;
}

function filterPair(value: string, previous: Record<string, string>): Record<string, string> {
  const equals = value.indexOf('=');
  if (equals <= 0) throw new InvalidArgumentError('a filter is key=value, e.g. active=1');
  return { ...previous, [value.slice(0, equals)]: value.slice(equals + 1) };
}

export function program(): Command {
  const cli = new Command('identity').description('Bulk import and export of the users of a tenant of the identity service');
  const connection = (command: Command): Command =>
    command
      .addOption(new Option('--url <url>', 'base URL of the service').env('IDENTITY_URL').default('http://localhost:3000'))
      .addOption(new Option('--token <token>', "a user's access token or API key").env('IDENTITY_TOKEN'))
      .addOption(new Option('--admin-key <key>', 'the operator key (with --tenant)').env('IDENTITY_ADMIN_KEY'))
      .addOption(new Option('--tenant <id>', 'the tenant, for the operator key').env('IDENTITY_TENANT'));
  connection(cli.command('import').argument('<file>', 'NDJSON (.ndjson) or CSV (.csv) with a header row'))
    .description('import users from a file; exits 1 when any record failed')
    .addOption(new Option('--mode <mode>', 'upsert (match by externalId, else email) or create').choices(['upsert', 'create']).default('upsert'))
    .option('--dry-run', 'validate and report without writing')
    .addOption(new Option('--format <format>', 'the file format (default: from its extension)').choices(['ndjson', 'csv']))
    .option('--errors <file>', 'where the error lines go (default: FILE.errors.ndjson)')
    .option(
      '--credentials-from <tenant>',
      "with the operator key: the tenant (id or slug) an export FILE came from; each record's id takes that user's password and second factor there (no hash is ever exported)",
    )
    .action(async (file: string, options: ImportOptions) => {
      process.exitCode = await runImport(file, options);
    });
  connection(cli.command('export'))
    .description('export the users of the tenant as NDJSON, to stdout or --output')
    .option('--output <file>', 'write to this file instead of stdout')
    .option('--filter <key=value>', 'a filter of the user list, e.g. active=1 (repeatable)', filterPair, {})
    .action(async (options: ExportOptions) => {
      process.exitCode = await runExport(options);
    });
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    process.stderr.write(`identity: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
