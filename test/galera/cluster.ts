import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from '../helpers/service-process.js';

const PROVIDER = '/usr/lib/galera/libgalera_smm.so';

/** The system account the Debian package runs MariaDB as. */
function mysqlUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'mysql']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'mysql']).toString().trim());
  return { uid, gid };
}

/**
 * One MariaDB Galera node on loopback ports, under a temporary directory, with its own
 * configuration file (passed as --defaults-file, so neither the server nor its state-transfer
 * scripts read the machine's own my.cnf, and the server on 3306 is never touched).
 */
export class GaleraNode {
  private child: ChildProcess | null = null;
  readonly dir: string;

  constructor(
    readonly name: string,
    root: string,
    readonly port: number,
    readonly groupPort: number,
    readonly istPort: number,
    readonly sstPort: number,
  ) {
    this.dir = join(root, name);
  }

  get datadir(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  writeConfig(clusterAddress: string): void {
    mkdirSync(this.datadir, { recursive: true });
    const config = [
      '[mysqld]',
      // As the packaged server runs: the rsync daemon of a state transfer, started by a root
      // server, would drop to `nobody` and could not write the data directory.
      'user = mysql',
      `datadir = ${this.datadir}`,
      `socket = ${join(this.dir, 'mysqld.sock')}`,
      `pid-file = ${join(this.dir, 'mysqld.pid')}`,
      `log-error = ${join(this.dir, 'error.log')}`,
      `port = ${this.port}`,
      'bind-address = 127.0.0.1',
      'skip-name-resolve',
      'character-set-server = utf8mb4',
      'collation-server = utf8mb4_unicode_ci',
      'max_connections = 300',
      'performance_schema = OFF',
      'innodb_buffer_pool_size = 64M',
      'innodb_log_file_size = 32M',
      'innodb_flush_log_at_trx_commit = 2',
      'innodb_autoinc_lock_mode = 2',
      'binlog_format = ROW',
      'default_storage_engine = InnoDB',
      'wsrep_on = ON',
      `wsrep_provider = ${PROVIDER}`,
      'wsrep_cluster_name = identity-galera-test',
      `wsrep_cluster_address = ${clusterAddress}`,
      `wsrep_node_name = ${this.name}`,
      `wsrep_node_address = 127.0.0.1:${this.groupPort}`,
      `wsrep_provider_options = "base_host=127.0.0.1;base_port=${this.groupPort};ist.recv_addr=127.0.0.1:${this.istPort};gcache.size=128M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT5S;evs.inactive_check_period=PT1S"`,
      'wsrep_sst_method = rsync',
      `wsrep_sst_receive_address = 127.0.0.1:${this.sstPort}`,
      'wsrep_slave_threads = 2',
      // Writes to a table without a primary key are refused, as the service's schema must never need.
      'wsrep_mode = REQUIRED_PRIMARY_KEY,STRICT_REPLICATION',
      // A read waits until the node has applied every write the cluster acknowledged before it,
      // so a revocation committed through one node is seen through every other at once.
      'wsrep_sync_wait = 1',
      '',
    ].join('\n');
    writeFileSync(join(this.dir, 'my.cnf'), config);
    const { uid, gid } = mysqlUser();
    for (const path of [this.dir, this.datadir]) chownSync(path, uid, gid);
  }

  /** Creates the system tables (root with an empty password, as on the machine's own server). */
  install(): void {
    execFileSync(
      'mariadb-install-db',
      [`--defaults-file=${join(this.dir, 'my.cnf')}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'],
      { stdio: 'ignore' },
    );
  }

  /**
   * After a kill the node does not know how far it got; --wsrep-recover reads it from InnoDB,
   * so the restart can ask the cluster for only what it missed (IST) instead of a full copy.
   */
  recoveredPosition(): string | null {
    execFileSync('mariadbd', [`--defaults-file=${join(this.dir, 'my.cnf')}`, '--wsrep-recover', `--log-error=${join(this.dir, 'recover.log')}`], { stdio: 'ignore' });
    const match = /Recovered position: ([0-9a-f-]+:-?\d+)/.exec(readFileSync(join(this.dir, 'recover.log'), 'utf8'));
    return match?.[1] ?? null;
  }

  start(options: { bootstrap?: boolean; startPosition?: string | null } = {}): void {
    const args = [`--defaults-file=${join(this.dir, 'my.cnf')}`];
    if (options.bootstrap) args.push('--wsrep-new-cluster');
    if (options.startPosition) args.push(`--wsrep-start-position=${options.startPosition}`);
    this.child = spawn('mariadbd', args, { stdio: 'ignore' });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  killNow(): void {
    if (this.running) this.child!.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  async status(): Promise<Record<string, string> | null> {
    try {
      const conn = await createConnection({ uri: this.url, connectTimeout: 1000 });
      try {
        const [rows] = await conn.query("SHOW GLOBAL STATUS LIKE 'wsrep_%'");
        return Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name, r.Value]));
      } finally {
        await conn.end();
      }
    } catch {
      return null;
    }
  }

  /** Waits until the node is a synced member of the primary component. */
  async synced(timeoutMs = 120_000): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      const status = await this.status();
      if (status?.wsrep_local_state_comment === 'Synced' && status.wsrep_ready === 'ON') return Date.now() - started;
      if (!this.running) throw new Error(`${this.name} exited:\n${this.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${this.name} not synced within ${timeoutMs} ms:\n${this.log().slice(-3000)}`);
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  }
}

/** Three nodes on loopback, started one after the other: the first bootstraps, the others join by state transfer. */
export class GaleraCluster {
  private constructor(
    readonly root: string,
    readonly nodes: GaleraNode[],
  ) {}

  static async create(size = 3): Promise<GaleraCluster> {
    const root = mkdtempSync(join(tmpdir(), 'identity-galera-'));
    chmodSync(root, 0o755);
    const nodes: GaleraNode[] = [];
    for (let i = 1; i <= size; i++) {
      nodes.push(new GaleraNode(`node${i}`, root, await freePort(), await freePort(), await freePort(), await freePort()));
    }
    const address = `gcomm://${nodes.map((n) => `127.0.0.1:${n.groupPort}`).join(',')}`;
    for (const node of nodes) node.writeConfig(address);
    // Should the test process die, its nodes and their files go with it.
    process.once('exit', () => {
      for (const node of nodes) node.killNow();
      rmSync(root, { recursive: true, force: true });
    });
    return new GaleraCluster(root, nodes);
  }

  async start(): Promise<void> {
    const [first, ...others] = this.nodes;
    first!.install();
    first!.start({ bootstrap: true });
    await first!.synced();
    for (const node of others) {
      node.install();
      node.start();
      await node.synced();
    }
  }

  async destroy(): Promise<void> {
    for (const node of [...this.nodes].reverse()) await node.stop().catch(() => node.kill());
    rmSync(this.root, { recursive: true, force: true });
  }
}
