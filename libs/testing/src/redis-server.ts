import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { waitFor } from './wait.js';

export interface PrivateRedisOptions {
  /** Fixed port; by default a free one is picked on the first start and kept across restarts. */
  port?: number;
  /** How long start() waits for PING to answer (default 10 s). */
  startTimeoutMs?: number;
  /** Path of the redis-server binary (default: redis-server on PATH). */
  binary?: string;
}

/**
 * A redis-server of its own for one test file: loopback only, no persistence, its own temp
 * dir. It can be stopped, killed and restarted on the same port to test what survives a Redis
 * outage or flush.
 */
export class PrivateRedis {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private dir?: string;
  private assignedPort?: number;
  private output: string[] = [];
  private readonly startTimeoutMs: number;
  private readonly binary: string;

  constructor(private readonly options: PrivateRedisOptions = {}) {
    this.assignedPort = options.port;
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.binary = options.binary ?? 'redis-server';
  }

  get port(): number {
    if (this.assignedPort === undefined) throw new Error('PrivateRedis was never started');
    return this.assignedPort;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const pickPort = this.options.port === undefined && this.assignedPort === undefined;
    // A freshly picked port can be taken by someone else before redis binds it: pick again.
    for (let attempt = 1; ; attempt++) {
      if (pickPort && attempt > 1) this.assignedPort = undefined;
      this.assignedPort ??= await freePort();
      try {
        await this.launch();
        return;
      } catch (error) {
        const portTaken = this.output.some((line) => /address already in use/i.test(line));
        if (!pickPort || !portTaken || attempt >= 3) throw error;
      }
    }
  }

  /** Graceful shutdown: SIGTERM, then wait for the process to exit. */
  async stop(): Promise<void> {
    await this.terminate('SIGTERM');
  }

  /** Hard crash: SIGKILL, then wait for the process to exit. */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  /** Stop and start again on the same port (and URL), empty since nothing is persisted. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** FLUSHALL over a short-lived connection. */
  async flushAll(): Promise<void> {
    const client = this.client();
    try {
      await client.connect();
      await client.flushall();
    } finally {
      client.disconnect();
    }
  }

  private async launch(): Promise<void> {
    this.output = [];
    this.dir = await mkdtemp(path.join(tmpdir(), 'aftercare-redis-'));
    const child = spawn(
      this.binary,
      [
        '--port', String(this.port),
        '--bind', '127.0.0.1',
        '--save', '',
        '--appendonly', 'no',
        '--dir', this.dir,
        '--daemonize', 'no',
        '--loglevel', 'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const remember = (chunk: Buffer) => {
      this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.output.length > 50) this.output.splice(0, this.output.length - 50);
    };
    child.stdout?.on('data', remember);
    child.stderr?.on('data', remember);
    let exitedEarly: ((reason: Error) => void) | undefined;
    const earlyExit = new Promise<never>((_, reject) => (exitedEarly = reject));
    earlyExit.catch(() => undefined);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.child === child) {
          this.child = undefined;
          exitedEarly?.(new Error(`redis-server exited (code ${code}, signal ${signal}): ${this.output.join(' | ')}`));
        }
        resolve();
      });
      child.once('error', (error) => {
        // spawn failed (binary missing): no 'exit' follows.
        if (this.child === child) {
          this.child = undefined;
          exitedEarly?.(error);
        }
        resolve();
      });
    });
    this.child = child;
    try {
      await Promise.race([
        earlyExit,
        waitFor(() => this.ping(), { timeoutMs: this.startTimeoutMs, intervalMs: 20, what: `redis-server on port ${this.port} to answer PING` }),
      ]);
    } catch (error) {
      await this.terminate('SIGKILL');
      throw error;
    } finally {
      exitedEarly = undefined;
    }
  }

  private async ping(): Promise<boolean> {
    const client = this.client();
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  }

  private client(): Redis {
    const client = new Redis({
      host: '127.0.0.1',
      port: this.port,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1000,
      // disconnect() arms a timer of this length that only the socket's 'close' clears; after a
      // refused connection (PING while redis starts) that has already happened, so the timer runs
      // out in full and keeps a jest worker alive past its exit (the default is 2 s).
      disconnectTimeout: 50,
    });
    // Refused connections while redis starts are expected; the caller sees the rejection.
    client.on('error', () => undefined);
    return client;
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child) {
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        this.exited!.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
      ]);
      clearTimeout(timer);
      if (!waited) {
        child.kill('SIGKILL');
        await this.exited;
      }
    } else if (this.exited) {
      await this.exited;
    }
    this.child = undefined;
    if (this.dir) {
      await rm(this.dir, { recursive: true, force: true });
      this.dir = undefined;
    }
  }
}
