import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePorts, PrivateRedis, SmtpCapture, TwilioFake } from '@aftercare/testing';
import { nodeArgsFrom, SERVICE_NODE_FLAGS, SystemProcesses } from '../../scripts/lib/system.js';

export const TWILIO_FROM = '+15005550006';
export const MAIL_FROM = 'Aftercare Bench Clinic <care@aftercare.local>';
const DB_PREFIX = 'aftercare_bench_';

/**
 * Node flags of a bench's bare BullMQ worker: the services' own (SERVICE_NODE_FLAGS, e.g. their
 * young generation's size), so that a ratio compares the code and not the runtime's settings;
 * then BARE_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it beside the
 * services (SERVICE_NODE_ARGS).
 */
export function bareWorkerNodeArgs(): string[] {
  return [...SERVICE_NODE_FLAGS, ...nodeArgsFrom('BARE_NODE_ARGS')];
}

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database `aftercare_bench_<random>` on the server of BENCH_DATABASE_ADMIN_URL
 * (else TEST_DATABASE_ADMIN_URL, else postgres://127.0.0.1:5432/postgres). `createTestDatabase`
 * of @aftercare/testing insists on "test" in the name, so the bench has its own, with the same
 * kind of guard: it only ever creates or drops names that start with `aftercare_bench_`.
 */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `${DB_PREFIX}${randomBytes(6).toString('hex')}`;
  assertBenchName(name);
  const admin = new URL(process.env.BENCH_DATABASE_ADMIN_URL || process.env.TEST_DATABASE_ADMIN_URL || 'postgres://127.0.0.1:5432/postgres');
  if (!admin.username) admin.username = process.env.PGUSER || process.env.USER || userInfo().username;
  const adminUrl = admin.toString();
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      assertBenchName(name);
      await withAdmin(adminUrl, async (client) => {
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await client.query(`DROP DATABASE IF EXISTS "${name}"`);
      });
      dropped = true;
    },
  };
}

function assertBenchName(name: string): void {
  if (!name.startsWith(DB_PREFIX) || !/^[a-z_][a-z0-9_]*$/.test(name) || name.length > 63) {
    throw new Error(`Refusing to use database "${name}": a bench database name must start with ${DB_PREFIX}`);
  }
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The whole system, private to one bench run, started the way test/support/test-system.ts
 * starts it for the e2e tests: the four services from dist/ as separate processes, a fresh
 * database, a private Redis on a spare port, and a Twilio-compatible fake and an SMTP capture
 * on loopback, so no SMS or e-mail leaves the machine.
 */
export class BenchSystem {
  readonly redis = new PrivateRedis();
  readonly twilio = new TwilioFake();
  readonly smtp = new SmtpCapture();
  database?: BenchDatabase;
  processes?: SystemProcesses;
  port = 0;
  readonly logs: string[] = [];

  constructor(private readonly extraEnv: Record<string, string> = {}) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await Promise.all([this.redis.start(), this.twilio.start(), this.smtp.start()]);
    this.database = await createBenchDatabase();
    const [port, schedulingOps, followupOps, notificationsOps, schedulingRpc, followupRpc, notificationsRpc] = await freePorts(7);
    this.port = port!;
    this.processes = new SystemProcesses({
      env: {
        NODE_ENV: 'test',
        PORT: String(this.port),
        // Spare operations ports (health and metrics), so a bench never collides with a running system.
        SCHEDULING_OPS_PORT: String(schedulingOps),
        FOLLOWUP_OPS_PORT: String(followupOps),
        NOTIFICATIONS_OPS_PORT: String(notificationsOps),
        // And spare direct-request ports (the fallback while Redis is unreachable).
        SCHEDULING_RPC_PORT: String(schedulingRpc),
        FOLLOWUP_RPC_PORT: String(followupRpc),
        NOTIFICATIONS_RPC_PORT: String(notificationsRpc),
        DATABASE_URL: this.database.url,
        REDIS_URL: this.redis.url,
        PUBLIC_URL: this.baseUrl,
        JWT_SECRET: 'bench-secret-of-at-least-thirty-two-characters',
        TWILIO_ACCOUNT_SID: this.twilio.accountSid,
        TWILIO_AUTH_TOKEN: this.twilio.authToken,
        TWILIO_FROM,
        TWILIO_API_URL: this.twilio.url,
        SMTP_URL: this.smtp.url,
        MAIL_FROM,
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
        // A bench is one client sending what a whole clinic would: per-user and sign-in limits off.
        RATE_LIMIT_PER_MINUTE: '0',
        SIGN_IN_RATE_LIMIT_PER_MINUTE: '0',
        ...this.extraEnv,
      },
      output: (service, line) => {
        this.logs.push(`[${service}] ${line}`);
        if (this.logs.length > 2000) this.logs.splice(0, this.logs.length - 2000);
        if (process.env.BENCH_VERBOSE) process.stdout.write(`[${service}] ${line}\n`);
      },
    });
    try {
      await this.processes.start();
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- service output ---\n${this.logs.slice(-60).join('\n')}`);
    }
  }

  /** Process ids of each service (SystemProcesses keeps its children private; the bench only reads them). */
  servicePids(): Record<string, number> {
    const children = (this.processes as unknown as { children?: Map<string, ChildProcess> } | undefined)?.children;
    const out: Record<string, number> = {};
    for (const [name, child] of children ?? []) if (child.pid) out[name] = child.pid;
    return out;
  }

  /** The private Redis's process id (from INFO server). */
  async redisPid(): Promise<number | null> {
    const redis = new Redis(this.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const pid = /process_id:(\d+)/.exec(await redis.info('server'))?.[1];
      return pid ? Number(pid) : null;
    } catch {
      return null;
    } finally {
      redis.disconnect();
    }
  }

  /** PostgreSQL backends connected to the bench database right now. */
  async postgresPids(db: pg.Pool): Promise<number[]> {
    const { rows } = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [this.database!.name]);
    return rows.map((r) => r.pid);
  }

  /** Stops everything it started; each step runs even when an earlier one fails. */
  async stop(): Promise<void> {
    await this.processes?.stop().catch((error) => console.error(`stopping services: ${(error as Error).message}`));
    await Promise.allSettled([this.redis.stop(), this.twilio.stop(), this.smtp.stop()]);
    if (process.env.BENCH_KEEP_DATABASE) console.log(`kept database ${this.database?.name}`);
    else await this.database?.drop();
  }
}
