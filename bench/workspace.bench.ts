/**
 * Issue 5's performance point, measured on a private system:
 *
 *   "With 1,000,000 follow-up items across 500 clinicians: due list p99 under 50 ms for one
 *    clinician's first page; the care plan of a completed procedure created and all its jobs
 *    queued within p99 50 ms of the event, at 200 completions per second."
 *
 * (issue 7, rows 1 and 5: baselines in the same run — the due list's own SQL run directly on a
 * pool; raw BullMQ `addBulk` of the same jobs with the same options at the same pace.)
 *
 * Run: `npm run bench:workspace` (builds, then runs dist/bench/workspace.bench.js); add
 * `-- --smoke` (or BENCH_SMOKE=1) for a run of a few seconds per part with small data, which
 * writes its section to a temporary file instead of bench/RESULTS.md. It starts its own system
 * as the other benches do (the four services from dist/, a fresh database aftercare_bench_*, a
 * private Redis on a spare port, the Twilio fake and SMTP capture), and stops and drops
 * everything it started, also on failure or Ctrl-C.
 *
 * 1. The due list. 1,000,000 items of 500 clinicians (with their patients, care plans and pain
 *    scores) go straight into followup's tables with set-based SQL, then VACUUM ANALYZE. Then
 *    `GET /api/follow-ups?clinicianId=…&limit=50` through the gateway (JWT of the demo clinician
 *    user, validation, the Redis request/reply hop to followup, PostgreSQL), for every clinician
 *    in turn, at 1 connection and at BENCH_CONNECTIONS; and in the same run the statements the
 *    due-list service sends for each clinician (captured at the pg pool from DueListService,
 *    imported from dist/) replayed directly on a pool, one clinician after another, at the same
 *    concurrencies; and DueListService.list itself in this process (no HTTP, no transport).
 * 2. Care-plan creation. `procedure.completed` envelopes (libs/contracts, EVENT_VERSIONS) sent
 *    the way the outbox relay delivers them — a Redis-transport ClientProxy `send` on
 *    `followup.event.procedure.completed` — open loop at BENCH_RATE per second for
 *    BENCH_PLAN_SECONDS, for patients followup knows (seeded rows of followup.patients).
 *    Latency per plan = the latest BullMQ `timestamp` of its step jobs in Redis − the send time;
 *    also send → acknowledgement (followup answers only after its addBulk returned). In the same
 *    run, raw `Queue.addBulk` of the same jobs (same count, options and delays) at the same pace.
 *    Afterwards: one plan per event, and exactly one job per step. (The sender, the read-back and
 *    the baseline are bench/support/care-plans-load.ts, shared with care-plans.bench.ts, which
 *    measures issue 7's figure 1: also the rate followup sustains.)
 *
 * Knobs (environment): BENCH_RUNS (3; smoke 1), BENCH_ITEMS (1000000), BENCH_CLINICIANS (500),
 * BENCH_SECONDS (15: each due-list figure), BENCH_CONNECTIONS (4), BENCH_RATE (200 per s),
 * BENCH_PLAN_SECONDS (45), BENCH_RESULTS (default bench/RESULTS.md), BENCH_VERBOSE=1,
 * BENCH_KEEP_DATABASE=1, BENCH_RENDER_FROM=<json> (only render the section again from a run's saved
 * measurements).
 */
