/**
 * The peer of bench/peers.ts: better-auth with its admin and bearer plugins on SQLite
 * (better-sqlite3, a file), served by node:http through its Node handler, as its own process:
 *
 *   node dist/bench/better-auth-server.js <port> <sqlite file> <admin email> <admin password>
 *
 * On start it creates its tables (better-auth's own migrations), signs the admin up and gives
 * it the admin role, then serves /api/auth/* on 127.0.0.1. Everything else (the users, the
 * logins) the benchmark does through the HTTP API, as it does with the service. Its defaults
 * stand (scrypt passwords, sessions read from the database on every request) except what would
 * measure something else: the rate limiter is off (the service's login limit is raised out of
 * the way too) and telemetry is off.
 */
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { admin, bearer } from 'better-auth/plugins';
import { createServer } from 'node:http';

const [portArg, file, adminEmail, adminPassword] = process.argv.slice(2);
if (!portArg || !file || !adminEmail || !adminPassword) throw new Error('usage: better-auth-server.js <port> <sqlite file> <admin email> <admin password>');
const port = Number(portArg);
const baseURL = `http://127.0.0.1:${port}`;

const db = new Database(file);
db.pragma('journal_mode = WAL');

const auth = betterAuth({
  baseURL,
  secret: 'bench-better-auth-secret-0123456789abcdef',
  database: db,
  emailAndPassword: { enabled: true },
  plugins: [admin(), bearer()],
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  logger: { level: 'error' },
});

const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

const signedUp = await auth.api.signUpEmail({ body: { email: adminEmail, password: adminPassword, name: 'Bench Admin' } });
db.prepare('UPDATE "user" SET "role" = ? WHERE "id" = ?').run('admin', signedUp.user.id);

const handler = toNodeHandler(auth);
const server = createServer((req, res) => void handler(req, res));
process.on('SIGTERM', () => {
  server.close(() => {
    db.close();
    process.exit(0);
  });
  server.closeAllConnections();
});
server.listen(port, '127.0.0.1');
