import { randomBytes } from 'node:crypto';
import { parseQuietHours, type QuietHours } from '@aftercare/clock';

/**
 * Every setting of PRODUCT.md's Configuration section, parsed and validated once at boot. A
 * wrong value stops the service with a ConfigError naming the variable and what to do.
 */
export interface AppConfig {
  production: boolean;
  port: number;
  databaseUrl: string;
  redis: { url: string; host: string; port: number; username?: string; password?: string; db: number };
  /** Access tokens: HS256 with `secret`, living `expiresInSeconds` (JWT_EXPIRES_IN_SECONDS, 15 min). */
  jwt: { secret: string; expiresInSeconds: number };
  /**
   * Sign-in sessions (refresh tokens): a session ends when its refresh token has not been used
   * for `idleMinutes`, and `maxHours` after sign-in at the latest.
   */
  sessions: { idleMinutes: number; maxHours: number };
  /**
   * Requests per minute: `perMinute` per signed-in user (per IP address before sign-in) over all
   * routes, `signInPerMinute` per IP address on each of login and refresh. 0 turns a limit off
   * (for benchmarks, or behind a proxy that limits already).
   */
  rateLimit: { perMinute: number; signInPerMinute: number };
  /**
   * Failed logins: `maxFailures` for one e-mail address, or `maxFailuresPerIp` from one IP address,
   * within `minutes` lock that address (or IP) out for `minutes` (429 with Retry-After).
   */
  loginLockout: { maxFailures: number; maxFailuresPerIp: number; minutes: number };
  /** Origins (scheme://host[:port]) another web app may call the API from; empty: same origin only. */
  corsOrigins: string[];
  /**
   * Express's `trust proxy`: false (the client is whoever connects), a number of proxy hops, or
   * addresses / subnets / names (loopback, linklocal, uniquelocal) of trusted proxies. Decides the
   * IP address that rate limits and the login lockout count by.
   */
  trustProxy: boolean | number | string[];
  publicUrl: string;
  twilio: { accountSid: string; authToken: string; from: string; apiUrl: string | null } | null;
  /** Checks webhook signatures; set whenever TWILIO_AUTH_TOKEN is. */
  twilioAuthToken: string | null;
  smtp: { url: string; from: string } | null;
  /** Outside production: the shared virtual clock (PRODUCT.md, "Time in tests and demos"). */
  virtualClock: boolean;
  /** Outside production: create the demo clinic and users on an empty database. */
  seedDemo: boolean;
  quietHours: QuietHours;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** LOG_FORMAT: one JSON object per line (for log collectors), or text for a person at a terminal. */
  logFormat: 'json' | 'text';
  /** How often the reconciler looks for rows whose job Redis lost. */
  reconcileIntervalMs: number;
  /** How many outgoing messages one notifications process works on at once (MESSAGE_SEND_CONCURRENCY). */
  messageSendConcurrency: number;
  /** How many provider calls (Twilio, SMTP) one notifications process makes at once (PROVIDER_CONCURRENCY). */
  providerConcurrency: number;
  /** How long a service waits for another one's answer before giving up. */
  rpcTimeoutMs: number;
  /** How long a waitlist offer stays open, and how many waiting patients get one at once. */
  waitlist: { offerMinutes: number; offerBatch: number };
  /**
   * Automated SMS per patient: at most `daily` in a local calendar day and `weekly` in any 7
   * local days (confirmations and answers to the patient's own texts do not count).
   */
  smsCap: { daily: number; weekly: number; preset: SmsCapPreset };
  /**
   * An SMS still `sent` this many hours after it went, with no final delivery report, has its
   * status asked of the provider (a status callback lost while notifications was down).
   */
  deliveryReportCheckHours: number;
  /**
   * How many days a Twilio 30003 (phone unreachable: often switched off) keeps SMS to that number
   * going by e-mail; 30005 / 30006 hold until the number changes.
   */
  smsUnreachableFlagDays: number;
  /**
   * The clinic whose admins run the deployment (OPERATOR_CLINIC_ID): the BullMQ queues are shared
   * by every clinic, so only they may see and change them. Unset: the demo clinic outside
   * production, and nobody in production.
   */
  operatorClinicId: string | null;
  /** Health and metrics for operators (README, "Operations"). */
  ops: OpsConfig;
  rpc: RpcConfig;
}

