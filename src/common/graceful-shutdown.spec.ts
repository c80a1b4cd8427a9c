import { describe, expect, it } from '@jest/globals';
import Fastify from 'fastify';
import { RunningHandlers } from './graceful-shutdown.js';

/** The count the shutdown waits on: a handler counts until its work settles, client or not. */
describe('RunningHandlers', () => {
  it('counts a handler until its promise settles, and stops waiting at the bound', async () => {
    const fastify = Fastify();
    const handlers = new RunningHandlers();
    handlers.track(fastify);
    let finish!: () => void;
    const work = new Promise<void>((resolve) => (finish = resolve));
    let started!: () => void;
    const begun = new Promise<void>((resolve) => (started = resolve));
    fastify.post('/slow', async () => {
      started();
      await work;
      return { done: true };
    });
    fastify.get('/fails', async () => {
      throw new Error('refused');
    });
    fastify.get('/sync', (_request, reply) => {
      void reply.send({ sync: true });
    });
    await fastify.ready();

    // Ones that settle at once, by value, by rejection or by sending, leave nothing counted.
    expect((await fastify.inject({ method: 'GET', url: '/fails' })).statusCode).toBe(500);
    expect((await fastify.inject({ method: 'GET', url: '/sync' })).statusCode).toBe(200);
    expect(handlers.running).toBe(0);

    const slow = fastify.inject({ method: 'POST', url: '/slow', payload: {} });
    await begun;
    expect(handlers.running).toBe(1);
    const waited = Date.now();
    expect(await handlers.settled(50)).toBe(1);
    expect(Date.now() - waited).toBeGreaterThanOrEqual(45);

    const idle = handlers.settled(10_000);
    finish();
    expect(await idle).toBe(0);
    expect((await slow).json()).toEqual({ done: true });
    await fastify.close();
  });
});
