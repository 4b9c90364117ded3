import { Inject, Injectable } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import type { DeliveryStatusUpdate, MessageStatus } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db } from '@aftercare/database';
import { messages } from '../database/schema.js';

/** Order of delivery states: a late 'sent' callback never undoes 'delivered'. */
const RANK: Partial<Record<MessageStatus, number>> = { sending: 1, sent: 2, undelivered: 3, failed: 3, delivered: 4 };
const FROM_TWILIO: Record<string, MessageStatus> = {
  queued: 'sent',
  accepted: 'sent',
  sending: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
};

@Injectable()
export class DeliveryStatusService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** A Twilio status callback. Unknown message ids are ignored (not ours, or long gone). */
  async update(update: DeliveryStatusUpdate): Promise<{ updated: boolean }> {
    const status = FROM_TWILIO[update.status.toLowerCase()];
    if (!status) return { updated: false };
    const [row] = await this.db.select().from(messages).where(eq(messages.providerMessageId, update.messageSid));
    if (!row || (RANK[row.status] ?? 0) >= (RANK[status] ?? 0)) return { updated: false };
    const now = this.clock.now();
    await this.db
      .update(messages)
      .set({
        status,
        deliveredAt: status === 'delivered' ? now : row.deliveredAt,
        errorCode: update.errorCode ? `TWILIO_${update.errorCode}` : row.errorCode,
        updatedAt: now,
      })
      .where(eq(messages.id, row.id));
    return { updated: true };
  }
}
