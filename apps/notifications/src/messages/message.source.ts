import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { inArray } from 'drizzle-orm';
import { JOBS, QUEUES } from '@aftercare/contracts';
import { DRIZZLE, type Db } from '@aftercare/database';
import { TableScheduledSource } from '@aftercare/jobs';
import { messages } from '../database/schema.js';

/** Outbound messages not yet handed to a provider (including one whose send was cut off). */
export const PENDING_STATUSES = ['scheduled', 'queued', 'sending'] as const;

/** Outgoing messages waiting for their send time: what the reconciler and the virtual clock see. */
@Injectable()
export class MessageSource extends TableScheduledSource {
  readonly jobName = JOBS.messageSend;
  constructor(@InjectQueue(QUEUES.outboundMessages) queue: Queue, @Inject(DRIZZLE) db: Db) {
    // Every pending outbound message has a send time (inbound ones are never pending); one
    // waiting to retry is due at its next attempt (due_at is the later of the two).
    super(queue, db, { table: messages, id: messages.id, dueAt: messages.dueAt, pending: inArray(messages.status, [...PENDING_STATUSES]) });
  }
}
