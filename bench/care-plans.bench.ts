/**
 * Issue 7, figure 1: completed procedures → care plans with all their jobs queued.
 *
 *   | completions → care plans with all jobs queued | plans/s sustained for 60 s; p50/p99
 *   | event-to-queued latency | raw BullMQ `addBulk` of the same number of jobs with the same
 *   | options | ≥ 1,000 plans/s; p99 ≤ 100 ms at 200 plans/s; jobs/s ≥ 0.3 × raw |
 *
 * Run: `npm run bench:care-plans` (builds, then runs dist/bench/care-plans.bench.js); add
 * `-- --smoke` (or BENCH_SMOKE=1) for a run of a few seconds per part with small data, which
 * writes its section and chart to temporary files instead of bench/RESULTS.md and
 * bench/workspace-latency.svg. It starts its own system as the other benches do (the four
 * services from dist/, a fresh database aftercare_bench_*, a private Redis on a spare port, the
 * Twilio fake and SMTP capture), and stops and drops everything it started, also on failure or
 * Ctrl-C.
 *
 * Each run, in this order:
 * 1. At BENCH_RATE per second (200), open loop, for BENCH_PLAN_SECONDS: `procedure.completed`
 *    envelopes sent the way the outbox relay delivers them (a Redis-transport ClientProxy `send`
 *    on `followup.event.procedure.completed`), each for a different patient followup knows.
 *    Latency per plan = the latest BullMQ `timestamp` of its step jobs in Redis − the send time.
 *    Then raw `Queue.addBulk` of the same jobs (count, options, delays) at the same pace.
 * 2. Sustained for BENCH_SUSTAIN_S (60 s): the same events with always BENCH_IN_FLIGHT (64)
 *    awaiting their acknowledgement (closed loop: as fast as followup answers, which it does once
 *    its addBulk has returned). Plans/s = plans with all their jobs ÷ (first send → last
 *    acknowledgement); also the plans acknowledged in each second, and each plan's latency over
 *    time. Right after: raw `addBulk` of the same number of plans' jobs, one call per plan, with
 *    the same number in flight, as fast as Redis takes them: the jobs/s followup is held against.
 * 3. One at a time for BENCH_RELAY_S (10 s): each event sent when the one before is answered, as
 *    the outbox relay delivers a producer's events to one subscriber (in order, awaiting each
 *    acknowledgement): the rate the real pipeline can reach, whatever followup could take.
 * Afterwards: one plan per event, exactly one job per step, each in the delayed set. Latency
 * over time of the median run of each load goes to bench/workspace-latency.svg.
 *
 * Knobs (environment): BENCH_RUNS (3; smoke 1), BENCH_RATE (200 per s), BENCH_PLAN_SECONDS (30;
 * smoke 3), BENCH_SUSTAIN_S (60; smoke 3), BENCH_IN_FLIGHT (64), BENCH_RELAY_S (10; smoke 2),
 * BENCH_MAX_PLANS_PER_S (2500:
 * patients are seeded for this rate; a run that runs out says so), BENCH_RESULTS (default
 * bench/RESULTS.md), BENCH_CHART (default bench/workspace-latency.svg), BENCH_PROFILE=1 (the
 * services run with `--cpu-prof`; followup's CPU during the sustained runs goes into the
 * section, by function and by package; profiling slows it, so its rates are not the figure),
 * BENCH_VERBOSE=1, BENCH_KEEP_DATABASE=1, BENCH_RENDER_FROM=<json> (only render the section and
 * the chart again from a run's saved measurements).
 */
import 'reflect-metadata';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientProxyFactory, type ClientProxy } from '@nestjs/microservices';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '@aftercare/config';
import { BULLMQ_PREFIX, DEMO, QUEUES } from '@aftercare/contracts';
import { redisTransportOptions } from '@aftercare/messaging';
import { ROOT } from '../scripts/lib/system.js';
import { BenchSystem } from './support/bench-system.js';
import { benchEntry, cleanupOnce, publish, reportFailure, type BenchSection } from './support/bench-run.js';
import { latencyChart } from './support/care-plans-chart.js';
import { CompletionLoad, perSecondCounts, type BareCalls, type SentCompletions } from './support/care-plans-load.js';
import { profileOf, summarizeProfile, type ProfileSummary } from './support/care-plans-profile.js';
import { chartPanels, renderCarePlans, summary, type CarePlansInput, type OneAtATimeRun, type PacedRun, type Series, type SustainedBare, type SustainedRun } from './support/care-plans-report.js';
import { CpuMeter, describeOthers, postgresServerPids, type CpuUsage, type PidGroups } from './support/cpu.js';
import { codeVersion, machine } from './support/machine.js';
import { seedCompletionPatients } from './support/workspace-seed.js';
import { SMOKE, int } from './support/knobs.js';