/** The services that have no HTTP port of their own get a small one for health and metrics. */
export type OpsListenerService = 'scheduling' | 'followup' | 'notifications';

export interface OpsConfig {
  /** Port of each microservice's operations listener (/health/live, /health/ready, /metrics); 0 = off. */
  ports: Record<OpsListenerService, number>;
  /** When set, /metrics answers only `Authorization: Bearer <token>` (Prometheus's bearer_token). */
  metricsToken: string | null;
  /** A service is not ready while a job of its queues has been due and not started for longer than this. */
  readyMaxQueueLagMs: number;
}

/** SCHEDULING_OPS_PORT and so on: one variable each, so one environment serves every process. */
export const OPS_PORT_DEFAULTS: Readonly<Record<OpsListenerService, { variable: string; port: number }>> = {
  scheduling: { variable: 'SCHEDULING_OPS_PORT', port: 9101 },
  followup: { variable: 'FOLLOWUP_OPS_PORT', port: 9102 },
  notifications: { variable: 'NOTIFICATIONS_OPS_PORT', port: 9103 },
};

/** Where a microservice's direct listener is found: one per replica of the service. */
export interface RpcPeer {
  host: string;
  port: number;
}

/**
 * Requests between services go over the Redis transport. Each microservice also answers the same
 * requests on a TCP port of its own, and a caller turns to it while it cannot reach Redis, so that
 * the front desk can go on booking through a Redis outage (writes go to PostgreSQL).
 */
export interface RpcConfig {
  /** Address the direct listeners bind to: loopback by default; a private network's in docker compose. */
  host: string;
  /** Port of each microservice's direct listener; 0 = off. */
  ports: Record<OpsListenerService, number>;
  /** Where callers find each service's direct listeners (every replica's), tried in turn; empty = no fallback. */
  peers: Record<OpsListenerService, readonly RpcPeer[]>;
  /**
   * RPC_SECRET: when set, every direct request carries it and a listener refuses one without it
   * (the same value for every service). Required in production when RPC_HOST is not loopback.
   */
  secret: string | null;
}

/** SCHEDULING_RPC_PORT and SCHEDULING_RPC_PEERS and so on. */
export const RPC_PORT_DEFAULTS: Readonly<Record<OpsListenerService, { variable: string; peersVariable: string; port: number }>> = {
  scheduling: { variable: 'SCHEDULING_RPC_PORT', peersVariable: 'SCHEDULING_RPC_PEERS', port: 9111 },
  followup: { variable: 'FOLLOWUP_RPC_PORT', peersVariable: 'FOLLOWUP_RPC_PEERS', port: 9112 },
  notifications: { variable: 'NOTIFICATIONS_RPC_PORT', peersVariable: 'NOTIFICATIONS_RPC_PEERS', port: 9113 },
};

/**
 * `default`: 2 a day, 6 a week. `fcc-healthcare`: 1 a day, 3 a week - the limits of the FCC's
 * TCPA exemption for healthcare messages (2015 Declaratory Ruling, FCC 15-72, para. 147).
 */
