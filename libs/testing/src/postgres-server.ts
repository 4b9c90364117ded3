import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export interface PrivatePostgresOptions {
  /** Fixed port; by default a free one is picked on the first start and kept across restarts. */
  port?: number;
  /** Where initdb, pg_ctl and postgres are (default: PostgreSQL 15's directory on Debian). */
  binDir?: string;
  /** The OS user that runs the server when this process is root (PostgreSQL refuses root). */
  osUser?: string;
}

/**
 * A PostgreSQL server of its own for one test file: a fresh cluster in a temp dir, loopback
 * only, trust auth for the `postgres` superuser, fsync off (a committed row survives a crash of
 * the server, not of the machine). Unlike PrivateRedis its data survives stop / kill / restart
 * (on the same port), as a real database server's would; `remove()` stops it and deletes the
 * cluster.
 */
export class PrivatePostgres {
  private dataDir?: string;
  private assignedPort?: number;
  private readonly binDir: string;
  private readonly osUser: string;
  running = false;

  constructor(private readonly options: PrivatePostgresOptions = {}) {
    this.assignedPort = options.port;
    this.binDir = options.binDir ?? process.env.POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
    this.osUser = options.osUser ?? 'postgres';
  }

  get port(): number {
    if (this.assignedPort === undefined) throw new Error('PrivatePostgres was never started');
    return this.assignedPort;
  }

  /** The `postgres` maintenance database, as the superuser: what createTestDatabase takes as its admin URL. */
  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (!this.dataDir) await this.initCluster();
    const pickPort = this.options.port === undefined;
    // A freshly picked port can be taken by someone else before postgres binds it: pick again.
    for (let attempt = 1; ; attempt++) {
      this.assignedPort ??= await freePort();
      try {
        await this.pgCtl('start', '-w', '-t', '30', '-l', path.join(this.dataDir!, 'server.log'), '-o', this.serverFlags());
        this.running = true;
        return;
      } catch (error) {
        const log = await this.serverLog();
        if (!pickPort || !/could not bind|address already in use/i.test(log) || attempt >= 3) {
          throw new Error(`PostgreSQL did not start on port ${this.assignedPort}: ${(error as Error).message}\n${log}`);
        }
        this.assignedPort = undefined;
      }
    }
  }

  /** A fast shutdown: open sessions are ended, the data is kept. */
  async stop(): Promise<void> {
    if (!this.running) return;
    await this.pgCtl('stop', '-w', '-m', 'fast');
    this.running = false;
  }

  /** A crash: immediate shutdown with no checkpoint; the next start runs crash recovery. */
  async kill(): Promise<void> {
    if (!this.running) return;
    await this.pgCtl('stop', '-w', '-m', 'immediate');
    this.running = false;
  }

  /** Stop and start again on the same port, with the same data. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the server (if running) and deletes its cluster. */
  async remove(): Promise<void> {
    try {
      await this.kill();
    } finally {
      if (this.dataDir) await rm(path.dirname(this.dataDir), { recursive: true, force: true });
      this.dataDir = undefined;
    }
  }

  private serverFlags(): string {
    return [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.dataDir}`,
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c max_connections=300',
    ].join(' ');
  }

  private async initCluster(): Promise<void> {
    const parent = await mkdtemp(path.join(tmpdir(), 'aftercare-postgres-'));
    const dataDir = path.join(parent, 'data');
    if (this.asOtherUser) {
      const { stdout } = await run('id', ['-u', this.osUser]);
      const { stdout: gid } = await run('id', ['-g', this.osUser]);
      await chown(parent, Number(stdout.trim()), Number(gid.trim()));
    }
    this.dataDir = dataDir;
    try {
      await this.exec('initdb', '-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C');
    } catch (error) {
      await rm(parent, { recursive: true, force: true });
      this.dataDir = undefined;
      throw error;
    }
  }

  /** PostgreSQL refuses to run as root: as root (CI), its tools run as osUser. */
  private get asOtherUser(): boolean {
    return userInfo().uid === 0;
  }

  private pgCtl(action: string, ...args: string[]): Promise<void> {
    return this.exec('pg_ctl', action, '-D', this.dataDir!, ...args);
  }

  private async exec(tool: string, ...args: string[]): Promise<void> {
    const binary = path.join(this.binDir, tool);
    const [command, argv] = this.asOtherUser ? ['runuser', ['-u', this.osUser, '--', binary, ...args]] : [binary, args];
    await run(command, argv, { cwd: tmpdir() });
  }

  private async serverLog(): Promise<string> {
    try {
      const { stdout } = await run('tail', ['-n', '20', path.join(this.dataDir!, 'server.log')]);
      return stdout;
    } catch {
      return '';
    }
  }

  /** Whether the server answers a query now. */
  async ready(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
