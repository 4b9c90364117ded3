import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock, VirtualClock } from '@aftercare/clock';
import { PG_POOL } from '@aftercare/database';
import { SchedulerRegistry } from '@nestjs/schedule';
import { countRepairs } from './job-metrics.js';
import { dueAtOfDelayedScore } from './queue-lag.js';
import { JobScheduler } from './job-scheduler.js';
import { SCHEDULED_SOURCES, type DueRow, type ScheduledSource } from './scheduled-source.js';

const PAGE = 500;
/**
 * Each pass looks at the rows due within this many reconciler intervals (at least five minutes).
 * A row due later keeps whatever alarm it has until a later pass comes within reach of it: a job
 * Redis lost is then re-created still ahead of its time, and an idle pass costs in proportion to
 * what is due soon, not to the months of steps waiting.
 */
const HORIZON_INTERVALS = 3;
const MIN_HORIZON_MS = 5 * 60_000;
/** Under the virtual clock, a delayed job more than this far off its row's due time is moved. */
const DRIFT_TOLERANCE_MS = 1_000;

export interface ReconcileReport {
  checked: number;
  recreated: number;
  moved: number;
  retried: number;
}

/**
 * Re-creates jobs that Redis lost (flushed, restarted without persistence, failed over) from
 * the rows in PostgreSQL. Runs periodically on one instance at a time (an advisory lock), and
 * once at start-up.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Reconciler');
  private running: Promise<ReconcileReport | null> | null = null;

  constructor(
    @Inject(SCHEDULED_SOURCES) private readonly sources: ScheduledSource[],
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly scheduler: JobScheduler,
    private readonly clock: Clock,
    private readonly registry: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.reconcile().catch((e) => this.logger.error(`reconcile failed: ${(e as Error).message}`)), this.config.reconcileIntervalMs);
    timer.unref();
    this.registry.addInterval('reconciler', timer);
    void this.reconcile().catch((e) => this.logger.error(`reconcile failed: ${(e as Error).message}`));
  }

  beforeApplicationShutdown(): void {
    if (this.registry.doesExist('interval', 'reconciler')) this.registry.deleteInterval('reconciler');
  }

  /** How far ahead of the Clock's now a pass looks. */
  get horizonMs(): number {
    return Math.max(MIN_HORIZON_MS, HORIZON_INTERVALS * this.config.reconcileIntervalMs);
  }

  /** One pass over every source; null when another instance holds the lock. */
  reconcile(): Promise<ReconcileReport | null> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<ReconcileReport | null> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`aftercare.reconciler.${this.sources.map((s) => s.queue.name).join(',')}`]);
      if (!rows[0]?.locked) return null;
      try {
        const report: ReconcileReport = { checked: 0, recreated: 0, moved: 0, retried: 0 };
        for (const source of this.sources) {
          const before = { ...report };
          try {
            await this.reconcileSource(source, report);
          } finally {
            countRepairs(source.queue.name, { recreated: report.recreated - before.recreated, moved: report.moved - before.moved, retried: report.retried - before.retried });
          }
        }
        if (report.recreated || report.moved || report.retried) {
          this.logger.warn(`re-created ${report.recreated}, moved ${report.moved} and retried ${report.retried} of ${report.checked} scheduled jobs`);
        }
        return report;
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`aftercare.reconciler.${this.sources.map((s) => s.queue.name).join(',')}`]);
      }
    } finally {
      client.release();
    }
  }

  private async reconcileSource(source: ScheduledSource, report: ReconcileReport): Promise<void> {
    const until = new Date(this.clock.now().getTime() + this.horizonMs);
    let cursor: DueRow | null = null;
    for (;;) {
      const rows = await source.pendingRows(PAGE, cursor, until);
      if (rows.length === 0) return;
      report.checked += rows.length;
      const missing: DueRow[] = [];
      const states = await this.jobStates(source, rows);
      for (const [i, row] of rows.entries()) {
        const state = states[i]!;
        if (state === 'missing') {
          missing.push(row);
        } else if (state === 'completed') {
          // The job ran but the row is still pending: the handler found nothing to do at the
          // time, so give the row a new alarm - unless the job finished the row meanwhile.
          if (!(await source.isPending(row.id))) continue;
          const job = await source.queue.getJob(row.id);
          await job?.remove().catch(() => undefined);
          missing.push(row);
        } else if (state === 'failed') {
          // Out of attempts while a dependency was down: the row is still owed, so try again
          // (once per pass, which paces the retries).
          const job = await source.queue.getJob(row.id);
          if (!job) missing.push(row);
          else {
            await job.retry().catch(() => undefined);
            report.retried++;
          }
        } else if (state === 'delayed' && this.clock instanceof VirtualClock) {
          // When it fires is its score in the delayed set: `timestamp + delay` is not, once a job
          // has moved itself (moveToDelayed: a send's retry, a check-in's answer deadline).
          const client = await source.queue.getBackend().connection.client;
          const score = await client.zscore(source.queue.toKey('delayed'), row.id);
          if (score === null) continue; // it left the delayed set meanwhile: in hand
          const wanted = Date.now() + this.scheduler.delayFor(row.dueAt);
          if (Math.abs(dueAtOfDelayedScore(Number(score)) - wanted) > DRIFT_TOLERANCE_MS) {
            const job = await source.queue.getJob(row.id);
            if (!job) {
              missing.push(row);
              continue;
            }
            await job.changeDelay(this.scheduler.delayFor(row.dueAt));
            report.moved++;
          }
        }
      }
      await this.scheduler.scheduleMany(source.queue, source.jobName, missing);
      report.recreated += missing.length;
      cursor = rows[rows.length - 1]!;
      if (rows.length < PAGE) return;
    }
  }

  /**
   * What became of each row's job, for a page of rows in one call to Redis: gone, or in BullMQ's
   * completed, failed or delayed set, or anything else (waiting, active: in hand). The lookups
   * run inside Redis (JOB_STATES), one script call per page: a pipeline of four commands per job
   * cost this process ~20 µs of CPU per row to build and decode, about six times the script's,
   * and a pass looks at every row due within its horizon, which in a burst is tens of thousands.
   */
  private async jobStates(source: ScheduledSource, rows: DueRow[]): Promise<JobPresence[]> {
    const client = await source.queue.getBackend().connection.client;
    if (!withJobStates.has(client)) {
      client.defineCommand(JOB_STATES, { numberOfKeys: 3, lua: JOB_STATES_LUA });
      withJobStates.add(client);
    }
    const q = source.queue;
    const answer = String(await client.runCommand(JOB_STATES, [q.toKey('completed'), q.toKey('failed'), q.toKey('delayed'), q.toKey(''), ...rows.map((row) => row.id)]));
    if (answer.length !== rows.length) throw new Error(`Redis answered ${answer.length} of ${rows.length} job lookups`);
    return rows.map((_row, i) => PRESENCE[answer[i]!]!);
  }
}

