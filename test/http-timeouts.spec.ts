import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { request } from 'node:http';
import { createTenant, OPERATOR_KEY, startApp, type TestApp } from './helpers/app.js';

/**
 * Idle and half-sent connections are cut (API.md section 3; issue 12, point 12): a socket that
 * sends nothing, one that trickles its headers, one that trickles its body. Real sockets to
 * a listening service on loopback, with the timeouts shortened through their variables.
 */
describe('HTTP timeouts', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startApp({ HTTP_HEADERS_TIMEOUT_SECONDS: '2', HTTP_REQUEST_TIMEOUT_SECONDS: '4' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
  });

  /** Opens a socket, runs `feed` on it, and resolves with how long the server took to close it (Infinity past `limitMs`). */
  function closedAfter(feed: (socket: Socket) => void, limitMs: number): Promise<{ ms: number; received: string }> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const started = Date.now();
      let received = '';
      const done = (ms: number) => {
        clearTimeout(limit);
        socket.destroy();
        resolve({ ms, received });
      };
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('close', () => done(Date.now() - started));
      socket.on('error', () => undefined);
      socket.on('connect', () => feed(socket));
      const limit = setTimeout(() => done(Infinity), limitMs);
    });
  }

  /** Writes one byte of `text` every `everyMs`, as a slow-loris client does. */
  const trickle = (socket: Socket, text: string, everyMs = 250) => {
    let at = 0;
    const timer = setInterval(() => {
      if (at < text.length && !socket.destroyed) socket.write(text[at++]!);
    }, everyMs);
    socket.on('close', () => clearInterval(timer));
  };

  it('cuts idle sockets, trickled headers and trickled bodies, and still serves a prompt request', async () => {
    const idle = Array.from({ length: 10 }, () => closedAfter(() => undefined, 9000));
    const slowHeaders = closedAfter((socket) => {
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      trickle(socket, 'X-Slow: ' + 'a'.repeat(200));
    }, 9000);
    const slowBody = closedAfter((socket) => {
      socket.write('POST /api/v2/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{');
      trickle(socket, '"tenant":"' + 'a'.repeat(400));
    }, 9000);
    const prompt = await fetch(`http://127.0.0.1:${port}/health`);
    expect(prompt.status).toBe(200);

    for (const { ms } of await Promise.all(idle)) {
      expect(ms).toBeGreaterThanOrEqual(1500);
      expect(ms).toBeLessThan(4500);
    }
    const headers = await slowHeaders;
    expect(headers.ms).toBeLessThan(4500);
    const body = await slowBody;
    expect(body.ms).toBeGreaterThanOrEqual(3500);
    expect(body.ms).toBeLessThan(6500);
    // A slow body is answered (408) before the connection closes, never with a 5xx.
    expect(body.received).not.toMatch(/^HTTP\/1\.1 5/);
  }, 20_000);

  it('lets an import stream its records for longer than the body timeout', async () => {
    const tenant = await createTenant(t);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v2/users/import',
          headers: { 'content-type': 'application/x-ndjson', 'x-admin-key': OPERATOR_KEY, 'x-tenant-id': tenant.id, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      let sent = 0;
      const timer = setInterval(() => {
        req.write(`${JSON.stringify({ email: `streamed-${sent}@example.com` })}\n`);
        if (++sent === 6) {
          clearInterval(timer);
          req.end();
        }
      }, 1000);
    });
    expect(status).toBe(200);
    const listed = await t.call('GET', '/api/v2/users?filter[email]=streamed-5@example.com', { tenant: tenant.id });
    expect(listed.body.data).toHaveLength(1);
  }, 20_000);
});
