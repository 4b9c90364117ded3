/**
 * Issue 7, figures 2 and 4: timing precision of due steps, and Redis memory per pending step.
 *
 *   | timing precision | lateness (provider call − due time) p50/p99/max of 100,000 steps due
 *   | within 2 minutes, with 1,000,000 more pending far in the future | a bare BullMQ worker on
 *   | the same delayed jobs | p99 ≤ 1 s and ≤ 2 × the bare worker's p99 + 100 ms |
 *   | scale in Redis | bytes of Redis memory per pending step at 1,000,000 pending steps | a bare
 *   | BullMQ delayed job with a 36-byte id payload | ≤ 1.5 × bare; 1,000,000 steps in under 1 GiB |
 *
 * Run: `npm run bench:timing` (builds, then runs dist/bench/timing.bench.js); add `-- --smoke` (or
 * BENCH_SMOKE=1) for a short run with small data, which writes its section and chart to temporary
 * files instead of bench/RESULTS.md and bench/timing-lateness.svg. It starts its own system as the
 * other benches do (the four services from dist/, a fresh database aftercare_bench_*, a private
 * Redis on a spare port, the Twilio fake with Twilio credentials configured, the SMTP capture),
 * and stops and drops everything it started, also on failure or Ctrl-C.
 *
 * 1. Far steps (figure 4): BENCH_FAR care-plan steps due in 1–42 days, rows with set-based SQL
 *    and their delayed jobs added by followup's own JobScheduler (jobId = row id, payload { id },
 *    the service's job options). Redis's used_memory before and after, per step; then the same
 *    number of bare BullMQ delayed jobs (payload a 36-character id, same options and delays,
 *    BullMQ's own job ids) in a queue of their own, per job. Both stay for the rest of the run:
 *    the lateness windows run with them pending.
 *    That is at hash-max-listpack-value BENCH_REDIS_LISTPACK_VALUE (512, as docker-compose.yml
 *    ships it: a job hash then stays one compact listpack); the same two at Redis's default (64)
 *    on BENCH_MEMORY_SAMPLE jobs each in queues of their own, removed afterwards.
 * 2. Redis's idle CPU at each BENCH_REDIS_HZ (serverCron runs hz times a second).
 * 3. Windows (figure 2), for each run and each hz (`CONFIG SET hz` on the private Redis):
 *    - service: BENCH_DUE check-in steps of new patients (SMS consent, a zone where it is
 *      daytime, so quiet hours hold nothing back), due evenly over BENCH_WINDOW_S from
 *      BENCH_LEAD_S after their seeding ends; rows, then jobs as the service adds them. From
 *      then on it is the real path: followup's worker wakes each step at its due time and
 *      publishes care-plan.message-due through its outbox; notifications composes the SMS (a
 *      message row) and adds its send job; its worker calls the Twilio fake through the twilio
 *      library. Lateness = the call's arrival at the fake − the step's due time.
 *    - bare: a bare BullMQ worker in its own process (bench/support/bare-worker.ts, the
 *      notifications send processor's worker options, the same twilio call to the same fake)
 *      on BENCH_DUE delayed jobs due at the same offsets, added the same way; lateness measured
 *      the same way.
 *    Which goes first alternates. Also, per step, when BullMQ handed the job to a worker
 *    (processedOn), and for the service when the step fired and the message row was written.
 * The lateness distributions go to bench/timing-lateness.svg (CDF and tail, each hz, pooled runs).
 *
 * Knobs (environment): BENCH_RUNS (3; smoke 1), BENCH_DUE (100000; smoke 500), BENCH_FAR (1000000;
 * smoke 5000), BENCH_WINDOW_S (120; smoke 3), BENCH_LEAD_S (30; smoke 2), BENCH_REDIS_HZ ("10,100":
 * each value is measured in every run), BENCH_REDIS_LISTPACK_VALUE (512), BENCH_MEMORY_SAMPLE (100000;
 * smoke 5000), BENCH_REDIS_CONFIG ("name value,…": more Redis settings
 * set before anything, e.g. "appendonly yes,appendfsync everysec"), BENCH_STALL_S (120: a window
 * with no provider call for this long after its last due time is given up), BENCH_RESULTS
 * (default bench/RESULTS.md), BENCH_CHART (default bench/timing-lateness.svg), BENCH_VERBOSE=1,
 * BENCH_KEEP_DATABASE=1, BENCH_RENDER_FROM=<json> (only render the section and the chart again
 * from a run's saved measurements). MESSAGE_SEND_CONCURRENCY as the services read it.
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import pg from 'pg';
import { loadConfig } from '@aftercare/config';
import { BULLMQ_PREFIX, JOBS, QUEUES } from '@aftercare/contracts';
import { DEFAULT_JOB_OPTIONS } from '@aftercare/jobs';
import { CarePlanStepProcessor } from '../apps/followup/src/care-plans/care-plan-step.processor.js';
import { MessageSendProcessor } from '../apps/notifications/src/delivery/message-send.processor.js';
import { ROOT } from '../scripts/lib/system.js';
import { bareWorkerNodeArgs, BenchSystem, TWILIO_FROM } from './support/bench-system.js';
import { benchEntry, cleanupOnce, publish, reportFailure, type BenchSection } from './support/bench-run.js';
import { CpuMeter, describeOthers, postgresServerPids, type PidGroups } from './support/cpu.js';
import { codeVersion, machine } from './support/machine.js';
import { timingChart, renderTiming, verdicts, type MemoryFigure, type TimingInput, type WindowRun } from './support/timing-report.js';
import { averageKeyBytes, idleCpuMsPerSecond, keyBytes, parseRedisConfig, redisSettings, setSetting, settledMemory, type RedisMemory } from './support/timing-redis.js';
import { dueSteps, md5Uuid, phoneOf, scheduleSteps, seedBareFar, seedFarSteps, seedingEstimateMs, seedWindowPatients, type Rates } from './support/timing-seed.js';
import { latenessWithHistogram, lateness, peakPerSecond } from './support/timing-stats.js';
import { SMOKE, int } from './support/knobs.js';

const ints = (name: string, fallback: number[]) => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1 || v > 500)) throw new Error(`${name} must be a comma-separated list of integers from 1 to 500`);
  return values;
};
const tmp = (name: string) => path.join(os.tmpdir(), name);
export const CONFIG = {
  smoke: SMOKE,
  runs: int('BENCH_RUNS', SMOKE ? 1 : 3),
  due: int('BENCH_DUE', SMOKE ? 500 : 100_000),
  far: int('BENCH_FAR', SMOKE ? 5_000 : 1_000_000),
  windowSeconds: int('BENCH_WINDOW_S', SMOKE ? 3 : 120),
  leadSeconds: int('BENCH_LEAD_S', SMOKE ? 2 : 30),
  hz: ints('BENCH_REDIS_HZ', [10, 100]),
  /** hash-max-listpack-value for the run (docker-compose.yml's); Redis's default 64 is measured on a sample beside it */
  listpackValue: int('BENCH_REDIS_LISTPACK_VALUE', 512),
  memorySample: int('BENCH_MEMORY_SAMPLE', SMOKE ? 5_000 : 100_000),
  redisConfig: parseRedisConfig(process.env.BENCH_REDIS_CONFIG),
  stallSeconds: int('BENCH_STALL_S', 120),
  idleCpuSeconds: SMOKE ? 2 : 10,
  warmup: SMOKE ? 50 : 1_000,
  targetMs: 1_000,
  results: process.env.BENCH_RESULTS || (SMOKE ? tmp('aftercare-bench-timing-smoke.md') : path.join(ROOT, 'bench', 'RESULTS.md')),
  chart: process.env.BENCH_CHART || (SMOKE ? tmp('aftercare-bench-timing-smoke.svg') : path.join(ROOT, 'bench', 'timing-lateness.svg')),
};
/** As long a name as followup's '{care-plan-steps}', so that the bare job's keys are as long (figure 4). */
const BARE_QUEUE = '{bench-bare-jobs}';

