import { Inject, Injectable } from '@nestjs/common';
import { count } from 'drizzle-orm';
import { Gauge } from 'prom-client';
import { DRIZZLE, type Db } from '@aftercare/database';
import { AppMetrics } from '@aftercare/ops';
import { messages } from '../database/schema.js';

/**
 * Messages by direction, channel and status, counted on scrape with one GROUP BY (labels are
 * those three words only). A combination seen before and now gone reads 0 rather than vanishing,
 * so "queued" falling to nothing shows as 0.
 */
@Injectable()
export class MessageStatusMetrics {
  private readonly seen = new Set<string>();

  constructor(@Inject(DRIZZLE) db: Db, metrics: AppMetrics) {
    const seen = this.seen;
    new Gauge({
      name: 'aftercare_messages',
      help: 'Messages by direction, channel and status',
      labelNames: ['direction', 'channel', 'status'],
      registers: [metrics.registry],
      async collect() {
        const rows = await db
          .select({ direction: messages.direction, channel: messages.channel, status: messages.status, n: count() })
          .from(messages)
          .groupBy(messages.direction, messages.channel, messages.status);
        const now = new Set<string>();
        for (const row of rows) {
          this.labels(row.direction, row.channel, row.status).set(row.n);
          now.add(JSON.stringify([row.direction, row.channel, row.status]));
        }
        for (const key of seen) {
          if (!now.has(key)) this.labels(...(JSON.parse(key) as [string, string, string])).set(0);
        }
        for (const key of now) seen.add(key);
      },
    });
  }
}
