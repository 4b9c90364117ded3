import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { and, asc, eq, gt, inArray, lte, min, or } from 'drizzle-orm';
import { JOBS, QUEUES } from '@aftercare/contracts';
import { DRIZZLE, type Db } from '@aftercare/database';
import type { DueRow, ScheduledSource } from '@aftercare/jobs';
import { messages } from '../database/schema.js';

/** Outbound messages not yet handed to a provider (including one whose send was cut off). */
export const PENDING_STATUSES = ['scheduled', 'queued', 'sending'] as const;

@Injectable()
export class MessageSource implements ScheduledSource {
  readonly jobName = JOBS.messageSend;
  constructor(
    @InjectQueue(QUEUES.outboundMessages) readonly queue: Queue,
    @Inject(DRIZZLE) private readonly db: Db,
  ) {}

  async pendingRows(limit: number, after: DueRow | null): Promise<DueRow[]> {
    const cursor = after ? or(gt(messages.sendAt, after.dueAt), and(eq(messages.sendAt, after.dueAt), gt(messages.id, after.id))) : undefined;
    const rows = await this.db
      .select({ id: messages.id, dueAt: messages.sendAt })
      .from(messages)
      .where(and(inArray(messages.status, [...PENDING_STATUSES]), cursor))
      .orderBy(asc(messages.sendAt), asc(messages.id))
      .limit(limit);
    return rows.map((r) => ({ id: r.id, dueAt: r.dueAt! }));
  }

  async dueRows(until: Date, limit: number): Promise<DueRow[]> {
    const rows = await this.db
      .select({ id: messages.id, dueAt: messages.sendAt })
      .from(messages)
      .where(and(inArray(messages.status, [...PENDING_STATUSES]), lte(messages.sendAt, until)))
      .orderBy(asc(messages.sendAt), asc(messages.id))
      .limit(limit);
    return rows.map((r) => ({ id: r.id, dueAt: r.dueAt! }));
  }

  async isPending(id: string): Promise<boolean> {
    const rows = await this.db.select({ id: messages.id }).from(messages).where(and(eq(messages.id, id), inArray(messages.status, [...PENDING_STATUSES])));
    return rows.length > 0;
  }

  async earliestPending(): Promise<Date | null> {
    const [row] = await this.db.select({ at: min(messages.sendAt) }).from(messages).where(inArray(messages.status, [...PENDING_STATUSES]));
    return row?.at ?? null;
  }
}
