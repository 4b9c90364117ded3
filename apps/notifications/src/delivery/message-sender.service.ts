import { Inject, Injectable, Logger } from '@nestjs/common';
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { PermanentError, RetryableError } from '@aftercare/jobs';
import { safeErrorMessage } from '@aftercare/messaging';
import { appointments, deliveryCallbacks, messages, recipients, waitlistOffers, type AppointmentCopyStatus, type MessageRow } from '../database/schema.js';
import { PENDING_STATUSES } from '../messages/message.source.js';
import { MessagesService } from '../messages/messages.service.js';
import { Mailer } from '../providers/mailer.js';
import { SmsSender, type SmsSendResult } from '../providers/sms-sender.js';
import { SMS_PROVIDER_TIMEOUT } from '../providers/twilio.sms-sender.js';
import { describeErrorCode } from './delivery.rules.js';
import { SMS_HELD } from './fallback.rules.js';
import { FallbackService } from './fallback.service.js';
import { backoffDelayMs, MAX_SEND_ATTEMPTS, mayRetry } from './retry.policy.js';
import { setStatusSource } from './status-source.js';

/** Why a reminder of an appointment in this state no longer goes out. */
const REMINDER_MOOT: Partial<Record<AppointmentCopyStatus, { code: string; reason: string }>> = {
  cancelled: { code: 'APPOINTMENT_CANCELLED', reason: 'The appointment was cancelled' },
  checked_in: { code: 'APPOINTMENT_CHECKED_IN', reason: 'The patient has checked in' },
  no_show: { code: 'APPOINTMENT_NO_SHOW', reason: 'The appointment was missed' },
};

export interface SendOutcome {
  /** Wake the row's job again at this time (a retry's backoff, or a job woken before its time). */
  wakeAt: Date | null;
}
const DONE: SendOutcome = { wakeAt: null };

interface Suppression {
  status: 'cancelled' | 'suppressed';
  code: string;
  reason: string;
}

