import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  timestamp: string;
  /** The payload as standardwebhooks' verify() returned it; null when the signature did not verify. */
  payload: any;
  verified: boolean;
  status: number;
  /** The answer was sent (a held request is received but not answered). */
  answered: boolean;
}

/**
 * A webhook consumer on loopback, as an integration would write one: it verifies each request
 * with the standardwebhooks package and the secret it was shown, and answers what `respond`
 * says (200 by default). It can go down and come back on the same port.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  secret = '';
  respond: (id: string, payload: any) => number = () => 200;
  /** Milliseconds to wait before answering; Infinity never answers (the request stays open). */
  delayMs = 0;
  private server: Server | null = null;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req).then((status) => res.writeHead(status).end()));
    server.keepAliveTimeout = 500;
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Delivered (2xx and verified) payloads only. */
  get delivered(): any[] {
    return this.received.filter((r) => r.answered && r.verified && r.status < 300).map((r) => r.payload);
  }

  async waitFor(check: (receiver: this) => boolean, timeoutMs = 15_000, what = 'deliveries'): Promise<void> {
    const started = Date.now();
    while (!check(this)) {
      if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms (received ${this.received.length})`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async handle(req: IncomingMessage): Promise<number> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    let payload: any = null;
    let verified: boolean;
    try {
      payload = new Webhook(this.secret).verify(body, headers);
      verified = true;
    } catch {
      verified = false;
    }
    const status = verified ? this.respond(headers['webhook-id'] ?? '', payload) : 401;
    const entry: Received = { id: headers['webhook-id'] ?? '', timestamp: headers['webhook-timestamp'] ?? '', payload, verified, status, answered: false };
    this.received.push(entry);
    if (this.delayMs === Infinity) await new Promise(() => undefined);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    entry.answered = true;
    return status;
  }
}
