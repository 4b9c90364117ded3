import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Inject, Injectable, Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BullModule, getQueueToken, InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { SchedulerRegistry } from '@nestjs/schedule';
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import { and, eq, inArray, lte } from 'drizzle-orm';
import { pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { Clock, ClockModule, VirtualClock } from '@aftercare/clock';
import { ConfigModule, loadConfig, logLevels, type AppConfig } from '@aftercare/config';
import { JOBS, type JobPayloads } from '@aftercare/contracts';
import { DatabaseModule, DRIZZLE, PG_POOL, type Db } from '@aftercare/database';
import { ActivityCounter, MessagingModule, messagingMigration, messagingTables } from '@aftercare/messaging';
import { AppMetrics, OpsHealth, OpsModule } from '@aftercare/ops';
import { createTestDatabase, metricValue, PrivateRedis, waitFor, type TestDatabase } from '@aftercare/testing';
import { bullRoot } from './bull.js';
import { runJob } from './job-runner.js';
import { JobScheduler } from './job-scheduler.js';
import { JobsModule } from './jobs.module.js';
import { Reconciler, type ReconcileReport } from './reconciler.js';
import type { DueRow } from './scheduled-source.js';
import { TableScheduledSource } from './table-scheduled-source.js';

/**
 * Scheduled rows and their BullMQ alarms (ARCHITECTURE.md, "Events and jobs"): a tiny service
 * with a table of alarms in its own schema, a ScheduledSource over it, a queue and a processor,
 * wired with JobsModule like the real services. Real PostgreSQL (a fresh database) and a
 * private Redis on a spare port, which the tests flush.
 */

const QUEUE = '{reconciler-test}';
const JOB = JOBS.carePlanStepDue;
const WAIT = { timeoutMs: 10_000, intervalMs: 20 };

const alarms = pgSchema('alarms').table('alarms', {
  id: uuid('id').primaryKey(),
  dueAt: timestamp('due_at', { withTimezone: true, mode: 'date' }).notNull(),
  status: text('status').$type<'pending' | 'done'>().notNull(),
  firedAt: timestamp('fired_at', { withTimezone: true, mode: 'date' }),
});
const MIGRATIONS = [
  messagingMigration('alarms'),
  {
    id: '0001_alarms',
    sql: `CREATE TABLE alarms.alarms (id uuid PRIMARY KEY, due_at timestamptz NOT NULL, status text NOT NULL, fired_at timestamptz);
          CREATE INDEX alarms_pending ON alarms.alarms (due_at, id) WHERE status = 'pending';`,
  },
];

/** Every run of the job handler per row, and the runs that really did the row's work. */
class FireLog {
  readonly runs = new Map<string, number>();
  readonly effective = new Map<string, number>();
  /** Rows whose handler fails for good while they are here (a dependency down past the job's attempts). */
  readonly failing = new Set<string>();
  runsOf = (id: string) => this.runs.get(id) ?? 0;
  effectiveOf = (id: string) => this.effective.get(id) ?? 0;
}
const FIRE_LOG = Symbol('FIRE_LOG');

/** The alarms still waiting for their time, over the same base class as the real sources. */
@Injectable()
class AlarmSource extends TableScheduledSource {
  readonly jobName = JOB;
  /** Test hook: awaited by pendingRows after it has read its rows, to hold a reconcile pass there. */
  hold: (() => Promise<void>) | null = null;

  constructor(@InjectQueue(QUEUE) queue: Queue, @Inject(DRIZZLE) db: Db) {
    super(queue, db, { table: alarms, id: alarms.id, dueAt: alarms.dueAt, pending: eq(alarms.status, 'pending') });
  }

  override async pendingRows(limit: number, after: DueRow | null, until?: Date): Promise<DueRow[]> {
    const rows = await super.pendingRows(limit, after, until);
    if (this.hold) await this.hold();
    return rows;
  }
}

/** Thin like the real processors: reload the row, and do its work only if it is pending and due. */
@Processor(QUEUE, { concurrency: 4 })
class AlarmProcessor extends WorkerHost {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
    @Inject(FIRE_LOG) private readonly log: FireLog,
    private readonly activity: ActivityCounter,
  ) {
    super();
  }

  process(job: Job<JobPayloads[typeof JOB]>): Promise<void> {
    return runJob(job, JOB, this.activity, async ({ id }) => {
      this.log.runs.set(id, this.log.runsOf(id) + 1);
      if (this.log.failing.has(id)) throw new UnrecoverableError('the test says this dependency is down');
      const now = this.clock.now();
      const done = await this.db
        .update(alarms)
        .set({ status: 'done', firedAt: now })
        .where(and(eq(alarms.id, id), eq(alarms.status, 'pending'), lte(alarms.dueAt, now)))
        .returning({ id: alarms.id });
      if (done.length) this.log.effective.set(id, this.log.effectiveOf(id) + 1);
    });
  }
}

