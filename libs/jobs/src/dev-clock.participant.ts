import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DevNextDue, DevStatus } from '@aftercare/contracts';
import { Clock, VirtualClock } from '@aftercare/clock';
import { ActivityCounter, OutboxRelay } from '@aftercare/messaging';
import { JobScheduler } from './job-scheduler.js';
import { SCHEDULED_SOURCES, type ScheduledSource } from './scheduled-source.js';

/**
 * A service's part in moving the virtual clock: report what is due next, wake exactly the
 * rows that are due by now through their ordinary BullMQ jobs (promote, never call the
 * handler directly), and say when nothing is left running.
 */
@Injectable()
export class DevClockParticipant {
  private readonly logger = new Logger('DevClock');
  constructor(
    @Inject(SCHEDULED_SOURCES) private readonly sources: ScheduledSource[],
    private readonly clock: Clock,
    private readonly scheduler: JobScheduler,
    private readonly relay: OutboxRelay,
    private readonly activity: ActivityCounter,
  ) {}

  async syncClock(): Promise<{ now: string }> {
    if (this.clock instanceof VirtualClock) await this.clock.refresh();
    return { now: this.clock.now().toISOString() };
  }

  async nextDue(): Promise<DevNextDue> {
    let earliest: Date | null = null;
    for (const source of this.sources) {
      const due = await source.earliestPending();
      if (due && (!earliest || due < earliest)) earliest = due;
    }
    return { dueAt: earliest?.toISOString() ?? null };
  }

  /** Wakes every pending row due by now; returns how many jobs it promoted or re-created. */
  async runDue(): Promise<{ woken: number }> {
    const now = this.clock.now();
    let woken = 0;
    for (const source of this.sources) {
      for (const row of await source.dueRows(now, 10_000)) {
        const job = await source.queue.getJob(row.id);
        if (!job) {
          await this.scheduler.schedule(source.queue, source.jobName, row.id, row.dueAt);
          woken++;
          continue;
        }
        const state = await job.getState();
        if (state === 'delayed') {
          await job.promote().catch((error: Error) => this.logger.debug(`promote ${row.id}: ${error.message}`));
          woken++;
        } else if (state === 'failed') {
          await job.retry().catch(() => undefined);
          woken++;
        } else if (state === 'completed') {
          // It ran before its row was due (a clock that had not heard of a move yet) and left
          // the row pending: give the row a fresh job.
          await job.remove().catch(() => undefined);
          await this.scheduler.schedule(source.queue, source.jobName, row.id, row.dueAt);
          woken++;
        }
      }
    }
    return { woken };
  }

  async status(): Promise<DevStatus> {
    let busy = 0;
    for (const source of this.sources) {
      const counts = await source.queue.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
      busy += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    busy += await this.relay.pendingCount();
    return { idle: busy === 0, activity: this.activity.value };
  }
}
