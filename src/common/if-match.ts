import { DomainError } from './errors.js';

/** Parsed If-Match: '*' or the entity tags' values; undefined when the header is absent. */
export type IfMatch = '*' | string[] | undefined;

/**
 * If-Match as RFC 9110 writes it: `*`, or entity tags in double quotes (`"3"`, `"3", "4"`).
 * A bare `3`, as people type it with curl, is taken as the tag `"3"`. Weak tags (`W/"3"`)
 * never match: If-Match compares strongly. Anything else is refused with how to write it.
 */
export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.trim() === '*') return '*';
  const tags: string[] = [];
  for (const part of header.split(',')) {
    const tag = part.trim();
    if (tag === '' || /^W\/"[^"]*"$/.test(tag)) continue;
    const quoted = /^"([^"]*)"$/.exec(tag);
    if (quoted) tags.push(quoted[1]!);
    else if (/^[!#-~]+$/.test(tag) && !tag.includes('"')) tags.push(tag);
    else throw new DomainError('bad_request', 'If-Match must be * or the ETag as the ETag header sends it, in double quotes: If-Match: "3"');
  }
  return tags;
}

/** 412 unless If-Match is absent, `*`, or names the current version. */
export function checkVersion(ifMatch: IfMatch, version: number): void {
  if (ifMatch === undefined || ifMatch === '*') return;
  if (!ifMatch.includes(String(version))) {
    throw new DomainError('precondition_failed', `If-Match does not match the current version "${version}"`);
  }
}