@Module({
  imports: [BullModule.registerQueue({ name: QUEUE })],
  providers: [AlarmSource],
  exports: [AlarmSource, BullModule],
})
class AlarmQueueModule {}

@Module({})
class AlarmsModule {
  static forRoot(config: AppConfig, log: FireLog): DynamicModule {
    return {
      module: AlarmsModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forService({ url: config.databaseUrl, schema: 'alarms', migrations: MIGRATIONS, applicationName: 'reconciler-test', poolSize: 6 }),
        ClockModule.forRoot({ virtual: config.virtualClock, poolToken: PG_POOL }),
        // The virtual clock's participant (on outside production) reads the relay and activity.
        MessagingModule.forService({ service: 'followup', tables: messagingTables('alarms') }),
        OpsModule.forService('followup'),
        bullRoot(config),
        AlarmQueueModule,
        JobsModule.forService({ service: 'followup', config, sources: [AlarmSource], imports: [AlarmQueueModule] }),
      ],
      providers: [AlarmProcessor, { provide: FIRE_LOG, useValue: log }],
    };
  }
}

jest.setTimeout(20_000);

describe('scheduled rows, their BullMQ jobs and the reconciler', () => {
  const redis = new PrivateRedis();
  const log = new FireLog();
  let database: TestDatabase;
  let config: AppConfig;
  let app: INestApplicationContext;
  let db: Db;
  let queue: Queue;
  let scheduler: JobScheduler;
  let reconciler: Reconciler;
  let source: AlarmSource;

  beforeAll(async () => {
    await redis.start();
    database = await createTestDatabase('aftercare_test_jobs');
    config = loadConfig({ DATABASE_URL: database.url, REDIS_URL: redis.url, LOG_LEVEL: 'error', RECONCILE_INTERVAL_MS: '200', READY_MAX_QUEUE_LAG_MS: '1000' });
    app = await NestFactory.createApplicationContext(AlarmsModule.forRoot(config, log), { logger: logLevels(config.logLevel) });
    await app.init();
    db = app.get<Db>(DRIZZLE);
    queue = app.get<Queue>(getQueueToken(QUEUE));
    scheduler = app.get(JobScheduler);
    reconciler = app.get(Reconciler);
    source = app.get(AlarmSource);
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    await redis.stop();
  }, 30_000);

  /** Pending rows due `inMs` from now (one per entry), committed before any job exists. */
  async function addRows(inMs: number[], status: 'pending' | 'done' = 'pending'): Promise<{ id: string; dueAt: Date }[]> {
    const now = Date.now();
    const rows = inMs.map((ms) => ({ id: randomUUID(), dueAt: new Date(now + ms), status }));
    await db.insert(alarms).values(rows);
    return rows.map(({ id, dueAt }) => ({ id, dueAt }));
  }

  const rowsOf = (ids: string[]) => db.select().from(alarms).where(inArray(alarms.id, ids));

  const jobState = async (id: string) => {
    const job = await queue.getJob(id);
    return job ? job.getState() : 'missing';
  };

  /**
   * Until the rows are done and the handler has counted its run: the test can see the row's
   * commit a moment before the handler that made it, back from its UPDATE, has counted it.
   */
  async function waitDone(ids: string[]) {
    return waitFor(async () => {
      const rows = await rowsOf(ids);
      return rows.length === ids.length && rows.every((r) => r.status === 'done') && ids.every((id) => log.effectiveOf(id) > 0) ? rows : undefined;
    }, { ...WAIT, what: `${ids.length} alarm(s) done` });
  }

  /**
   * Each row did its work exactly once, at or after its due time (and not long after). The
   * handler runs themselves are counted exactly only where no periodic pass can interleave.
   */
  function expectFiredOnceOnTime(rows: { id: string; dueAt: Date; firedAt: Date | null }[]) {
    for (const row of rows) {
      expect(log.effectiveOf(row.id)).toBe(1);
      expect(row.firedAt).not.toBeNull();
      expect(row.firedAt!.getTime()).toBeGreaterThanOrEqual(row.dueAt.getTime());
      expect(row.firedAt!.getTime() - row.dueAt.getTime()).toBeLessThan(3_000);
    }
  }

  const queueIdle = () =>
    waitFor(async () => {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0) ? counts : undefined;
    }, { ...WAIT, what: 'no job waiting, active or delayed' });

  /**
   * Holds the next reconcile pass right after it has read the pending rows: `reached` resolves
   * then, and no other pass can run until `release()` (passes never overlap).
   */
  function holdNextPass(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let reach!: () => void;
    const reached = new Promise<void>((resolve) => (reach = resolve));
    source.hold = () => {
      source.hold = null;
      reach();
      return released;
    };
    return { reached, release };
  }

  /** Resolves once `n` reconcile passes that start from now on have finished. */
  async function periodicPasses(n: number): Promise<ReconcileReport[]> {
    const spy = jest.spyOn(reconciler, 'reconcile');
    try {
      const passes = await waitFor(() => {
        const unique = [...new Set(spy.mock.results.map((r) => r.value as Promise<ReconcileReport | null>))];
        return unique.length > n ? unique : undefined; // the first may have started before
      }, { ...WAIT, what: `${n} periodic reconcile passes` });
      return (await Promise.all(passes.slice(1, n + 1))).filter((r): r is ReconcileReport => r !== null);
    } finally {
      spy.mockRestore();
    }
  }

  it('fires each scheduled row once, at its due time; scheduling twice is harmless', async () => {
    const rows = await addRows([700, 1_000, 1_300]);
    await scheduler.schedule(queue, JOB, rows[0]!.id, rows[0]!.dueAt);
    await scheduler.scheduleMany(queue, JOB, rows.slice(1));
    await scheduler.scheduleMany(queue, JOB, rows); // again: same job ids, ignored
    for (const row of rows) {
      const job = await queue.getJob(row.id);
      expect(job).toBeDefined();
      expect(job!.name).toBe(JOB);
      expect(job!.data).toEqual({ id: row.id }); // ids only
      expect(await job!.getState()).toBe('delayed');
    }
    expect(await queue.getDelayedCount()).toBe(3);

    expectFiredOnceOnTime(await waitDone(rows.map((r) => r.id)));
    // Once the rows are done and the queue is idle, the periodic reconciler leaves them alone:
    // no new job, no new run.
    await queueIdle();
    const runs = rows.map((r) => log.runsOf(r.id));
    const reports = await periodicPasses(2);
    expect(reports.map((r) => r.recreated)).toEqual([0, 0]);
    for (const [i, row] of rows.entries()) {
      expect(await jobState(row.id)).toBe('completed');
      expect(log.effectiveOf(row.id)).toBe(1);
      expect(log.runsOf(row.id)).toBe(runs[i]);
    }
  });

  it('after a Redis flush the periodic reconciler re-creates the jobs of pending rows, and each fires once', async () => {
    const pending = await addRows([1_500, 1_700, 1_900, 2_100]);
    const done = await addRows([1_500, -60_000], 'done');
    await scheduler.scheduleMany(queue, JOB, pending);
    expect(await queue.getDelayedCount()).toBe(4);

    // Flush while the next periodic pass is held (so that none can put jobs back meanwhile).
    const pass = holdNextPass();
    await pass.reached;
    await redis.flushAll();
    for (const row of pending) expect(await jobState(row.id)).toBe('missing');
    expect(await queue.getDelayedCount()).toBe(0);
    pass.release();

    // No direct call: the reconciler's own interval notices the missing jobs.
    const restored = await waitFor(async () => {
      const states = await Promise.all(pending.map((r) => jobState(r.id)));
      return states.every((s) => s === 'delayed') ? states : undefined;
    }, { ...WAIT, what: 'the periodic reconciler to re-create 4 jobs' });
    expect(restored).toHaveLength(4);
    for (const row of pending) {
      const job = (await queue.getJob(row.id))!;
      expect(job.data).toEqual({ id: row.id });
      // Still wakes at the row's due time, not at once.
      expect(Math.abs(job.timestamp + job.delay - row.dueAt.getTime())).toBeLessThan(1_000);
    }

    expectFiredOnceOnTime(await waitDone(pending.map((r) => r.id)));
    await periodicPasses(2);
    for (const row of pending) expect(log.effectiveOf(row.id)).toBe(1);
    for (const row of done) {
      expect(await jobState(row.id)).toBe('missing');
      expect(log.runsOf(row.id)).toBe(0);
    }
  });

  describe('reconcile() called directly (periodic pass stopped)', () => {
    beforeAll(async () => {
      app.get(SchedulerRegistry).deleteInterval('reconciler');
      await reconciler.reconcile(); // let a pass that was already running finish
    });

    it('re-creates exactly the jobs of pending rows after a flush; done rows get none', async () => {
      const pending = await addRows([1_200, 1_400, 1_600]);
      const done = await addRows([1_200, -3_600_000], 'done');
      await scheduler.scheduleMany(queue, JOB, pending);
      await redis.flushAll();

      expect(await reconciler.reconcile()).toEqual({ checked: 3, recreated: 3, moved: 0, retried: 0 });
      for (const row of pending) expect(await jobState(row.id)).toBe('delayed');
      for (const row of done) expect(await jobState(row.id)).toBe('missing');
      // A second pass finds nothing to do.
      expect(await reconciler.reconcile()).toEqual({ checked: 3, recreated: 0, moved: 0, retried: 0 });

      expectFiredOnceOnTime(await waitDone(pending.map((r) => r.id)));
      for (const row of pending) expect(log.runsOf(row.id)).toBe(1);
      expect(await reconciler.reconcile()).toEqual({ checked: 0, recreated: 0, moved: 0, retried: 0 });
      for (const row of done) expect(await jobState(row.id)).toBe('missing');
    });

    it('looks only at rows due within its horizon: a far row whose job was lost gets it back once it comes within reach', async () => {
      const horizon = reconciler.horizonMs;
      const [near, far] = await addRows([2_000, horizon + 60_000]);
      await scheduler.scheduleMany(queue, JOB, [near!, far!]);
      await redis.flushAll();

      expect(await reconciler.reconcile()).toEqual({ checked: 1, recreated: 1, moved: 0, retried: 0 });
      expect(await jobState(near!.id)).toBe('delayed');
      expect(await jobState(far!.id)).toBe('missing');

      // Time passes (played by moving the row closer): the row is now within reach, still ahead of its time.
      const closer = new Date(Date.now() + horizon - 60_000);
      await db.update(alarms).set({ dueAt: closer }).where(eq(alarms.id, far!.id));
      expect(await reconciler.reconcile()).toEqual({ checked: 2, recreated: 1, moved: 0, retried: 0 });
      const job = (await queue.getJob(far!.id))!;
      expect(await job.getState()).toBe('delayed');
      expect(Math.abs(job.timestamp + job.delay - closer.getTime())).toBeLessThan(1_000);
      await job.remove();
      await db.update(alarms).set({ status: 'done' }).where(eq(alarms.id, far!.id));
      expectFiredOnceOnTime(await waitDone([near!.id]));
    });

    it('gives a new job to a row whose job completed while the row stayed pending', async () => {
      const [row] = await addRows([1_500]);
      // A stale alarm: it rings now, the handler finds the row not due yet and leaves it.
      await scheduler.schedule(queue, JOB, row!.id, new Date());
      await waitFor(async () => ((await jobState(row!.id)) === 'completed' ? true : undefined), { ...WAIT, what: 'the early job to complete' });
      expect(log.runsOf(row!.id)).toBe(1);
      expect((await rowsOf([row!.id]))[0]!.status).toBe('pending');
      // Scheduling again is a no-op while the completed job is kept...
      await scheduler.schedule(queue, JOB, row!.id, row!.dueAt);
      expect(await jobState(row!.id)).toBe('completed');

      // ...so the reconciler is what gives the row a new alarm, for its due time.
      expect(await reconciler.reconcile()).toEqual({ checked: 1, recreated: 1, moved: 0, retried: 0 });
      const job = (await queue.getJob(row!.id))!;
      expect(await job.getState()).toBe('delayed');
      expect(Math.abs(job.timestamp + job.delay - row!.dueAt.getTime())).toBeLessThan(1_000);

      expectFiredOnceOnTime(await waitDone([row!.id]));
      expect(log.runsOf(row!.id)).toBe(2); // the stale run, then the real one
    });

    it('retries a job that failed for good while its row is still owed, once per pass', async () => {
      const [row] = await addRows([200]);
      log.failing.add(row!.id);
      await scheduler.schedule(queue, JOB, row!.id, row!.dueAt);
      await waitFor(async () => ((await jobState(row!.id)) === 'failed' ? true : undefined), { ...WAIT, what: 'the job to fail' });
      expect((await rowsOf([row!.id]))[0]!.status).toBe('pending');

      log.failing.delete(row!.id); // the dependency is back
      expect(await reconciler.reconcile()).toEqual({ checked: 1, recreated: 0, moved: 0, retried: 1 });
      await waitDone([row!.id]);
      expect(log.effectiveOf(row!.id)).toBe(1);
      expect(log.runsOf(row!.id)).toBe(2);
      expect(await reconciler.reconcile()).toEqual({ checked: 0, recreated: 0, moved: 0, retried: 0 });
    });

    it("under the virtual clock, moves a delayed job that would ring off its row's due time", async () => {
      expect(app.get(Clock)).toBeInstanceOf(VirtualClock);
      const [row] = await addRows([2_000]);
      // An alarm set for a minute too late (the row's time changed, or the clock moved).
      await scheduler.schedule(queue, JOB, row!.id, new Date(row!.dueAt.getTime() + 60_000));
      expect(await reconciler.reconcile()).toEqual({ checked: 1, recreated: 0, moved: 1, retried: 0 });
      const job = (await queue.getJob(row!.id))!;
      expect(await job.getState()).toBe('delayed');
      expect(Math.abs(job.timestamp + job.delay - row!.dueAt.getTime())).toBeLessThan(1_000);
      expect(await reconciler.reconcile()).toEqual({ checked: 1, recreated: 0, moved: 0, retried: 0 });
      expectFiredOnceOnTime(await waitDone([row!.id]));
    });

    it('under the virtual clock, leaves alone a job that moved its own alarm to its row\'s time (its timestamp is then older than its delay says)', async () => {
      const [row] = await addRows([4_000]);
      await scheduler.schedule(queue, JOB, row!.id, row!.dueAt);
      await sleep(1_500);
      // As moveToDelayed leaves it: the same due time, counted from now, the job's timestamp kept.
      await (await queue.getJob(row!.id))!.changeDelay(scheduler.delayFor(row!.dueAt));
      expect(await reconciler.reconcile()).toEqual({ checked: 1, recreated: 0, moved: 0, retried: 0 });
      expectFiredOnceOnTime(await waitDone([row!.id]));
    });

    // A pass reads the pending rows, then looks at each job: a row finished in between keeps
    // its completed job and gets no second alarm.
    it('a row that fires while a pass is looking at it gets no second alarm', async () => {
      const [row] = await addRows([300]);
      await scheduler.schedule(queue, JOB, row!.id, row!.dueAt);
      // Hold the pass right after it has read the row as pending, until the job has completed.
      const hold = holdNextPass();
      const pass = reconciler.reconcile();
      await hold.reached;
      await waitFor(async () => ((await jobState(row!.id)) === 'completed' ? true : undefined), { ...WAIT, what: 'the job to complete' });
      expect(log.effectiveOf(row!.id)).toBe(1);
      hold.release();
      const report = await pass;
      const state = await jobState(row!.id);
      // Whatever happened, the row has done its work once.
      await waitFor(async () => ((await jobState(row!.id)) === 'completed' ? true : undefined), { ...WAIT, what: 'the job to settle' });
      expect(log.effectiveOf(row!.id)).toBe(1);
      // What we want: the row was done by the time the pass looked at its job.
      expect({ report, state, runs: log.runsOf(row!.id) }).toEqual({ report: { checked: 1, recreated: 0, moved: 0, retried: 0 }, state: 'completed', runs: 1 });
    });
    describe('what operators see (metrics and readiness)', () => {
      const scrape = () => app.get(AppMetrics).render();

      it('counts the jobs the reconciler re-creates', async () => {
        const before = metricValue(await scrape(), 'aftercare_reconciler_repairs_total', { queue: QUEUE, repair: 'recreated' });
        const pending = await addRows([1_200, 1_400]);
        await scheduler.scheduleMany(queue, JOB, pending);
        await redis.flushAll();
        expect(await reconciler.reconcile()).toMatchObject({ recreated: 2 });
        expect(metricValue(await scrape(), 'aftercare_reconciler_repairs_total', { queue: QUEUE, repair: 'recreated' })).toBe(before + 2);
        // A pass with nothing to repair counts nothing.
        await reconciler.reconcile();
        expect(metricValue(await scrape(), 'aftercare_reconciler_repairs_total', { queue: QUEUE, repair: 'recreated' })).toBe(before + 2);
        await waitDone(pending.map((r) => r.id));
      });

      it("observes each job's lateness once, at its first start", async () => {
        const text = await scrape();
        const count = metricValue(text, 'aftercare_job_lateness_seconds_count', { queue: QUEUE });
        const sum = metricValue(text, 'aftercare_job_lateness_seconds_sum', { queue: QUEUE });
        const rows = await addRows([300, 400, 500]);
        await scheduler.scheduleMany(queue, JOB, rows);
        await waitDone(rows.map((r) => r.id));
        const after = await scrape();
        expect(metricValue(after, 'aftercare_job_lateness_seconds_count', { queue: QUEUE })).toBe(count + 3);
        // Started on time: well under a second late each (the bucket for 1 s holds them all).
        expect(metricValue(after, 'aftercare_job_lateness_seconds_sum', { queue: QUEUE }) - sum).toBeLessThan(3);
        expect(metricValue(after, 'aftercare_job_lateness_seconds_bucket', { queue: QUEUE, le: '1' })).toBe(count + 3);
      });

      it('shows queue depth and lag, and is not ready while a due job waits longer than READY_MAX_QUEUE_LAG_MS', async () => {
        const health = app.get(OpsHealth);
        expect((await health.ready()).httpStatus).toBe(200);
        const worker = app.get(AlarmProcessor).worker;
        await worker.pause(true); // no worker takes jobs: a stuck service
        try {
          const [row] = await addRows([100]);
          await scheduler.schedule(queue, JOB, row!.id, row!.dueAt);
          const answer = await waitFor(async () => {
            const a = await health.ready();
            return a.httpStatus === 503 ? a : undefined;
          }, { ...WAIT, what: 'readiness to fail on the lagging queue' });
          expect(answer.body.status).toBe('error');
          expect(Object.keys(answer.body.error ?? {})).toEqual(['queues']);
          expect(answer.body.error?.queues?.message).toMatch(new RegExp(`^\\{reconciler-test\\}: a job due \\d+ s ago has not started \\(limit 1 s\\)$`));
          expect(answer.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
          const text = await scrape();
          expect(metricValue(text, 'aftercare_queue_jobs', { queue: QUEUE, state: 'delayed' })).toBe(1);
          expect(metricValue(text, 'aftercare_queue_jobs', { queue: QUEUE, state: 'active' })).toBe(0);
          expect(metricValue(text, 'aftercare_queue_lag_seconds', { queue: QUEUE })).toBeGreaterThan(1);

          worker.resume();
          await waitDone([row!.id]);
          expect((await health.ready()).httpStatus).toBe(200);
          expect(metricValue(await scrape(), 'aftercare_queue_lag_seconds', { queue: QUEUE })).toBe(0);
        } finally {
          worker.resume();
        }
      });

      it('stays alive all along: liveness only asks whether the event loop keeps turning', async () => {
        const live = await app.get(OpsHealth).live();
        expect(live.httpStatus).toBe(200);
        expect(live.body.details).toMatchObject({ eventLoop: { status: 'up' } });
      });
    });
  });
});