import 'reflect-metadata';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ClientProxyFactory, type ClientProxy } from '@nestjs/microservices';
import { Queue } from 'bullmq';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '@aftercare/config';
import { SystemClock } from '@aftercare/clock';
import { BULLMQ_PREFIX, DEMO, QUEUES, type FollowUpPage, type RequestContext } from '@aftercare/contracts';
import type { Db } from '@aftercare/database';
import { redisTransportOptions } from '@aftercare/messaging';
import { DueListService } from '../apps/followup/src/follow-ups/due-list.service.js';
import { ItemAudit } from '../apps/followup/src/follow-ups/item-audit.js';
import { ROOT } from '../scripts/lib/system.js';
import { BenchSystem } from './support/bench-system.js';
import { CompletionLoad } from './support/care-plans-load.js';
import { CpuMeter, describeOthers, postgresServerPids, type CpuUsage, type PidGroups } from './support/cpu.js';
import { Api } from './support/http.js';
import { loadGetEach } from './support/load.js';
import { codeVersion, machine } from './support/machine.js';
import { instrumentedPool, type CapturedQuery } from './support/query-capture.js';
import { benchEntry, cleanupOnce, publish, reportFailure, type BenchSection } from './support/bench-run.js';
import { prng, quantile, shuffle } from './support/stats.js';
import { renderWorkspace, type CarePlanRun, type DueListRun, type ExplainedStatement, type LatencySummary, type WorkspaceInput } from './support/workspace-report.js';
import { seedCompletionPatients, seedWorkspace } from './support/workspace-seed.js';
import { SMOKE, int } from './support/knobs.js';

export const CONFIG = {
  smoke: SMOKE,
  runs: int('BENCH_RUNS', SMOKE ? 1 : 3),
  items: int('BENCH_ITEMS', SMOKE ? 20_000 : 1_000_000),
  clinicians: int('BENCH_CLINICIANS', SMOKE ? 50 : 500),
  pageLimit: 50,
  seconds: int('BENCH_SECONDS', SMOKE ? 3 : 15),
  connections: int('BENCH_CONNECTIONS', 4),
  rate: int('BENCH_RATE', 200),
  planSeconds: int('BENCH_PLAN_SECONDS', SMOKE ? 3 : 45),
  warmupSeconds: SMOKE ? 1 : 5,
  results: process.env.BENCH_RESULTS || (SMOKE ? path.join(os.tmpdir(), 'aftercare-bench-workspace-smoke.md') : path.join(ROOT, 'bench', 'RESULTS.md')),
};
const BARE_QUEUE = '{bench-bare-care-plan-steps}';

const started = performance.now();
/** The code as built into dist/ just before this run (others may commit or edit meanwhile). */
const CODE = codeVersion();
const log = (line: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

const summary = (values: number[]): LatencySummary => ({
  n: values.length,
  p50: quantile(values, 0.5),
  p99: quantile(values, 0.99),
  max: values.length ? Math.max(...values) : NaN,
});
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : 'n/a');
const describeLatency = (s: LatencySummary) => `p50 ${ms(s.p50)} ms, p99 ${ms(s.p99)} ms, max ${ms(s.max)} ms (${s.n.toLocaleString('en-US')})`;

/** The due-list statement a captured query is, from its SQL. */
type StatementKind = 'page keys' | 'items with patient and plan' | 'pain scores' | 'other';
function statementOf(text: string): StatementKind {
  if (/"pain_scores"/.test(text)) return 'pain scores';
  if (/SELECT id, phase, key_at/.test(text)) return 'page keys';
  if (/"follow_up_items"/.test(text)) return 'items with patient and plan';
  return 'other';
}

/** Runs `work` from `workers` loops for `seconds`, each loop taking the next index; times each call (ms). */
async function timedLoop(workers: number, seconds: number, work: (i: number) => Promise<unknown>): Promise<{ samples: number[]; seconds: number }> {
  const samples: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const i = next++;
        const s = performance.now();
        await work(i);
        samples.push(performance.now() - s);
      }
    }),
  );
  return { samples, seconds: (performance.now() - t0) / 1000 };
}

async function redisCommands(redis: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1] ?? NaN);
}

const SECTION: BenchSection<WorkspaceInput> = { name: 'workspace', results: CONFIG.results, render: renderWorkspace, log };