export type SmsCapPreset = 'default' | 'fcc-healthcare';
export const SMS_CAP_PRESETS: Readonly<Record<SmsCapPreset, { daily: number; weekly: number }>> = {
  default: { daily: 2, weekly: 6 },
  'fcc-healthcare': { daily: 1, weekly: 3 },
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

const nonEmpty = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

function parseUrl(name: string, value: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `is not a URL (got "${redact(value)}"); expected e.g. ${protocols[0]}//host:port`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.join(' or ')} (got "${url.protocol}")`);
  }
  return url;
}

/** Never echo a password back into a log line. */
function redact(value: string): string {
  return value.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}

function parseInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number (got "${raw}")`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} (got ${value})`);
  return value;
}

/** CORS_ORIGINS: a comma-separated list of origins, each scheme://host[:port] and nothing more. */
function parseOrigins(env: Env): string[] {
  const raw = nonEmpty(env, 'CORS_ORIGINS');
  if (!raw) return [];
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((origin) => {
      const url = parseUrl('CORS_ORIGINS', origin, ['http:', 'https:']);
      if (url.origin !== origin.replace(/\/$/, '')) {
        throw new ConfigError('CORS_ORIGINS', `must list origins only, such as https://clinic.example or http://localhost:5173 (got "${origin}")`);
      }
      return url.origin;
    });
}

