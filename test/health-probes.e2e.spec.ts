import { createTenant, startApp } from './helpers/app.js';
import { closedPort, REDIS_URL, redisNamespace } from './helpers/redis.js';

/** GET /health/live and GET /health/ready, the probes an orchestrator polls. */
describe('health probes', () => {
  it('answers live and ready without credentials, and reports no Redis when none is configured', async () => {
    const t = await startApp();
    try {
      const live = await t.call('GET', '/health/live', { as: null });
      expect({ status: live.status, body: live.body }).toEqual({ status: 200, body: { status: 'ok' } });
      const ready = await t.call('GET', '/health/ready', { as: null });
      expect({ status: ready.status, body: ready.body }).toEqual({ status: 200, body: { status: 'ok', database: 'up', shuttingDown: false } });
      // GET /health keeps its shape.
      expect((await t.call('GET', '/health', { as: null })).body).toEqual({ status: 'ok', database: 'up' });
    } finally {
      await t.close();
    }
  });

  it('reports Redis when it is configured', async () => {
    const redis = redisNamespace();
    const t = await startApp({ REDIS_URL, REDIS_KEY_PREFIX: redis.prefix });
    try {
      const ready = await t.call('GET', '/health/ready', { as: null });
      expect({ status: ready.status, body: ready.body }).toEqual({ status: 200, body: { status: 'ok', database: 'up', redis: 'up', shuttingDown: false } });
    } finally {
      await t.close();
      await redis.clean();
    }
  });

  it('stays ready, degraded, while Redis cannot be reached: the limits fall back to the instance', async () => {
    const t = await startApp({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    try {
      const ready = await t.call('GET', '/health/ready', { as: null });
      expect({ status: ready.status, body: ready.body }).toEqual({ status: 200, body: { status: 'degraded', database: 'up', redis: 'down', shuttingDown: false } });
      expect((await createTenant(t)).id).toEqual(expect.any(String));
    } finally {
      await t.close();
    }
  });

  it('is not ready while the database cannot be reached, and stays live', async () => {
    const t = await startApp();
    try {
      await t.dataSource.destroy();
      const ready = await t.call('GET', '/health/ready', { as: null });
      expect({ status: ready.status, body: ready.body }).toEqual({ status: 503, body: { status: 'error', database: 'down', shuttingDown: false } });
      expect((await t.call('GET', '/health/live', { as: null })).status).toBe(200);
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});