const started = performance.now();
/** The code as built into dist/ just before this run (others may commit or edit meanwhile). */
const CODE = codeVersion();
const log = (line: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const n = (v: number) => v.toLocaleString('en-US');
const msText = (v: number) => (!Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`);
const MB = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
/** The largest value (a loop: 100,000 values are too many arguments for Math.max). */
const latest = (values: number[]) => values.reduce((a, b) => (b > a ? b : a), -Infinity);

/** A worker's options as its @Processor decorator sets them (lock, stalled interval, concurrency). */
function decoratorOptions(processor: object): { concurrency?: number; lockDuration?: number; stalledInterval?: number } {
  return (Reflect.getMetadata('bullmq:worker_metadata', processor) as { concurrency?: number; lockDuration?: number; stalledInterval?: number } | undefined) ?? {};
}

/** The notifications send processor's worker options, with the concurrency as the service reads it (the bare worker gets the same). */
function sendProcessorOptions(): { concurrency: number; lockDuration?: number; stalledInterval?: number } {
  const options = decoratorOptions(MessageSendProcessor);
  return { concurrency: loadConfig({ ...process.env, NODE_ENV: 'test' }).messageSendConcurrency, lockDuration: options.lockDuration, stalledInterval: options.stalledInterval };
}

/** A zone where it is daytime now and stays so for hours, so quiet hours (21:00–08:00 by default) hold nothing back. */
function daytimeZone(preferred: string): string {
  const zones = [preferred, 'America/Chicago', 'America/Los_Angeles', 'Pacific/Honolulu', 'Europe/London', 'Europe/Berlin', 'Asia/Kolkata', 'Asia/Singapore', 'Asia/Tokyo', 'Australia/Sydney', 'Pacific/Auckland', 'America/Sao_Paulo'];
  for (const zone of zones) {
    const hour = DateTime.now().setZone(zone).hour;
    if (hour >= 9 && hour < 16) return zone;
  }
  return preferred;
}

async function redisCommands(redis: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? NaN);
}

/** BullMQ's processedOn (a worker took the job) of each job id, in pipelines of 1,000; missing ones are left out. */
async function processedOn(redis: Redis, queue: Queue, ids: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000);
    const pipeline = redis.pipeline();
    for (const id of batch) pipeline.hget(queue.toKey(id), 'processedOn');
    const answers = (await pipeline.exec()) ?? [];
    batch.forEach((id, k) => {
      const v = answers[k]?.[1] as string | null | undefined;
      if (v) out.set(id, Number(v));
    });
  }
  return out;
}

/** The id a provider call was for: the messageId of its StatusCallback URL. */
const callbackId = (statusCallback: string | undefined) => (statusCallback ? new URL(statusCallback).searchParams.get('messageId') : null);

/**
 * Figure 4 on a sample, in a queue of its own in Redis database `db` (its own, empty keyspace:
 * in database 0, next to two million keys, a sample that happens to cross a power of two makes
 * Redis double its key table, 8 bytes per key already there, and that would be charged to the
 * sample): `count` delayed jobs as the service adds them (jobId a uuid, payload { id }) or bare
 * (BullMQ's ids, payload { id }), the service's options, due in 1–42 days; used_memory before
 * and after, MEMORY USAGE of 1,000 job hashes; then the database is emptied.
 */
async function memoryProbe(redis: Redis, connection: { host: string; port: number }, db: number, name: string, count: number, style: 'service' | 'bare'): Promise<MemoryFigure> {
  const queue = new Queue(name, { connection: { ...connection, db }, prefix: BULLMQ_PREFIX });
  const probe = new Redis({ ...connection, db, maxRetriesPerRequest: null });
  try {
    const before = await settledMemory(redis);
    const t0 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, count - i) }, (_, k) => {
        const id = randomUUID();
        const delay = (1 + ((i + k) % 42)) * 86_400_000;
        return { name: JOBS.carePlanStepDue, data: { id }, opts: { ...DEFAULT_JOB_OPTIONS, delay, ...(style === 'service' ? { jobId: id } : {}) } };
      });
      const added = await queue.addBulk(batch);
      if (ids.length < 1000) ids.push(...added.slice(0, 1000 - ids.length).map((job) => job.id!));
    }
    const seconds = (performance.now() - t0) / 1000;
    const after = await settledMemory(redis);
    const figure: MemoryFigure = {
      jobs: count,
      before,
      after,
      perJob: (after.usedMemory - before.usedMemory) / count,
      hashBytes: await averageKeyBytes(probe, ids.map((id) => queue.toKey(id))),
      encoding: String(await probe.object('ENCODING', queue.toKey(ids[0]!))),
      delayedBytes: await keyBytes(probe, queue.toKey('delayed')),
      delayedEntries: await probe.zcard(queue.toKey('delayed')),
      seconds,
    };
    return figure;
  } finally {
    await queue.close();
    await probe.flushdb().catch(() => undefined);
    probe.disconnect();
  }
}

/** The redis service's command in docker-compose.yml, as the section quotes it. */
async function composeRedisCommand(): Promise<string> {
  try {
    const text = await readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    const command = /^  redis:\n(?:    .*\n|\s*\n)*?    command: \[(.*)\]/m.exec(text)?.[1];
    return command ? command.split(',').map((part) => part.trim().replace(/^"|"$/g, '')).join(' ') : '(not found)';
  } catch {
    return '(no docker-compose.yml)';
  }
}

/** Saved measurements → the chart (the section is written by benchEntry/publish). */
async function writeChart(input: TimingInput, file: string): Promise<void> {
  await writeFile(file, timingChart(input));
  log(`wrote the chart ${path.relative(process.cwd(), file)}`);
}

const SECTION: BenchSection<TimingInput> = { name: 'timing', results: CONFIG.results, render: renderTiming, log };

async function main(): Promise<void> {
  const zone = daytimeZone('America/New_York');
  const sendOptions = sendProcessorOptions();
  const stepOptions = decoratorOptions(CarePlanStepProcessor);
  const system = new BenchSystem();
  let db: pg.Pool | undefined;
  let redis: Redis | undefined;
  let steps: Queue | undefined;
  let bare: Queue | undefined;
  let bareWorker: ChildProcess | undefined;
  const cleanup = cleanupOnce(log, 'stopping the bare worker, services, Redis, fakes; dropping the database', async () => {
    if (bareWorker && bareWorker.exitCode === null) {
      const exited = new Promise((resolve) => bareWorker!.once('exit', resolve));
      bareWorker.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000).then(() => bareWorker!.kill('SIGKILL'))]);
    }
    await Promise.allSettled([steps?.close(), bare?.close()]);
    redis?.disconnect();
    await db?.end().catch(() => undefined);
    await system.stop();
  });

  try {
    log(`config: ${JSON.stringify({ ...CONFIG, results: path.relative(ROOT, CONFIG.results), chart: path.relative(ROOT, CONFIG.chart) })}`);
    log(`followup's step processor: ${JSON.stringify(stepOptions)}; notifications' send processor (and the bare worker): ${JSON.stringify(sendOptions)}; patients' time zone ${zone} (local time ${DateTime.now().setZone(zone).toFormat('HH:mm')})`);
    log('starting a private system (Redis on a spare port, fresh aftercare_bench_* database, Twilio fake with Twilio credentials, SMTP capture, 4 services from dist/)…');
    await system.start();
    log(`system healthy at ${system.baseUrl}, database ${system.database!.name}, Redis ${system.redis.url}, Twilio fake ${system.twilio.url}`);
    db = new pg.Pool({ connectionString: system.database!.url, max: 4, application_name: 'aftercare-bench-timing' });
    redis = new Redis(system.redis.url, { maxRetriesPerRequest: null });
    const connection = { host: '127.0.0.1', port: system.redis.port };
    steps = new Queue(QUEUES.carePlanSteps, { connection, prefix: BULLMQ_PREFIX });
    bare = new Queue(BARE_QUEUE, { connection, prefix: BULLMQ_PREFIX });
    for (const [name, value] of CONFIG.redisConfig) {
      await setSetting(redis, name, value);
      log(`Redis: CONFIG SET ${name} ${value}`);
    }
    await setSetting(redis, 'hz', String(CONFIG.hz[0]));
    const listpackDefault = (await redis.config('GET', 'hash-max-listpack-value')) as string[];
    await setSetting(redis, 'hash-max-listpack-value', String(CONFIG.listpackValue));
    const settings = await redisSettings(redis);
    log(`Redis settings: ${Object.entries(settings).map(([k, v]) => `${k} ${v === '' ? '""' : v}`).join(', ')}`);

    // 1. Far steps and the bare far jobs (figure 4).
    const memory = async (label: string): Promise<RedisMemory> => {
      const m = await settledMemory(redis!);
      log(`  Redis ${label}: used_memory ${MB(m.usedMemory)} (dataset ${MB(m.dataset)}), RSS ${MB(m.rss)}, ${n(m.keys)} keys`);
      return m;
    };
    const beforeFar = await memory('before the far steps');
    const far = await seedFarSteps(db, steps, { far: CONFIG.far, zone, log });
    const afterFar = await memory(`with ${n(CONFIG.far)} far steps`);
    const farIds = Array.from({ length: Math.min(1000, CONFIG.far) }, (_, i) => md5Uuid(`timing-far-step-${i + 1}`));
    const serviceFigure: MemoryFigure = {
      jobs: CONFIG.far,
      before: beforeFar,
      after: afterFar,
      perJob: (afterFar.usedMemory - beforeFar.usedMemory) / CONFIG.far,
      hashBytes: await averageKeyBytes(redis, farIds.map((id) => steps!.toKey(id))),
      encoding: String(await redis.object('ENCODING', steps.toKey(farIds[0]!))),
      delayedBytes: await keyBytes(redis, steps.toKey('delayed')),
      delayedEntries: await redis.zcard(steps.toKey('delayed')),
      seconds: far.jobSeconds,
    };
    log(`  figure 4, the service: ${serviceFigure.perJob.toFixed(1)} bytes of used_memory per pending step (job hash ~${serviceFigure.hashBytes.toFixed(0)} B by MEMORY USAGE; delayed set ${MB(serviceFigure.delayedBytes)} for ${n(serviceFigure.delayedEntries)} entries)`);
    log(`bare far jobs: ${n(CONFIG.far)} delayed jobs in ${BARE_QUEUE} (payload a 36-character id, same options and delays, BullMQ's own ids)…`);
    const beforeBare = await memory('before the bare far jobs');
    const bareFar = await seedBareFar(bare, CONFIG.far, log);
    const afterBare = await memory(`with ${n(CONFIG.far)} bare far jobs`);
    const bareFigure: MemoryFigure = {
      jobs: CONFIG.far,
      before: beforeBare,
      after: afterBare,
      perJob: (afterBare.usedMemory - beforeBare.usedMemory) / CONFIG.far,
      hashBytes: await averageKeyBytes(redis, Array.from({ length: Math.min(1000, CONFIG.far) }, (_, i) => bare!.toKey(String(i + 1)))),
      encoding: String(await redis.object('ENCODING', bare.toKey('1'))),
      delayedBytes: await keyBytes(redis, bare.toKey('delayed')),
      delayedEntries: await redis.zcard(bare.toKey('delayed')),
      seconds: bareFar.seconds,
    };
    log(`  figure 4, bare: ${bareFigure.perJob.toFixed(1)} bytes per delayed job (job hash ~${bareFigure.hashBytes.toFixed(0)} B); ratio service / bare ${(serviceFigure.perJob / bareFigure.perJob).toFixed(2)} (target ≤ 1.5)`);
    // The same two at Redis's default hash-max-listpack-value, on a sample in queues of their own.
    const defaultValue = listpackDefault[1] ?? '64';
    log(`the same at Redis's default hash-max-listpack-value ${defaultValue}: ${n(CONFIG.memorySample)} jobs each, in Redis databases 1 and 2 (emptied afterwards)…`);
    await setSetting(redis, 'hash-max-listpack-value', defaultValue);
    const atDefault = {
      value: Number(defaultValue),
      service: await memoryProbe(redis, connection, 1, QUEUES.carePlanSteps, CONFIG.memorySample, 'service'),
      bare: await memoryProbe(redis, connection, 2, BARE_QUEUE, CONFIG.memorySample, 'bare'),
    };
    await setSetting(redis, 'hash-max-listpack-value', String(CONFIG.listpackValue));
    log(`  at ${defaultValue}: service ${atDefault.service.perJob.toFixed(1)} bytes per step (job hash ~${atDefault.service.hashBytes.toFixed(0)} B, ${atDefault.service.encoding}), bare ${atDefault.bare.perJob.toFixed(1)} (~${atDefault.bare.hashBytes.toFixed(0)} B, ${atDefault.bare.encoding}); ratio ${(atDefault.service.perJob / atDefault.bare.perJob).toFixed(2)}`);
    const pgStep = (
      await db.query<{ bytes: string; rows: string }>(`SELECT pg_total_relation_size('followup.care_plan_steps') AS bytes, (SELECT count(*) FROM followup.care_plan_steps) AS rows`)
    ).rows[0]!;
    const rates: Rates = far.rates;
    log(`  seeding rates: ${n(Math.round(rates.rows))} step rows/s, ${n(Math.round(rates.jobs))} jobs/s; PostgreSQL holds ${(Number(pgStep.bytes) / Number(pgStep.rows)).toFixed(0)} bytes per step row (table and indexes)`);

    // 2. Redis's own CPU at each hz, the services idle.
    const redisPid = await system.redisPid();
    const idleRedis: TimingInput['idleRedis'] = [];
    for (const hz of CONFIG.hz) {
      await setSetting(redis, 'hz', String(hz));
      const msPerS = await idleCpuMsPerSecond(redisPid, CONFIG.idleCpuSeconds);
      idleRedis.push({ hz, msPerS });
      log(`Redis idle at hz ${hz}: ${msPerS.toFixed(2)} ms CPU per second (${CONFIG.idleCpuSeconds} s, services idle, ${n(2 * CONFIG.far)} delayed jobs held)`);
    }

    // 3. The bare worker, its own process, started once and kept (as the services are).
    log(`starting the bare BullMQ worker (own process, queue ${BARE_QUEUE}, ${JSON.stringify(sendOptions)})…`);
    bareWorker = fork(fileURLToPath(new URL('./support/bare-worker.js', import.meta.url)), [], {
      execArgv: bareWorkerNodeArgs(),
      env: {
        ...process.env,
        BARE_REDIS_URL: system.redis.url,
        BARE_QUEUE,
        BARE_PREFIX: BULLMQ_PREFIX,
        BARE_WORKER_OPTIONS: JSON.stringify(sendOptions),
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
    const meter = new CpuMeter(
      async (): Promise<PidGroups> => ({
        followup: [pids.followup!].filter(Boolean),
        notifications: [pids.notifications!].filter(Boolean),
        'bare worker': [bareWorker!.pid!].filter(Boolean),
        'gateway + scheduling': [pids.gateway!, pids.scheduling!].filter(Boolean),
        postgres: await system.postgresPids(db!),
        'postgres server processes': await postgresServerPids(),
        redis: redisPid ? [redisPid] : [],
        'bench (Twilio fake)': [process.pid],
      }),
    );
    const callbackOf = (id: string) => `${system.baseUrl}/webhooks/twilio/status?messageId=${id}`;
    let checkinBody = 'How is the injection site? Reply with your pain from 0 (none) to 10 (worst).';

    /** Waits until `expected` provider calls arrived since `from`, or none came for BENCH_STALL_S after the last due time. */
    const arrivals = async (label: string, from: number, expected: number, lastDueMs: number): Promise<void> => {
      let count = 0;
      let changedAt = Date.now();
      let logged = Date.now();
      const t0 = Date.now();
      for (;;) {
        const now = system.twilio.messages.length - from;
        if (now !== count) {
          count = now;
          changedAt = Date.now();
        }
        if (count >= expected) return;
        if (Date.now() > lastDueMs && Date.now() - changedAt > CONFIG.stallSeconds * 1000) {
          log(`  ${label}: no provider call for ${CONFIG.stallSeconds} s after ${n(count)} of ${n(expected)}: giving up on the rest`);
          return;
        }
        if (Date.now() - logged >= 10_000) {
          logged = Date.now();
          const dueSoFar = Date.now() > lastDueMs ? 'all due' : `${Math.round((100 * (Date.now() - t0)) / Math.max(1, lastDueMs - t0))} % of the time to the last due step`;
          log(`  ${label}: ${n(count)} / ${n(expected)} at the fake (${dueSoFar})`);
        }
        await sleep(100);
      }
    };

    /** One window of the service: BENCH_DUE check-ins of new patients, due over the window. */
    const serviceWindow = async (w: number, run: number, hz: number, due: number, record: boolean): Promise<WindowRun> => {
      const label = record ? `run ${run}/${CONFIG.runs}, hz ${hz}, service` : 'warm-up, service';
      const windowMs = (record ? CONFIG.windowSeconds : Math.max(1, Math.round(CONFIG.windowSeconds / 10))) * 1000;
      const leadMs = (record ? CONFIG.leadSeconds : 2) * 1000;
      log(`${label}: seeding ${n(due)} patients with an active plan (followup and notifications), then their check-in steps due over ${windowMs / 1000} s…`);
      await seedWindowPatients(db!, { window: w, due, zone });
      const from = system.twilio.messages.length;
      const startMs = Date.now() + seedingEstimateMs(due, rates, true) + leadMs;
      const rows = await dueSteps(db!, { window: w, due, startMs, windowMs });
      await scheduleSteps(steps!, rows.ids.map((id, i) => ({ id, dueAt: new Date(rows.dueMs[i]!) })));
      const marginMs = rows.dueMs[0]! - Date.now();
      log(`  rows and jobs in; the first step is due in ${(marginMs / 1000).toFixed(1)} s, the last at +${((rows.dueMs.at(-1)! - rows.dueMs[0]!) / 1000).toFixed(1)} s`);
      const redis0 = await redisCommands(redis!);
      await meter.start();
      await arrivals(label, from, due, rows.dueMs.at(-1)!);
      const cpu = await meter.stop();
      const commands = (await redisCommands(redis!)) - redis0;
      const { rows: messages } = await db!.query<{ id: string; step: string; created: Date; status: string }>(
        `SELECT id, step_id AS step, created_at AS created, status FROM notifications.messages WHERE step_id = ANY($1::uuid[])`,
        [rows.ids],
      );
      const { rows: fired } = await db!.query<{ id: string; fired: Date | null; status: string }>(`SELECT id, fired_at AS fired, status FROM followup.care_plan_steps WHERE id = ANY($1::uuid[])`, [rows.ids]);
      const dueOf = new Map(rows.ids.map((id, i) => [id, rows.dueMs[i]!]));
      const stepOfMessage = new Map(messages.map((m) => [m.id, m.step]));
      const late: number[] = [];
      const arrivedAt: number[] = [];
      const seen = new Set<string>();
      let duplicates = 0;
      let strays = 0;
      for (const m of system.twilio.messages.slice(from)) {
        const step = stepOfMessage.get(callbackId(m.statusCallback) ?? '');
        if (!step) {
          strays++;
          continue;
        }
        if (seen.has(step)) {
          duplicates++;
          continue;
        }
        seen.add(step);
        late.push(m.receivedAt.getTime() - dueOf.get(step)!);
        arrivedAt.push(m.receivedAt.getTime());
      }
      const picked = await processedOn(redis!, steps!, rows.ids);
      const count = <T extends { status: string }>(list: T[]) => list.reduce<Record<string, number>>((a, x) => ((a[x.status] = (a[x.status] ?? 0) + 1), a), {});
      const result = latenessWithHistogram(late);
      const out: WindowRun = {
        kind: 'service',
        run,
        hz,
        due,
        windowSeconds: windowMs / 1000,
        marginMs,
        arrived: seen.size,
        duplicates,
        strays,
        lateness: result.summary,
        histogram: result.histogram,
        picked: lateness([...picked].map(([id, at]) => at - dueOf.get(id)!)),
        fired: lateness(fired.filter((f) => f.fired).map((f) => f.fired!.getTime() - dueOf.get(f.id)!)),
        composed: lateness(messages.map((m) => m.created.getTime() - dueOf.get(m.step)!)),
        lastCallAfterLastDueMs: arrivedAt.length ? latest(arrivedAt) - rows.dueMs.at(-1)! : NaN,
        peakPerSecond: peakPerSecond(arrivedAt),
        stepStatuses: count(fired),
        messageStatuses: count(messages),
        cpu,
        redisCommands: commands,
      };
      if (messages[0]) checkinBody = (await db!.query<{ body: string }>('SELECT body FROM notifications.messages WHERE id = $1', [messages[0].id])).rows[0]?.body ?? checkinBody;
      describeWindow(label, out);
      // The fake keeps every call in memory; this window's are counted, so they go (and the next window's start at 0).
      system.twilio.messages.splice(0, system.twilio.messages.length);
      return out;
    };

    /** One window of the bare worker: BENCH_DUE delayed jobs due at the same offsets, the same call. */
    const bareWindow = async (w: number, run: number, hz: number, due: number, record: boolean): Promise<WindowRun> => {
      const label = record ? `run ${run}/${CONFIG.runs}, hz ${hz}, bare` : 'warm-up, bare';
      const windowMs = (record ? CONFIG.windowSeconds : Math.max(1, Math.round(CONFIG.windowSeconds / 10))) * 1000;
      const leadMs = (record ? CONFIG.leadSeconds : 2) * 1000;
      log(`${label}: ${n(due)} delayed jobs in ${BARE_QUEUE}, due over ${windowMs / 1000} s (same recipients' numbers and text)…`);
      const from = system.twilio.messages.length;
      const startMs = Date.now() + seedingEstimateMs(due, rates, false) + leadMs;
      const jobs = Array.from({ length: due }, (_, i) => ({ id: randomUUID(), dueMs: Math.floor(startMs + (i * windowMs) / due), to: phoneOf(w, i + 1) }));
      // The delay is taken right before each addBulk, as JobScheduler does: BullMQ stamps the job when it is added.
      for (let i = 0; i < jobs.length; i += 1000) {
        await bare!.addBulk(
          jobs.slice(i, i + 1000).map((j) => ({
            name: JOBS.messageSend,
            data: { to: j.to, body: checkinBody, statusCallback: callbackOf(j.id) },
            opts: { ...DEFAULT_JOB_OPTIONS, jobId: j.id, delay: Math.max(0, j.dueMs - Date.now()) },
          })),
        );
      }
      const marginMs = jobs[0]!.dueMs - Date.now();
      log(`  jobs in; the first is due in ${(marginMs / 1000).toFixed(1)} s`);
      const redis0 = await redisCommands(redis!);
      await meter.start();
      await arrivals(label, from, due, jobs.at(-1)!.dueMs);
      const cpu = await meter.stop();
      const commands = (await redisCommands(redis!)) - redis0;
      const dueOf = new Map<string, number>(jobs.map((j) => [j.id, j.dueMs]));
      const late: number[] = [];
      const arrivedAt: number[] = [];
      const seen = new Set<string>();
      let duplicates = 0;
      let strays = 0;
      for (const m of system.twilio.messages.slice(from)) {
        const id = callbackId(m.statusCallback);
        if (!id || !dueOf.has(id)) {
          strays++;
          continue;
        }
        if (seen.has(id)) {
          duplicates++;
          continue;
        }
        seen.add(id);
        late.push(m.receivedAt.getTime() - dueOf.get(id)!);
        arrivedAt.push(m.receivedAt.getTime());
      }
      const picked = await processedOn(redis!, bare!, jobs.map((j) => j.id));
      const result = latenessWithHistogram(late);
      const out: WindowRun = {
        kind: 'bare',
        run,
        hz,
        due,
        windowSeconds: windowMs / 1000,
        marginMs,
        arrived: seen.size,
        duplicates,
        strays,
        lateness: result.summary,
        histogram: result.histogram,
        picked: lateness([...picked].map(([id, at]) => at - dueOf.get(id)!)),
        lastCallAfterLastDueMs: arrivedAt.length ? latest(arrivedAt) - jobs.at(-1)!.dueMs : NaN,
        peakPerSecond: peakPerSecond(arrivedAt),
        cpu,
        redisCommands: commands,
      };
      describeWindow(label, out);
      // The fake keeps every call in memory; this window's are counted, so they go (and the next window's start at 0).
      system.twilio.messages.splice(0, system.twilio.messages.length);
      return out;
    };

    const describeWindow = (label: string, r: WindowRun) => {
      const l = r.lateness;
      log(
        `  ${label}: ${n(r.arrived)} / ${n(r.due)} at the fake; lateness p50 ${msText(l.p50)}, p99 ${msText(l.p99)}, max ${msText(l.max)}; picked up by a worker p50 ${msText(r.picked.p50)}, p99 ${msText(r.picked.p99)}` +
          (r.fired ? `; step claimed p50 ${msText(r.fired.p50)}, p99 ${msText(r.fired.p99)}` : '') +
          (r.composed ? `; message written p50 ${msText(r.composed.p50)}, p99 ${msText(r.composed.p99)}` : '') +
          `; last call ${msText(r.lastCallAfterLastDueMs)} after the last due time; peak ${n(r.peakPerSecond)} calls/s; duplicates ${r.duplicates}, other SMS ${r.strays}`,
      );
      const wall = r.cpu.wallMs / 1000;
      log(`  CPU (ms/s over ${wall.toFixed(0)} s): ${Object.entries(r.cpu.groups).filter(([, ms]) => ms > 0).map(([g, ms]) => `${g} ${(ms / wall).toFixed(0)}`).join(', ')}; machine busy ${((100 * r.cpu.machineBusyMs) / r.cpu.machineCapacityMs).toFixed(0)} %; other processes: ${describeOthers(r.cpu, wall)}`);
      if (r.marginMs < 1_000) log(`  NOTE: the seeding ended only ${(r.marginMs / 1000).toFixed(1)} s before the first due time: the first steps' lateness includes the seeding`);
    };

    // Warm-up of both paths (JIT, connections, prepared statements, the fake), not recorded.
    let w = 0;
    log(`warming up: ${CONFIG.warmup} steps through the service and ${CONFIG.warmup} bare jobs (not recorded)…`);
    await serviceWindow(w++, 0, CONFIG.hz[0]!, CONFIG.warmup, false);
    await bareWindow(0, 0, CONFIG.hz[0]!, CONFIG.warmup, false);

    const runs: WindowRun[] = [];
    for (let r = 1; r <= CONFIG.runs; r++) {
      for (const [k, hz] of CONFIG.hz.entries()) {
        await setSetting(redis, 'hz', String(hz));
        const window = w++;
        // Which goes first alternates, so that neither always runs on a warmer or a more tired machine.
        if ((r + k) % 2 === 1) {
          runs.push(await serviceWindow(window, r, hz, CONFIG.due, true));
          runs.push(await bareWindow(window, r, hz, CONFIG.due, true));
        } else {
          runs.push(await bareWindow(window, r, hz, CONFIG.due, true));
          runs.push(await serviceWindow(window, r, hz, CONFIG.due, true));
        }
      }
    }
    await setSetting(redis, 'hz', String(CONFIG.hz[0]));

    const info = await machine(db, system.redis.url, CODE);
    const input: TimingInput = {
      config: {
        smoke: CONFIG.smoke,
        runs: CONFIG.runs,
        due: CONFIG.due,
        far: CONFIG.far,
        windowSeconds: CONFIG.windowSeconds,
        leadSeconds: CONFIG.leadSeconds,
        hz: CONFIG.hz,
        redisConfig: CONFIG.redisConfig,
        stallSeconds: CONFIG.stallSeconds,
        warmup: CONFIG.warmup,
        targetMs: CONFIG.targetMs,
      },
      machine: info,
      zone,
      redisSettings: settings,
      composeRedis: await composeRedisCommand(),
      idleRedis,
      stepProcessor: stepOptions,
      sendProcessor: sendOptions,
      reconcileIntervalMs: loadConfig({ NODE_ENV: 'test' }).reconcileIntervalMs,
      far: { ...far, bareSeconds: bareFar.seconds },
      memory: { service: serviceFigure, bare: bareFigure, listpackValue: CONFIG.listpackValue, atDefault, pgBytesPerStep: Number(pgStep.bytes) / Number(pgStep.rows), pgRows: Number(pgStep.rows) },
      runs,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
    for (const line of verdicts(input)) log(`target: ${line.replace(/\*\*/g, '')}`);
    await writeChart(input, CONFIG.chart);
    await publish(SECTION, input);
    if (runs.some((x) => x.duplicates > 0 || x.arrived !== x.due)) process.exitCode = 1;
  } catch (error) {
    reportFailure(error, system.logs);
  } finally {
    await cleanup();
  }
}

// BENCH_RENDER_FROM renders the chart again too (benchEntry renders the section).
if (process.env.BENCH_RENDER_FROM) await writeChart(JSON.parse(await readFile(process.env.BENCH_RENDER_FROM, 'utf8')) as TimingInput, CONFIG.chart);
await benchEntry(SECTION, main);
