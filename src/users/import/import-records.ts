import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../common/json-body.js';

/** The longest record an import reads: far above any real user, far below a memory worry. */
export const MAX_IMPORT_LINE_BYTES = 64 * 1024;

export type ImportFormat = 'ndjson' | 'csv';

/** One record of an import body: its object, or why it could not be read. */
export type SourceRecord =
  | { line: number; value: Record<string, unknown> }
  | { line: number; problem: 'too_long' | 'malformed'; detail: string };

/**
 * The lines of an NDJSON body, one at a time, with their numbers. A line longer than the
 * limit is skipped to its end without being kept, so memory stays flat whatever is sent.
 */
async function* ndjsonRecords(body: Readable, maxBytes: number): AsyncGenerator<SourceRecord> {
  let line = 1;
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  const finish = (): SourceRecord | null => {
    const number = line;
    line += 1;
    if (tooLong) {
      tooLong = false;
      parts = [];
      size = 0;
      return { line: number, problem: 'too_long', detail: `The record is longer than ${maxBytes} bytes` };
    }
    const text = Buffer.concat(parts, size).toString('utf8').trim();
    parts = [];
    size = 0;
    if (text === '') return null;
    return fromJson(number, text);
  };
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (;;) {
      const end = buffer.indexOf(0x0a, start);
      if (end >= 0 && size === 0 && !tooLong && end - start <= maxBytes) {
        // A whole line inside this chunk (nearly every line): decoded where it lies, not copied first.
        const number = line;
        line += 1;
        const text = buffer.toString('utf8', start, end).trim();
        if (text !== '') yield fromJson(number, text);
        start = end + 1;
        continue;
      }
      const piece = buffer.subarray(start, end < 0 ? buffer.length : end);
      if (!tooLong) {
        if (size + piece.length > maxBytes) tooLong = true;
        else if (piece.length) {
          parts.push(Buffer.from(piece));
          size += piece.length;
        }
      }
      if (end < 0) break;
      const record = finish();
      if (record) yield record;
      start = end + 1;
    }
  }
  if (size > 0 || tooLong) {
    const record = finish();
    if (record) yield record;
  }
}

function fromJson(line: number, text: string): SourceRecord {
  let value: unknown;
  try {
    // JSON.parse makes "__proto__" an own property, never the prototype; it is dropped all the
    // same, with a reviver only for the lines that have one (a reviver slows every line).
    value = text.includes('__proto__') ? JSON.parse(text, (key, v: unknown) => (key === '__proto__' ? undefined : v)) : JSON.parse(text);
  } catch {
    return { line, problem: 'malformed', detail: 'The line is not a JSON object' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { line, problem: 'malformed', detail: 'The line is not a JSON object' };
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) return { line, problem: 'malformed', detail: `The record nests deeper than ${MAX_JSON_DEPTH} levels` };
  return { line, value: value as Record<string, unknown> };
}

/** CSV cells holding lists separate their items with `;`. */
const LIST_FIELDS = new Set(['groups', 'plans', 'clientTags', 'ipWhitelist']);
const BOOLEAN_FIELDS = new Set(['active', 'admin', 'planAdmin', 'tfa', 'resetPassword', 'resetTfa', 'passwordResetAllowed', 'canViewMaskedData', 'onlySeesReadable', 'sendNotify']);

/**
 * A CSV row as the record an NDJSON line would hold: an empty cell is a field left out,
 * `true`/`false` are booleans, list fields split on `;`, `enterprise.department` nests.
 * What does not convert is left as text for validation to name.
 */
export function csvRow(row: Record<string, string>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [column, raw] of Object.entries(row)) {
    const cell = raw.trim();
    if (cell === '' || column === '__proto__') continue;
    let value: unknown = cell;
    if (BOOLEAN_FIELDS.has(column)) value = cell === 'true' ? true : cell === 'false' ? false : cell;
    else if (LIST_FIELDS.has(column)) value = cell.split(';').map((item) => item.trim()).filter((item) => item !== '');
    else if (column === 'sessionsLimit' && /^\d{1,9}$/.test(cell)) value = Number(cell);
    const dot = column.indexOf('.');
    if (dot > 0) {
      const outer = column.slice(0, dot);
      if (outer === '__proto__') continue;
      const nested = (record[outer] ??= {}) as Record<string, unknown>;
      if (typeof nested === 'object') nested[column.slice(dot + 1)] = value;
    } else record[column] = value;
  }
  return record;
}

/**
 * The records of a CSV body with a header row, with the line each starts on. A record too
 * long or malformed is reported and skipped; the parser goes on with the next one.
 */
async function* csvRecords(body: Readable, maxBytes: number): AsyncGenerator<SourceRecord> {
  const skipped: SourceRecord[] = [];
  const parser = parseCsv({
    columns: true,
    bom: true,
    info: true,
    trim: false,
    max_record_size: maxBytes,
    skip_records_with_error: true,
    skip_empty_lines: true,
  });
  parser.on('skip', (error: Error & { code?: string; lines?: number }) => {
    const line = typeof error.lines === 'number' ? error.lines : 0;
    if (error.code === 'CSV_MAX_RECORD_SIZE') skipped.push({ line, problem: 'too_long', detail: `The record is longer than ${maxBytes} bytes` });
    else skipped.push({ line, problem: 'malformed', detail: 'The CSV record cannot be read: check its quoting and its number of columns' });
  });
  body.on('error', (error) => parser.destroy(error));
  body.pipe(parser);
  for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    while (skipped.length) yield skipped.shift()!;
    yield { line: item.info.lines, value: csvRow(item.record) };
  }
  while (skipped.length) yield skipped.shift()!;
}

export function importRecords(body: Readable, format: ImportFormat, maxBytes = MAX_IMPORT_LINE_BYTES): AsyncGenerator<SourceRecord> {
  return format === 'csv' ? csvRecords(body, maxBytes) : ndjsonRecords(body, maxBytes);
}
