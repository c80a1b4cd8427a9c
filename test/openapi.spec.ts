import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listRoutes } from '../src/auth/route-inventory.js';
import { openApiPath } from '../src/common/openapi/complete.js';
import { isDocumented, TAGS } from '../src/common/openapi/document.js';
import { startApp, type TestApp } from './helpers/app.js';
import { fetchDocument } from './helpers/openapi.js';

/**
 * The OpenAPI document stays complete as routes are added: each operation has a summary, a
 * described tag, a schema for every body it answers, its problem+json errors, the security
 * its access rule implies and X-Tenant-Id where the tenant is named; and Redocly's linter
 * finds no error in it.
 */

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/**
 * Warnings Redocly may give, and why they are accepted; any other warning fails.
 * - no-ambiguous-paths: /users/{id}/… beside /users/external/{externalId}; ids are UUIDs, so
 *   `external` is never one, and the static segment wins.
 * - operation-4xx-response: the JWKS, /health and the problem list answer no 4xx.
 * - info-license-strict: the licence is proprietary; there is no licence text at a URL.
 */
const ACCEPTED_WARNINGS = new Set(['no-ambiguous-paths', 'operation-4xx-response', 'info-license-strict']);

describe('the OpenAPI document', () => {
  let t: TestApp;
  let document: any;
  let operations: { path: string; method: string; operation: any }[];

  beforeAll(async () => {
    t = await startApp();
    document = await fetchDocument(t);
    operations = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => HTTP_METHODS.includes(method))
        .map(([method, operation]) => ({ path, method, operation })),
    );
  });

  afterAll(async () => {
    await t.close();
  });

  const name = (o: { path: string; method: string }) => `${o.method.toUpperCase()} ${o.path}`;
  const resolve = (ref: string) => ref.split('/').slice(1).reduce((node: any, part) => node?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], document);

  it('has an operation for every route outside SCIM and the console, and none for a route that does not exist', () => {
    const routes = listRoutes(t.app);
    const documented = new Set(operations.map(name));
    const expected = routes.filter((r) => isDocumented(r.path)).map((r) => `${r.method} ${openApiPath(r.path)}`);
    expect(expected.filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((o) => !expected.includes(o))).toEqual([]);
    expect(expected.length).toBeGreaterThan(50);
  });

  it('gives every operation a summary and a described tag', () => {
    const incomplete = operations.filter((o) => !o.operation.summary?.trim() || !o.operation.tags?.length).map(name);
    expect(incomplete).toEqual([]);
    const undescribed = operations.flatMap((o) => (o.operation.tags as string[]).filter((tag) => !(tag in TAGS)).map((tag) => `${name(o)}: ${tag}`));
    expect(undescribed).toEqual([]);
  });

  it('gives every success a schema, and every body a schema', () => {
    const missing: string[] = [];
    for (const o of operations) {
      const responses = Object.entries(o.operation.responses as Record<string, any>);
      const successes = responses.filter(([status]) => status.startsWith('2'));
      if (successes.length === 0) missing.push(`${name(o)}: no 2xx response`);
      for (const [status, response] of responses) {
        const content = Object.entries((response.content ?? {}) as Record<string, any>);
        if (content.length === 0 && !['202', '204'].includes(status)) missing.push(`${name(o)} ${status}: no content`);
        for (const [type, media] of content) {
          const schema = media.schema?.$ref ? resolve(media.schema.$ref) : media.schema;
          if (!schema || (!schema.type && !schema.properties && !schema.allOf && !schema.oneOf)) missing.push(`${name(o)} ${status} ${type}: no schema`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists the errors each operation can answer, as problem+json', () => {
    const missing: string[] = [];
    for (const o of operations) {
      const responses = o.operation.responses as Record<string, any>;
      const secured = (o.operation.security as unknown[]).length > 0;
      const tenantScoped = (o.operation.parameters ?? []).some((p: any) => p.$ref === '#/components/parameters/TenantId');
      const expected = [
        ...(secured ? ['401', '403'] : []),
        ...(tenantScoped ? ['404'] : []),
        ...(o.operation.requestBody ? ['400', '413', '415', '422'] : []),
        ...((o.operation.parameters ?? []).some((p: any) => p.in === 'query') ? ['422'] : []),
        ...((o.operation.parameters ?? []).some((p: any) => p.name === 'If-Match') ? ['400', '412'] : []),
      ];
      for (const status of expected) if (!responses[status]) missing.push(`${name(o)}: no ${status}`);
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400 || (o.path.startsWith('/health') && status === '503')) continue;
        if (response.content?.['application/problem+json']?.schema?.$ref !== '#/components/schemas/Problem') missing.push(`${name(o)} ${status}: not a Problem`);
        if (!response.description?.trim()) missing.push(`${name(o)} ${status}: no description`);
        if (['429', '503'].includes(status) && !response.headers?.['Retry-After']) missing.push(`${name(o)} ${status}: no Retry-After`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('declares security from each route’s access rule, and X-Tenant-Id on tenant-scoped operations', () => {
    const rules = new Map(listRoutes(t.app).map((r) => [`${r.method} ${openApiPath(r.path)}`, r.rule]));
    const wrong: string[] = [];
    for (const o of operations) {
      const rule = rules.get(name(o))!;
      const schemes = (o.operation.security as Record<string, unknown>[]).map((s) => Object.keys(s).join('+')).sort();
      const expected =
        rule.kind === 'public'
          ? []
          : rule.kind === 'operator'
            ? ['operator']
            : rule.kind === 'authenticated' && rule.usersOnly
              ? ['bearer']
              : ['bearer', 'operator'];
      if (JSON.stringify(schemes) !== JSON.stringify(expected)) wrong.push(`${name(o)}: security ${schemes.join(',')}, expected ${expected.join(',')}`);
      const tenantHeader = (o.operation.parameters ?? []).some((p: any) => p.$ref === '#/components/parameters/TenantId');
      const tenantScoped = rule.kind === 'permission' || rule.kind === 'authenticated';
      if (tenantHeader !== tenantScoped) wrong.push(`${name(o)}: X-Tenant-Id ${tenantHeader ? 'declared' : 'missing'}`);
    }
    expect(wrong).toEqual([]);
    expect(document.security).toBeUndefined();
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['bearer', 'operator']);
    expect(document.components.parameters.TenantId).toMatchObject({ name: 'X-Tenant-Id', in: 'header', required: false });
  });

  it('declares filters as deepObject with no example values, and bounds on paging and strings', () => {
    const wrong: string[] = [];
    for (const o of operations) {
      for (const p of (o.operation.parameters ?? []) as any[]) {
        if (p.$ref || p.in !== 'query') continue;
        if (p.schema.type === 'object' && (p.style !== 'deepObject' || p.explode !== true || JSON.stringify(p.example) !== '{}')) wrong.push(`${name(o)} ${p.name}: not a deepObject`);
        if (p.name === 'limit' && !(p.schema.type === 'integer' && p.schema.minimum === 1 && p.schema.maximum === 200)) wrong.push(`${name(o)} limit: ${JSON.stringify(p.schema)}`);
        if (p.name === 'offset' && !(p.schema.type === 'integer' && p.schema.minimum === 0)) wrong.push(`${name(o)} offset: ${JSON.stringify(p.schema)}`);
        const strings = p.schema.type === 'object' ? Object.entries(p.schema.properties ?? {}) : [[p.name, p.schema]];
        for (const [field, schema] of strings as [string, any][]) if (schema.type === 'string' && !bounded(schema)) wrong.push(`${name(o)} ${p.name}.${field}: unbounded string`);
      }
      const body = o.operation.requestBody?.content?.['application/json']?.schema;
      if (body) for (const field of unboundedStrings(body.$ref ? resolve(body.$ref) : body, resolve, new Set())) wrong.push(`${name(o)} body ${field}: unbounded string`);
    }
    expect(wrong).toEqual([]);
  });

  it('has servers, a licence, and problem types served by the service', () => {
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    expect(document.info.license.name).toEqual(expect.any(String));
    expect(document.components.schemas.Problem.properties.code.enum).toEqual(expect.arrayContaining(['validation_failed', 'not_found']));
  });

  it('passes redocly lint with no error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(document));
      const { stdout } = await promisify(execFile)('node_modules/.bin/redocly', ['lint', file, '--format=json', '--max-problems=1000'], {
        // No telemetry and no update check: the lint runs offline.
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
        maxBuffer: 16 * 1024 * 1024,
      }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[] };
      const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
      expect(errors).toEqual([]);
      const warnings = report.problems.filter((p) => p.severity !== 'error' && !ACCEPTED_WARNINGS.has(p.ruleId)).map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
      expect(warnings).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A string a client cannot make arbitrarily long: bounded length, an enum, a fixed format or a pattern. */
function bounded(schema: any): boolean {
  return schema.maxLength !== undefined || schema.enum !== undefined || ['uuid', 'date', 'date-time'].includes(schema.format) || schema.pattern !== undefined;
}

function unboundedStrings(schema: any, resolve: (ref: string) => any, seen: Set<unknown>, prefix = ''): string[] {
  if (!schema || seen.has(schema)) return [];
  seen.add(schema);
  const found: string[] = [];
  for (const [field, raw] of Object.entries((schema.properties ?? {}) as Record<string, any>)) {
    const property = raw.$ref ? resolve(raw.$ref) : raw;
    const path = `${prefix}${field}`;
    if (property.type === 'string' && !bounded(property)) found.push(path);
    if (property.type === 'array') {
      const items = property.items?.$ref ? resolve(property.items.$ref) : property.items;
      if (property.maxItems === undefined) found.push(`${path} (no maxItems)`);
      if (items?.type === 'string' && !bounded(items)) found.push(`${path}[]`);
      if (items?.properties) found.push(...unboundedStrings(items, resolve, seen, `${path}[].`));
    }
    if (property.properties) found.push(...unboundedStrings(property, resolve, seen, `${path}.`));
  }
  return found;
}
