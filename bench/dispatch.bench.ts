/**
 * Issue 4's performance point, measured on a private system:
 *
 *   "Outbound throughput of the notifications service against the local Twilio-compatible
 *    server (messages per second, 10,000 messages), side by side in the same run with a bare
 *    BullMQ worker that does the same HTTP call, as a ratio; target: at least 0.7 of the bare
 *    worker."
 *
 * Run: `npm run bench:dispatch` (builds, then runs dist/bench/dispatch.bench.js); add `-- --smoke`
 * (or BENCH_SMOKE=1) for a run of a few seconds per part with small data (1 run of 200 messages,
 * 4 clinicians, 20 patients, short idle and counter waits), which writes its section to a
 * temporary file instead of bench/RESULTS.md (`npm run bench -- --smoke` runs it in CI). It starts its
 * own system as the booking bench does (the four services from dist/, a fresh database
 * aftercare_bench_*, a private Redis on a spare port, the Twilio fake with Twilio credentials
 * configured, so the notifications service sends through the real twilio library).
 *
 * The messages come the real way: the front-desk API books appointments for API-registered
 * patients (SMS consent, a time zone where it is daytime now, so quiet hours do not hold the
 * confirmations), and the notifications service composes each booking's confirmation SMS (a
 * message row, rendered from its template) and adds its job to `{outbound-messages}` (jobId =
 * row id) exactly as in production. While a run's bookings are made the bench holds that queue
 * (BullMQ pause), so that the 10,000 confirmations are due and waiting when it lets go (resume):
 * from then on it is the service's own worker, state machine and provider call.
 *
 * Then, in the same run, a bare BullMQ worker in its own process (bench/support/bare-worker.ts:
 * same Redis, a queue of its own, the notifications processor's worker options, the same
 * `client.messages.create` call of the twilio library to the same fake, with the same
 * recipients and texts) works off 10,000 jobs added the same way (paused, then resumed).
 * Which of the two goes first alternates between runs (A B B A, serviceGoesFirst): going first,
 * right after the idle window, has been seen to change a side's rate, so the default is an even
 * number of runs, and the section shows each order's figures.
 *
 * Throughput counts arrivals at the fake: messages / (last − first provider call). Job latency is
 * from the moment a job was due (the resume) to its provider call. The bench also records the CPU
 * time of every process, Redis commands and PostgreSQL transactions per message, BullMQ's
 * timestamps of each job (picked up → provider call → finished), and profiles single sends in
 * process (every statement of MessageSenderService.send). It rewrites its own section of
 * bench/RESULTS.md, and stops and drops everything it started, also on failure or Ctrl-C.
 *
 * Knobs (environment): MESSAGE_SEND_CONCURRENCY (the service's, and the bare worker's, default 256), BENCH_RUNS (4; smoke 1), BENCH_MESSAGES (10000; smoke 200), BENCH_CLINICIANS (20; smoke 4),
 * BENCH_PATIENTS_PER_CLINICIAN (15; smoke 5), BENCH_BOOKING_CONNECTIONS (32; smoke 8), BENCH_PROFILE_SENDS (300; smoke 20),
 * BENCH_IDLE_SECONDS (the idle window before each run; default: the reconciler's interval + 1 s; smoke 2),
 * BENCH_RESULTS (default bench/RESULTS.md), BENCH_VERBOSE=1, BENCH_KEEP_DATABASE=1, BENCH_GC=1 (a full collection of the
 * bench process's garbage, the fake's host, before each timed part: an experiment, see the history in bench/RESULTS.md),
 * BENCH_RENDER_FROM=<json> (only render the section again from the measurements a run saved).
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import pg from 'pg';
import { loadConfig } from '@aftercare/config';
import { BULLMQ_PREFIX, JOBS, QUEUES } from '@aftercare/contracts';
import { DEFAULT_JOB_OPTIONS } from '@aftercare/jobs';
import { MessageSendProcessor } from '../apps/notifications/src/delivery/message-send.processor.js';
import { ROOT } from '../scripts/lib/system.js';
import { bareWorkerNodeArgs, BenchSystem, TWILIO_FROM } from './support/bench-system.js';
import { CpuMeter, describeOthers, postgresServerPids, type CpuUsage, type PidGroups } from './support/cpu.js';
import { profileSends, type SendProfile } from './support/dispatch-profile.js';
import { renderDispatch, serviceGoesFirst, type DispatchInput, type DispatchRun, type IdleWindow } from './support/dispatch-report.js';
import { Api, inBatches } from './support/http.js';
import { codeVersion, machine } from './support/machine.js';
import { benchEntry, cleanupOnce, publish, reportFailure, type BenchSection } from './support/bench-run.js';
import { bookingRequestsForWeek, seedClinic, type BookingRequest, type SeededClinic } from './support/seed.js';
import { quantile } from './support/stats.js';
import { SMOKE, int } from './support/knobs.js';

export const CONFIG = {
  smoke: SMOKE,
  // Even, so that each side goes first (right after the idle window) as often as the other: serviceGoesFirst.
  runs: int('BENCH_RUNS', SMOKE ? 1 : 4),
  messages: int('BENCH_MESSAGES', SMOKE ? 200 : 10_000),
  clinicians: int('BENCH_CLINICIANS', SMOKE ? 4 : 20),
  patientsPerClinician: int('BENCH_PATIENTS_PER_CLINICIAN', SMOKE ? 5 : 15),
  bookingConnections: int('BENCH_BOOKING_CONNECTIONS', SMOKE ? 8 : 32),
  profileSends: int('BENCH_PROFILE_SENDS', SMOKE ? 20 : 300),
  idleSeconds: int('BENCH_IDLE_SECONDS', SMOKE ? 2 : Math.ceil(loadConfig({ NODE_ENV: 'test' }).reconcileIntervalMs / 1000) + 1),
  warmup: SMOKE ? 20 : 300,
  // PostgreSQL's statistics counters arrive when the backends go idle (up to ~10 s late); a smoke run does not wait for them (its counts are then partial).
  pgStatsWaitMs: SMOKE ? 1_000 : 11_000,
  /** VACUUM (ANALYZE) before each timed run, as pgbench does (BENCH_VACUUM=0: leave it to autovacuum). */
  vacuum: process.env.BENCH_VACUUM !== '0',
  /** A full garbage collection of this process (it hosts the Twilio fake) before each timed part (BENCH_GC=1, an experiment). */
  gcBefore: process.env.BENCH_GC === '1',
  results: process.env.BENCH_RESULTS || (SMOKE ? path.join(os.tmpdir(), 'aftercare-bench-dispatch-smoke.md') : path.join(ROOT, 'bench', 'RESULTS.md')),
};
const BARE_QUEUE = '{bench-bare-outbound}';

