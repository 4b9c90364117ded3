import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { InboundSms, InboundSmsReply } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, retryTransient, type Db, type Executor } from '@aftercare/database';
import { OutboxWriter } from '@aftercare/messaging';
import { clinics, messages, type MessageRow, type RecipientRow } from '../database/schema.js';
import { DirectoryService } from '../directory/directory.service.js';
import { MessagesService, type MessageSubject } from '../messages/messages.service.js';
import { renderSms, type MessageKind } from '../templates/message.templates.js';
import { TemplatesService } from '../templates/templates.service.js';
import { WaitlistOffersService } from '../waitlist/waitlist-offers.service.js';
import { parseSmsReply } from './sms-reply.parser.js';

/** The reason code of an answer not sent because its text was held by the gateway, or handled after the gateway stopped waiting. */
export const REPLY_LATE = 'REPLY_LATE';
/** Time the answer still needs after it is decided: the commit, and the way back to the gateway. */
export const REPLY_MARGIN_MS = 500;

/**
 * Whether the answer can no longer go back in the webhook's response: the gateway held the text
 * (notifications could not take it), or its wait (`replyBy`, real time: the gateway's timeout
 * runs on the wall clock) is over, or nearly.
 */
export function replyTooLate(sms: Pick<InboundSms, 'heldSince' | 'replyBy'>, nowMs = Date.now()): boolean {
  if (sms.heldSince) return true;
  return !!sms.replyBy && nowMs > Date.parse(sms.replyBy) - REPLY_MARGIN_MS;
}

/** Jobs to add and remove once the transaction that decided them has committed. */
interface AfterCommit {
  schedule: MessageRow[];
  remove: string[];
}

/**
 * A patient's text. Recorded once per MessageSid (Twilio retries a webhook it thinks failed);
 * the answer goes back at once in the webhook's TwiML, and is recorded as an outbound message.
 *
 * Free text goes to the clinic as `patient.wrote` (the clinician's attention item). Free text
 * that asks to stop ("please stop texting me") is no opt-out - staff confirm it with the
 * patient - but from that moment automated SMS are HELD: nothing scheduled goes by SMS (each
 * falls back to email at its own time where there is an address), and the patient is told so
 * once, with the keywords that settle it. The hold ends with STOP (an opt-out), with START / YES
 * (texts resume), when staff record the opt-out, or when staff lift it (ConsentService).
 * Answers to the patient's own texts still go.
 */
