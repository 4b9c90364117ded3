import { Inject, Injectable, Logger } from '@nestjs/common';
import { and, eq, inArray } from 'drizzle-orm';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db } from '@aftercare/database';
import { PermanentError, RetryableError } from '@aftercare/jobs';
import { OutboxWriter, safeErrorMessage } from '@aftercare/messaging';
import { messages, recipients, appointments, waitlistOffers, type AppointmentCopyStatus, type MessageRow } from '../database/schema.js';
import { PENDING_STATUSES } from '../messages/message.source.js';
import { Mailer } from '../providers/mailer.js';
import { SmsSender } from '../providers/sms-sender.js';

/** Why a reminder of an appointment in this state no longer goes out. */
const REMINDER_MOOT: Partial<Record<AppointmentCopyStatus, { code: string; reason: string }>> = {
  cancelled: { code: 'APPOINTMENT_CANCELLED', reason: 'The appointment was cancelled' },
  checked_in: { code: 'APPOINTMENT_CHECKED_IN', reason: 'The patient has checked in' },
  no_show: { code: 'APPOINTMENT_NO_SHOW', reason: 'The appointment was missed' },
};

/** Twilio: the number has unsubscribed (replied STOP to the carrier). */
const TWILIO_UNSUBSCRIBED = 'TWILIO_21610';

/**
 * Sends one message row. The row's status is the state machine: scheduled/queued → sending →
 * sent; a retry of a row that a provider already accepted (it has a provider id) is not sent
 * again. Suppression decisions (opt-out, cancelled appointment) are made at send time.
 */
@Injectable()
export class MessageSenderService {
  private readonly logger = new Logger('MessageSender');
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly sms: SmsSender,
    private readonly mailer: Mailer,
    private readonly outbox: OutboxWriter,
  ) {}

  async send(messageId: string, finalAttempt: boolean): Promise<void> {
    const [row] = await this.db.select().from(messages).where(eq(messages.id, messageId));
    if (!row || !(PENDING_STATUSES as readonly string[]).includes(row.status)) return;
    const now = this.clock.now();
    if (row.sendAt && row.sendAt > now) return; // woken early: the reconciler re-arms it
    if (row.providerMessageId) {
      // The provider accepted it before we could record so: do not send twice.
      await this.db.update(messages).set({ status: 'sent', sentAt: row.sentAt ?? now, updatedAt: now }).where(eq(messages.id, row.id));
      return;
    }
    const suppression = await this.suppressionOf(row);
    if (suppression) {
      await this.db
        .update(messages)
        .set({ status: suppression.status, errorCode: suppression.code, error: suppression.reason, updatedAt: now })
        .where(and(eq(messages.id, row.id), inArray(messages.status, [...PENDING_STATUSES])));
      return;
    }
    const claimed = await this.db
      .update(messages)
      .set({ status: 'sending', attempts: row.attempts + 1, updatedAt: now })
      .where(and(eq(messages.id, row.id), inArray(messages.status, [...PENDING_STATUSES])))
      .returning({ id: messages.id });
    if (claimed.length === 0) return;

    try {
      const result =
        row.channel === 'sms'
          ? await this.sms.send({ to: row.toAddress!, body: row.body, statusCallbackUrl: this.config.twilio ? `${this.config.publicUrl}/webhooks/twilio/status` : undefined })
          : await this.mailer.send({
              to: row.toAddress!,
              subject: row.subject ?? '',
              text: row.body,
              icalEvent: row.ics ? { method: row.ics.includes('METHOD:CANCEL') ? 'CANCEL' : 'REQUEST', content: row.ics, filename: 'appointment.ics' } : undefined,
            });
      await this.db
        .update(messages)
        .set({
          status: 'sent',
          sentAt: this.clock.now(),
          provider: row.channel === 'sms' ? this.sms.name : this.mailer.name,
          providerMessageId: result.providerMessageId,
          errorCode: null,
          error: null,
          updatedAt: this.clock.now(),
        })
        .where(eq(messages.id, row.id));
    } catch (error) {
      await this.recordFailure(row, error, finalAttempt);
      throw error;
    }
  }

  private async recordFailure(row: MessageRow, error: unknown, finalAttempt: boolean): Promise<void> {
    const code = error instanceof PermanentError || error instanceof RetryableError ? error.code : 'UNEXPECTED';
    const permanent = error instanceof PermanentError || finalAttempt;
    this.logger.warn(`message ${row.id} (${row.channel}) failed: ${code}${permanent ? '' : ', will retry'}`);
    await this.db.transaction(async (tx) => {
      await tx
        .update(messages)
        .set({ status: permanent ? 'failed' : 'queued', errorCode: code, error: safeErrorMessage(error).slice(0, 300), updatedAt: this.clock.now() })
        .where(eq(messages.id, row.id));
      if (code === TWILIO_UNSUBSCRIBED && row.patientId && row.clinicId) {
        await tx.update(recipients).set({ smsOptedOut: true, smsOptedOutAt: this.clock.now() }).where(eq(recipients.id, row.patientId));
        await this.outbox.publish(tx, 'patient.opted-out', { patientId: row.patientId, channel: 'sms', at: this.clock.now().toISOString() }, { clinicId: row.clinicId });
      }
    });
  }

  private async suppressionOf(row: MessageRow): Promise<{ status: 'cancelled' | 'suppressed'; code: string; reason: string } | null> {
    if (row.appointmentId && row.kind === 'reminder') {
      const [appointment] = await this.db.select().from(appointments).where(eq(appointments.id, row.appointmentId));
      const moot = appointment ? REMINDER_MOOT[appointment.status] : undefined;
      if (moot) return { status: 'cancelled', ...moot };
    }
    if (row.waitlistOfferId && row.kind === 'waitlist_offer') {
      // Held by quiet hours past the offer's end, or closed meanwhile: nothing left to answer.
      const [offer] = await this.db.select().from(waitlistOffers).where(eq(waitlistOffers.id, row.waitlistOfferId));
      if (offer && (offer.status !== 'pending' || offer.expiresAt <= this.clock.now())) {
        return { status: 'cancelled', code: 'OFFER_CLOSED', reason: 'The waitlist offer closed before this went out' };
      }
    }
    if (row.channel === 'sms' && row.patientId) {
      const [recipient] = await this.db.select().from(recipients).where(eq(recipients.id, row.patientId));
      if (recipient && (recipient.smsOptedOut || !recipient.smsConsent)) {
        return { status: 'suppressed', code: 'SMS_OPTED_OUT', reason: 'The patient opted out of SMS' };
      }
    }
    return null;
  }
}
