import { Injectable, Logger } from '@nestjs/common';
import { and, asc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { Clock } from '@aftercare/clock';
import type { Executor } from '@aftercare/database';
import { OutboxWriter } from '@aftercare/messaging';
import { messages, recipients, waitlistOffers, type MessageRow, type RecipientRow } from '../database/schema.js';
import { DirectoryService } from '../directory/directory.service.js';
import { isOfAnOlderSequence } from '../messages/appointment-moot.js';
import { numberUndeliverable, TEMPORARY_UNDELIVERABLE_CODES } from '../messages/channel.policy.js';
import { causeOf, MessagesService, undeliverableFlagOf } from '../messages/messages.service.js';
import { hasEmailTemplate, MESSAGE_KINDS, type MessageKind } from '../templates/message.templates.js';
import { consequenceOf } from './delivery.rules.js';
import { afterFailure, noTimelyEmailReason } from './fallback.rules.js';

/** Kinds about an appointment that still has to lie ahead for the message to matter. */
const ABOUT_A_COMING_APPOINTMENT = new Set<string>(['reminder', 'booking_confirmation', 'rescheduled', 'follow_up_booked', 'cancellation']);

/** The error code compose() gives a message that had no channel at all (no consent, no e-mail). */
export const NO_CHANNEL = 'NO_CHANNEL';

/**
 * What follows a message's final failure, inside the transaction that recorded it: the number
 * opted out at the carrier (21610) or cannot take SMS (30003/30005/30006) is recorded on the
 * patient; then the same content goes by e-mail, or, with no channel left (or no e-mail that
 * could still come in time), the front desk is asked to call (patient.unreachable, through the
 * outbox), once per cause. A message that no longer matters (its appointment begun, off or
 * moved since, its offer closed) is followed by neither, and its row says why. Rows of one cause
 * are locked first, so two failures of one cause at once (SMS and e-mail) decide one after the
 * other.
 */
@Injectable()
export class FallbackService {
  private readonly logger = new Logger('DeliveryFallback');

  constructor(
    private readonly clock: Clock,
    private readonly directory: DirectoryService,
    private readonly messages: MessagesService,
    private readonly outbox: OutboxWriter,
  ) {}

  /** `row` as just updated to failed / undelivered / suppressed. Returns new rows whose jobs are added after commit. */
  async afterFailure(tx: Executor, row: MessageRow): Promise<MessageRow[]> {
    if (row.direction !== 'outbound' || !row.patientId || !row.clinicId) return [];
    const recipient = await this.directory.recipient(row.patientId, tx);
    if (!recipient) return [];
    await this.recordConsequence(tx, row, recipient);

    const cause = causeOf(row.dedupeKey);
    if (!cause) return [];
    const family = await tx
      .select()
      .from(messages)
      .where(inArray(messages.dedupeKey, [`${cause}:sms`, `${cause}:email`, `${cause}:none`]))
      .orderBy(asc(messages.id))
      .for('update');
    const failed = family.find((m) => m.id === row.id) ?? row;
    const moot = await this.mootReason(tx, failed);
    const decision = afterFailure({
      failed: { id: failed.id, channel: failed.channel, errorCode: failed.errorCode },
      siblings: family
        .filter((m) => m.id !== failed.id)
        .map((m) => ({ id: m.id, channel: m.channel, status: m.status, reportedUnreachable: m.unreachableAt !== null })),
      reportedUnreachable: failed.unreachableAt !== null,
      canEmail: !!recipient.email && isKind(failed.kind) && hasEmailTemplate(failed.kind),
      moot: moot !== null,
    });
    switch (decision.action) {
      case 'fallback_email': {
        const email = await this.messages.composeFallbackEmail(tx, failed, recipient);
        if (email) {
          this.logger.log(`message ${failed.id} (${failed.kind}, sms) falls back to e-mail ${email.id}`);
          return [email];
        }
        // No e-mail that could still be of use (a reminder whose e-mail would wait out quiet
        // hours past its time): the front desk calls instead, once per cause.
        const reported = failed.unreachableAt !== null || family.some((m) => m.id !== failed.id && m.unreachableAt !== null);
        if (!reported) await this.reportUnreachable(tx, failed, noTimelyEmailReason(failed.errorCode));
        return [];
      }
      case 'unreachable':
        await this.reportUnreachable(tx, failed, decision.reason);
        return [];
      case 'none':
        if (decision.why === 'moot' && moot) await this.recordNotFollowedUp(tx, failed, moot);
        return [];
      default:
        return [];
    }
  }

  /** Asks the front desk to call the patient (patient.unreachable, through the outbox), and marks the row. */
  private async reportUnreachable(tx: Executor, failed: MessageRow, reason: string): Promise<void> {
    const now = this.clock.now();
    await this.outbox.publish(
      tx,
      'patient.unreachable',
      { patientId: failed.patientId!, messageId: failed.id, messageKind: failed.kind, reason, at: now.toISOString() },
      { clinicId: failed.clinicId! },
    );
    await tx.update(messages).set({ unreachableAt: now }).where(eq(messages.id, failed.id));
    this.logger.log(`message ${failed.id} (${failed.kind}, ${failed.channel}) reached nobody: the front desk is asked to call`);
  }

  /** A failure nothing follows because the message no longer matters: the row says so. */
  private async recordNotFollowedUp(tx: Executor, failed: MessageRow, why: string): Promise<void> {
    const note = `nothing follows: ${why}`;
    if (failed.error?.includes(note)) return;
    const error = (failed.error ? `${failed.error}; ${note}` : `${note[0]!.toUpperCase()}${note.slice(1)}`).slice(0, 300);
    await tx.update(messages).set({ error }).where(eq(messages.id, failed.id));
    this.logger.log(`message ${failed.id} (${failed.kind}, ${failed.channel}) failed; ${note}`);
  }

  /**
   * Messages compose() could give no channel at all (no SMS consent or opted out, and no
   * e-mail), due by now: each asks the front desk to call once, at the time it was meant to go
   * (a reminder two days ahead is not a call today), and not at all once it is moot.
   */
  async reportUnreachableDue(tx: Executor, limit = 20): Promise<number> {
    const rows = await tx
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.direction, 'outbound'),
          eq(messages.status, 'suppressed'),
          eq(messages.errorCode, NO_CHANNEL),
          isNull(messages.unreachableAt),
          lte(messages.sendAt, this.clock.now()),
        ),
      )
      .orderBy(asc(messages.sendAt), asc(messages.id))
      .limit(limit)
      .for('update', { skipLocked: true });
    for (const row of rows) {
      const decision = afterFailure({
        failed: { id: row.id, channel: row.channel, errorCode: row.errorCode },
        siblings: [],
        reportedUnreachable: false,
        canEmail: false,
        moot: (await this.mootReason(tx, row)) !== null,
      });
      const now = this.clock.now();
      if (decision.action === 'unreachable') {
        await this.outbox.publish(
          tx,
          'patient.unreachable',
          {
            patientId: row.patientId!,
            messageId: row.id,
            messageKind: row.kind,
            // What compose() found (no consent or opted out, or a number that cannot take SMS).
            reason: row.errorCode === NO_CHANNEL && row.error ? row.error : 'No SMS consent (or opted out) and no e-mail address: call the patient',
            at: now.toISOString(),
          },
          { clinicId: row.clinicId! },
        );
      }
      // Moot ones are marked too, so they are looked at once.
      await tx.update(messages).set({ unreachableAt: now }).where(eq(messages.id, row.id));
    }
    return rows.length;
  }

  private async recordConsequence(tx: Executor, row: MessageRow, recipient: RecipientRow): Promise<void> {
    const consequence = row.channel === 'sms' ? consequenceOf(row.errorCode) : null;
    const now = this.clock.now();
    if (consequence === 'opted_out' && !recipient.smsOptedOut) {
      await this.directory.setSmsOptedOut(tx, recipient.id, true, now);
      await this.outbox.publish(tx, 'patient.opted-out', { patientId: recipient.id, channel: 'sms', at: now.toISOString() }, { clinicId: recipient.clinicId });
    }
    if (consequence === 'number_undeliverable' && row.toAddress && recipient.phone === row.toAddress && !this.flaggedAlready(recipient, row, now)) {
      await tx
        .update(recipients)
        .set({ smsUndeliverablePhone: row.toAddress, smsUndeliverableAt: now, smsUndeliverableCode: row.errorCode, updatedAt: sql`now()` })
        .where(eq(recipients.id, recipient.id));
      this.logger.log(`patient ${recipient.id}: the carrier reports the number cannot take SMS (${row.errorCode}); texts go by e-mail`);
    }
  }

  /**
   * Whether the number is flagged already as the report would flag it: a flag that still holds
   * for this number, and is for good (30005/30006) or this report is only temporary (30003).
   * An expired 30003 is flagged anew; a 30003 flag becomes one for good on a 30005/30006.
   */
  private flaggedAlready(recipient: RecipientRow, row: MessageRow, now: Date): boolean {
    if (!numberUndeliverable(undeliverableFlagOf(recipient), row.toAddress, now, this.messages.unreachableFlagMs())) return false;
    const temporary = (code: string | null) => !!code && TEMPORARY_UNDELIVERABLE_CODES.includes(code);
    return !temporary(recipient.smsUndeliverableCode) || temporary(row.errorCode);
  }

  /**
   * Why the message no longer matters, or null when it does: its appointment is off, has begun
   * or has moved since (a reminder of the old time), its offer closed.
   */
  private async mootReason(tx: Executor, row: MessageRow): Promise<string | null> {
    const now = this.clock.now();
    if (row.appointmentId && ABOUT_A_COMING_APPOINTMENT.has(row.kind)) {
      const appointment = await this.directory.appointment(row.appointmentId, tx);
      if (!appointment) return 'the appointment is not known';
      if (appointment.startsAt <= now) return 'the appointment has begun';
      if (row.kind === 'cancellation') return null;
      if (appointment.status === 'cancelled') return 'the appointment was cancelled';
      if (appointment.status === 'checked_in') return 'the patient has checked in';
      if (appointment.status === 'no_show') return 'the appointment was missed';
      if (appointment.status !== 'booked') return `the appointment is ${appointment.status}`;
      // Written for the time before a reschedule: the new time has its own messages.
      if (isOfAnOlderSequence(row.kind, row.dedupeKey, appointment.sequence)) return 'the appointment was moved since';
      return null;
    }
    if (row.waitlistOfferId && row.kind === 'waitlist_offer') {
      const [offer] = await tx.select().from(waitlistOffers).where(eq(waitlistOffers.id, row.waitlistOfferId));
      return !offer || offer.status !== 'pending' || offer.expiresAt <= now ? 'the waitlist offer has closed' : null;
    }
    return null;
  }
}

function isKind(kind: string): kind is MessageKind {
  return (MESSAGE_KINDS as readonly string[]).includes(kind);
}