@Injectable()
export class InboundSmsService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
    private readonly directory: DirectoryService,
    private readonly outbox: OutboxWriter,
    private readonly messages: MessagesService,
    private readonly waitlist: WaitlistOffersService,
    private readonly templates: TemplatesService,
  ) {}

  async receive(sms: InboundSms): Promise<InboundSmsReply> {
    let after: AfterCommit = { schedule: [], remove: [] };
    // A text locks its patient's row before their messages (a hold, an opt-out), where a reschedule
    // locks the messages first: PostgreSQL may then abort one of the two (40P01). The text's is run
    // again, as Twilio would not send it again after an error.
    const answer = await retryTransient(() => {
      after = { schedule: [], remove: [] };
      return this.db.transaction((tx) => this.handle(tx, sms, after));
    });
    await this.messages.removeJobs(after.remove);
    await this.messages.scheduleJobs(after.schedule);
    return answer;
  }

  private async handle(tx: Executor, sms: InboundSms, after: AfterCommit): Promise<InboundSmsReply> {
    // The patients of the number locked, and read once the lock is ours: what this text does
    // (STOP, START, YES) depends on their SMS state, which another text, a delivery report or
    // the front desk may be changing right now; this one then acts on what that left.
    const { recipient, sharing } = await this.directory.recipientsOfInbound(tx, sms.from);
    const now = this.clock.now();
    const inboundId = randomUUID();
    const recorded = await tx
      .insert(messages)
      .values({
        id: inboundId,
        clinicId: recipient?.clinicId ?? null,
        patientId: recipient?.id ?? null,
        channel: 'sms',
        direction: 'inbound',
        kind: 'reply',
        status: 'received',
        // An unknown sender's text is not kept: it may be anyone's data.
        body: recipient ? sms.body : '',
        fromAddress: recipient ? sms.from : null,
        provider: 'twilio',
        providerMessageId: sms.messageSid,
        // When the patient sent it: a text the gateway held came earlier than it is handled.
        sentAt: sms.heldSince ? new Date(sms.heldSince) : now,
        createdAt: now,
      })
      // The provider's ids are unique where there is one (a partial index: messages waiting to go have none).
      .onConflictDoNothing({ target: messages.providerMessageId, where: sql`${messages.providerMessageId} IS NOT NULL` })
      .returning({ id: messages.id });
    if (recorded.length === 0) return { reply: null }; // a replay of a text we already handled

    const reply = parseSmsReply(sms.body);
    // A STOP from a number we do not know: Twilio has opted it out and confirmed it itself; an
    // answer from us would only say "Reply STOP to opt out" to someone who just did.
    if (!recipient) return { reply: reply.kind === 'stop' || replyTooLate(sms) ? null : await this.unknownSenderHelp(tx) };

    // A text from the number: it takes SMS after all (a carrier's 30003/30005/30006 no longer holds).
    await this.messages.numberHeardFrom(tx, recipient.id, sms.from);
    const meta = { clinicId: recipient.clinicId };
    let optedOut = recipient.smsOptedOut;
    let held = recipient.smsHeldAt !== null;
    const releaseHold = async () => {
      if (!held) return;
      await this.directory.releaseSmsHold(tx, recipient.id);
      held = false;
    };
    /**
     * STOP and START (and YES) change the number's state at Twilio, for every clinic texting from
     * our number: this patient and the others with the number follow, each clinic told by its own
     * event. True when this patient's state changed.
     */
    const setNumberOptedOut = async (value: boolean): Promise<boolean> => {
      const changed = optedOut !== value;
      for (const patient of [recipient, ...sharing]) {
        if ((patient === recipient ? optedOut : patient.smsOptedOut) === value) continue;
        await this.directory.setSmsOptedOut(tx, patient.id, value, now);
        await this.outbox.publish(tx, value ? 'patient.opted-out' : 'patient.opted-in', { patientId: patient.id, channel: 'sms', at: now.toISOString() }, { clinicId: patient.clinicId });
      }
      optedOut = value;
      return changed;
    };
    const optIn = async () => {
      await releaseHold();
      await setNumberOptedOut(false);
    };
    /** The patient's words go to their clinician (or the front desk) as an attention item. */
    const wrote = async (text: string, asksToStop: boolean) => {
      const clinician = (await this.directory.nextAppointment(recipient.id, now, tx)) ?? (await this.directory.latestAppointment(recipient.id, tx));
      await this.outbox.publish(
        tx,
        'patient.wrote',
        { patientId: recipient.id, messageId: inboundId, text, at: now.toISOString(), asksToStop, clinicianId: clinician?.clinicianId ?? null },
        meta,
      );
    };
    let kind: MessageKind;
    let about: MessageSubject | null = null;
    switch (reply.kind) {
      case 'stop':
        await releaseHold(); // the opt-out settles it
        if (!(await setNumberOptedOut(true))) return { reply: null }; // one confirmation, not one per STOP
        kind = 'opted_out';
        break;
      case 'start':
        await optIn();
        kind = 'opted_in';
        break;
      case 'yes': {
        // YES is an opt-in keyword at Twilio too: the number is subscribed again there, so
        // here as well (see sms-reply.parser.ts).
        const wasOff = optedOut || held;
        await optIn();
        const offer = await this.waitlist.openOfferFor(recipient.id, tx);
        if (offer) {
          await this.waitlist.accept(tx, offer, inboundId);
          kind = 'waitlist_accept_received';
          about = offer;
        } else if (wasOff) {
          kind = 'opted_in';
        } else {
          // No offer to take: "has received your message" must be true, so a person reads it.
          await wrote(sms.body.trim(), false);
          kind = 'message_received';
        }
        break;
      }
      case 'help':
        kind = 'help';
        break;
      case 'pain':
        // When the patient answered: for a text the gateway held, when it came, not when it is handled.
        const answeredAt = sms.heldSince ?? now.toISOString();
        await this.outbox.publish(tx, 'checkin.answered', { patientId: recipient.id, messageId: inboundId, score: reply.score, answeredAt }, meta);
        kind = 'checkin_thanks';
        break;
      case 'confirm':
      case 'reschedule': {
        const next = await this.directory.nextAppointment(recipient.id, now, tx);
        if (!next) {
          // Nothing to confirm or move: the front desk reads it (a visit booked elsewhere, a typo).
          await wrote(sms.body.trim(), false);
          kind = 'message_received';
          break;
        }
        about = next;
        await this.outbox.publish(
          tx,
          'patient.replied',
          {
            patientId: recipient.id,
            appointmentId: next.id,
            clinicianId: next.clinicianId,
            appointmentStartsAt: next.startsAt.toISOString(),
            reply: reply.kind,
            messageId: inboundId,
            at: now.toISOString(),
          },
          meta,
        );
        kind = reply.kind === 'confirm' ? 'appointment_confirmed' : 'reschedule_requested';
        break;
      }
      case 'free_text': {
        // An opted-out patient's words still reach the clinic; there is no opt-out left to confirm.
        const asksToStop = reply.asksToStop && !optedOut;
        await wrote(reply.text, asksToStop);
        if (asksToStop) {
          if (!held) await this.holdSms(tx, recipient, inboundId, now, after);
          held = true;
          kind = 'stop_request_received';
        } else {
          kind = 'message_received';
        }
        break;
      }
    }
    // Once opted out, only the confirmation of STOP itself goes back by SMS - and the answer to
    // HELP, which carriers require whatever the patient's opt-out status.
    if (optedOut && reply.kind !== 'stop' && reply.kind !== 'help') return { reply: null };
    const answer = await this.recordReply(tx, recipient, kind, about, replyTooLate(sms));
    return { reply: answer };
  }

  /**
   * Holds automated SMS: marks the patient, and takes back the SMS that are due already but not
   * yet handed to a provider (status suppressed, SMS_HELD); each goes by email instead, now,
   * where the patient has an address. SMS meant for later stay as they are: the sender checks
   * the hold right before the provider call and falls back to email then, at the message's own
   * time - a reminder for an appointment in 11 days must not be e-mailed today - and, should the
   * hold be lifted by then, the SMS simply goes.
   */
  private async holdSms(tx: Executor, recipient: RecipientRow, inboundId: string, now: Date, after: AfterCommit): Promise<void> {
    await this.directory.holdSms(tx, recipient.id, inboundId, now);
    const taken = await tx
      .update(messages)
      .set({ status: 'suppressed', errorCode: 'SMS_HELD', error: 'Held: the patient asked by text to stop; staff confirm it', updatedAt: now })
      .where(
        and(
          eq(messages.patientId, recipient.id),
          eq(messages.channel, 'sms'),
          eq(messages.direction, 'outbound'),
          inArray(messages.status, ['scheduled', 'queued']),
          lte(messages.sendAt, now),
        ),
      )
      .returning();
    for (const row of taken) {
      after.remove.push(row.id);
      const email = await this.messages.composeFallbackEmail(tx, row, recipient);
      if (email) after.schedule.push(email);
    }
  }

  /**
   * The answer to the patient's text, recorded as an outbound message and returned for the
   * webhook's TwiML. For a text the gateway held (notifications was unreachable when it came), or
   * one whose answer is ready only after the gateway stopped waiting for it, there is no response
   * left to carry it: recorded as suppressed with the reason, so the message log shows what the
   * patient was not told, and null returned.
   */
  private async recordReply(tx: Executor, recipient: RecipientRow, kind: MessageKind, about: MessageSubject | null, late: boolean): Promise<string | null> {
    const clinic = await this.directory.clinic(recipient.clinicId, tx);
    const vars = clinic ? this.messages.varsFor(recipient, clinic, about) : { firstName: recipient.firstName, clinicName: 'your clinic', clinicPhone: '' };
    const body = await this.templates.renderSms(tx, recipient.clinicId, kind, vars, recipient.language);
    const now = this.clock.now();
    await tx.insert(messages).values({
      id: randomUUID(),
      clinicId: recipient.clinicId,
      patientId: recipient.id,
      channel: 'sms',
      direction: 'outbound',
      kind,
      body,
      toAddress: recipient.phone,
      sendAt: now,
      createdAt: now,
      ...(late
        ? { status: 'suppressed' as const, errorCode: REPLY_LATE, error: 'Not sent: the text was handled too late (this service was unreachable or slow), when the answer could no longer go back in the reply to it' }
        : { status: 'sent' as const, provider: 'twiml', sentAt: now }),
    });
    return late ? null : body;
  }

  private async unknownSenderHelp(tx: Executor): Promise<string> {
    // Without a patient we do not know the clinic for sure; with one clinic per number that is
    // the only clinic. Multi-clinic routing by the To number comes with clinic onboarding.
    const [clinic] = await tx.select().from(clinics).orderBy(asc(clinics.name)).limit(1);
    const vars = { firstName: '', clinicName: clinic?.name ?? 'the clinic', clinicPhone: clinic?.phone ?? '' };
    return clinic ? this.templates.renderSms(tx, clinic.id, 'unknown_sender_help', vars, 'en') : renderSms('unknown_sender_help', vars);
  }
}