async function main(): Promise<void> {
  const system = new BenchSystem();
  let db: pg.Pool | undefined;
  let replayPool: pg.Pool | undefined;
  let capturing: ReturnType<typeof instrumentedPool<StatementKind>> | undefined;
  let redis: Redis | undefined;
  let client: ClientProxy | undefined;
  let stepsQueue: Queue | undefined;
  let bare: Queue | undefined;
  const cleanup = cleanupOnce(log, 'closing clients, stopping services, Redis, fakes; dropping the database', async () => {
    await Promise.allSettled([stepsQueue?.close(), bare?.close(), client?.close()]);
    redis?.disconnect();
    await Promise.allSettled([db?.end(), replayPool?.end(), capturing?.pool.end()]);
    await system.stop();
  });

  try {
    log(`config: ${JSON.stringify({ ...CONFIG, results: path.relative(ROOT, CONFIG.results) })}`);
    log('starting a private system (Redis on a spare port, fresh aftercare_bench_* database, Twilio fake, SMTP capture, 4 services from dist/)…');
    await system.start();
    log(`system healthy at ${system.baseUrl}, database ${system.database!.name}, Redis ${system.redis.url}`);
    db = new pg.Pool({ connectionString: system.database!.url, max: 4 });
    redis = new Redis(system.redis.url, { maxRetriesPerRequest: null });
    const clinician = await Api.login(system.baseUrl, DEMO.users.find((u) => u.role === 'clinician')!.email);
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

    // ---------------------------------------------------------------- 1. the due list
    // The demo clinicians (the clinician user is one of them) and the rest made up: the due list
    // reads followup's own rows only, it asks scheduling nothing.
    const random = prng(20261205);
    const madeUp = () => {
      const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    };
    const clinicianIds = [...DEMO.clinicians.map((c) => c.id as string), ...Array.from({ length: Math.max(0, CONFIG.clinicians - DEMO.clinicians.length) }, madeUp)].slice(0, CONFIG.clinicians);
    const seed = await seedWorkspace(db, { clinicId, items: CONFIG.items, clinicianIds, log });
    log(`seeded in ${seed.seconds.toFixed(0)} s: ${seed.items.toLocaleString('en-US')} items, ${seed.patients.toLocaleString('en-US')} patients, ${seed.carePlans.toLocaleString('en-US')} plans, ${seed.painScores.toLocaleString('en-US')} pain scores; open on the lists by state ${JSON.stringify(seed.openByState)}; open per clinician min ${seed.openPerClinician.min} / median ${seed.openPerClinician.median} / max ${seed.openPerClinician.max}`);

    const order = shuffle([...clinicianIds], prng(5));
    const pathOf = (id: string) => `/api/follow-ups?clinicianId=${id}&limit=${CONFIG.pageLimit}`;
    const paths = order.map(pathOf);
    const probeResponse = await clinician.get<FollowUpPage>(paths[0]!);
    if (probeResponse.status !== 200 || !Array.isArray(probeResponse.body.items)) throw new Error(`GET ${paths[0]}: ${probeResponse.status} ${JSON.stringify(probeResponse.body).slice(0, 300)}`);
    const probe = probeResponse.body;
    const probeBytes = Buffer.byteLength(JSON.stringify(probe));
    const kindsOnPage = probe.items.reduce<Record<string, number>>((acc, i) => ({ ...acc, [`${i.kind} (${i.state})`]: (acc[`${i.kind} (${i.state})`] ?? 0) + 1 }), {});
    log(`first page of one clinician through the API: ${probe.items.length} items (${(probeBytes / 1024).toFixed(1)} KiB), next cursor ${probe.nextCursor ? 'yes' : 'no'}; ${JSON.stringify(kindsOnPage)}`);

    // The statements the due-list service sends, per clinician, captured at the pool (in this process, DueListService from dist/).
    capturing = instrumentedPool<StatementKind>(system.database!.url, statementOf, CONFIG.connections);
    const capturedDb = drizzle({ client: capturing.pool }) as unknown as Db;
    const clock = new SystemClock();
    const dueList = new DueListService(capturedDb, clock, new ItemAudit(capturedDb, clock));
    const ctx: RequestContext = { clinicId, userId: DEMO.users.find((u) => u.role === 'clinician')!.id, role: 'clinician', clinicianId: DEMO.clinicians[0].id, correlationId: 'bench' };
    const listOf = (id: string) => dueList.list(ctx, { clinicianId: id, limit: CONFIG.pageLimit });
    log(`capturing the statements of DueListService.list for each of the ${order.length} clinicians…`);
    const statements = new Map<string, CapturedQuery<StatementKind>[]>();
    const pageSizes: number[] = [];
    for (const id of order) {
      const { result, queries } = await capturing.capture(() => listOf(id));
      statements.set(id, queries);
      pageSizes.push((result as FollowUpPage).items.length);
    }
    const shapes = [...new Set([...statements.values()].map((qs) => qs.map((q) => q.kind).join(' → ')))];
    log(`  per list: ${shapes.join(' | ')}; items per first page min ${Math.min(...pageSizes)} / median ${quantile(pageSizes, 0.5)} / max ${Math.max(...pageSizes)}`);
    replayPool = new pg.Pool({ connectionString: system.database!.url, max: CONFIG.connections });
    const replayOne = async (pool: pg.Pool, queries: CapturedQuery[]) => {
      for (const q of queries) await pool.query({ ...q.config } as pg.QueryConfig);
    };
    const replay = (workers: number, seconds: number) => timedLoop(workers, seconds, (i) => replayOne(replayPool!, statements.get(order[i % order.length]!)!));
    // Per statement, one clinician after another (where a list's time goes).
    const perStatement = async (seconds: number) => {
      const byKind = new Map<StatementKind, number[]>();
      const end = performance.now() + seconds * 1000;
      for (let i = 0; performance.now() < end; i++) {
        for (const q of statements.get(order[i % order.length]!)!) {
          const s = performance.now();
          await replayPool!.query({ ...q.config } as pg.QueryConfig);
          byKind.set(q.kind, [...(byKind.get(q.kind) ?? []), performance.now() - s]);
        }
      }
      return Object.fromEntries([...byKind.entries()].map(([k, v]) => [k, summary(v)]));
    };

    log('warming up (3 s each, not recorded)…');
    await loadGetEach(system.baseUrl, paths, { connections: CONFIG.connections, seconds: 3, token: clinician.token! });
    await replay(CONFIG.connections, 3);
    await timedLoop(1, 2, (i) => listOf(order[i % order.length]!));

    const dueRuns: DueListRun[] = [];
    for (let r = 1; r <= CONFIG.runs; r++) {
      const run: Partial<DueListRun> = { run: r };
      const api = async () => {
        for (const connections of [1, CONFIG.connections]) {
          log(`run ${r}/${CONFIG.runs}: due list through the API, ${connections} connection${connections === 1 ? '' : 's'}, ${CONFIG.seconds} s, clinician after clinician…`);
          await meter.start();
          const load = await loadGetEach(system.baseUrl, paths, { connections, seconds: CONFIG.seconds, token: clinician.token! });
          const cpu = await meter.stop();
          const key = connections === 1 ? 'api1' : 'apiN';
          run[key] = { ...load, cpu };
          const statuses = Object.entries(load.statuses).map(([k, v]) => `${v}×${k}`).join(', ');
          log(`  p50 ${load.p50} ms, p99 ${load.p99} ms, max ${load.max} ms, ${load.rps.toFixed(1)} req/s (${statuses}${load.errors ? `, ${load.errors} errors` : ''}); ${load.distinctPaths} clinicians`);
          log(`  ${describeCpu(cpu, load.responses, 'request')}`);
        }
      };
      const sql = async () => {
        for (const connections of [1, CONFIG.connections]) {
          log(`run ${r}/${CONFIG.runs}: baseline — the due list's statements run directly on a pool, ${connections} at a time, ${CONFIG.seconds} s…`);
          await meter.start();
          const loop = await replay(connections, CONFIG.seconds);
          const cpu = await meter.stop();
          const s = { ...summary(loop.samples), rate: loop.samples.length / loop.seconds, cpu };
          if (connections === 1) run.sql1 = s;
          else run.sqlN = s;
          log(`  ${describeLatency(s)}, ${s.rate.toFixed(0)} lists/s`);
          log(`  ${describeCpu(cpu, s.n, 'list')}`);
        }
      };
      if (r % 2 === 1) {
        await api();
        await sql();
      } else {
        await sql();
        await api();
      }
      const inSeconds = Math.max(2, Math.round(CONFIG.seconds / 3));
      log(`run ${r}/${CONFIG.runs}: DueListService.list in this process (no HTTP, no transport), one at a time, ${inSeconds} s…`);
      const inProcess = await timedLoop(1, inSeconds, (i) => listOf(order[i % order.length]!));
      run.inProcess = { ...summary(inProcess.samples), rate: inProcess.samples.length / inProcess.seconds };
      log(`  ${describeLatency(run.inProcess)}`);
      log(`run ${r}/${CONFIG.runs}: the statements one by one, ${inSeconds} s…`);
      run.statements = await perStatement(inSeconds);
      for (const [k, v] of Object.entries(run.statements)) log(`  ${k}: ${describeLatency(v)}`);
      dueRuns.push(run as DueListRun);
    }

    // EXPLAIN ANALYZE of the statements of the clinician with the median number of open items.
    const medianClinician = (
      await db.query<{ clinician_id: string; n: string }>(
        `SELECT clinician_id, count(*) AS n FROM followup.follow_up_items WHERE clinic_id = $1 AND status = 'open' AND list_rank IS NOT NULL
          GROUP BY 1 ORDER BY 2, 1 OFFSET (SELECT count(DISTINCT clinician_id) / 2 FROM followup.follow_up_items WHERE clinic_id = $1) LIMIT 1`,
        [clinicId],
      )
    ).rows[0]!;
    const explained: ExplainedStatement[] = [];
    for (const q of statements.get(medianClinician.clinician_id) ?? []) {
      const runs: { execution: number; planning: number }[] = [];
      let plan: Record<string, unknown> = {};
      for (let i = 0; i < 5; i++) {
        const out = (await db.query({ text: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${q.config.text}`, values: q.config.values })).rows[0]['QUERY PLAN'][0];
        runs.push({ execution: out['Execution Time'], planning: out['Planning Time'] });
        plan = out.Plan;
      }
      const indexes = new Set<string>();
      const walk = (node: Record<string, unknown>) => {
        if (typeof node['Index Name'] === 'string') indexes.add(`${node['Node Type']} on ${node['Index Name']}`);
        else if (typeof node['Relation Name'] === 'string') indexes.add(`${node['Node Type']} on ${node['Relation Name']}`);
        for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
      };
      walk(plan);
      explained.push({
        statement: q.kind,
        rows: q.rows,
        executionMs: quantile(runs.map((x) => x.execution), 0.5),
        planningMs: quantile(runs.map((x) => x.planning), 0.5),
        sharedHit: Number(plan['Shared Hit Blocks'] ?? 0),
        sharedRead: Number(plan['Shared Read Blocks'] ?? 0),
        access: [...indexes],
      });
      log(`  EXPLAIN ANALYZE ${q.kind} (clinician with ${medianClinician.n} open items): ${explained.at(-1)!.executionMs.toFixed(2)} ms executing + ${explained.at(-1)!.planningMs.toFixed(2)} ms planning, ${q.rows} rows; ${[...indexes].join(', ')}`);
    }

    // ---------------------------------------------------------------- 2. care-plan creation
    const protocols = Number(
      (await db.query<{ n: string }>(`SELECT count(*) AS n FROM followup.protocol_heads WHERE clinic_id = $1 AND procedure_type = 'bmac_injection' AND active`, [clinicId])).rows[0]!.n,
    );
    if (protocols !== 1) throw new Error(`expected one active bmac_injection protocol in followup, found ${protocols}`);
    const perRun = CONFIG.rate * CONFIG.planSeconds;
    const warmupCount = CONFIG.rate * CONFIG.warmupSeconds;
    const needed = perRun * CONFIG.runs + warmupCount;
    log(`seeding ${needed.toLocaleString('en-US')} patients followup knows (SQL, followup.patients), one per completion…`);
    const completionPatients = await seedCompletionPatients(db, clinicId, needed, DEMO.clinicTimezone);

    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: system.database!.url, REDIS_URL: system.redis.url, JWT_SECRET: 'bench-secret-of-at-least-thirty-two-characters' });
    client = ClientProxyFactory.create(redisTransportOptions(config));
    await client.connect();
    const connection = { host: '127.0.0.1', port: system.redis.port };
    stepsQueue = new Queue(QUEUES.carePlanSteps, { connection, prefix: BULLMQ_PREFIX });
    bare = new Queue(BARE_QUEUE, { connection, prefix: BULLMQ_PREFIX });
    await Promise.all([stepsQueue.waitUntilReady(), bare.waitUntilReady()]);

    const load = new CompletionLoad({ client, db, redis, stepsQueue, bare, clinicId, patients: completionPatients, clinicianIds });
    const delayedCount = async (queue: Queue) => (await queue.getJobCounts('delayed')).delayed ?? 0;

    // Warm-up (JIT, connections, pools), not recorded; its first plan gives the step delays for the baseline.
    log(`warming up: ${warmupCount} completions at ${CONFIG.rate}/s (not recorded)…`);
    const warm = await load.sendPaced(warmupCount, CONFIG.rate);
    if (warm.failures.length) throw new Error(`warm-up: ${warm.failures.length} completions failed, e.g. ${warm.failures[0]}`);
    const warmCheck = await load.verify(warm);
    log(`  ${warmCheck.plans} plans, ${warmCheck.steps} steps, ${warmCheck.jobs} jobs; latency ${describeLatency(summary(warmCheck.latency))}`);
    const template = await load.stepOffsets(warm.events[0]!.payload.appointmentId);
    if (template.length === 0) throw new Error('the warm-up plan has no steps');
    const stepsPerPlan = template.length;
    log(`  a plan has ${stepsPerPlan} steps, due ${template.map((d) => `${(d / 3_600_000).toFixed(1)} h`).join(', ')} after the procedure`);
    await load.barePaced(warmupCount, CONFIG.rate, template);

    const planRuns: CarePlanRun[] = [];
    for (let r = 1; r <= CONFIG.runs; r++) {
      const serviceRun = async () => {
        log(`run ${r}/${CONFIG.runs}: ${perRun.toLocaleString('en-US')} procedure.completed events to followup at ${CONFIG.rate}/s (open loop, ${CONFIG.planSeconds} s)…`);
        const delayed0 = await delayedCount(stepsQueue!);
        const redis0 = await redisCommands(redis!);
        await meter.start();
        const sent = await load.sendPaced(perRun, CONFIG.rate);
        const cpu = await meter.stop();
        const redisDelta = (await redisCommands(redis!)) - redis0;
        const check = await load.verify(sent);
        const delayedAdded = (await delayedCount(stepsQueue!)) - delayed0;
        const latency = summary(check.latency);
        const ack = summary(sent.ackMs.filter(Number.isFinite));
        const run: CarePlanRun = {
          kind: 'service',
          run: r,
          events: perRun,
          sendSeconds: sent.pace.seconds,
          sendRate: (perRun - 1) / sent.pace.seconds,
          maxSendLagMs: sent.pace.maxLagMs,
          latency,
          ack,
          perSecondP99: check.perSecondP99,
          throughput: perRun / ((check.lastQueuedAt - sent.sentAt[0]!) / 1000),
          jobsPerSecond: check.jobs / ((check.lastQueuedAt - sent.sentAt[0]!) / 1000),
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
        };
        log(`  sent at ${run.sendRate.toFixed(1)}/s (at most ${run.maxSendLagMs.toFixed(1)} ms behind schedule); event → all jobs queued ${describeLatency(latency)}; event → ack ${describeLatency(ack)}`);
        log(`  ${run.throughput.toFixed(1)} plans/s; ${check.plans} plans (${check.duplicatePlans} twice), ${check.steps} steps ${JSON.stringify(check.stepCounts)}, ${check.jobs} jobs (${check.missingJobs} missing, ${check.notDelayed} not delayed; delayed set +${delayedAdded}); failures ${sent.failures.length}${sent.failures[0] ? ` e.g. ${sent.failures[0]}` : ''}`);
        log(`  ${describeCpu(cpu, perRun, 'plan')}`);
        return run;
      };
      const bareRun = async () => {
        log(`run ${r}/${CONFIG.runs}: baseline — raw BullMQ addBulk of ${stepsPerPlan} jobs (DEFAULT_JOB_OPTIONS, the plan's delays) ${perRun.toLocaleString('en-US')} times at ${CONFIG.rate}/s to ${BARE_QUEUE}…`);
        const delayed0 = await delayedCount(bare!);
        const redis0 = await redisCommands(redis!);
        await meter.start();
        const calls = await load.barePaced(perRun, CONFIG.rate, template);
        const cpu = await meter.stop();
        const redisDelta = (await redisCommands(redis!)) - redis0;
        const delayedAdded = (await delayedCount(bare!)) - delayed0;
        // The same latency as the service's: the latest job timestamp of the "plan" − the call.
        const check = await load.bareVerify(calls);
        const run: CarePlanRun = {
          kind: 'bare',
          run: r,
          events: perRun,
          sendSeconds: calls.pace.seconds,
          sendRate: (perRun - 1) / calls.pace.seconds,
          maxSendLagMs: calls.pace.maxLagMs,
          latency: summary(check.latency),
          ack: summary(calls.doneMs.filter(Number.isFinite)),
          perSecondP99: check.perSecondP99,
          throughput: perRun / ((check.lastQueuedAt - calls.sentAt[0]!) / 1000),
          jobsPerSecond: check.jobs / ((check.lastQueuedAt - calls.sentAt[0]!) / 1000),
          failures: calls.failures,
          failureSample: null,
          duplicateAcks: 0,
          plans: perRun,
          duplicatePlans: 0,
          steps: perRun * stepsPerPlan,
          stepCounts: { [stepsPerPlan]: perRun },
          jobs: check.jobs,
          missingJobs: perRun * stepsPerPlan - check.jobs,
          notDelayed: 0,
          delayedAdded,
          redisCommands: redisDelta,
          cpu,
        };
        log(`  called at ${run.sendRate.toFixed(1)}/s; call → all jobs' timestamps ${describeLatency(run.latency)}; call → addBulk resolved ${describeLatency(run.ack)}; ${check.jobs} jobs (delayed set +${delayedAdded}), failures ${calls.failures}`);
        log(`  ${describeCpu(cpu, perRun, 'plan')}`);
        return run;
      };
      if (r % 2 === 1) {
        planRuns.push(await serviceRun());
        planRuns.push(await bareRun());
      } else {
        planRuns.push(await bareRun());
        planRuns.push(await serviceRun());
      }
    }

    const info = await machine(db, system.redis.url, CODE);
    const setting = async (name: string) => (await db!.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
    const input: WorkspaceInput = {
      config: CONFIG,
      machine: info,
      pgSettings: { sharedBuffers: await setting('shared_buffers'), synchronousCommit: await setting('synchronous_commit'), fsync: await setting('fsync') },
      pgStatStatements: (await db.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`)).rowCount === 1,
      seed,
      probe: { items: probe.items.length, bytes: probeBytes, kinds: kindsOnPage, hasNext: !!probe.nextCursor },
      statementShapes: shapes,
      pageSizes: { min: Math.min(...pageSizes), median: quantile(pageSizes, 0.5), max: Math.max(...pageSizes) },
      dueRuns,
      explained,
      explainedClinicianOpenItems: Number(medianClinician.n),
      stepsPerPlan,
      stepOffsetsMs: template,
      planRuns,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
    await publish(SECTION, input);
    const service = planRuns.filter((x) => x.kind === 'service');
    if (service.some((x) => x.failures > 0 || x.duplicatePlans > 0 || x.missingJobs > 0 || x.plans !== x.events || x.duplicateAcks > 0)) process.exitCode = 1;
    if (dueRuns.some((x) => Object.keys(x.api1.statuses).some((k) => k !== '200') || Object.keys(x.apiN.statuses).some((k) => k !== '200'))) process.exitCode = 1;
  } catch (error) {
    reportFailure(error, system.logs);
  } finally {
    await cleanup();
  }
}

await benchEntry(SECTION, main);
