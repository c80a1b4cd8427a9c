/**
 * The baseline of bench/sessions.ts: a bare Fastify hello-world, run as its own process
 * (node dist/bench/hello-server.js <port>) so it gets the same treatment as the service.
 */
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? process.env.PORT ?? '3001');
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
await app.listen({ port, host: '127.0.0.1' });