const tmp = (name: string) => path.join(os.tmpdir(), name);
export const CONFIG = {
  smoke: SMOKE,
  runs: int('BENCH_RUNS', SMOKE ? 1 : 3),
  rate: int('BENCH_RATE', 200),
  planSeconds: int('BENCH_PLAN_SECONDS', SMOKE ? 3 : 30),
  sustainSeconds: int('BENCH_SUSTAIN_S', SMOKE ? 3 : 60),
  inFlight: int('BENCH_IN_FLIGHT', 64),
  relaySeconds: int('BENCH_RELAY_S', SMOKE ? 2 : 10),
  maxPlansPerSecond: int('BENCH_MAX_PLANS_PER_S', 2500),
  warmupSeconds: SMOKE ? 1 : 5,
  profile: process.env.BENCH_PROFILE === '1',
  results: process.env.BENCH_RESULTS || (SMOKE ? tmp('aftercare-bench-care-plans-smoke.md') : path.join(ROOT, 'bench', 'RESULTS.md')),
  chart: process.env.BENCH_CHART || (SMOKE ? tmp('aftercare-bench-care-plans-smoke.svg') : path.join(ROOT, 'bench', 'workspace-latency.svg')),
};
const BARE_QUEUE = '{bench-bare-care-plan-steps}';

const started = performance.now();
/** The code as built into dist/ just before this run (others may commit or edit meanwhile). */
const CODE = codeVersion();
const log = (line: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : 'n/a');
const describeLatency = (s: { n: number; p50: number; p99: number; max: number }) =>
  `p50 ${ms(s.p50)} ms, p99 ${ms(s.p99)} ms, max ${ms(s.max)} ms (${s.n.toLocaleString('en-US')})`;
/** The monotonic clock in µs, as V8 stamps its profile samples. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

async function redisCommands(redis: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? NaN);
}

/** Each plan's send time since the first send and its latency, rounded (the saved JSON and the chart need no more). */
function seriesOf(sentAt: number[], latency: number[]): Series {
  const t0 = sentAt[0] ?? 0;
  return { sentOffsetMs: sentAt.map((t) => Math.round(t - t0)), latencyMs: latency.map((l) => Math.round(l * 100) / 100) };
}

/** Writes the chart of a run's measurements. */
async function writeChart(input: CarePlansInput, file: string): Promise<void> {
  await writeFile(file, latencyChart('Care plans: event → all jobs queued, over time (bench/care-plans.bench.ts)', chartPanels(input)));
  log(`wrote the chart ${path.relative(process.cwd(), file)}`);
}

const SECTION: BenchSection<CarePlansInput> = { name: 'care-plans', results: CONFIG.results, render: renderCarePlans, log };