/** A full collection of this process's garbage (what the bookings left), so that the fake does not pay for it during a timed part. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

const started = performance.now();
/** The code as built into dist/ just before this run (others may commit or edit meanwhile). */
const CODE = codeVersion();
const log = (line: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

/**
 * The notifications processor's worker options: the lock from its decorator, the concurrency as
 * the service reads it (MESSAGE_SEND_CONCURRENCY; the services get this process's environment).
 */
function processorOptions(): { concurrency: number; lockDuration?: number; stalledInterval?: number } {
  const options = Reflect.getMetadata('bullmq:worker_metadata', MessageSendProcessor) as { lockDuration?: number; stalledInterval?: number } | undefined;
  const concurrency = loadConfig({ ...process.env, NODE_ENV: 'test' }).messageSendConcurrency;
  return { concurrency, lockDuration: options?.lockDuration, stalledInterval: options?.stalledInterval };
}

/** A zone where it is daytime now and stays so for a while, so quiet hours (21:00–08:00 by default) hold nothing back. */
function daytimeZone(preferred: string): string {
  const zones = [preferred, 'America/Chicago', 'America/Los_Angeles', 'Pacific/Honolulu', 'Europe/London', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Singapore', 'Asia/Tokyo', 'Australia/Sydney', 'Pacific/Auckland', 'America/Sao_Paulo'];
  for (const zone of zones) {
    const hour = DateTime.now().setZone(zone).hour;
    if (hour >= 9 && hour < 17) return zone;
  }
  return preferred;
}

/** Pulls free half-hour slots week after week (from the availability API), as many as asked for. */
class SlotSupply {
  private queue: BookingRequest[] = [];
  private week = 1;
  constructor(
    private readonly frontDesk: Api,
    private readonly clinic: SeededClinic,
  ) {}
  async take(n: number): Promise<BookingRequest[]> {
    while (this.queue.length < n) {
      // From the second week on: reminders (48 h and 2 h before) are then days away, never due during a run.
      const weekStart = this.clinic.monday.plus({ weeks: this.week });
      this.queue.push(...(await bookingRequestsForWeek(this.frontDesk, this.clinic, weekStart, 4000 + this.week)));
      this.week++;
      if (this.week > 100) throw new Error('no free slots left within 100 weeks');
    }
    return this.queue.splice(0, n);
  }
  get weeksUsed(): number {
    return this.week - 1;
  }
}

/** Books until `count` bookings succeeded; returns the appointment ids. */
async function book(frontDesk: Api, supply: SlotSupply, count: number, connections: number, label: string): Promise<{ ids: string[]; failed: Record<string, number>; seconds: number }> {
  const ids: string[] = [];
  const failed: Record<string, number> = {};
  let inFlight = 0;
  let pending: BookingRequest[] = await supply.take(Math.ceil(count * 1.02) + connections);
  const t0 = performance.now();
  let lastLog = t0;
  const worker = async () => {
    for (;;) {
      if (ids.length + inFlight >= count) return;
      if (pending.length === 0) pending = await supply.take(Math.max(connections, count - ids.length));
      const request = pending.shift()!;
      inFlight++;
      try {
        const answer = await frontDesk.post<{ id?: string; code?: string }>('/api/appointments', request);
        if (answer.status === 201 && answer.body.id) ids.push(answer.body.id);
        else {
          const key = `${answer.status} ${answer.body?.code ?? ''}`.trim();
          failed[key] = (failed[key] ?? 0) + 1;
        }
      } finally {
        inFlight--;
      }
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  ${label}: ${ids.length.toLocaleString('en-US')}/${count.toLocaleString('en-US')} booked (${(ids.length / ((lastLog - t0) / 1000)).toFixed(0)}/s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { ids, failed, seconds: (performance.now() - t0) / 1000 };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, options: { timeoutMs: number; everyMs?: number; progress?: () => string }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastLog = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${options.progress ? ` (${options.progress()})` : ''}`);
    if (options.progress && Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`  waiting for ${what}: ${options.progress()}`);
    }
    await sleep(options.everyMs ?? 250);
  }
}

interface PgCounters {
  xacts: number;
  inserted: number;
  updated: number;
}
async function pgCounters(db: pg.Pool, name: string): Promise<PgCounters> {
  // Backends report their counters when idle (at most ~10 s late): callers wait before reading.
  await db.query('SELECT pg_stat_clear_snapshot()');
  const r = (await db.query<{ x: string; i: string; u: string }>('SELECT xact_commit + xact_rollback AS x, tup_inserted AS i, tup_updated AS u FROM pg_stat_database WHERE datname = $1', [name])).rows[0]!;
  return { xacts: Number(r.x), inserted: Number(r.i), updated: Number(r.u) };
}
async function redisCommands(redis: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? NaN);
}

/**
 * Before each timed run, as pgbench does: the writes of what came before (the bookings, composing
 * the confirmations and reminders, the other side's run) are vacuumed now, not by an autovacuum
 * worker that would otherwise start in the middle of the next run and take a core from whichever
 * side is running. Waits for an autovacuum already at work on the bench database first.
 */
async function settle(db: pg.Pool, database: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const busy = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'autovacuum worker'`, [database])).rows[0]!.n);
    if (busy === 0 || Date.now() - started > 120_000) break;
    await sleep(500);
  }
  await db.query('VACUUM (ANALYZE) notifications.messages, notifications.message_events, notifications.outbox, notifications.inbox, notifications.appointments');
  return Date.now() - started;
}

/**
 * What the notifications service's PostgreSQL connections are doing, sampled every 100 ms: running a
 * statement (on CPU, or waiting, e.g. for the WAL flush of a COMMIT), idle inside a transaction
 * (waiting for Node to send the next statement), or idle in the pool; and how many autovacuum
 * workers are busy with the bench database meanwhile.
 */
class ActivitySampler {
  private timer?: NodeJS.Timeout;
  private samples = 0;
  private readonly counts = new Map<string, number>();
  constructor(
    private readonly db: pg.Pool,
    private readonly database: string,
    private readonly applicationName: string,
  ) {}
  start(): void {
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.db
        .query<{ state: string | null; wait: string | null; autovacuum: boolean }>(
          `SELECT state, wait_event_type || ': ' || wait_event AS wait, backend_type = 'autovacuum worker' AS autovacuum
             FROM pg_stat_activity WHERE datname = $1 AND (application_name = $2 OR backend_type = 'autovacuum worker')`,
          [this.database, this.applicationName],
        )
        .then(({ rows }) => {
          this.samples++;
          for (const r of rows) {
            const key = r.autovacuum ? 'autovacuum workers on the bench database' : r.state === 'active' ? `running a statement${r.wait ? `, waiting for ${r.wait}` : ''}` : r.state === 'idle' ? 'idle in the pool' : (r.state ?? 'unknown');
            this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
          }
        })
        .catch(() => undefined)
        .finally(() => (busy = false));
    }, 100);
  }
  /** Average number of connections in each state over the samples. */
  stop(): Record<string, number> {
    clearInterval(this.timer);
    return Object.fromEntries([...this.counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / Math.max(1, this.samples)]));
  }
}

