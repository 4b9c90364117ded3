/**
 * Issue 7, figure 7: the footprint of the whole system on this machine.
 *
 *   "Start-up time of the whole system to ready; idle RSS per service. Targets: ready ≤ 10 s;
 *    ≤ 150 MB per service."
 *
 * Run: `npm run bench:footprint` (builds, then runs dist/bench/footprint.bench.js); add
 * `-- --smoke` (or BENCH_SMOKE=1) for a run of a few seconds (one start, a short idle), which
 * writes its section to a temporary file instead of bench/RESULTS.md.
 *
 * BENCH_RUNS times, each from cold (new processes, a fresh database aftercare_bench_* on which the
 * services run their migrations and the demo seed, an empty private Redis on a spare port, the
 * Twilio fake and SMTP capture), it starts the system as the other benches do (BenchSystem:
 * the four services from dist/ as SystemProcesses spawns them) and measures:
 *
 * 1. Ready: from the spawn of the four services to the first `GET /health` of the gateway that
 *    answers 200 (database, Redis and every service answering its health pattern — what
 *    SystemProcesses.waitHealthy waits for). The bench polls /health itself every BENCH_POLL_MS
 *    (50 ms), without waiting for the previous poll (a check of a service that is not up yet
 *    takes the gateway's 2 s deadline), so the figure is not rounded up to SystemProcesses'
 *    own poll. Also when the gateway first answered at all, when each check was first ok, when
 *    each service's `<service>.health` channel got its subscriber in Redis (PUBSUB NUMSUB, which
 *    the services do not see: their listener is up), and the CPU time each used until ready.
 * 2. Idle: BENCH_IDLE_S (30) seconds after ready, each service's RSS (VmRSS of /proc/<pid>/status),
 *    its peak (VmHWM), PSS and private memory (smaps_rollup), and the CPU it used while idle;
 *    Redis's RSS and used_memory; the bench database's PostgreSQL backends (how many per service,
 *    their RSS, PSS and private memory).
 *    Each service preloads bench/support/footprint-heap.ts (SERVICE_NODE_ARGS `--import`), which
 *    writes its V8 heap spaces and external memory to a file once a second: what the RSS is made of.
 * 3. Stop: SIGTERM to the four services until all have exited (their shutdown hooks).
 * 4. A variant, after each start: the same start with BENCH_VARIANT_ARGS for the services
 *    (default `--max-semi-space-size=16`: Node 20's own young generation, which start-up grows to
 *    ~30 MB per service and V8 then keeps; the services run capped at 8 MB per semi-space,
 *    SERVICE_NODE_FLAGS in scripts/lib/system.ts), to show what the cap saves on the same machine
 *    in the same run.
 *
 * No baseline in the issue's table; for scale, the same numbers of a bare `node` process started
 * with the same flags (BENCH_NODE_STARTS times): the part of the figures that is Node itself.
 *
 * Knobs (environment): BENCH_RUNS (3; smoke 1), BENCH_IDLE_S (30; smoke 3), BENCH_POLL_MS (50),
 * BENCH_NODE_STARTS (5; smoke 2), BENCH_VARIANT_ARGS (`--max-semi-space-size=16`; in smoke, or "":
 * no variant), BENCH_RESULTS (default bench/RESULTS.md), BENCH_VERBOSE=1, BENCH_KEEP_DATABASE=1,
 * BENCH_RENDER_FROM=<json> (only render the section again from a run's saved measurements),
 * SERVICE_NODE_ARGS (Node flags for the services, as SystemProcesses reads it).
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { servicePatterns } from '@aftercare/contracts';
import { nodeArgsFrom, SERVICE_NAMES, SERVICE_NODE_FLAGS, ROOT } from '../scripts/lib/system.js';
import { BenchSystem } from './support/bench-system.js';
import { benchEntry, cleanupOnce, publish, reportFailure, type BenchSection } from './support/bench-run.js';
import { processCpuMs } from './support/cpu.js';
import type { HeapSnapshot } from './support/footprint-heap.js';
import { groupMemory, processMemory, type ProcessMemory } from './support/footprint-memory.js';
import { renderFootprint, verdicts, type FootprintInput, type NodeBaseline, type StartRun } from './support/footprint-report.js';
import { codeVersion, machine } from './support/machine.js';
import { fmt, median } from './support/stats.js';
import { SMOKE, int } from './support/knobs.js';

export const CONFIG = {
  smoke: SMOKE,
  runs: int('BENCH_RUNS', SMOKE ? 1 : 3),
  idleSeconds: int('BENCH_IDLE_S', SMOKE ? 3 : 30),
  pollMs: int('BENCH_POLL_MS', 50),
  nodeStarts: int('BENCH_NODE_STARTS', SMOKE ? 2 : 5),
  readyTimeoutMs: 120_000,
  readyTargetMs: 10_000,
  rssTargetMB: 150,
  // The same starts again with these Node flags for the services (after each default start, so both see the same machine); "" for none.
  variantArgs: (process.env.BENCH_VARIANT_ARGS ?? (SMOKE ? '' : '--max-semi-space-size=16')).trim(),
  results: process.env.BENCH_RESULTS || (SMOKE ? path.join(os.tmpdir(), 'aftercare-bench-footprint-smoke.md') : path.join(ROOT, 'bench', 'RESULTS.md')),
};
/** The flags SystemProcesses gives every service (scripts/lib/system.ts), for the bare-node comparison. */
const USER_SERVICE_ARGS = (process.env.SERVICE_NODE_ARGS ?? '').trim();
const SERVICE_FLAGS = [...SERVICE_NODE_FLAGS, ...nodeArgsFrom('SERVICE_NODE_ARGS')];
/** What each service is told to preload so that it reports its heap (bench/support/footprint-heap.ts). */
const HEAP_PRELOAD = `--import ${new URL('./support/footprint-heap.js', import.meta.url).href}`;
const APPLICATION_NAME = 'aftercare-bench-footprint';