/** TRUST_PROXY: false / true, a hop count, or a comma-separated list of addresses, subnets and names. */
function parseTrustProxy(env: Env): boolean | number | string[] {
  const raw = nonEmpty(env, 'TRUST_PROXY');
  if (raw === undefined) return false;
  if (/^\d+$/.test(raw)) return parseInteger(env, 'TRUST_PROXY', 0, 0, 10);
  const lower = raw.toLowerCase();
  if (['false', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) return true;
  const entries = raw.split(',').map((part) => part.trim()).filter(Boolean);
  for (const entry of entries) {
    if (!/^(loopback|linklocal|uniquelocal|[0-9a-f.:]+(\/\d{1,3})?)$/i.test(entry)) {
      throw new ConfigError('TRUST_PROXY', `must be true, false, a number of hops, or addresses / subnets / loopback, linklocal, uniquelocal (got "${entry}")`);
    }
  }
  return entries;
}

function parseBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = nonEmpty(env, 'NODE_ENV');
  const production = nodeEnv === 'production';

  const port = parseInteger(env, 'PORT', 3000, 1, 65535);

  const databaseUrl = nonEmpty(env, 'DATABASE_URL') ?? 'postgres://localhost:5432/aftercare';
  const dbUrl = parseUrl('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']);
  if (dbUrl.pathname.length <= 1) throw new ConfigError('DATABASE_URL', 'must name a database, e.g. postgres://localhost:5432/aftercare');
  if (production && !nonEmpty(env, 'DATABASE_URL')) throw new ConfigError('DATABASE_URL', 'is required in production');

  const redisUrlRaw = nonEmpty(env, 'REDIS_URL') ?? 'redis://127.0.0.1:6379';
  const redisUrl = parseUrl('REDIS_URL', redisUrlRaw, ['redis:']);
  const redisDb = redisUrl.pathname.length > 1 ? Number(redisUrl.pathname.slice(1)) : 0;
  if (!Number.isInteger(redisDb) || redisDb < 0) throw new ConfigError('REDIS_URL', `has a bad database number "${redisUrl.pathname.slice(1)}"`);

  const jwtSecretRaw = nonEmpty(env, 'JWT_SECRET');
  if (production && (!jwtSecretRaw || jwtSecretRaw.length < 32)) {
    throw new ConfigError('JWT_SECRET', 'must be set to a random string of at least 32 characters in production');
  }
  // Outside production a random secret per start is fine for one process; the gateway is the
  // only one that signs and checks tokens, so nothing else needs to agree on it.
  const jwtSecret = jwtSecretRaw ?? randomBytes(32).toString('hex');

  const publicUrlRaw = nonEmpty(env, 'PUBLIC_URL') ?? `http://localhost:${port}`;
  const publicUrl = parseUrl('PUBLIC_URL', publicUrlRaw, ['http:', 'https:']).toString().replace(/\/$/, '');

  const sid = nonEmpty(env, 'TWILIO_ACCOUNT_SID');
  const token = nonEmpty(env, 'TWILIO_AUTH_TOKEN');
  const from = nonEmpty(env, 'TWILIO_FROM');
  const apiUrl = nonEmpty(env, 'TWILIO_API_URL');
  const anyTwilio = sid || from;
  if (anyTwilio && !(sid && token && from)) {
    const missing = [!sid && 'TWILIO_ACCOUNT_SID', !token && 'TWILIO_AUTH_TOKEN', !from && 'TWILIO_FROM'].filter(Boolean);
    throw new ConfigError(missing[0] as string, `is missing: Twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM together`);
  }
  if (sid && !/^AC[0-9a-fA-F]{32}$/.test(sid)) throw new ConfigError('TWILIO_ACCOUNT_SID', 'must look like AC followed by 32 hex digits');
  if (from && !/^\+[1-9]\d{6,14}$/.test(from)) throw new ConfigError('TWILIO_FROM', `must be an E.164 number such as +12125550100 (got "${from}")`);
  if (apiUrl) parseUrl('TWILIO_API_URL', apiUrl, ['http:', 'https:']);
  const twilio = sid && token && from ? { accountSid: sid, authToken: token, from, apiUrl: apiUrl ?? null } : null;

  const smtpUrlRaw = nonEmpty(env, 'SMTP_URL');
  const mailFrom = nonEmpty(env, 'MAIL_FROM');
  if (smtpUrlRaw) parseUrl('SMTP_URL', smtpUrlRaw, ['smtp:', 'smtps:']);
  if (mailFrom && !/^(?:[^<>]*<)?[^\s@<>]+@[^\s@<>]+\.?[^\s@<>]*>?$/.test(mailFrom)) {
    throw new ConfigError('MAIL_FROM', `must be an e-mail address, optionally with a name: "Clinic <care@clinic.example>"`);
  }
  if (smtpUrlRaw && !mailFrom) throw new ConfigError('MAIL_FROM', 'is required when SMTP_URL is set (the sender address)');
  const smtp = smtpUrlRaw && mailFrom ? { url: smtpUrlRaw, from: mailFrom } : null;

  let quietHours: QuietHours;
  try {
    quietHours = parseQuietHours(nonEmpty(env, 'QUIET_HOURS') ?? '21:00-08:00');
  } catch (error) {
    throw new ConfigError('QUIET_HOURS', `must look like 21:00-08:00 (${(error as Error).message})`);
  }

  // `info` is what the JSON lines call Nest's `log` (pino's name, and most log tools'): either works.
  const levelGiven = nonEmpty(env, 'LOG_LEVEL') ?? 'log';
  const logLevel = (levelGiven === 'info' ? 'log' : levelGiven) as AppConfig['logLevel'];
  if (!['error', 'warn', 'log', 'debug'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of error, warn, log (or info), debug (got "${levelGiven}")`);
  }
  const logFormat = (nonEmpty(env, 'LOG_FORMAT') ?? 'json').toLowerCase() as AppConfig['logFormat'];
  if (logFormat !== 'json' && logFormat !== 'text') {
    throw new ConfigError('LOG_FORMAT', `must be json or text (got "${logFormat}")`);
  }

  const presetRaw = (nonEmpty(env, 'SMS_CAP_PRESET') ?? 'default').toLowerCase();
  if (!Object.hasOwn(SMS_CAP_PRESETS, presetRaw)) {
    throw new ConfigError('SMS_CAP_PRESET', `must be one of ${Object.keys(SMS_CAP_PRESETS).join(', ')} (got "${presetRaw}")`);
  }
  const preset = presetRaw as SmsCapPreset;
  // Explicit figures win over the preset's.
  const smsDaily = parseInteger(env, 'SMS_DAILY_CAP', SMS_CAP_PRESETS[preset].daily, 1, 50);
  const smsWeekly = parseInteger(env, 'SMS_WEEKLY_CAP', SMS_CAP_PRESETS[preset].weekly, 1, 350);
  if (smsDaily > smsWeekly) {
    throw new ConfigError('SMS_DAILY_CAP', `must not be more than SMS_WEEKLY_CAP (got ${smsDaily} a day and ${smsWeekly} a week)`);
  }

  const taken = new Map<number, string>([[port, 'PORT']]);
  const ops = parseOps(env, taken);
  const rpc = parseRpc(env, taken, production);

  const virtualClock = !production && parseBoolean(env, 'VIRTUAL_CLOCK', true);
  const seedDemo = !production && parseBoolean(env, 'SEED_DEMO', true);

  return {
    production,
    port,
    databaseUrl,
    redis: {
      url: redisUrlRaw,
      host: redisUrl.hostname || '127.0.0.1',
      port: redisUrl.port ? Number(redisUrl.port) : 6379,
      username: redisUrl.username ? decodeURIComponent(redisUrl.username) : undefined,
      password: redisUrl.password ? decodeURIComponent(redisUrl.password) : undefined,
      db: redisDb,
    },
    jwt: { secret: jwtSecret, expiresInSeconds: parseInteger(env, 'JWT_EXPIRES_IN_SECONDS', 15 * 60, 1, 24 * 3600) },
    sessions: {
      idleMinutes: parseInteger(env, 'SESSION_IDLE_MINUTES', 60, 1, 7 * 24 * 60),
      maxHours: parseInteger(env, 'SESSION_MAX_HOURS', 12, 1, 30 * 24),
    },
    rateLimit: {
      perMinute: parseInteger(env, 'RATE_LIMIT_PER_MINUTE', 600, 0, 100_000),
      signInPerMinute: parseInteger(env, 'SIGN_IN_RATE_LIMIT_PER_MINUTE', 20, 0, 100_000),
    },
    loginLockout: {
      maxFailures: parseInteger(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
      maxFailuresPerIp: parseInteger(env, 'LOGIN_MAX_FAILURES_PER_IP', 20, 1, 100_000),
      minutes: parseInteger(env, 'LOGIN_LOCKOUT_MINUTES', 15, 1, 24 * 60),
    },
    corsOrigins: parseOrigins(env),
    trustProxy: parseTrustProxy(env),
    publicUrl,
    twilio,
    twilioAuthToken: token ?? null,
    smtp,
    virtualClock,
    seedDemo,
    quietHours,
    logLevel,
    logFormat,
    reconcileIntervalMs: parseInteger(env, 'RECONCILE_INTERVAL_MS', 30_000, 200, 3_600_000),
    messageSendConcurrency: parseInteger(env, 'MESSAGE_SEND_CONCURRENCY', 256, 1, 1000),
    providerConcurrency: parseInteger(env, 'PROVIDER_CONCURRENCY', 64, 1, 1000),
    rpcTimeoutMs: parseInteger(env, 'RPC_TIMEOUT_MS', 10_000, 100, 120_000),
    waitlist: {
      offerMinutes: parseInteger(env, 'WAITLIST_OFFER_MINUTES', 120, 15, 7 * 24 * 60),
      offerBatch: parseInteger(env, 'WAITLIST_OFFER_BATCH', 3, 1, 50),
    },
    smsCap: { daily: smsDaily, weekly: smsWeekly, preset },
    deliveryReportCheckHours: parseInteger(env, 'DELIVERY_REPORT_CHECK_HOURS', 6, 1, 168),
    smsUnreachableFlagDays: parseInteger(env, 'SMS_UNREACHABLE_FLAG_DAYS', 7, 1, 365),
    operatorClinicId: parseOperatorClinic(env),
    ops,
    rpc,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseOperatorClinic(env: Env): string | null {
  const raw = nonEmpty(env, 'OPERATOR_CLINIC_ID');
  if (raw === undefined) return null;
  if (!UUID.test(raw)) throw new ConfigError('OPERATOR_CLINIC_ID', `must be a clinic's id (a UUID such as 00000000-0000-4000-8000-000000000001), got "${raw.slice(0, 60)}"`);
  return raw.toLowerCase();
}

/** Ports every process of one environment listens on: two services on one port would leave the second unable to start. */
function claimPort(taken: Map<number, string>, variable: string, port: number): void {
  const clash = taken.get(port);
  if (port !== 0 && clash) throw new ConfigError(variable, `must differ from ${clash} (both are ${port}); use another port, or 0 to turn the listener off`);
  if (port !== 0) taken.set(port, variable);
}

function parseOps(env: Env, taken: Map<number, string>): OpsConfig {
  const ports = {} as Record<OpsListenerService, number>;
  for (const [service, { variable, port: fallback }] of Object.entries(OPS_PORT_DEFAULTS) as [OpsListenerService, { variable: string; port: number }][]) {
    const port = parseInteger(env, variable, fallback, 0, 65535);
    // Every process reads the same environment (npm start, docker compose).
    claimPort(taken, variable, port);
    ports[service] = port;
  }
  const metricsToken = nonEmpty(env, 'METRICS_TOKEN') ?? null;
  if (metricsToken !== null && metricsToken.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters (a random string)');
  return { ports, metricsToken, readyMaxQueueLagMs: parseInteger(env, 'READY_MAX_QUEUE_LAG_MS', 300_000, 1_000, 86_400_000) };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

function parseRpc(env: Env, taken: Map<number, string>, production: boolean): RpcConfig {
  const host = nonEmpty(env, 'RPC_HOST') ?? '127.0.0.1';
  const secret = nonEmpty(env, 'RPC_SECRET') ?? null;
  if (secret !== null && secret.length < 16) throw new ConfigError('RPC_SECRET', 'must be at least 16 characters (a random string, the same for every service)');
  const ports = {} as Record<OpsListenerService, number>;
  const peers = {} as Record<OpsListenerService, readonly RpcPeer[]>;
  for (const [service, { variable, peersVariable, port: fallback }] of Object.entries(RPC_PORT_DEFAULTS) as [OpsListenerService, (typeof RPC_PORT_DEFAULTS)[OpsListenerService]][]) {
    const port = parseInteger(env, variable, fallback, 0, 65535);
    claimPort(taken, variable, port);
    ports[service] = port;
    const listed = nonEmpty(env, peersVariable);
    peers[service] = listed === undefined ? (port === 0 ? [] : [{ host: '127.0.0.1', port }]) : parsePeers(peersVariable, listed);
  }
  // Anyone who reaches a listener could act as any user: beyond loopback, only with the secret.
  const listening = Object.values(ports).some((port) => port !== 0);
  if (production && listening && secret === null && !LOOPBACK.test(host)) {
    throw new ConfigError('RPC_SECRET', `is required in production when RPC_HOST (${host}) is not a loopback address: set the same random string of at least 16 characters for every service, or set RPC_HOST=127.0.0.1`);
  }
  return { host, ports, peers, secret };
}

/** A comma-separated list of host:port; "none" for no direct fallback. */
function parsePeers(variable: string, raw: string): RpcPeer[] {
  if (raw.trim().toLowerCase() === 'none') return [];
  return raw.split(',').map((entry) => {
    const match = /^\s*([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})\s*$/.exec(entry);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) {
      throw new ConfigError(variable, `must be a comma-separated list of host:port, or none (got "${entry.trim()}"); e.g. scheduling:9111`);
    }
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

/** Boot helper: load the config or print what is wrong and stop the process. */
export function loadConfigOrExit(service: string, env: Env = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`[${service}] ${error.message}. Fix the variable and start again.`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** Where a Redis connection goes (REDIS_URL), as ioredis and Nest's transport take it: spread it into their options. */
export function redisEndpoint(redis: AppConfig['redis']): { host: string; port: number; username?: string; password?: string; db: number } {
  return { host: redis.host, port: redis.port, username: redis.username, password: redis.password, db: redis.db };
}

/** Nest logger levels for a configured LOG_LEVEL (each level includes the ones above it). */
export function logLevels(level: AppConfig['logLevel']): ('error' | 'warn' | 'log' | 'debug')[] {
  const order = ['error', 'warn', 'log', 'debug'] as const;
  return order.slice(0, order.indexOf(level) + 1);
}
