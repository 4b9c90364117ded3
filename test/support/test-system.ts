import { createTestDatabase, freePorts, PrivatePostgres, PrivateRedis, SmtpCapture, TcpProxy, TwilioFake, type TestDatabase } from '@aftercare/testing';
import { SystemProcesses, type ServiceProcessName } from '../../scripts/lib/system.js';

export const TWILIO_FROM = '+15005550006';
export const MAIL_FROM = 'Aftercare Demo Clinic <care@aftercare.local>';

/** The services with an operations port of their own (the gateway serves health and metrics on PORT). */
export type OpsService = 'scheduling' | 'followup' | 'notifications';

export interface TestSystemOptions {
  /** Connect the services to PostgreSQL through a TcpProxy the test can cut (`databaseProxy.stop()`). */
  databaseProxy?: boolean;
  /** Run a PostgreSQL server of the test's own (`postgres`), which the test can stop, instead of a database on the shared one. */
  privatePostgres?: boolean;
  /** How many copies of each service run side by side (`replicas`), each with its own ports; default 1. */
  replicas?: number;
}

/**
 * The whole system for an end-to-end test: the four services as separate processes (built in
 * dist/), a fresh PostgreSQL database, a private Redis on a spare port, a Twilio-compatible
 * server and an SMTP server, all on loopback. Nothing is shared with anything else.
 */
export class TestSystem {
  readonly redis = new PrivateRedis();
  readonly twilio = new TwilioFake();
  readonly smtp = new SmtpCapture();
  database!: TestDatabase;
  processes!: SystemProcesses;
  port = 0;
  /** Each microservice's operations port (health and metrics), spare ones so systems never collide. */
  opsPorts: Record<OpsService, number> = { scheduling: 0, followup: 0, notifications: 0 };
  databaseProxy: TcpProxy | null = null;
  postgres: PrivatePostgres | null = null;
  /** Every copy of the system's services; `processes` is the first. */
  replicas: SystemProcesses[] = [];
  readonly logs: string[] = [];