const started = performance.now();
/** The code as built into dist/ just before this run (others may commit or edit meanwhile). */
const CODE = codeVersion();
const log = (line: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const MB = (bytes: number) => `${fmt(bytes / 1e6, 1)} MB`;
const s = (msValue: number) => `${fmt(msValue / 1000, 2)} s`;

const SECTION: BenchSection<FootprintInput> = { name: 'footprint', results: CONFIG.results, render: renderFootprint, log };

interface HealthBody {
  status?: string;
  checks?: Record<string, string>;
}

/**
 * Watches a BenchSystem while it starts: the moment its services are spawned (SystemProcesses
 * spawns all four synchronously as soon as it exists), then GET /health every `pollMs`, each poll
 * on its own (not waiting for the one before), until one answers 200 with every check ok. Times
 * are this process's performance.now() at the answer's headers.
 */
class ReadyWatch {
  spawnedAt?: number;
  firstAnswerAt?: number;
  readyAt?: number;
  readonly checksOkAt: Record<string, number> = {};
  /** when each service's `<service>.health` channel first had a subscriber in Redis: its message listener is up */
  readonly subscribedAt: Record<string, number> = {};
  polls = 0;
  private stopped = false;

  constructor(
    private readonly system: BenchSystem,
    private readonly pollMs: number,
  ) {}

  async run(timeoutMs: number): Promise<void> {
    const t0 = performance.now();
    while (!this.system.processes) {
      if (this.stopped) return;
      if (performance.now() - t0 > timeoutMs) throw new Error(`the services were not spawned within ${timeoutMs / 1000} s`);
      await sleep(1);
    }
    this.spawnedAt = performance.now();
    const url = `${this.system.baseUrl}/health`;
    const inFlight = new Set<Promise<void>>();
    const subscriptions = this.watchSubscriptions();
    try {
      while (this.readyAt === undefined && !this.stopped) {
        if (performance.now() - this.spawnedAt > timeoutMs) throw new Error(`GET /health did not answer 200 within ${timeoutMs / 1000} s of the spawn`);
        const poll: Promise<void> = this.poll(url).finally(() => inFlight.delete(poll));
        inFlight.add(poll);
        await sleep(this.pollMs);
      }
    } finally {
      this.stopped = true;
      await Promise.allSettled([...inFlight, subscriptions]);
    }
  }

  /**
   * PUBSUB NUMSUB of each service's health channel every 10 ms on the private Redis: passive (the
   * services see nothing of it), and it tells each service's readiness apart even when the gateway,
   * which answers /health, is the last one up.
   */
  private async watchSubscriptions(): Promise<void> {
    const redis = new Redis(this.system.redis.url, { maxRetriesPerRequest: 1 });
    const channels = SERVICE_NAMES.map((name) => servicePatterns(name).health);
    try {
      while (!this.stopped) {
        const reply = (await redis.call('PUBSUB', 'NUMSUB', ...channels)) as (string | number)[];
        const at = performance.now();
        SERVICE_NAMES.forEach((name, i) => {
          if (Number(reply[2 * i + 1]) > 0) this.subscribedAt[name] ??= at;
        });
        await sleep(10);
      }
    } finally {
      redis.disconnect();
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private async poll(url: string): Promise<void> {
    this.polls++;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      const at = performance.now();
      this.firstAnswerAt = Math.min(this.firstAnswerAt ?? Infinity, at);
      const body = (await response.json().catch(() => null)) as HealthBody | null;
      for (const [check, result] of Object.entries(body?.checks ?? {})) if (result === 'ok') this.checksOkAt[check] = Math.min(this.checksOkAt[check] ?? Infinity, at);
      if (response.status === 200 && body?.status === 'ok') this.readyAt = Math.min(this.readyAt ?? Infinity, at);
    } catch {
      /* not listening yet, or aborted */
    }
  }
}

async function cpuOf(pids: Record<string, number>): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(Object.entries(pids).map(async ([name, pid]) => [name, (await processCpuMs(pid)) ?? NaN] as const)));
}

