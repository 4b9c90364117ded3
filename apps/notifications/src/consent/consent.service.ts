import { Inject, Injectable } from '@nestjs/common';
import type { RequestContext } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db } from '@aftercare/database';
import { notFound, OutboxWriter } from '@aftercare/messaging';
import { DirectoryService } from '../directory/directory.service.js';

/**
 * Consent that staff record: an opt-out the patient asked for in words ("please stop texting
 * me") or by phone. It takes effect at once, like STOP; staff have confirmed it with the patient,
 * so no SMS goes out to say so.
 */
@Injectable()
export class ConsentService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
    private readonly directory: DirectoryService,
    private readonly outbox: OutboxWriter,
  ) {}

  async smsOptOut(ctx: RequestContext, patientId: string): Promise<{ patientId: string; smsOptedOut: true }> {
    return this.db.transaction(async (tx) => {
      const recipient = await this.directory.recipient(patientId, tx);
      if (!recipient || recipient.clinicId !== ctx.clinicId) throw notFound('Patient', patientId);
      if (!recipient.smsOptedOut) {
        const now = this.clock.now();
        await this.directory.setSmsOptedOut(tx, patientId, true, now);
        await this.outbox.publish(tx, 'patient.opted-out', { patientId, channel: 'sms', at: now.toISOString() }, { clinicId: ctx.clinicId, correlationId: ctx.correlationId });
      }
      return { patientId, smsOptedOut: true as const };
    });
  }
}