  constructor(
    private readonly extraEnv: Record<string, string> = {},
    private readonly options: TestSystemOptions = {},
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** http://127.0.0.1:<port> of a microservice's operations listener. */
  opsUrl(service: OpsService): string {
    return `http://127.0.0.1:${this.opsPorts[service]}`;
  }

  async start(): Promise<void> {
    await Promise.all([this.redis.start(), this.twilio.start(), this.smtp.start()]);
    if (this.options.privatePostgres) {
      this.postgres = new PrivatePostgres();
      await this.postgres.start();
    }
    this.database = await createTestDatabase('aftercare_test_e2e', this.postgres?.adminUrl);
    let databaseUrl = this.database.url;
    if (this.options.databaseProxy) {
      const target = new URL(databaseUrl);
      this.databaseProxy = new TcpProxy(Number(target.port || 5432), target.hostname);
      await this.databaseProxy.start();
      const proxied = new URL(databaseUrl);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(this.databaseProxy.port);
      databaseUrl = proxied.toString();
    }
    const count = this.options.replicas ?? 1;
    // Per copy: the gateway's port, then each microservice's operations and direct-request ports.
    const ports = await freePorts(7 * count);
    const copies = Array.from({ length: count }, (_, replica) => {
      const [port, scheduling, followup, notifications, schedulingRpc, followupRpc, notificationsRpc] = ports.slice(7 * replica, 7 * replica + 7) as number[];
      return { port: port!, ops: { scheduling: scheduling!, followup: followup!, notifications: notifications! }, rpc: { scheduling: schedulingRpc!, followup: followupRpc!, notifications: notificationsRpc! } };
    });
    // Every copy's callers may fall back to any copy's direct listener, as behind one service name.
    const peers = (service: OpsService) => copies.map((copy) => `127.0.0.1:${copy.rpc[service]}`).join(',');
    const rpcEnv = {
      // Direct requests carry a secret here, as a deployment beyond loopback must.
      RPC_SECRET: 'test-rpc-secret-of-some-length',
      SCHEDULING_RPC_PEERS: peers('scheduling'),
      FOLLOWUP_RPC_PEERS: peers('followup'),
      NOTIFICATIONS_RPC_PEERS: peers('notifications'),
    };
    this.port = copies[0]!.port;
    this.opsPorts = copies[0]!.ops;
    for (const [replica, copy] of copies.entries()) {
      const env = {
        ...rpcEnv,
        SCHEDULING_RPC_PORT: String(copy.rpc.scheduling),
        FOLLOWUP_RPC_PORT: String(copy.rpc.followup),
        NOTIFICATIONS_RPC_PORT: String(copy.rpc.notifications),
      };
      this.replicas.push(this.createProcesses(databaseUrl, copy.port, copy.ops, env, count > 1 ? `#${replica + 1}` : ''));
    }
    this.processes = this.replicas[0]!;
    try {
      for (const replica of this.replicas) await replica.start();
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- service output ---\n${this.logs.slice(-60).join('\n')}`);
    }
  }

  /** One copy of the four services. Every copy has the first one's PUBLIC_URL, as replicas behind one address would. */
  private createProcesses(databaseUrl: string, port: number, opsPorts: Record<OpsService, number>, rpcEnv: Record<string, string>, label: string): SystemProcesses {
    return new SystemProcesses({
      env: {
        NODE_ENV: 'test',
        PORT: String(port),
        SCHEDULING_OPS_PORT: String(opsPorts.scheduling),
        FOLLOWUP_OPS_PORT: String(opsPorts.followup),
        NOTIFICATIONS_OPS_PORT: String(opsPorts.notifications),
        ...rpcEnv,
        DATABASE_URL: databaseUrl,
        REDIS_URL: this.redis.url,
        PUBLIC_URL: this.baseUrl,
        JWT_SECRET: 'test-secret-of-at-least-thirty-two-characters',
        TWILIO_ACCOUNT_SID: this.twilio.accountSid,
        TWILIO_AUTH_TOKEN: this.twilio.authToken,
        TWILIO_FROM,
        TWILIO_API_URL: this.twilio.url,
        SMTP_URL: this.smtp.url,
        MAIL_FROM,
        LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
        // The suites poll the API every 25 ms while they wait (waitFor): far above a person's
        // pace. The limits themselves are tested in sessions-and-security.e2e-spec.ts.
        RATE_LIMIT_PER_MINUTE: '50000',
        SIGN_IN_RATE_LIMIT_PER_MINUTE: '1000',
        ...this.extraEnv,
      },
      output: (service, line) => {
        this.logs.push(`[${service}${label}] ${line}`);
        if (process.env.E2E_VERBOSE) process.stdout.write(`[${service}${label}] ${line}\n`);
      },
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => replica.stop()));
    await Promise.allSettled([this.redis.stop(), this.twilio.stop(), this.smtp.stop(), this.databaseProxy?.stop()]);
    if (this.postgres) {
      // The server goes with its database (and its temp dir), whatever state the test left it in.
      await this.postgres.remove();
      return;
    }
    // E2E_KEEP_DATABASE=1 keeps it for a look after a failure (its name is in the output).
    if (process.env.E2E_KEEP_DATABASE) process.stdout.write(`kept database ${this.database?.name}\n`);
    else await this.database?.drop();
  }

  /** A text from `phone` to the clinic's number, through the Twilio webhook as Twilio would post it. */
  inboundSms(phone: string, body: string) {
    return this.twilio.sendInboundSms(`${this.baseUrl}/webhooks/twilio/sms`, { from: phone, to: TWILIO_FROM, body });
  }

  async restart(service: ServiceProcessName): Promise<void> {
    await this.processes.stopService(service);
    this.processes.startService(service);
    await this.processes.waitHealthy();
  }
}