/** Arrivals at the fake since index `from`, keyed by the id in their StatusCallback URL. */
function arrivalsOf(system: BenchSystem, from: number, ids: Set<string>): { at: Map<string, number>; duplicates: number; strays: number } {
  const at = new Map<string, number>();
  let duplicates = 0;
  let strays = 0;
  for (const m of system.twilio.messages.slice(from)) {
    const id = m.statusCallback ? new URL(m.statusCallback).searchParams.get('messageId') : null;
    if (!id || !ids.has(id)) {
      strays++;
      continue;
    }
    if (at.has(id)) duplicates++;
    else at.set(id, m.receivedAt.getTime());
  }
  return { at, duplicates, strays };
}

/** BullMQ's own timestamps of each job: picked up by a worker (processedOn) and finished (finishedOn). */
async function jobTimes(redis: Redis, queue: Queue, ids: string[]): Promise<Map<string, { processedOn: number; finishedOn: number }>> {
  const out = new Map<string, { processedOn: number; finishedOn: number }>();
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000);
    const pipeline = redis.pipeline();
    for (const id of batch) pipeline.hmget(queue.toKey(id), 'processedOn', 'finishedOn');
    const results = (await pipeline.exec()) ?? [];
    batch.forEach((id, k) => {
      const [p, f] = (results[k]?.[1] as (string | null)[] | undefined) ?? [];
      if (p && f) out.set(id, { processedOn: Number(p), finishedOn: Number(f) });
    });
  }
  return out;
}

