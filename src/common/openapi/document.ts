import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { listRoutes } from '../../auth/route-inventory.js';
import { completeDocument } from './complete.js';

/**
 * Routes the document leaves out, and why. Everything else the application serves is in it,
 * and test/openapi.spec.ts fails for a route that is neither.
 */
export const UNDOCUMENTED: readonly { prefix: string; why: string }[] = [
  {
    prefix: '/scim/',
    why:
      'SCIM 2.0 describes itself to identity providers as RFC 7644 asks (ServiceProviderConfig, Schemas, ResourceTypes), ' +
      'in application/scim+json with the SCIM error schema rather than problem+json',
  },
  { prefix: '/console', why: 'the admin console: the files of a web application, not an API' },
];

export function isDocumented(path: string): boolean {
  return !UNDOCUMENTED.some(({ prefix }) => path === prefix.replace(/\/$/, '') || path.startsWith(prefix));
}

/** Tags of the document, in the order a reader meets them. A tag used by a route must be described here. */
export const TAGS: Record<string, string> = {
  auth: 'Sign in, refresh, sign out, password reset; the keys that sign and verify access tokens',
  me: "The signed-in user's own account: profile, password, sessions, two-factor authentication",
  users: 'Users of a tenant, by id or by externalId, their actions and plan assignments',
  sessions: "An admin's view of a user's sessions",
  groups: 'Groups (roles): named sets of permissions',
  plans: 'Plans, whose assignments set a user\'s session limit',
  permissions: 'The permission catalogue',
  tenants: "Tenants (operator), and the caller's own tenant",
  audit: 'The audit log, pollable with a cursor',
  health: 'Liveness and readiness',
  problems: 'What each problem code of an error answer means',
  webhooks: 'Webhook endpoints (Standard Webhooks), their signing secrets and deliveries',
};

const DESCRIPTION = `Multi-tenant identity API.

**Principals.** The operator sends \`X-Admin-Key\` and, on tenant-scoped operations, names the tenant
with the \`X-Tenant-Id\` header (id or slug; 400 without it). Users send \`Authorization: Bearer\`
with an access token from \`POST /api/v2/auth/login\`; integrations send a user's API key
(\`idk_…\`) the same way. A user or key acts in its own tenant: naming another in \`X-Tenant-Id\`
answers 404.

**Errors** are \`application/problem+json\` (the \`Problem\` schema). \`code\` is stable; \`type\`
is a page of this service, \`/problems/{code}\`, that says what the code means. Validation
failures (422) list one entry per field in \`errors\`.

**Lists** page with \`limit\` and an opaque \`after\` cursor (\`meta.nextCursor\`). Filters are
\`filter[name]=value\` (OpenAPI \`deepObject\`); with curl, pass \`-g\` so the brackets are sent as
they are.`;

/** The OpenAPI document of the running application, complete: see completeDocument. */
export function buildApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Identity service')
    .setDescription(DESCRIPTION)
    .setVersion('2')
    .addServer('/', 'This service')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Admin-Key', description: 'The operator key' }, 'operator')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT access token or idk_ API key' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config, { autoTagControllers: false });
  // The service and its API are the operator's; no licence is granted to use the API elsewhere.
  document.info.license = { name: 'Proprietary' };
  return completeDocument(document, listRoutes(app), { tags: TAGS, isDocumented });
}
