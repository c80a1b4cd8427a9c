import { listRoutes } from '../src/auth/route-inventory.js';
import { startApp, type TestApp } from './helpers/app.js';

/** No route ships unguarded: each declares @Public, @OperatorOnly, @Authenticated or @RequirePermission. */
describe('route permission declarations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('finds the routes the application serves', () => {
    const routes = listRoutes(t.app).map((r) => `${r.method} ${r.path}`);
    expect(routes).toEqual(expect.arrayContaining(['POST /api/v2/tenants', 'GET /health', 'GET /api/v2/audit-events']));
  });

  it('has an access rule on every route', () => {
    const undeclared = listRoutes(t.app)
      .filter((r) => r.rule === undefined)
      .map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`);
    expect(undeclared).toEqual([]);
  });

  it('keeps public only the routes the contract makes public', () => {
    const allowed = new Set([
      'POST /api/v2/auth/login',
      'POST /api/v2/auth/refresh',
      'POST /api/v2/auth/password-reset/request',
      'POST /api/v2/auth/password-reset/confirm',
      'GET /health',
      'GET /health/live',
      'GET /health/ready',
      'GET /.well-known/jwks.json',
      // The pages behind the problems' type URIs.
      'GET /problems',
      'GET /problems/:code',
    ]);
    const extra = listRoutes(t.app)
      .filter((r) => r.rule?.kind === 'public')
      .map((r) => `${r.method} ${r.path}`)
      .filter((r) => !allowed.has(r));
    expect(extra).toEqual([]);
  });
});
