import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock, VirtualClock } from '@aftercare/clock';
import { PG_POOL } from '@aftercare/database';
import { SchedulerRegistry } from '@nestjs/schedule';
import { JobScheduler } from './job-scheduler.js';
import { SCHEDULED_SOURCES, type DueRow, type ScheduledSource } from './scheduled-source.js';

const PAGE = 500;
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
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
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

  onApplicationShutdown(): void {
    if (this.registry.doesExist('interval', 'reconciler')) this.registry.deleteInterval('reconciler');
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
        for (const source of this.sources) await this.reconcileSource(source, report);
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
    let cursor: DueRow | null = null;
    for (;;) {
      const rows = await source.pendingRows(PAGE, cursor);
      if (rows.length === 0) return;
      report.checked += rows.length;
      const missing: DueRow[] = [];
      for (const row of rows) {
        const job = await source.queue.getJob(row.id);
        if (!job) {
          missing.push(row);
          continue;
        }
        const state = await job.getState();
        if (state === 'completed' || state === 'unknown') {
          // The job ran but the row is still pending (or the job vanished between calls): the
          // handler found nothing to do at the time, so give the row a new alarm — unless the
          // job finished the row meanwhile.
          if (!(await source.isPending(row.id))) continue;
          await job.remove().catch(() => undefined);
          missing.push(row);
        } else if (state === 'failed') {
          // Out of attempts while a dependency was down: the row is still owed, so try again
          // (once per pass, which paces the retries).
          await job.retry().catch(() => undefined);
          report.retried++;
        } else if (state === 'delayed' && this.clock instanceof VirtualClock) {
          const firesAt = job.timestamp + (job.delay ?? 0);
          const wanted = Date.now() + this.scheduler.delayFor(row.dueAt);
          if (Math.abs(firesAt - wanted) > DRIFT_TOLERANCE_MS) {
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
}
