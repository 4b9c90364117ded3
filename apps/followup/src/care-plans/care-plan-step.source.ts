import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { and, asc, eq, gt, lte, min, or } from 'drizzle-orm';
import { JOBS, QUEUES } from '@aftercare/contracts';
import { DRIZZLE, type Db } from '@aftercare/database';
import type { DueRow, ScheduledSource } from '@aftercare/jobs';
import { steps } from '../database/schema.js';

/** Care-plan steps still waiting for their time: what the reconciler and the virtual clock see. */
@Injectable()
export class CarePlanStepSource implements ScheduledSource {
  readonly jobName = JOBS.carePlanStepDue;
  constructor(
    @InjectQueue(QUEUES.carePlanSteps) readonly queue: Queue,
    @Inject(DRIZZLE) private readonly db: Db,
  ) {}

  async pendingRows(limit: number, after: DueRow | null): Promise<DueRow[]> {
    const cursor = after ? or(gt(steps.dueAt, after.dueAt), and(eq(steps.dueAt, after.dueAt), gt(steps.id, after.id))) : undefined;
    return this.db
      .select({ id: steps.id, dueAt: steps.dueAt })
      .from(steps)
      .where(and(eq(steps.status, 'scheduled'), cursor))
      .orderBy(asc(steps.dueAt), asc(steps.id))
      .limit(limit);
  }

  async dueRows(until: Date, limit: number): Promise<DueRow[]> {
    return this.db
      .select({ id: steps.id, dueAt: steps.dueAt })
      .from(steps)
      .where(and(eq(steps.status, 'scheduled'), lte(steps.dueAt, until)))
      .orderBy(asc(steps.dueAt), asc(steps.id))
      .limit(limit);
  }

  async isPending(id: string): Promise<boolean> {
    const rows = await this.db.select({ id: steps.id }).from(steps).where(and(eq(steps.id, id), eq(steps.status, 'scheduled')));
    return rows.length > 0;
  }

  async earliestPending(): Promise<Date | null> {
    const [row] = await this.db.select({ at: min(steps.dueAt) }).from(steps).where(eq(steps.status, 'scheduled'));
    return row?.at ?? null;
  }
}