/**
 * Sends one message row, a state machine on the row (docs/messaging.md):
 *
 * - claim: `sending`, attempts + 1, `unconfirmed_since` set (committed before the provider call);
 * - the provider accepts: `sent` with its id, `unconfirmed_since` cleared;
 * - it refuses for good (4xx): `failed` at once; then the fallback (e-mail, or a call task);
 * - an error that can pass (5xx, 429, timeout, reset): `queued` with `next_attempt_at` after an
 *   exponential backoff with jitter, up to MAX_SEND_ATTEMPTS; then `failed` and the fallback.
 *
 * A call whose answer never came (timeout, dropped connection, the process killed) leaves
 * `unconfirmed_since` set; before calling again the provider is asked whether it has the message,
 * and if it has, it is recorded as sent instead of being sent twice. Suppression (opt-out,
 * no consent, a number that cannot take SMS, a cancelled appointment) is decided right here,
 * just before the provider call.
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
    private readonly fallback: FallbackService,
    private readonly messages: MessagesService,
  ) {}

  async send(messageId: string): Promise<SendOutcome> {
    const [row] = await this.db.select().from(messages).where(eq(messages.id, messageId));
    if (!row || !(PENDING_STATUSES as readonly string[]).includes(row.status)) return DONE;
    const now = this.clock.now();
    if (row.dueAt && row.dueAt > now) return { wakeAt: row.dueAt };
    if (row.providerMessageId) {
      // The provider has it already: never a second time.
      await this.recordAccepted(row, row.provider ?? this.providerName(row), row.providerMessageId);
      return DONE;
    }
    const suppression = await this.suppressionOf(row);
    if (suppression) {
      await this.suppress(row, suppression);
      return DONE;
    }

    // An earlier call may have been accepted with its answer lost (a crashed worker leaves the
    // row in `sending`; a timeout leaves `unconfirmed_since`).
    const unconfirmedSince = row.unconfirmedSince ?? (row.status === 'sending' ? row.updatedAt : null);
    const claimed = await this.claim(row);
    if (!claimed) return DONE;

    if (unconfirmedSince && row.channel === 'sms') {
      let found: SmsSendResult | null;
      try {
        found = await this.alreadyAccepted(claimed, unconfirmedSince);
      } catch (error) {
        return this.recordFailedAttempt(claimed, error, true);
      }
      if (found) {
        this.logger.log(`message ${row.id}: the provider already had it (${found.providerMessageId}); not sent again`);
        await this.recordAccepted(claimed, this.sms.name, found.providerMessageId);
        return DONE;
      }
    }

    try {
      const result = row.channel === 'sms' ? await this.sendSms(claimed) : await this.sendEmail(claimed);
      await this.recordAccepted(claimed, this.providerName(row), result.providerMessageId);
      return DONE;
    } catch (error) {
      return this.recordFailedAttempt(claimed, error, false);
    }
  }

  private providerName(row: MessageRow): string {
    return row.channel === 'sms' ? this.sms.name : this.mailer.name;
  }

  private sendSms(row: MessageRow): Promise<SmsSendResult> {
    // Our id rides in the callback URL: the report finds the message even if the answer to
    // this call is lost.
    const statusCallbackUrl = this.config.twilio ? `${this.config.publicUrl}/webhooks/twilio/status?messageId=${row.id}` : undefined;
    return this.sms.send({ to: row.toAddress!, body: row.body, statusCallbackUrl });
  }

  private sendEmail(row: MessageRow) {
    return this.mailer.send({
      // The same Message-ID on every attempt: a mail sent twice is one mail to most clients.
      messageId: `<${row.id}@${mailDomain(this.config)}>`,
      to: row.toAddress!,
      subject: row.subject ?? '',
      text: row.body,
      icalEvent: row.ics ? { method: row.ics.includes('METHOD:CANCEL') ? 'CANCEL' : 'REQUEST', content: row.ics, filename: 'appointment.ics' } : undefined,
    });
  }

  /** The provider's copy of this message, if it has one that is not another message of ours. */
  private async alreadyAccepted(row: MessageRow, since: Date): Promise<SmsSendResult | null> {
    const candidates = await this.sms.findAccepted({ to: row.toAddress!, body: row.body, since });
    if (candidates.length === 0) return null;
    const taken = await this.db
      .select({ sid: messages.providerMessageId })
      .from(messages)
      .where(and(inArray(messages.providerMessageId, candidates.map((c) => c.providerMessageId)), ne(messages.id, row.id)));
    const known = new Set(taken.map((t) => t.sid));
    return candidates.find((c) => !known.has(c.providerMessageId)) ?? null;
  }

  /** `sending`, one more attempt, and the time from which the call's outcome is unknown. */
  private async claim(row: MessageRow): Promise<MessageRow | null> {
    return this.db.transaction(async (tx) => {
      await setStatusSource(tx, 'sender');
      const [claimed] = await tx
        .update(messages)
        .set({
          status: 'sending',
          attempts: sql`${messages.attempts} + 1`,
          // Database time: the provider's clock is real time, whatever the Clock says.
          unconfirmedSince: sql`COALESCE(${messages.unconfirmedSince}, now())`,
          nextAttemptAt: null,
          updatedAt: this.clock.now(),
        })
        .where(and(eq(messages.id, row.id), inArray(messages.status, [...PENDING_STATUSES]), eq(messages.attempts, row.attempts)))
        .returning();
      return claimed ?? null;
    });
  }

  private async recordAccepted(row: MessageRow, provider: string, providerMessageId: string): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      await setStatusSource(tx, 'sender');
      const [updated] = await tx
        .update(messages)
        .set({ status: 'sent', sentAt: row.sentAt ?? now, provider, providerMessageId, errorCode: null, error: null, unconfirmedSince: null, nextAttemptAt: null, updatedAt: now })
        .where(and(eq(messages.id, row.id), inArray(messages.status, [...PENDING_STATUSES])))
        .returning({ id: messages.id });
      if (!updated) {
        // A delivery report found it first (by our id in its URL) and moved it on.
        await tx
          .update(messages)
          .set({ providerMessageId: sql`COALESCE(${messages.providerMessageId}, ${providerMessageId})`, unconfirmedSince: null })
          .where(eq(messages.id, row.id));
      }
      // Reports that arrived before we knew the provider's id are applied now.
      if (provider === 'twilio') {
        await tx
          .update(deliveryCallbacks)
          .set({ processedAt: null, outcome: null })
          .where(and(eq(deliveryCallbacks.provider, provider), eq(deliveryCallbacks.messageSid, providerMessageId), eq(deliveryCallbacks.outcome, 'unknown_message')));
      }
    });
  }

  /**
   * A provider call that failed (or a lookup that could not answer). `stillUnknown`: whatever
   * was sent before may still have been accepted, so the next attempt asks first.
   */
  private async recordFailedAttempt(row: MessageRow, error: unknown, stillUnknown: boolean): Promise<SendOutcome> {
    const code = error instanceof PermanentError || error instanceof RetryableError ? error.code : 'UNEXPECTED';
    const known = error instanceof PermanentError || error instanceof RetryableError;
    // No answer (or an error we do not know) means the provider may have the message.
    const unknownOutcome = stillUnknown || code === SMS_PROVIDER_TIMEOUT || !known;
    const canPass = !(error instanceof PermanentError);
    const final = !canPass || !mayRetry(row.attempts);
    const described = describeErrorCode(code) ?? safeErrorMessage(error);
    const now = this.clock.now();

    if (!final) {
      const retryAt = new Date(now.getTime() + backoffDelayMs(row.attempts, Math.random()));
      const [updated] = await this.db.transaction(async (tx) => {
        await setStatusSource(tx, 'sender');
        return tx
          .update(messages)
          .set({
            status: 'queued',
            errorCode: code,
            error: `Attempt ${row.attempts} of ${MAX_SEND_ATTEMPTS} failed, will retry: ${described}`.slice(0, 300),
            nextAttemptAt: retryAt,
            unconfirmedSince: unknownOutcome ? row.unconfirmedSince : null,
            updatedAt: now,
          })
          .where(and(eq(messages.id, row.id), eq(messages.status, 'sending')))
          .returning({ id: messages.id });
      });
      this.logger.warn(`message ${row.id} (${row.channel}) attempt ${row.attempts} failed: ${code}; retry at ${retryAt.toISOString()}`);
      return updated ? { wakeAt: retryAt } : DONE;
    }

    const reason = canPass ? `Gave up after ${row.attempts} attempts: ${described}` : described;
    const created = await this.db.transaction(async (tx) => {
      await setStatusSource(tx, 'sender');
      const [updated] = await tx
        .update(messages)
        .set({
          status: 'failed',
          errorCode: code,
          error: reason.slice(0, 300),
          nextAttemptAt: null,
          // Refused: nothing went. Given up on after no answer: it may yet have gone.
          unconfirmedSince: canPass && unknownOutcome ? row.unconfirmedSince : null,
          updatedAt: now,
        })
        .where(and(eq(messages.id, row.id), eq(messages.status, 'sending')))
        .returning();
      return updated ? this.fallback.afterFailure(tx, updated) : [];
    });
    this.logger.warn(`message ${row.id} (${row.channel}) failed for good after ${row.attempts} attempt(s): ${code}`);
    await this.messages.scheduleJobs(created);
    return DONE;
  }

  private async suppress(row: MessageRow, suppression: Suppression): Promise<void> {
    const created = await this.db.transaction(async (tx) => {
      await setStatusSource(tx, 'sender');
      const [updated] = await tx
        .update(messages)
        .set({ status: suppression.status, errorCode: suppression.code, error: suppression.reason, nextAttemptAt: null, updatedAt: this.clock.now() })
        .where(and(eq(messages.id, row.id), inArray(messages.status, [...PENDING_STATUSES])))
        .returning();
      // Cancelled is moot; suppressed (SMS not allowed to this patient) falls back to e-mail.
      return updated && updated.status === 'suppressed' ? this.fallback.afterFailure(tx, updated) : [];
    });
    await this.messages.scheduleJobs(created);
  }

  private async suppressionOf(row: MessageRow, db: Executor = this.db): Promise<Suppression | null> {
    if (row.appointmentId && row.kind === 'reminder') {
      const [appointment] = await db.select().from(appointments).where(eq(appointments.id, row.appointmentId));
      const moot = appointment ? REMINDER_MOOT[appointment.status] : undefined;
      if (moot) return { status: 'cancelled', ...moot };
    }
    if (row.waitlistOfferId && row.kind === 'waitlist_offer') {
      // Held by quiet hours past the offer's end, or closed meanwhile: nothing left to answer.
      const [offer] = await db.select().from(waitlistOffers).where(eq(waitlistOffers.id, row.waitlistOfferId));
      if (offer && (offer.status !== 'pending' || offer.expiresAt <= this.clock.now())) {
        return { status: 'cancelled', code: 'OFFER_CLOSED', reason: 'The waitlist offer closed before this went out' };
      }
    }
    if (row.channel === 'sms' && row.patientId) {
      const [recipient] = await db.select().from(recipients).where(eq(recipients.id, row.patientId));
      if (recipient?.smsOptedOut) return { status: 'suppressed', code: 'SMS_OPTED_OUT', reason: 'The patient opted out of SMS' };
      if (recipient && !recipient.smsConsent) return { status: 'suppressed', code: 'SMS_NO_CONSENT', reason: 'The patient has not consented to SMS' };
      if (recipient?.smsHeldAt) return { status: 'suppressed', code: SMS_HELD, reason: 'Held: the patient asked by text to stop; staff confirm it' };
      if (recipient?.smsUndeliverablePhone && recipient.smsUndeliverablePhone === row.toAddress) {
        return { status: 'suppressed', code: 'SMS_UNDELIVERABLE', reason: `The carrier reported the number cannot take SMS (${recipient.smsUndeliverableCode ?? 'unknown'})` };
      }
    }
    return null;
  }
}

/** The domain of the Message-IDs we send: MAIL_FROM's, or a fixed one with no SMTP configured. */
function mailDomain(config: AppConfig): string {
  const match = config.smtp ? /@([^\s<>@]+?)>?\s*$/.exec(config.smtp.from) : null;
  return match ? match[1]! : 'aftercare.local';
}