/**
 * KEYS: the queue's completed, failed and delayed sets; ARGV: the prefix of its job keys, then
 * the job ids. Returns one letter per job: m(issing), c(ompleted), f(ailed), d(elayed), h (in
 * hand). A job's key is the prefix and its id, as BullMQ's own scripts build it: under the
 * queue's hash tag, so the script suits a cluster too.
 */
const JOB_STATES = 'aftercareJobStates';
const JOB_STATES_LUA = `
local out = {}
local prefix = ARGV[1]
for i = 2, #ARGV do
  local id = ARGV[i]
  local state = 'h'
  if redis.call('EXISTS', prefix .. id) == 0 then state = 'm'
  elseif redis.call('ZSCORE', KEYS[1], id) then state = 'c'
  elseif redis.call('ZSCORE', KEYS[2], id) then state = 'f'
  elseif redis.call('ZSCORE', KEYS[3], id) then state = 'd'
  end
  out[i - 1] = state
end
return table.concat(out)`;
/** The BullMQ connections JOB_STATES is defined on. */
const withJobStates = new WeakSet<object>();

const PRESENCE: Readonly<Record<string, JobPresence>> = { m: 'missing', c: 'completed', f: 'failed', d: 'delayed', h: 'in-hand' };

type JobPresence = 'missing' | 'completed' | 'failed' | 'delayed' | 'in-hand';
