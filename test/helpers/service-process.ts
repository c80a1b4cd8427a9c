import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { OPERATOR_KEY, TEST_ENCRYPTION_KEY } from './app.js';

/** What the build is made from: every source file's name, size and modification time. */
function sourceState(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const stat = statSync(path);
        hash.update(`${path} ${stat.size} ${stat.mtimeMs}\n`);
      }
    }
  };
  walk('src');
  for (const file of ['ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json']) {
    hash.update(`${file} ${statSync(file).mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/**
 * Builds the service (tsc), as `npm start` would, unless the build is already of the current
 * sources. Test files run in parallel workers: one builds while the others wait on a lock
 * directory, then find the build current, so no process starts from a half-rewritten dist/.
 */
export function buildService(): void {
  const lock = 'dist/.build-lock';
  const stampFile = 'dist/.build-stamp';
  mkdirSync('dist', { recursive: true });
  const waitStarted = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the longest build is left from a killed run.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && (Date.now() - held.mtimeMs > 300_000 || Date.now() - waitStarted > 300_000)) {
        rmdirSync(lock, { recursive: true });
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    const state = sourceState();
    let built = '';
    try {
      built = readFileSync(stampFile, 'utf8');
    } catch {
      // never built
    }
    if (built === state) return;
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    writeFileSync(stampFile, state);
  } finally {
    rmdirSync(lock);
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

export interface ServiceProcess {
  child: ChildProcess;
  base: string;
  output: () => string;
  exited: Promise<unknown[]>;
}

/** Starts `node dist/src/main.js` and waits for /health to answer 200. */
export async function startService(databaseUrl: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      ADMIN_API_KEY: OPERATOR_KEY,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'warn',
      LOGIN_RATE_LIMIT: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) return { child, base, output: () => output, exited };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`service did not start:\n${output}`);
}

export const operatorJson = { 'content-type': 'application/json', 'x-admin-key': OPERATOR_KEY };