async function memoryOf(pids: Record<string, number>): Promise<Record<string, ProcessMemory>> {
  const out: Record<string, ProcessMemory> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const m = await processMemory(pid);
    if (!m) throw new Error(`${name} (pid ${pid}) is gone: no /proc/${pid}/status`);
    out[name] = m;
  }
  return out;
}

async function redisMemory(url: string, pid: number | null): Promise<StartRun['redis']> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('memory');
    const field = (key: string) => Number(new RegExp(`^${key}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
    const keys = await redis.dbsize();
    const proc = pid ? await processMemory(pid) : null;
    return { rss: proc?.rss ?? field('used_memory_rss'), usedMemory: field('used_memory'), keys };
  } finally {
    redis.disconnect();
  }
}

/** The bench database's PostgreSQL backends (the bench's own connection left out), by application name. */
async function postgresMemory(db: pg.Pool, database: string): Promise<StartRun['postgres']> {
  const { rows } = await db.query<{ pid: number; app: string }>(
    `SELECT pid, coalesce(nullif(application_name, ''), '(none)') AS app FROM pg_stat_activity WHERE datname = $1 AND application_name <> $2`,
    [database, APPLICATION_NAME],
  );
  const byApplication: Record<string, number> = {};
  for (const r of rows) byApplication[r.app] = (byApplication[r.app] ?? 0) + 1;
  return { ...(await groupMemory(rows.map((r) => r.pid))), byApplication };
}

/**
 * The same numbers of a bare Node process with the services' flags: spawn → its first line of
 * output, then its RSS a second later (what any Node service costs before its own code).
 */
async function bareNode(): Promise<{ startMs: number; rss: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...SERVICE_FLAGS, '-e', "process.stdout.write('ready\\n'); setInterval(() => {}, 1000);"], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const startMs = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', () => resolve(performance.now() - t0));
      child.once('exit', (code) => reject(new Error(`a bare node exited with ${code}`)));
    });
    await sleep(1_000);
    const memory = await processMemory(child.pid!);
    return { startMs, rss: memory?.rss ?? NaN };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/** What one cold start needs from main: the system it runs in is kept there, so that a Ctrl-C cleans it up. */
interface StartContext {
  set(system: BenchSystem | undefined, watch: ReadyWatch | undefined, db: pg.Pool | undefined): void;
}

/** Each service's last heap report (footprint-heap.ts), read from the directory they write to. */
async function heapOf(dir: string, pids: Record<string, number>): Promise<Record<string, HeapSnapshot>> {
  const out: Record<string, HeapSnapshot> = {};
  for (const [name, pid] of Object.entries(pids)) {
    try {
      out[name] = JSON.parse(await readFile(path.join(dir, `${pid}.json`), 'utf8')) as HeapSnapshot;
    } catch {
      /* not written (yet): the report leaves the cell empty */
    }
  }
  return out;
}

/**
 * One start of the whole system from cold, with `extraArgs` for the services on top of
 * SERVICE_NODE_ARGS: ready, idle, stop. `last` also reads the machine and PostgreSQL's settings.
 */
async function coldStart(label: string, extraArgs: string, ctx: StartContext, last: boolean): Promise<{ run: Omit<StartRun, 'run'>; machine?: FootprintInput['machine']; pgSettings?: FootprintInput['pgSettings']; logs: string[] }> {
  const heapDir = await mkdtemp(path.join(os.tmpdir(), 'aftercare-bench-footprint-heap-'));
  const previous = { args: process.env.SERVICE_NODE_ARGS, dir: process.env.FOOTPRINT_HEAP_DIR };
  // SystemProcesses reads SERVICE_NODE_ARGS and passes this process's environment on when it spawns.
  process.env.SERVICE_NODE_ARGS = [USER_SERVICE_ARGS, extraArgs, HEAP_PRELOAD].filter(Boolean).join(' ');
  process.env.FOOTPRINT_HEAP_DIR = heapDir;
  const system = new BenchSystem();
  const watch = new ReadyWatch(system, CONFIG.pollMs);
  ctx.set(system, watch, undefined);
  try {
    log(`${label}: starting a private system from cold (Redis on a spare port, fresh aftercare_bench_* database, Twilio fake, SMTP capture, 4 services from dist/${extraArgs ? ` with ${extraArgs}` : ''})…`);
    const t0 = performance.now();
    const watching = watch.run(CONFIG.readyTimeoutMs);
    watching.catch(() => undefined); // awaited below; a failed start() must not leave it unhandled
    await system.start();
    const startReturnedAt = performance.now();
    await watching;
    const spawnedAt = watch.spawnedAt!;
    const pids = system.servicePids();
    if (SERVICE_NAMES.some((name) => !pids[name])) throw new Error(`missing service processes: ${JSON.stringify(pids)}`);
    const startCpu = await cpuOf(pids);
    const atReady = await memoryOf(pids);
    const since = (t: number | undefined) => (t === undefined ? NaN : t - spawnedAt);
    const readyMs = since(watch.readyAt);
    log(`  ready ${s(readyMs)} after the spawn (Redis, fakes and the database took ${s(spawnedAt - t0)} before it); the gateway answered first at ${s(since(watch.firstAnswerAt))}; health channel subscribed: ${Object.entries(watch.subscribedAt).map(([k, v]) => `${k} ${s(v - spawnedAt)}`).join(', ') || 'none'}; first ok: ${Object.entries(watch.checksOkAt).map(([k, v]) => `${k} ${s(v - spawnedAt)}`).join(', ')}; ${watch.polls} polls`);
    log(`  at ready: RSS ${SERVICE_NAMES.map((n) => `${n} ${MB(atReady[n]!.rss)}`).join(', ')}; CPU used so far: ${SERVICE_NAMES.map((n) => `${n} ${fmt(startCpu[n]!, 0)} ms`).join(', ')}`);

    const db = new pg.Pool({ connectionString: system.database!.url, max: 1, application_name: APPLICATION_NAME });
    ctx.set(system, watch, db);
    log(`  idle for ${CONFIG.idleSeconds} s…`);
    const idleStart = performance.now();
    await sleep(CONFIG.idleSeconds * 1000);
    const idleCpu = await cpuOf(pids);
    const idleSeconds = (performance.now() - idleStart) / 1000;
    const idle = await memoryOf(pids);
    const heap = await heapOf(heapDir, pids);
    const redis = await redisMemory(system.redis.url, await system.redisPid());
    const postgres = await postgresMemory(db, system.database!.name);
    const idleCpuMsPerS = Object.fromEntries(SERVICE_NAMES.map((n) => [n, (idleCpu[n]! - startCpu[n]!) / idleSeconds]));
    log(`  idle RSS: ${SERVICE_NAMES.map((n) => `${n} ${MB(idle[n]!.rss)} (peak ${MB(idle[n]!.peakRss)})`).join(', ')}`);
    log(`  V8 heap (used / resident): ${SERVICE_NAMES.map((n) => (heap[n] ? `${n} ${MB(heap[n]!.heapUsed)} / ${MB(heap[n]!.heapTotal)}, young generation ${MB(heap[n]!.spaces.new_space?.physical ?? NaN)} resident` : `${n} n/a`)).join('; ')}`);
    log(`  idle CPU (ms/s): ${SERVICE_NAMES.map((n) => `${n} ${fmt(idleCpuMsPerS[n]!, 1)}`).join(', ')}`);
    log(`  Redis RSS ${MB(redis.rss)} (used_memory ${MB(redis.usedMemory)}, ${redis.keys} keys); PostgreSQL: ${postgres.processes} backends of the bench database (${Object.entries(postgres.byApplication).map(([k, v]) => `${k} ${v}`).join(', ')}), RSS ${MB(postgres.rss)}, private ${postgres.private === null ? 'n/a' : MB(postgres.private)}`);

    let info: FootprintInput['machine'] | undefined;
    let pgSettings: FootprintInput['pgSettings'] | undefined;
    if (last) {
      info = await machine(db, system.redis.url, CODE);
      const setting = async (name: string) => (await db.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
      pgSettings = { sharedBuffers: await setting('shared_buffers'), maxConnections: await setting('max_connections') };
    }
    await db.end();
    ctx.set(system, watch, undefined);

    log('  stopping the services (SIGTERM, shutdown hooks)…');
    const stopStart = performance.now();
    await system.processes!.stop();
    const stopMs = performance.now() - stopStart;
    const logs = [...system.logs];
    await system.stop();
    ctx.set(undefined, undefined, undefined);
    log(`  stopped in ${s(stopMs)}`);
    return {
      run: {
        args: extraArgs,
        prepareMs: spawnedAt - t0,
        readyMs,
        gatewayAnswerMs: since(watch.firstAnswerAt),
        checksOkMs: Object.fromEntries(Object.entries(watch.checksOkAt).map(([k, v]) => [k, v - spawnedAt])),
        subscribedMs: Object.fromEntries(Object.entries(watch.subscribedAt).map(([k, v]) => [k, v - spawnedAt])),
        startReturnedMs: startReturnedAt - spawnedAt,
        polls: watch.polls,
        startCpuMs: startCpu,
        atReady,
        idleSeconds,
        idle,
        heap,
        idleCpuMsPerS,
        redis,
        postgres,
        stopMs,
      },
      machine: info,
      pgSettings,
      logs,
    };
  } finally {
    if (previous.args === undefined) delete process.env.SERVICE_NODE_ARGS;
    else process.env.SERVICE_NODE_ARGS = previous.args;
    if (previous.dir === undefined) delete process.env.FOOTPRINT_HEAP_DIR;
    else process.env.FOOTPRINT_HEAP_DIR = previous.dir;
    await rm(heapDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let current: BenchSystem | undefined;
  let watch: ReadyWatch | undefined;
  let db: pg.Pool | undefined;
  let logs: string[] = [];
  const ctx: StartContext = {
    set(system, w, pool) {
      current = system;
      watch = w;
      db = pool;
    },
  };
  const cleanup = cleanupOnce(log, 'stopping services, Redis, fakes; dropping the database', async () => {
    watch?.stop();
    await db?.end().catch(() => undefined);
    await current?.stop();
  });

  try {
    log(`config: ${JSON.stringify({ ...CONFIG, results: path.relative(ROOT, CONFIG.results) })}`);
    log(`bare node (${SERVICE_FLAGS.join(' ')}), ${CONFIG.nodeStarts} starts: spawn → first output, RSS after 1 s…`);
    const node: NodeBaseline = { startMs: [], rss: [] };
    for (let i = 0; i < CONFIG.nodeStarts; i++) {
      const one = await bareNode();
      node.startMs.push(one.startMs);
      node.rss.push(one.rss);
    }
    log(`  start p50 ${fmt(median(node.startMs), 0)} ms, RSS p50 ${MB(median(node.rss))}`);

    const runs: StartRun[] = [];
    const variantRuns: StartRun[] = [];
    let info: FootprintInput['machine'] | undefined;
    let pgSettings: FootprintInput['pgSettings'] | undefined;
    for (let r = 1; r <= CONFIG.runs; r++) {
      const plain = await coldStart(`run ${r}/${CONFIG.runs}`, '', ctx, r === CONFIG.runs);
      runs.push({ run: r, ...plain.run });
      logs = plain.logs;
      info = plain.machine ?? info;
      pgSettings = plain.pgSettings ?? pgSettings;
      if (CONFIG.variantArgs) {
        const variant = await coldStart(`run ${r}/${CONFIG.runs}, variant`, CONFIG.variantArgs, ctx, false);
        variantRuns.push({ run: r, ...variant.run });
        logs = variant.logs;
      }
    }

    const input: FootprintInput = {
      config: {
        smoke: CONFIG.smoke,
        runs: CONFIG.runs,
        idleSeconds: CONFIG.idleSeconds,
        pollMs: CONFIG.pollMs,
        nodeStarts: CONFIG.nodeStarts,
        readyTargetMs: CONFIG.readyTargetMs,
        rssTargetMB: CONFIG.rssTargetMB,
        variantArgs: CONFIG.variantArgs,
      },
      machine: info!,
      pgSettings: pgSettings!,
      serviceFlags: SERVICE_FLAGS,
      services: [...SERVICE_NAMES],
      node,
      runs,
      variantRuns,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
    for (const line of verdicts(input)) log(`target: ${line}`);
    await publish(SECTION, input);
  } catch (error) {
    reportFailure(error, current?.logs ?? logs);
  } finally {
    await cleanup();
  }
}

await benchEntry(SECTION, main);
