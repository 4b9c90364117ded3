import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { eq } from 'drizzle-orm';
import { JOBS, QUEUES } from '@aftercare/contracts';
import { DRIZZLE, type Db } from '@aftercare/database';
import { TableScheduledSource } from '@aftercare/jobs';
import { waitlistOffers } from '../database/schema.js';

/** Open waitlist offers and when they expire: what the reconciler and the virtual clock see. */
@Injectable()
export class WaitlistOfferSource extends TableScheduledSource {
  readonly jobName = JOBS.waitlistOfferExpire;
  constructor(@InjectQueue(QUEUES.waitlistOffers) queue: Queue, @Inject(DRIZZLE) db: Db) {
    super(queue, db, { table: waitlistOffers, id: waitlistOffers.id, dueAt: waitlistOffers.expiresAt, pending: eq(waitlistOffers.status, 'pending') });
  }
}
