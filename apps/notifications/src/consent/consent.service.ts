import { Inject, Injectable } from '@nestjs/common';
import type { RequestContext } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db } from '@aftercare/database';
import { notFound, OutboxWriter } from '@aftercare/messaging';
import { DirectoryService } from '../directory/directory.service.js';

/**
 * Consent that staff record: an opt-out the patient asked for in words ("please stop texting
 * me") or by phone. It takes effect at once, like STOP; staff have confirmed it with the patient,
 * so no SMS goes out to say so. Or the opposite: the patient does want the texts, and staff lift
 * the hold their words put on automated SMS.
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

  /**
   * Staff lift an SMS hold (the patient asked in words to stop; staff called and they want the
   * texts after all): automated SMS go again, from the next one due - those held meanwhile went
   * by e-mail or not at all and are not sent again. A patient who has opted out meanwhile stays
   * exactly as they are: only the patient's START opts back in.
   */
  async releaseSmsHold(ctx: RequestContext, patientId: string): Promise<{ patientId: string; smsHeld: boolean; smsOptedOut: boolean }> {
    return this.db.transaction(async (tx) => {
      const recipient = await this.directory.lockRecipient(tx, patientId);
      if (!recipient || recipient.clinicId !== ctx.clinicId) throw notFound('Patient', patientId);
      if (recipient.smsOptedOut) return { patientId, smsHeld: recipient.smsHeldAt !== null, smsOptedOut: true };
      if (recipient.smsHeldAt !== null) await this.directory.releaseSmsHold(tx, patientId);
      return { patientId, smsHeld: false, smsOptedOut: false };
    });
  }
}
