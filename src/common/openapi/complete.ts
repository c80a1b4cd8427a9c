import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type {
  HeaderObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import type { AccessRule } from '../../auth/access.decorators.js';
import type { RouteInfo } from '../../auth/route-inventory.js';
import { ERROR_CATALOGUE } from '../errors.js';
import { applyClassConstraints, applyPropertyConstraints, propertyClass, queryObjectSchema } from './validation-bounds.js';

type Schema = SchemaObject & { $ref?: string };
type Class = new (...args: unknown[]) => object;

const PROBLEM = '#/components/schemas/Problem';
const TENANT_PARAMETER = '#/components/parameters/TenantId';
const RETRY_AFTER = '#/components/headers/RetryAfter';

const REASON_PHRASES: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No content',
  '400': 'Bad request',
  '401': 'Unauthorized',
  '403': 'Forbidden',
  '404': 'Not found',
  '409': 'Conflict',
  '412': 'Precondition failed',
  '413': 'Payload too large',
  '415': 'Unsupported media type',
  '422': 'Validation failed',
  '429': 'Too many requests',
  '503': 'Service unavailable',
};

export interface CompleteOptions {
  /** Tag name to its description. */
  tags: Record<string, string>;
  /** Whether a path belongs in the document. */
  isDocumented: (path: string) => boolean;
}

export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function isReference(value: unknown): value is ReferenceObject {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

/** Who may call a route, as OpenAPI security requirements: derived from its access rule. */
function securityOf(rule: AccessRule): Record<string, string[]>[] {
  switch (rule.kind) {
    case 'public':
      return [];
    case 'operator':
      return [{ operator: [] }];
    case 'authenticated':
      return rule.usersOnly ? [{ bearer: [] }] : [{ operator: [] }, { bearer: [] }];
    case 'permission':
      return [{ operator: [] }, { bearer: [] }];
  }
}

function isTenantScoped(rule: AccessRule): boolean {
  return rule.kind === 'permission' || rule.kind === 'authenticated';
}

function operatorMayCall(rule: AccessRule): boolean {
  return rule.kind === 'operator' || rule.kind === 'permission' || (rule.kind === 'authenticated' && !rule.usersOnly);
}

/** The classes of a handler's @Body() and whole-object @Query() arguments. */
function handlerArguments(route: RouteInfo): { body?: Class; query?: Class } {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, route.controllerType, route.handler) ?? {}) as Record<
    string,
    { index: number; data?: unknown }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', route.controllerType.prototype, route.handler) ?? []) as unknown[];
  const found: { body?: Class; query?: Class } = {};
  for (const [key, arg] of Object.entries(args)) {
    const kind = Number(key.split(':')[0]);
    const type = types[arg.index];
    if (typeof type !== 'function' || arg.data !== undefined) continue;
    if (kind === RouteParamtypes.BODY) found.body = type as Class;
    if (kind === RouteParamtypes.QUERY) found.query = type as Class;
  }
  return found;
}

function parametersOf(operation: OperationObject): ParameterObject[] {
  return (operation.parameters ?? []).filter((p): p is ParameterObject => !isReference(p));
}

/**
 * The errors a route can answer, with why, derived from what it declares: its access rule,
 * whether it is tenant-scoped, its body, its parameters and an If-Match header.
 */
function derivedProblems(rule: AccessRule, operation: OperationObject): Map<number, string[]> {
  const problems = new Map<number, string[]>();
  const add = (status: number, reason: string): void => {
    problems.set(status, [...(problems.get(status) ?? []), reason]);
  };
  const parameters = parametersOf(operation);
  const hasBody = operation.requestBody !== undefined;
  const ifMatch = parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'if-match');
  const query = parameters.filter((p) => p.in === 'query');
  const path = parameters.filter((p) => p.in === 'path');
  const tenantScoped = isTenantScoped(rule);

  if (hasBody) add(400, 'the body is not JSON, or nests deeper than 32 levels');
  if (ifMatch) add(400, 'If-Match is not `*` or a list of ETags (`"3"`)');
  if (tenantScoped && operatorMayCall(rule)) add(400, 'the operator named no tenant (send X-Tenant-Id)');

  if (rule.kind !== 'public') add(401, 'no credential, or one that is not (or no longer) valid');

  if (rule.kind === 'operator') add(403, 'the caller is not the operator');
  if (rule.kind === 'permission') add(403, `the caller lacks the ${rule.permission} permission`);
  if (rule.kind === 'authenticated' && rule.usersOnly) add(403, 'the caller is the operator, which has no account of its own');
  if (rule.kind !== 'public' && rule.kind !== 'operator') add(403, "the caller's session must first change its password or enrol a second factor");

  if (tenantScoped) add(404, "X-Tenant-Id names no tenant, or another tenant than the caller's");
  const lookedUp = path.filter((p) => !(p.schema && !isReference(p.schema) && p.schema.enum));
  if (lookedUp.length > 0) add(404, `nothing in reach has this ${lookedUp.map((p) => p.name).join(' and ')}`);

  if (ifMatch) add(412, 'If-Match does not match the current ETag: the resource changed since it was read');
  if (hasBody) add(413, 'the body is larger than the limit (256 KiB by default)');
  if (hasBody) add(415, 'the body is not application/json');

  if (hasBody) add(422, 'a field of the body is invalid or unknown: one entry per field in `errors`');
  if (query.length > 0) add(422, 'a query parameter is invalid or unknown');
  for (const p of path) if (p.schema && !isReference(p.schema) && p.schema.enum) add(422, `${p.name} is not one of its values`);

  if (!(rule.kind === 'public' && !hasBody)) add(503, 'the database cannot be reached right now; retry after Retry-After');
  return problems;
}

