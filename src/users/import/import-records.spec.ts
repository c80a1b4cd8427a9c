import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { importRecords, type SourceRecord } from './import-records.js';

async function read(chunks: Buffer[], maxBytes: number): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  for await (const record of importRecords(Readable.from(chunks), 'ndjson', maxBytes)) records.push(record);
  return records;
}

describe('NDJSON records', () => {
  it('numbers the lines, skips blank ones, and names a too long or malformed one', async () => {
    const body = Buffer.from('{"a":1}\n\n  \r\n{"b":"é"}\r\n{"c":"' + 'x'.repeat(40) + '"}\nnot json\n[1]\n{"d":2}');
    expect(await read([body], 32)).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 4, value: { b: 'é' } },
      { line: 5, problem: 'too_long', detail: 'The record is longer than 32 bytes' },
      { line: 6, problem: 'malformed', detail: 'The line is not a JSON object' },
      { line: 7, problem: 'malformed', detail: 'The line is not a JSON object' },
      { line: 8, value: { d: 2 } },
    ]);
  });

  it('reads the same records wherever the body is cut into chunks', async () => {
    const line = fc.oneof(
      fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string({ maxLength: 30 }), fc.integer())).map((o) => JSON.stringify(o)),
      fc.constant(''),
      fc.constant('{"broken"'),
      fc.constant(`{"long":"${'é'.repeat(30)}"}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), async (lines, cuts, crlf) => {
        const body = Buffer.from(lines.join(crlf ? '\r\n' : '\n'));
        const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
        const chunks = [...points, body.length].map((end, i, all) => body.subarray(i === 0 ? 0 : all[i - 1], end)).filter((c) => c.length);
        expect(await read(chunks, 48)).toEqual(await read([body], 48));
      }),
      { numRuns: 300 },
    );
  });
});