async function main(): Promise<void> {
  let profileDir: string | undefined;
  if (CONFIG.profile) {
    // scripts/lib/system.ts hands SERVICE_NODE_ARGS to the services it starts.
    profileDir = await mkdtemp(tmp('aftercare-bench-care-plans-prof-'));
    process.env.SERVICE_NODE_ARGS = `${process.env.SERVICE_NODE_ARGS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`.trim();
  }
  const system = new BenchSystem();
  let db: pg.Pool | undefined;
  let redis: Redis | undefined;
  let client: ClientProxy | undefined;
  let stepsQueue: Queue | undefined;
  let bare: Queue | undefined;
  const cleanup = cleanupOnce(log, 'closing clients, stopping services, Redis, fakes; dropping the database', async () => {
    await Promise.allSettled([stepsQueue?.close(), bare?.close(), client?.close()]);
    redis?.disconnect();
    await Promise.allSettled([db?.end()]);
    await system.stop();
  });

  try {
    log(`config: ${JSON.stringify({ ...CONFIG, results: path.relative(ROOT, CONFIG.results), chart: path.relative(ROOT, CONFIG.chart) })}`);
    log('starting a private system (Redis on a spare port, fresh aftercare_bench_* database, Twilio fake, SMTP capture, 4 services from dist/)…');
    await system.start();
    log(`system healthy at ${system.baseUrl}, database ${system.database!.name}, Redis ${system.redis.url}`);
    db = new pg.Pool({ connectionString: system.database!.url, max: 4 });
    redis = new Redis(system.redis.url, { maxRetriesPerRequest: null });
    const clinicId = DEMO.clinicId;

    const pids = system.servicePids();
    const redisPid = await system.redisPid();
    const meter = new CpuMeter(
      async (): Promise<PidGroups> => ({
        gateway: [pids.gateway!].filter(Boolean),
        followup: [pids.followup!].filter(Boolean),
        'scheduling + notifications': [pids.scheduling!, pids.notifications!].filter(Boolean),
        postgres: await system.postgresPids(db!),
        'postgres server processes': await postgresServerPids(),
        redis: redisPid ? [redisPid] : [],
        bench: [process.pid],
      }),
    );
    const describeCpu = (cpu: CpuUsage, n: number, unit: string) =>
      `CPU ms per ${unit}: ${Object.entries(cpu.groups).filter(([, v]) => v > 0).map(([g, v]) => `${g} ${(v / Math.max(1, n)).toFixed(2)}`).join(', ')}; machine busy ${((100 * cpu.machineBusyMs) / cpu.machineCapacityMs).toFixed(0)} %; other processes: ${describeOthers(cpu, Math.max(1, n))}`;

    const protocols = Number(
      (await db.query<{ n: string }>(`SELECT count(*) AS n FROM followup.protocol_heads WHERE clinic_id = $1 AND procedure_type = 'bmac_injection' AND active`, [clinicId])).rows[0]!.n,
    );
    if (protocols !== 1) throw new Error(`expected one active bmac_injection protocol in followup, found ${protocols}`);
    const perPacedRun = CONFIG.rate * CONFIG.planSeconds;
    const warmupCount = CONFIG.rate * CONFIG.warmupSeconds;
    // Each closed loop may take at most maxPlansPerSecond × its seconds (the one-at-a-time part too, for simplicity).
    const closedBudget = (seconds: number) => CONFIG.maxPlansPerSecond * seconds;
    const needed = warmupCount + closedBudget(CONFIG.warmupSeconds) + CONFIG.runs * (perPacedRun + closedBudget(CONFIG.sustainSeconds) + closedBudget(CONFIG.relaySeconds));
    log(`seeding ${needed.toLocaleString('en-US')} patients followup knows (SQL, followup.patients), one per completion (the sustained runs have room for ${CONFIG.maxPlansPerSecond.toLocaleString('en-US')} plans/s)…`);
    const seedStarted = performance.now();
    const patients = await seedCompletionPatients(db, clinicId, needed, DEMO.clinicTimezone);
    log(`  seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: system.database!.url, REDIS_URL: system.redis.url, JWT_SECRET: 'bench-secret-of-at-least-thirty-two-characters' });
    client = ClientProxyFactory.create(redisTransportOptions(config));
    await client.connect();
    const connection = { host: '127.0.0.1', port: system.redis.port };
    stepsQueue = new Queue(QUEUES.carePlanSteps, { connection, prefix: BULLMQ_PREFIX });
    bare = new Queue(BARE_QUEUE, { connection, prefix: BULLMQ_PREFIX });
    await Promise.all([stepsQueue.waitUntilReady(), bare.waitUntilReady()]);
    const load = new CompletionLoad({ client, db, redis, stepsQueue, bare, clinicId, patients, clinicianIds: DEMO.clinicians.map((c) => c.id as string) });
    const delayedCount = async (queue: Queue) => (await queue.getJobCounts('delayed')).delayed ?? 0;

    // Warm-up (JIT, connections, pools), not recorded; its first plan gives the step delays for the baseline.
    log(`warming up: ${warmupCount} completions at ${CONFIG.rate}/s, then ${CONFIG.warmupSeconds} s with ${CONFIG.inFlight} in flight (not recorded)…`);
    const warm = await load.sendPaced(warmupCount, CONFIG.rate);
    if (warm.failures.length) throw new Error(`warm-up: ${warm.failures.length} completions failed, e.g. ${warm.failures[0]}`);
    const warmCheck = await load.verify(warm);
    log(`  ${warmCheck.plans} plans, ${warmCheck.steps} steps, ${warmCheck.jobs} jobs; latency ${describeLatency(summary(warmCheck.latency))}`);
    const offsets = await load.stepOffsets(warm.events[0]!.payload.appointmentId);
    if (offsets.length === 0) throw new Error('the warm-up plan has no steps');
    const stepsPerPlan = offsets.length;
    log(`  a plan has ${stepsPerPlan} steps, due ${offsets.map((d) => `${(d / 3_600_000).toFixed(1)} h`).join(', ')} after the procedure`);
    const warmClosed = await load.sendClosed(CONFIG.warmupSeconds, CONFIG.inFlight, closedBudget(CONFIG.warmupSeconds));
    if (warmClosed.failures.length) throw new Error(`warm-up: ${warmClosed.failures.length} completions failed, e.g. ${warmClosed.failures[0]}`);
    await load.barePaced(warmupCount, CONFIG.rate, offsets);
    await load.bareClosed(warmClosed.events.length, CONFIG.inFlight, offsets);
    const quiet = () => sleep(SMOKE ? 200 : 2000); // let PostgreSQL and Redis finish the last part's background work

    /** One measured load of followup: meter, send, read back. */
    const measureService = async (send: () => Promise<SentCompletions>) => {
      const delayed0 = await delayedCount(stepsQueue!);
      const redis0 = await redisCommands(redis!);
      await meter.start();
      const window = { fromUs: monotonicUs(), toUs: 0 };
      const sent = await send();
      window.toUs = monotonicUs();
      const cpu = await meter.stop();
      const redisDelta = (await redisCommands(redis!)) - redis0;
      const check = await load.verify(sent);
      const delayedAdded = (await delayedCount(stepsQueue!)) - delayed0;
      return { sent, check, cpu, redisDelta, delayedAdded, window };
    };
    const measureBare = async (call: () => Promise<BareCalls>) => {
      const delayed0 = await delayedCount(bare!);
      const redis0 = await redisCommands(redis!);
      await meter.start();
      const calls = await call();
      const cpu = await meter.stop();
      const redisDelta = (await redisCommands(redis!)) - redis0;
      const delayedAdded = (await delayedCount(bare!)) - delayed0;
      const check = await load.bareVerify(calls);
      return { calls, check, cpu, redisDelta, delayedAdded };
    };

    const paced: PacedRun[] = [];
    const sustained: SustainedRun[] = [];
    const sustainedBare: SustainedBare[] = [];
    const oneAtATime: OneAtATimeRun[] = [];
    const profileWindows: { fromUs: number; toUs: number }[] = [];
    for (let r = 1; r <= CONFIG.runs; r++) {
      // ---------------------------------------------------------------- 1. at 200 per second
      log(`run ${r}/${CONFIG.runs}: ${perPacedRun.toLocaleString('en-US')} procedure.completed events to followup at ${CONFIG.rate}/s (open loop, ${CONFIG.planSeconds} s)…`);
      {
        const { sent, check, cpu, redisDelta, delayedAdded } = await measureService(() => load.sendPaced(perPacedRun, CONFIG.rate));
        const span = (check.lastQueuedAt - sent.sentAt[0]!) / 1000;
        const run: PacedRun = {
          kind: 'service',
          run: r,
          events: perPacedRun,
          sendSeconds: sent.pace.seconds,
          sendRate: (perPacedRun - 1) / sent.pace.seconds,
          maxSendLagMs: sent.pace.maxLagMs,
          latency: summary(check.latency),
          ack: summary(sent.ackMs.filter(Number.isFinite)),
          perSecondP99: check.perSecondP99,
          throughput: check.latency.length / span,
          jobsPerSecond: check.jobs / span,
          failures: sent.failures.length,
          failureSample: sent.failures[0] ?? null,
          duplicateAcks: sent.duplicates,
          plans: check.plans,
          duplicatePlans: check.duplicatePlans,
          steps: check.steps,
          stepCounts: check.stepCounts,
          jobs: check.jobs,
          missingJobs: check.missingJobs,
          notDelayed: check.notDelayed,
          delayedAdded,
          redisCommands: redisDelta,
          cpu,
          series: seriesOf(check.sentAt, check.latency),
        };
        paced.push(run);
        log(`  sent at ${run.sendRate.toFixed(1)}/s (at most ${run.maxSendLagMs.toFixed(1)} ms behind schedule); event → all jobs queued ${describeLatency(run.latency)}; event → ack ${describeLatency(run.ack)}`);
        log(`  ${check.plans} plans (${check.duplicatePlans} twice), ${check.steps} steps ${JSON.stringify(check.stepCounts)}, ${check.jobs} jobs (${check.missingJobs} missing, ${check.notDelayed} not delayed; delayed set +${delayedAdded}); failures ${sent.failures.length}${sent.failures[0] ? ` e.g. ${sent.failures[0]}` : ''}`);
        log(`  ${describeCpu(cpu, perPacedRun, 'plan')}`);
      }
      await quiet();
      log(`run ${r}/${CONFIG.runs}: baseline — raw BullMQ addBulk of ${stepsPerPlan} jobs (DEFAULT_JOB_OPTIONS, the plan's delays) ${perPacedRun.toLocaleString('en-US')} times at ${CONFIG.rate}/s to ${BARE_QUEUE}…`);
      {
        const { calls, check, cpu, redisDelta, delayedAdded } = await measureBare(() => load.barePaced(perPacedRun, CONFIG.rate, offsets));
        const span = (check.lastQueuedAt - calls.sentAt[0]!) / 1000;
        const run: PacedRun = {
          kind: 'bare',
          run: r,
          events: perPacedRun,
          sendSeconds: calls.pace.seconds,
          sendRate: (perPacedRun - 1) / calls.pace.seconds,
          maxSendLagMs: calls.pace.maxLagMs,
          latency: summary(check.latency),
          ack: summary(calls.doneMs.filter(Number.isFinite)),
          perSecondP99: check.perSecondP99,
          throughput: check.latency.length / span,
          jobsPerSecond: check.jobs / span,
          failures: calls.failures,
          failureSample: null,
          duplicateAcks: 0,
          plans: perPacedRun,
          duplicatePlans: 0,
          steps: perPacedRun * stepsPerPlan,
          stepCounts: { [stepsPerPlan]: perPacedRun },
          jobs: check.jobs,
          missingJobs: perPacedRun * stepsPerPlan - check.jobs,
          notDelayed: 0,
          delayedAdded,
          redisCommands: redisDelta,
          cpu,
        };
        paced.push(run);
        log(`  called at ${run.sendRate.toFixed(1)}/s; call → addBulk resolved ${describeLatency(run.ack)}; ${check.jobs} jobs (delayed set +${delayedAdded}), failures ${calls.failures}`);
        log(`  ${describeCpu(cpu, perPacedRun, 'plan')}`);
      }
      await quiet();

      // ---------------------------------------------------------------- 2. sustained
      log(`run ${r}/${CONFIG.runs}: sustained — procedure.completed events to followup for ${CONFIG.sustainSeconds} s with ${CONFIG.inFlight} awaiting their answer (closed loop)…`);
      let plansDone = 0;
      {
        const { sent, check, cpu, redisDelta, delayedAdded, window } = await measureService(() => load.sendClosed(CONFIG.sustainSeconds, CONFIG.inFlight, closedBudget(CONFIG.sustainSeconds)));
        profileWindows.push(window);
        const first = sent.sentAt[0]!;
        let lastAck = first;
        for (const t of sent.ackAt) if (Number.isFinite(t) && t > lastAck) lastAck = t;
        const span = (lastAck - first) / 1000;
        const perSecond = perSecondCounts(sent.ackAt, first);
        plansDone = check.latency.length;
        const run: SustainedRun = {
          run: r,
          inFlight: CONFIG.inFlight,
          events: sent.events.length,
          acknowledged: sent.ackAt.filter(Number.isFinite).length,
          ranOut: sent.ranOut,
          spanSeconds: span,
          plansPerSecond: plansDone / span,
          jobsPerSecond: check.jobs / span,
          perSecondPlans: perSecond,
          latency: summary(check.latency),
          ack: summary(sent.ackMs.filter(Number.isFinite)),
          perSecondP99: check.perSecondP99,
          failures: sent.failures.length,
          failureSample: sent.failures[0] ?? null,
          duplicateAcks: sent.duplicates,
          plans: check.plans,
          complete: plansDone,
          duplicatePlans: check.duplicatePlans,
          steps: check.steps,
          stepCounts: check.stepCounts,
          jobs: check.jobs,
          missingJobs: check.missingJobs,
          notDelayed: check.notDelayed,
          delayedAdded,
          redisCommands: redisDelta,
          cpu,
          series: seriesOf(check.sentAt, check.latency),
        };
        sustained.push(run);
        log(`  ${run.events.toLocaleString('en-US')} events in ${span.toFixed(1)} s: ${run.plansPerSecond.toFixed(1)} plans/s, ${run.jobsPerSecond.toFixed(0)} jobs/s; plans acknowledged per second ${perSecond.join(' ')}`);
        log(`  event → all jobs queued ${describeLatency(run.latency)}; event → ack ${describeLatency(run.ack)}`);
        log(`  ${check.plans} plans (${check.duplicatePlans} twice), ${check.steps} steps ${JSON.stringify(check.stepCounts)}, ${check.jobs} jobs (${check.missingJobs} missing, ${check.notDelayed} not delayed; delayed set +${delayedAdded}); failures ${sent.failures.length}${sent.failures[0] ? ` e.g. ${sent.failures[0]}` : ''}${sent.ranOut ? '; RAN OUT of seeded patients (raise BENCH_MAX_PLANS_PER_S)' : ''}`);
        log(`  ${describeCpu(cpu, run.events, 'plan')}`);
      }
      await quiet();
      log(`run ${r}/${CONFIG.runs}: baseline — raw BullMQ addBulk of the same ${plansDone.toLocaleString('en-US')} plans' jobs (${(plansDone * stepsPerPlan).toLocaleString('en-US')}), one call per plan, ${CONFIG.inFlight} in flight, as fast as Redis takes them…`);
      {
        const { calls, check, cpu, redisDelta, delayedAdded } = await measureBare(() => load.bareClosed(plansDone, CONFIG.inFlight, offsets));
        const first = calls.sentAt[0]!;
        let lastDone = first;
        for (const t of calls.doneAt) if (Number.isFinite(t) && t > lastDone) lastDone = t;
        const span = (lastDone - first) / 1000;
        const run: SustainedBare = {
          run: r,
          inFlight: CONFIG.inFlight,
          calls: plansDone,
          spanSeconds: span,
          callsPerSecond: calls.doneAt.filter(Number.isFinite).length / span,
          jobsPerSecond: check.jobs / span,
          perSecondCalls: perSecondCounts(calls.doneAt, first),
          ack: summary(calls.doneMs.filter(Number.isFinite)),
          jobs: check.jobs,
          missingJobs: plansDone * stepsPerPlan - check.jobs,
          delayedAdded,
          failures: calls.failures,
          redisCommands: redisDelta,
          cpu,
        };
        sustainedBare.push(run);
        log(`  ${run.calls.toLocaleString('en-US')} calls in ${span.toFixed(1)} s: ${run.callsPerSecond.toFixed(1)} plans/s, ${run.jobsPerSecond.toFixed(0)} jobs/s; call → resolved ${describeLatency(run.ack)}; ${check.jobs} jobs (delayed set +${delayedAdded}), failures ${calls.failures}`);
        log(`  ${describeCpu(cpu, run.calls, 'plan')}`);
        log(`  followup's jobs/s / raw jobs/s: ${(sustained.at(-1)!.jobsPerSecond / run.jobsPerSecond).toFixed(2)}`);
      }
      await quiet();

      // ---------------------------------------------------------------- 3. one at a time
      log(`run ${r}/${CONFIG.runs}: one at a time, as the outbox relay delivers — each event when the one before is answered, ${CONFIG.relaySeconds} s…`);
      {
        const { sent, check, cpu } = await measureService(() => load.sendClosed(CONFIG.relaySeconds, 1, closedBudget(CONFIG.relaySeconds)));
        const first = sent.sentAt[0]!;
        let lastAck = first;
        for (const t of sent.ackAt) if (Number.isFinite(t) && t > lastAck) lastAck = t;
        const span = (lastAck - first) / 1000;
        const run: OneAtATimeRun = {
          run: r,
          events: sent.events.length,
          plans: check.plans,
          missingJobs: check.missingJobs,
          failures: sent.failures.length,
          spanSeconds: span,
          plansPerSecond: check.latency.length / span,
          latency: summary(check.latency),
          ack: summary(sent.ackMs.filter(Number.isFinite)),
          cpu,
        };
        oneAtATime.push(run);
        log(`  ${run.events.toLocaleString('en-US')} events in ${span.toFixed(1)} s: ${run.plansPerSecond.toFixed(1)} plans/s; event → all jobs queued ${describeLatency(run.latency)}; event → ack ${describeLatency(run.ack)}; ${check.plans} plans, ${check.missingJobs} steps without a job, failures ${run.failures}`);
        log(`  ${describeCpu(cpu, run.events, 'plan')}`);
      }
      await quiet();
    }

    const info = await machine(db, system.redis.url, CODE);
    const setting = async (name: string) => (await db!.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
    const redisSetting = async (name: string) => ((await redis!.call('CONFIG', 'GET', name)) as string[])[1] ?? '?';
    const redisSettings: Record<string, string> = {};
    for (const name of ['hz', 'appendonly', 'save', 'io-threads']) redisSettings[name] = await redisSetting(name);

    let profile: ProfileSummary | null = null;
    if (profileDir) {
      const followupPid = pids.followup!;
      log('stopping the services so that node writes their profiles…');
      await system.processes?.stop();
      const file = await profileOf(profileDir, followupPid);
      if (file) {
        profile = await summarizeProfile(file, profileWindows);
        log(`followup's profile (${file}), sustained runs${profile.windowed ? '' : ' (no sample in the windows: the whole profile)'}: ${(profile.sampledMs / 1000).toFixed(1)} s sampled, idle ${((100 * profile.idleMs) / profile.sampledMs).toFixed(0)} %`);
        for (const a of profile.areas.slice(0, 10)) log(`  ${a.label}: ${a.pct.toFixed(1)} %`);
        for (const f of profile.functions.slice(0, 10)) log(`  ${f.label}: ${f.pct.toFixed(1)} %`);
      } else log(`no profile of followup (pid ${followupPid}) in ${profileDir}`);
    }

    const input: CarePlansInput = {
      config: { ...CONFIG, results: path.relative(ROOT, CONFIG.results), chart: path.relative(ROOT, CONFIG.chart) },
      machine: info,
      pgSettings: { sharedBuffers: await setting('shared_buffers'), synchronousCommit: await setting('synchronous_commit'), fsync: await setting('fsync') },
      redisSettings,
      stepsPerPlan,
      stepOffsetsMs: offsets,
      paced,
      sustained,
      sustainedBare,
      oneAtATime,
      profile,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
    await publish(SECTION, input);
    await writeChart(input, CONFIG.chart);
    const bad = (x: { failures: number; duplicatePlans: number; missingJobs: number; duplicateAcks: number }) => x.failures > 0 || x.duplicatePlans > 0 || x.missingJobs > 0 || x.duplicateAcks > 0;
    if (paced.filter((x) => x.kind === 'service').some((x) => bad(x) || x.plans !== x.events) || sustained.some((x) => bad(x) || x.plans !== x.events || x.ranOut) || oneAtATime.some((x) => x.failures > 0 || x.missingJobs > 0 || x.plans !== x.events)) process.exitCode = 1;
  } catch (error) {
    reportFailure(error, system.logs);
  } finally {
    await cleanup();
  }
}

// BENCH_RENDER_FROM renders the section again; the chart comes from the same measurements.
if (process.env.BENCH_RENDER_FROM) await writeChart(JSON.parse(await readFile(process.env.BENCH_RENDER_FROM, 'utf8')) as CarePlansInput, CONFIG.chart);
await benchEntry(SECTION, main);
