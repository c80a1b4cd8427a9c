import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { openApiPath } from '../../src/common/openapi/complete.js';
import type { Reply, TestApp } from './app.js';

/** The document the running application serves at /docs/json. */
export async function fetchDocument(t: TestApp): Promise<any> {
  const res = await t.call('GET', '/docs/json', { as: null });
  if (res.status !== 200) throw new Error(`GET /docs/json: ${res.status}`);
  return res.body;
}

/**
 * Every object schema that lists its properties is closed (additionalProperties: false), so a
 * response carrying a field the document does not declare fails, as a strictly generated
 * client would.
 */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (!node || typeof node !== 'object') return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) copy[key] = key === 'example' || key === 'examples' ? value : closed(value);
  if (copy.properties && typeof copy.properties === 'object' && copy.additionalProperties === undefined && !copy.allOf) {
    copy.additionalProperties = false;
  }
  return copy;
}

function pointer(...segments: string[]): string {
  return segments.map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

function mediaType(reply: Reply): string {
  return String(reply.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
}

/**
 * Checks real responses against the document with ajv: the status must be listed for the
 * operation, the body must be one of the media types listed for that status and match its
 * schema, and the headers it promises (Retry-After) must be there.
 */
export class ContractChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  /** `METHOD /path/:param` of every route with at least one response checked, and its statuses. */
  readonly checked = new Map<string, Set<number>>();
  readonly failures: string[] = [];

  constructor(readonly document: any) {
    addFormats.default(this.ajv);
    this.ajv.addSchema(closed(document) as object, 'openapi.json');
  }

  check(method: string, routePath: string, reply: Reply, context = ''): void {
    const key = `${method} ${routePath}`;
    const where = `${key} ${context} -> ${reply.status}`.replace(/\s+/g, ' ');
    const path = openApiPath(routePath);
    const operation = this.document.paths?.[path]?.[method.toLowerCase()];
    if (!operation) {
      this.failures.push(`${where}: the document has no such operation`);
      return;
    }
    this.checked.set(key, (this.checked.get(key) ?? new Set()).add(reply.status));
    const response = operation.responses?.[String(reply.status)];
    if (!response) {
      this.failures.push(`${where}: status not documented (documented: ${Object.keys(operation.responses ?? {}).join(' ')}) ${reply.text.slice(0, 200)}`);
      return;
    }
    for (const header of Object.keys(response.headers ?? {})) {
      if (reply.headers[header.toLowerCase()] === undefined) this.failures.push(`${where}: header ${header} missing`);
    }
    if (reply.text === '') {
      if (response.content && reply.status !== 204) this.failures.push(`${where}: empty body, but the document promises ${Object.keys(response.content).join(', ')}`);
      return;
    }
    const type = mediaType(reply);
    const media = response.content?.[type];
    if (!media) {
      this.failures.push(`${where}: body of type ${type} not documented (documented: ${Object.keys(response.content ?? {}).join(', ') || 'none'})`);
      return;
    }
    if (!type.endsWith('json')) return;
    const ref = `openapi.json#/${pointer('paths', path, method.toLowerCase(), 'responses', String(reply.status), 'content', type, 'schema')}`;
    let validate = this.compiled.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, validate);
    }
    if (!validate(reply.body)) {
      const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
      this.failures.push(`${where}: body does not match the schema: ${errors.join('; ')}`);
    }
  }
}