function summarise(kind: DispatchRun['kind'], run: number, dueAt: number, arrivals: ReturnType<typeof arrivalsOf>, times: Map<string, { processedOn: number; finishedOn: number }>, cpu: CpuUsage, extra: Partial<DispatchRun>): DispatchRun {
  const at = [...arrivals.at.values()].sort((a, b) => a - b);
  const first = at[0]!;
  const last = at.at(-1)!;
  const seconds = (last - first) / 1000;
  const perSecond: number[] = [];
  for (const t of at) {
    const k = Math.floor((t - first) / 1000);
    perSecond[k] = (perSecond[k] ?? 0) + 1;
  }
  const full = perSecond.slice(0, -1).map((v) => v ?? 0);
  const before: number[] = [];
  const after: number[] = [];
  for (const [id, t] of arrivals.at) {
    const j = times.get(id);
    if (!j) continue;
    before.push(t - j.processedOn);
    after.push(j.finishedOn - t);
  }
  const latency = at.map((t) => t - dueAt);
  const q = (v: number[], p: number) => quantile(v, p);
  return {
    kind,
    run,
    messages: at.length,
    seconds,
    rate: at.length > 1 ? (at.length - 1) / seconds : NaN,
    firstCallAfterDueMs: first - dueAt,
    latencyP50: q(latency, 0.5),
    latencyP99: q(latency, 0.99),
    latencyMax: Math.max(...latency),
    perSecond: { min: full.length ? Math.min(...full) : NaN, median: full.length ? q(full, 0.5) : NaN, max: full.length ? Math.max(...full) : NaN },
    beforeCallP50: q(before, 0.5),
    beforeCallP99: q(before, 0.99),
    afterCallP50: q(after, 0.5),
    afterCallP99: q(after, 0.99),
    duplicates: arrivals.duplicates,
    strays: arrivals.strays,
    cpu,
    ...extra,
  };
}

/** A smoke run's section says so at the top (dispatch-report.ts renders full runs). */
const render = (input: DispatchInput) =>
  ((input.config as { smoke?: boolean }).smoke
    ? '> **Smoke run** (`npm run bench:dispatch -- --smoke`: 1 run of a few hundred messages, PostgreSQL counters not waited for): these numbers only show that the bench works.\n\n'
    : '') + renderDispatch(input);
const SECTION: BenchSection<DispatchInput> = { name: 'dispatch', results: CONFIG.results, render, log };