function sentence(parts: string[]): string {
  const text = parts.filter((p) => p.trim() !== '').join('; ');
  if (text === '') return '';
  const capitalised = text[0]!.toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

function problemResponse(description: string, status: number): ResponseObject {
  const response: ResponseObject = {
    description,
    content: { 'application/problem+json': { schema: { $ref: PROBLEM } } },
  };
  if (status === 429 || status === 503) response.headers = { 'Retry-After': { $ref: RETRY_AFTER } };
  return response;
}

/** Errors derived for the route, merged with those it declares itself (their descriptions first). */
function completeResponses(rule: AccessRule, operation: OperationObject): void {
  const responses = operation.responses as Record<string, ResponseObject | ReferenceObject>;
  for (const [status, reasons] of derivedProblems(rule, operation)) {
    const declared = responses[String(status)];
    if (declared && (isReference(declared) || declared.content)) continue;
    const own = declared?.description ?? '';
    responses[String(status)] = problemResponse(sentence([own, ...reasons]), status);
  }
  for (const [status, response] of Object.entries(responses)) {
    if (isReference(response)) continue;
    const code = Number(status);
    if (code >= 400 && !response.content) responses[status] = problemResponse(sentence([response.description || REASON_PHRASES[status] || '']), code);
    else if (code === 429 || code === 503) response.headers = { 'Retry-After': { $ref: RETRY_AFTER }, ...response.headers };
    if (!response.description) (responses[status] as ResponseObject).description = REASON_PHRASES[status] ?? status;
  }
  operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

function resolver(document: OpenAPIObject): (ref: string) => Schema | undefined {
  return (ref) => {
    const name = ref.replace('#/components/schemas/', '');
    const schema = document.components?.schemas?.[name];
    return schema && !isReference(schema) ? (schema as Schema) : undefined;
  };
}

/** Lengths, bounds, enums and patterns of the body and query, from the validators that enforce them. */
function completeBounds(document: OpenAPIObject, route: RouteInfo, operation: OperationObject): void {
  const resolve = resolver(document);
  const { body, query } = handlerArguments(route);
  if (body && operation.requestBody && !isReference(operation.requestBody)) {
    for (const media of Object.values(operation.requestBody.content)) {
      const schema = media.schema as Schema | undefined;
      const target = schema?.$ref ? resolve(schema.$ref) : schema;
      if (target) applyClassConstraints(body, target, resolve);
    }
  }
  for (const parameter of parametersOf(operation)) {
    if (parameter.in !== 'query' || !parameter.schema || isReference(parameter.schema)) continue;
    const schema = parameter.schema as Schema;
    if (query) applyPropertyConstraints(query, parameter.name, schema);
    const nested = query ? propertyClass(query, parameter.name) : undefined;
    if (nested && schema.type === 'object' && Object.keys(schema.properties ?? {}).length === 0) Object.assign(schema, queryObjectSchema(nested));
    else if (nested && schema.properties) applyClassConstraints(nested, schema, resolve);
    if (schema.type === 'object' || schema.properties) {
      // filter[name]=x: one query parameter per key. An empty example, so Swagger UI's
      // "Try it out" sends no filter until one is typed in (a generated one would filter by "string").
      parameter.style = 'deepObject';
      parameter.explode = true;
      parameter.example = {};
    }
  }
}

function tenantParameter(): ParameterObject {
  return {
    name: 'X-Tenant-Id',
    in: 'header',
    required: false,
    description:
      'The tenant the request acts in, by id or slug. The operator must send it (400 without it). A user or an API key ' +
      'acts in its own tenant and may leave it out; naming another tenant answers 404.',
    schema: { type: 'string', minLength: 1, maxLength: 63 },
  };
}

function retryAfterHeader(): HeaderObject {
  return { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } };
}

function problemSchemas(): Record<string, SchemaObject> {
  return {
    FieldError: {
      type: 'object',
      required: ['field', 'message'],
      properties: {
        field: { type: 'string', description: 'Path of the field: `email`, `filter.email`, `plans.0.validTo`', example: 'email' },
        message: { type: 'string', example: 'must be an email address' },
      },
    },
    Problem: {
      type: 'object',
      description: 'An error answer (RFC 9457), sent as application/problem+json.',
      required: ['type', 'title', 'status', 'code', 'detail', 'requestId'],
      properties: {
        type: {
          type: 'string',
          format: 'uri-reference',
          description: 'A page of this service, `/problems/{code}`, that says what the code means',
          example: '/problems/validation_failed',
        },
        title: { type: 'string', description: "The code's title, the same for every problem with this code", example: 'Validation failed' },
        status: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status', example: 422 },
        code: {
          type: 'string',
          enum: Object.keys(ERROR_CATALOGUE),
          description: 'Stable, for programs to act on; `GET /problems` lists what each means',
          example: 'validation_failed',
        },
        detail: { type: 'string', description: 'What went wrong with this request, for a person', example: 'The request has invalid fields' },
        errors: { type: 'array', description: 'On 422: one entry per invalid field', items: { $ref: '#/components/schemas/FieldError' } },
        requestId: { type: 'string', description: 'Also in the X-Request-Id header and on every log line of the request' },
      },
    },
  };
}

/**
 * A handler served at several paths (`@Get([':id', 'external/:externalId'])`) has an operation
 * per path, each listing the parameters of every path and named `Controller_handler[i]`,
 * which is not URL-safe. Each keeps its own path's parameters, and is named by its handler
 * and, after the first path, by the fixed segments the first path lacks: `UsersController_get`
 * and `UsersController_getExternal`.
 */
function completeAlias(route: RouteInfo, aliases: RouteInfo[], operation: OperationObject): void {
  const own = new Set([...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]));
  const order = [...own];
  const position = (p: ParameterObject | ReferenceObject) => (isReference(p) ? -1 : p.in === 'path' ? order.indexOf(p.name) : order.length);
  // Path parameters in the path's order, before the headers, as on a handler with one path.
  operation.parameters = (operation.parameters ?? [])
    .filter((p) => isReference(p) || p.in !== 'path' || own.has(p.name))
    .map((p, index) => ({ p, index }))
    .sort((a, b) => position(a.p) - position(b.p) || a.index - b.index)
    .map(({ p }) => p);
  const firstSegments = new Set(aliases[0]!.path.split('/'));
  const extra = route.path.split('/').filter((segment) => segment !== '' && !segment.startsWith(':') && !firstSegments.has(segment));
  const words = extra.flatMap((segment) => segment.split('-')).map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  operation.operationId = `${route.controller}_${route.handler}${words.join('')}`;
}