async function main(): Promise<void> {
  const options = processorOptions();
  const zone = daytimeZone('America/New_York');
  const system = new BenchSystem();
  let db: pg.Pool | undefined;
  let redis: Redis | undefined;
  let outbound: Queue | undefined;
  let bare: Queue | undefined;
  let bareWorker: ChildProcess | undefined;
  const cleanup = cleanupOnce(log, 'stopping the bare worker, services, Redis, fakes; dropping the database', async () => {
    if (bareWorker && bareWorker.exitCode === null) {
      const exited = new Promise((resolve) => bareWorker!.once('exit', resolve));
      bareWorker.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000).then(() => bareWorker!.kill('SIGKILL'))]);
    }
    await Promise.allSettled([outbound?.close(), bare?.close()]);
    redis?.disconnect();
    await db?.end().catch(() => undefined);
    await system.stop();
  });

  try {
    log(`config: ${JSON.stringify({ ...CONFIG, results: path.relative(ROOT, CONFIG.results) })}`);
    log(`notifications' outbound processor: ${JSON.stringify(options)}; patients' time zone ${zone} (local time ${DateTime.now().setZone(zone).toFormat('HH:mm')})`);
    log('starting a private system (Redis on a spare port, fresh aftercare_bench_* database, Twilio fake with Twilio credentials, SMTP capture, 4 services from dist/)…');
    await system.start();
    log(`system healthy at ${system.baseUrl}, database ${system.database!.name}, Redis ${system.redis.url}, Twilio fake ${system.twilio.url}`);
    db = new pg.Pool({ connectionString: system.database!.url, max: 4 });
    redis = new Redis(system.redis.url, { maxRetriesPerRequest: null });
    const connection = { host: '127.0.0.1', port: system.redis.port };
    outbound = new Queue(QUEUES.outboundMessages, { connection, prefix: BULLMQ_PREFIX });
    bare = new Queue(BARE_QUEUE, { connection, prefix: BULLMQ_PREFIX });
    const [admin, frontDesk] = await Promise.all([Api.login(system.baseUrl, 'admin@aftercare.local'), Api.login(system.baseUrl, 'frontdesk@aftercare.local')]);

    // The clinic: clinicians with Mon–Fri hours and a room each, as the booking bench seeds it (no seeded appointments).
    const seeded = await seedClinic(admin, frontDesk, db, { clinicians: CONFIG.clinicians, appointments: 0, weeks: 1, bookingPatientsPerClinician: 0, log });
    const patientCount = CONFIG.clinicians * CONFIG.patientsPerClinician;
    log(`registering ${patientCount} patients through the front-desk API (SMS consent, preferred channel SMS, time zone ${zone})…`);
    const flat = await inBatches(Array.from({ length: patientCount }, (_, i) => i), 8, async (i) =>
      (
        await frontDesk.expect<{ id: string }>(201, 'POST', '/api/patients', {
          firstName: 'Bench',
          lastName: `Recipient ${String(i + 1).padStart(4, '0')}`,
          phone: `+1312555${String(2000 + i).padStart(4, '0')}`,
          timezone: zone,
          preferredChannel: 'sms',
          smsConsent: true,
        })
      ).id,
    );
    const clinic: SeededClinic = { ...seeded, bookingPatients: seeded.clinicianIds.map((_, c) => flat.slice(c * CONFIG.patientsPerClinician, (c + 1) * CONFIG.patientsPerClinician)) };
    await waitFor(
      'the notifications service to know every patient',
      async () => {
        const n = Number((await db!.query<{ n: string }>('SELECT count(*) AS n FROM notifications.recipients WHERE id = ANY($1::uuid[])', [flat])).rows[0]!.n);
        return n === flat.length ? n : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const supply = new SlotSupply(frontDesk, clinic);

    // The bare worker, its own process, started once and kept (as the notifications service is).
    log(`starting the bare BullMQ worker (own process, queue ${BARE_QUEUE}, ${JSON.stringify(options)})…`);
    bareWorker = fork(fileURLToPath(new URL('./support/bare-worker.js', import.meta.url)), [], {
      execArgv: bareWorkerNodeArgs(),
      env: {
        ...process.env,
        BARE_REDIS_URL: system.redis.url,
        BARE_QUEUE,
        BARE_PREFIX: BULLMQ_PREFIX,
        BARE_WORKER_OPTIONS: JSON.stringify(options),
        BARE_TWILIO_ACCOUNT_SID: system.twilio.accountSid,
        BARE_TWILIO_AUTH_TOKEN: system.twilio.authToken,
        BARE_TWILIO_API_URL: system.twilio.url,
        BARE_TWILIO_FROM: TWILIO_FROM,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      bareWorker!.once('message', () => resolve());
      bareWorker!.once('exit', (code) => reject(new Error(`the bare worker exited with ${code} during start-up`)));
    });

    const pids = system.servicePids();
    const redisPid = await system.redisPid();
    const meter = new CpuMeter(
      async (): Promise<PidGroups> => ({
        notifications: [pids.notifications!].filter(Boolean),
        'bare worker': [bareWorker!.pid!].filter(Boolean),
        'gateway + scheduling + followup': [pids.gateway!, pids.scheduling!, pids.followup!].filter(Boolean),
        postgres: await system.postgresPids(db!),
        'postgres server processes': await postgresServerPids(),
        redis: redisPid ? [redisPid] : [],
        'bench (Twilio fake)': [process.pid],
      }),
    );
    const describeCpu = (cpu: CpuUsage, n: number) =>
      `CPU ms per message: ${Object.entries(cpu.groups).filter(([, ms]) => ms > 0).map(([g, ms]) => `${g} ${(ms / n).toFixed(2)}`).join(', ')}; machine busy ${((100 * cpu.machineBusyMs) / cpu.machineCapacityMs).toFixed(0)} %; other processes: ${describeOthers(cpu, n)}`;
    const publicUrl = system.baseUrl;
    const callbackOf = (id: string) => `${publicUrl}/webhooks/twilio/status?messageId=${id}`;

    /** The confirmations of these appointments, once every one exists with its job waiting in the held queue. */
    const confirmationsOf = async (appointmentIds: string[], label: string) => {
      let composed = 0;
      const rows = await waitFor(
        `${label}: ${appointmentIds.length.toLocaleString('en-US')} confirmation rows`,
        async () => {
          const { rows } = await db!.query<{ id: string; status: string; due: Date; to_address: string; body: string }>(
            `SELECT id, status, due_at AS due, to_address, body FROM notifications.messages
              WHERE appointment_id = ANY($1::uuid[]) AND kind = 'booking_confirmation' AND channel = 'sms'`,
            [appointmentIds],
          );
          composed = rows.length;
          return rows.length >= appointmentIds.length ? rows : undefined;
        },
        {
          timeoutMs: 900_000,
          everyMs: 1_000,
          progress: () => `${composed.toLocaleString('en-US')} composed`,
        },
      );
      const notScheduled = rows.filter((r) => r.status !== 'scheduled');
      if (notScheduled.length) throw new Error(`${notScheduled.length} confirmations are not 'scheduled' (e.g. ${notScheduled[0]!.status})`);
      const later = rows.filter((r) => r.due.getTime() > Date.now() + 1_000);
      if (later.length) throw new Error(`${later.length} confirmations are due later (quiet hours in ${zone}?), first at ${later[0]!.due.toISOString()}`);
      await waitFor(
        `${label}: their jobs in ${QUEUES.outboundMessages}`,
        async () => {
          const counts = await outbound!.getJobCounts('wait', 'prioritized');
          const waiting = Object.values(counts).reduce((a, b) => a + b, 0);
          return waiting >= rows.length ? waiting : undefined;
        },
        { timeoutMs: 120_000 },
      );
      return rows;
    };

    // Warm-up of both workers (JIT, connections, the fake), not recorded.
    log(`warming up: ${CONFIG.warmup} bookings whose confirmations go out at once, and ${CONFIG.warmup} bare jobs…`);
    {
      const before = system.twilio.messages.length;
      const warm = await book(frontDesk, supply, CONFIG.warmup, CONFIG.bookingConnections, 'warm-up');
      await waitFor('the warm-up confirmations at the fake', async () => (system.twilio.messages.length - before >= warm.ids.length ? true : undefined), { timeoutMs: 120_000 });
      const bodies = system.twilio.messages.slice(before);
      const jobs = bodies.map((m) => ({ name: JOBS.messageSend, data: { to: m.to, body: m.body, statusCallback: callbackOf(randomUUID()) }, opts: { ...DEFAULT_JOB_OPTIONS, jobId: randomUUID() } }));
      const at = system.twilio.messages.length;
      await bare.addBulk(jobs);
      await waitFor('the warm-up bare jobs at the fake', async () => (system.twilio.messages.length - at >= jobs.length ? true : undefined), { timeoutMs: 120_000 });
    }

    // Bookings the API answered with a 5xx are not the bench's to fix, but worth a line: the services' error output.
    const bookingErrors = { count: 0, samples: [] as string[] };
    const noteBookingErrors = (failed: Record<string, number>) => {
      const n = Object.entries(failed).filter(([k]) => k.startsWith('5')).reduce((a, [, v]) => a + v, 0);
      if (n === 0) return;
      bookingErrors.count += n;
      const lines = system.logs.filter((l) => /\bERROR\b|"level":"(error|fatal)"/.test(l)).slice(-3).map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').slice(0, 300));
      for (const l of lines) if (!bookingErrors.samples.includes(l)) bookingErrors.samples.push(l);
      for (const l of lines) log(`  service error output: ${l}`);
    };
    const runs: DispatchRun[] = [];
    const idle: IdleWindow[] = [];
    let bookingSeconds = 0;
    for (let r = 1; r <= CONFIG.runs; r++) {
      log(`run ${r}/${CONFIG.runs}: holding ${QUEUES.outboundMessages} (pause) and booking ${CONFIG.messages.toLocaleString('en-US')} appointments through the API (${CONFIG.bookingConnections} connections)…`);
      await outbound.pause();
      const booked = await book(frontDesk, supply, CONFIG.messages, CONFIG.bookingConnections, `run ${r}`);
      bookingSeconds += booked.seconds;
      log(`  ${booked.ids.length.toLocaleString('en-US')} booked in ${booked.seconds.toFixed(0)} s${Object.keys(booked.failed).length ? `; refused: ${JSON.stringify(booked.failed)}` : ''}`);
      noteBookingErrors(booked.failed);
      const rows = await confirmationsOf(booked.ids, `run ${r}`);
      const pendingRows = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM notifications.messages WHERE status IN ('scheduled', 'queued', 'sending')`)).rows[0]!.n);
      log(`  ${rows.length.toLocaleString('en-US')} confirmations due and waiting; ${pendingRows.toLocaleString('en-US')} pending message rows in all (the rest: reminders of the booked appointments, days ahead)`);

      // Idle: what the notifications service does with nothing to send (reconciler passes, pollers).
      // (First 11 s for PostgreSQL's counters of the composing to arrive, then the window.)
      log(`  idle window, ${CONFIG.idleSeconds} s (what the services do with nothing to send)…`);
      await sleep(CONFIG.pgStatsWaitMs);
      const idleRedis0 = await redisCommands(redis);
      const idlePg0 = await pgCounters(db, system.database!.name);
      await meter.start();
      await sleep(CONFIG.idleSeconds * 1000);
      const idleCpu = await meter.stop();
      const idlePg1 = await pgCounters(db, system.database!.name);
      const idleSeconds = idleCpu.wallMs / 1000;
      idle.push({
        run: r,
        seconds: idleSeconds,
        pendingRows,
        cpu: idleCpu,
        redisCommands: (await redisCommands(redis)) - idleRedis0,
        pgPerSecond: { xacts: (idlePg1.xacts - idlePg0.xacts) / idleSeconds, inserted: (idlePg1.inserted - idlePg0.inserted) / idleSeconds, updated: (idlePg1.updated - idlePg0.updated) / idleSeconds },
      });
      log(`  idle: notifications ${(idleCpu.groups.notifications! / (idleCpu.wallMs / 1000)).toFixed(0)} ms CPU/s, Redis ${((idle.at(-1)!.redisCommands / idleCpu.wallMs) * 1000).toFixed(0)} commands/s; other processes (ms/s): ${describeOthers(idleCpu, idleCpu.wallMs / 1000)}`);

      const notificationsRun = async (): Promise<DispatchRun> => {
        const ids = new Set(rows.map((row) => row.id));
        if (CONFIG.vacuum) log(`  vacuumed the bench database's notifications tables first (${((await settle(db!, system.database!.name)) / 1000).toFixed(1)} s)`);
        const from = system.twilio.messages.length;
        const redis0 = await redisCommands(redis!);
        const pg0 = await pgCounters(db!, system.database!.name);
        log(`run ${r}/${CONFIG.runs}: notifications service — letting go of ${rows.length.toLocaleString('en-US')} due confirmations (resume)…`);
        const sampler = new ActivitySampler(db!, system.database!.name, 'aftercare-notifications');
        if (CONFIG.gcBefore) collectGarbage();
        await meter.start();
        const dueAt = Date.now();
        sampler.start();
        await outbound!.resume();
        let lastCount = 0;
        let lastProgress = Date.now();
        await waitFor(
          `run ${r}: all ${ids.size.toLocaleString('en-US')} confirmations at the fake`,
          async () => {
            const got = system.twilio.messages.length - from;
            if (got !== lastCount) {
              lastCount = got;
              lastProgress = Date.now();
            } else if (Date.now() - lastProgress > 60_000) throw new Error(`no provider call for 60 s after ${got} of ${ids.size}`);
            return got >= ids.size ? got : undefined;
          },
          { timeoutMs: 1_800_000, everyMs: 100, progress: () => `${lastCount.toLocaleString('en-US')} sent, ${(lastCount / ((Date.now() - dueAt) / 1000)).toFixed(0)}/s` },
        );
        // Done when every row is `sent` (the worker has recorded the provider's answer).
        await waitFor(
          `run ${r}: every row recorded as sent`,
          async () => {
            const n = Number((await db!.query<{ n: string }>(`SELECT count(*) AS n FROM notifications.messages WHERE id = ANY($1::uuid[]) AND status = 'sent'`, [[...ids]])).rows[0]!.n);
            return n >= ids.size ? n : undefined;
          },
          { timeoutMs: 120_000, everyMs: 100 },
        );
        const cpu = await meter.stop();
        const pgActivity = sampler.stop();
        const redisDelta = (await redisCommands(redis!)) - redis0;
        const arrivals = arrivalsOf(system, from, ids);
        const times = await jobTimes(redis!, outbound!, [...ids]);
        const statuses = Object.fromEntries(
          (await db!.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM notifications.messages WHERE id = ANY($1::uuid[]) GROUP BY status', [[...ids]])).rows.map((x) => [x.status, Number(x.n)]),
        );
        // PostgreSQL's counters arrive when the backends go idle (up to ~10 s later).
        await sleep(CONFIG.pgStatsWaitMs);
        const pg1 = await pgCounters(db!, system.database!.name);
        // Net of what the services do in the background (the idle window's rate over the same time).
        const window = (Date.now() - dueAt) / 1000;
        const background = idle.at(-1)!.pgPerSecond;
        const run = summarise('notifications', r, dueAt, arrivals, times, cpu, {
          redisCommands: redisDelta,
          pgXacts: pg1.xacts - pg0.xacts - background.xacts * window,
          pgInserted: pg1.inserted - pg0.inserted - background.inserted * window,
          pgUpdated: pg1.updated - pg0.updated - background.updated * window,
          pgWindowSeconds: window,
          pgActivity,
          pendingRows,
          statuses,
        });
        log(
          `  ${run.messages.toLocaleString('en-US')} provider calls in ${run.seconds.toFixed(1)} s = ${run.rate.toFixed(0)} messages/s; latency p50 ${(run.latencyP50 / 1000).toFixed(1)} s, p99 ${(run.latencyP99 / 1000).toFixed(1)} s; rows ${JSON.stringify(statuses)}; duplicates ${run.duplicates}, other SMS ${run.strays}`,
        );
        log(`  ${describeCpu(run.cpu, run.messages)}`);
        log(`  the service's PostgreSQL connections, on average: ${Object.entries(pgActivity).map(([k, v]) => `${v.toFixed(1)} ${k}`).join(', ')}`);
        return run;
      };

      const bareRun = async (): Promise<DispatchRun> => {
        const jobs = rows.map((row) => {
          const id = randomUUID();
          return { id, name: JOBS.messageSend, data: { to: row.to_address, body: row.body, statusCallback: callbackOf(id) }, opts: { ...DEFAULT_JOB_OPTIONS, jobId: id } };
        });
        const ids = new Set(jobs.map((j) => j.id));
        log(`run ${r}/${CONFIG.runs}: bare BullMQ worker — adding ${jobs.length.toLocaleString('en-US')} jobs to the held ${BARE_QUEUE} (same recipients and texts)…`);
        await bare!.pause();
        for (let i = 0; i < jobs.length; i += 1000) await bare!.addBulk(jobs.slice(i, i + 1000).map(({ name, data, opts }) => ({ name, data, opts })));
        const completed0 = (await bare!.getJobCounts('completed')).completed ?? 0;
        if (CONFIG.vacuum) log(`  vacuumed the bench database's notifications tables first (${((await settle(db!, system.database!.name)) / 1000).toFixed(1)} s)`);
        const from = system.twilio.messages.length;
        const redis0 = await redisCommands(redis!);
        log(`run ${r}/${CONFIG.runs}: bare BullMQ worker — letting go (resume)…`);
        const sampler = new ActivitySampler(db!, system.database!.name, 'aftercare-notifications');
        if (CONFIG.gcBefore) collectGarbage();
        await meter.start();
        const dueAt = Date.now();
        sampler.start();
        await bare!.resume();
        let lastCount = 0;
        await waitFor(
          `run ${r}: all ${ids.size.toLocaleString('en-US')} bare jobs at the fake`,
          async () => {
            lastCount = system.twilio.messages.length - from;
            return lastCount >= ids.size ? lastCount : undefined;
          },
          { timeoutMs: 1_800_000, everyMs: 100, progress: () => `${lastCount.toLocaleString('en-US')} sent, ${(lastCount / ((Date.now() - dueAt) / 1000)).toFixed(0)}/s` },
        );
        await waitFor(
          `run ${r}: every bare job completed`,
          async () => {
            const done = ((await bare!.getJobCounts('completed')).completed ?? 0) - completed0;
            return done >= ids.size ? done : undefined;
          },
          { timeoutMs: 120_000, everyMs: 100 },
        );
        const cpu = await meter.stop();
        const pgActivity = sampler.stop();
        const redisDelta = (await redisCommands(redis!)) - redis0;
        const run = summarise('bare', r, dueAt, arrivalsOf(system, from, ids), await jobTimes(redis!, bare!, [...ids]), cpu, { redisCommands: redisDelta, pendingRows, pgActivity });
        log(
          `  ${run.messages.toLocaleString('en-US')} provider calls in ${run.seconds.toFixed(1)} s = ${run.rate.toFixed(0)} messages/s; latency p50 ${(run.latencyP50 / 1000).toFixed(1)} s, p99 ${(run.latencyP99 / 1000).toFixed(1)} s; duplicates ${run.duplicates}, other SMS ${run.strays}`,
        );
        log(`  ${describeCpu(run.cpu, run.messages)}`);
        log(`  meanwhile on the bench database, on average: ${Object.entries(pgActivity).map(([k, v]) => `${v.toFixed(1)} ${k}`).join(', ') || 'nothing'}`);
        return run;
      };

      // Which goes first alternates, so that neither always runs on a warmer or a more tired machine.
      if (serviceGoesFirst(r)) {
        runs.push(await notificationsRun());
        runs.push(await bareRun());
      } else {
        runs.push(await bareRun());
        runs.push(await notificationsRun());
      }
      const n = runs.find((x) => x.run === r && x.kind === 'notifications')!;
      const b = runs.find((x) => x.run === r && x.kind === 'bare')!;
      log(`run ${r}/${CONFIG.runs}: ratio notifications / bare = ${(n.rate / b.rate).toFixed(2)} (target ≥ 0.70)`);
    }

    // Where the time of one send goes: MessageSenderService.send in this process, statement by statement.
    log(`profiling single sends in process: holding the queue, booking ${CONFIG.profileSends} more appointments…`);
    await outbound.pause();
    const profileBooked = await book(frontDesk, supply, CONFIG.profileSends, CONFIG.bookingConnections, 'profile');
    noteBookingErrors(profileBooked.failed);
    const profileRows = await confirmationsOf(profileBooked.ids, 'profile');
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: system.database!.url,
      REDIS_URL: system.redis.url,
      PUBLIC_URL: system.baseUrl,
      JWT_SECRET: 'bench-secret-of-at-least-thirty-two-characters',
      TWILIO_ACCOUNT_SID: system.twilio.accountSid,
      TWILIO_AUTH_TOKEN: system.twilio.authToken,
      TWILIO_FROM,
      TWILIO_API_URL: system.twilio.url,
    });
    log(`  MessageSenderService.send, one after another, for ${profileRows.length} due confirmations…`);
    const profile: SendProfile = await profileSends({ databaseUrl: system.database!.url, config, messageIds: profileRows.map((x) => x.id) });
    log(`  per send: ${profile.statements} statements in ${profile.transactions} transactions; total p50 ${profile.total.p50.toFixed(2)} ms = database ${profile.database.p50.toFixed(2)} + provider ${profile.provider.p50.toFixed(2)} + other ${profile.other.p50.toFixed(2)}; outcomes ${JSON.stringify(profile.outcomes)}`);
    for (const s of profile.byStatement) log(`    ${s.label}: p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms (${s.sends} sends)`);

    const info = await machine(db, system.redis.url, CODE);
    const setting = async (name: string) => (await db!.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
    const pgSettings = { synchronousCommit: await setting('synchronous_commit'), fsync: await setting('fsync'), walSyncMethod: await setting('wal_sync_method') };
    const input: DispatchInput = {
      pgSettings,
      reconcileIntervalMs: config.reconcileIntervalMs,
      bookingErrors,
      config: { ...CONFIG, patients: patientCount },
      machine: info,
      zone,
      workerOptions: options,
      runs,
      idle,
      profile,
      weeksBooked: supply.weeksUsed,
      bookingSeconds,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
    await publish(SECTION, input);
    if (runs.some((x) => x.duplicates > 0 || x.messages !== CONFIG.messages)) process.exitCode = 1;
  } catch (error) {
    reportFailure(error, system.logs);
  } finally {
    await cleanup();
  }
}

await benchEntry(SECTION, main);