function derivedTag(path: string): string {
  const segments = path.split('/').filter(Boolean);
  const start = segments[0] === 'api' ? 2 : 0;
  return segments[start]?.replace(/^\./, '') ?? 'service';
}

/**
 * Completes the document Nest generates from the controllers with everything that follows
 * from what each route already declares, so a new route needs no more than its access
 * decorator, its DTOs, its success response and a summary:
 * - security: none on public routes, the operator key on operator routes, the operator key
 *   or a bearer credential on tenant routes, a bearer credential on the caller's own account;
 * - the X-Tenant-Id header parameter on every tenant-scoped operation;
 * - its problem+json error responses (400 401 403 404 412 413 415 422 503, as they apply),
 *   merged with the ones it declares (409, 429), Retry-After on 429 and 503;
 * - `filter` objects as deepObject query parameters;
 * - lengths, bounds, enums and patterns from the class-validator rules of its body and query;
 * - a tag from its path when it has none;
 * - for a handler served at several paths, each path's own parameters and a URL-safe operationId.
 * Routes outside the document (see UNDOCUMENTED) are removed.
 */
export function completeDocument(document: OpenAPIObject, routes: RouteInfo[], options: CompleteOptions): OpenAPIObject {
  for (const path of Object.keys(document.paths)) if (!options.isDocumented(path)) delete document.paths[path];
  const components = (document.components ??= {});
  components.schemas = { ...components.schemas, ...problemSchemas() };
  components.parameters = { ...components.parameters, TenantId: tenantParameter() };
  components.headers = { ...components.headers, RetryAfter: retryAfterHeader() };

  for (const route of routes) {
    if (!route.rule || !options.isDocumented(route.path)) continue;
    const operation = (document.paths[openApiPath(route.path)] as Record<string, OperationObject> | undefined)?.[route.method.toLowerCase()];
    if (!operation) continue;
    const aliases = routes.filter((r) => r.controllerType === route.controllerType && r.handler === route.handler && r.method === route.method);
    if (aliases.length > 1) completeAlias(route, aliases, operation);
    operation.security = securityOf(route.rule);
    if (isTenantScoped(route.rule)) operation.parameters = [{ $ref: TENANT_PARAMETER }, ...(operation.parameters ?? [])];
    if (!operation.tags?.length) operation.tags = [derivedTag(route.path)];
    completeBounds(document, route, operation);
    completeResponses(route.rule, operation);
  }

  const used = new Set(Object.values(document.paths).flatMap((item) => Object.values(item as Record<string, OperationObject>).flatMap((op) => op.tags ?? [])));
  document.tags = [
    ...Object.entries(options.tags)
      .filter(([name]) => used.has(name))
      .map(([name, description]) => ({ name, description })),
    ...[...used].filter((name) => !(name in options.tags)).map((name) => ({ name })),
  ];
  return document;
}
