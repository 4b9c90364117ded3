import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { asc } from 'drizzle-orm';
import type { InboundSms, InboundSmsReply } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { OutboxWriter } from '@aftercare/messaging';
import { clinics, messages, type RecipientRow } from '../database/schema.js';
import { DirectoryService } from '../directory/directory.service.js';
import { MessagesService, type MessageSubject } from '../messages/messages.service.js';
import { renderSms, type MessageKind } from '../templates/message.templates.js';
import { WaitlistOffersService } from '../waitlist/waitlist-offers.service.js';
import { parseSmsReply } from './sms-reply.parser.js';

/**
 * A patient's text. Recorded once per MessageSid (Twilio retries a webhook it thinks failed);
 * the answer goes back at once in the webhook's TwiML, and is recorded as an outbound message.
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
  ) {}

  async receive(sms: InboundSms): Promise<InboundSmsReply> {
    return this.db.transaction(async (tx) => {
      const recipient = await this.directory.recipientByPhone(sms.from, tx);
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
          sentAt: now,
          createdAt: now,
        })
        .onConflictDoNothing({ target: messages.providerMessageId })
        .returning({ id: messages.id });
      if (recorded.length === 0) return { reply: null }; // a replay of a text we already handled

      if (!recipient) return { reply: await this.unknownSenderHelp(tx) };

      const reply = parseSmsReply(sms.body);
      const meta = { clinicId: recipient.clinicId };
      let optedOut = recipient.smsOptedOut;
      const optIn = async () => {
        if (!optedOut) return;
        await this.directory.setSmsOptedOut(tx, recipient.id, false, now);
        await this.outbox.publish(tx, 'patient.opted-in', { patientId: recipient.id, channel: 'sms', at: now.toISOString() }, meta);
        optedOut = false;
      };
      let kind: MessageKind;
      let about: MessageSubject | null = null;
      switch (reply.kind) {
        case 'stop':
          if (!optedOut) {
            await this.directory.setSmsOptedOut(tx, recipient.id, true, now);
            await this.outbox.publish(tx, 'patient.opted-out', { patientId: recipient.id, channel: 'sms', at: now.toISOString() }, meta);
            optedOut = true;
          }
          kind = 'opted_out';
          break;
        case 'start':
          await optIn();
          kind = 'opted_in';
          break;
        case 'yes': {
          // YES is an opt-in keyword at Twilio too: the number is subscribed again there, so
          // here as well (see sms-reply.parser.ts).
          const wasOptedOut = optedOut;
          await optIn();
          const offer = await this.waitlist.openOfferFor(recipient.id, tx);
          if (offer) {
            await this.waitlist.accept(tx, offer, inboundId);
            kind = 'waitlist_accept_received';
            about = offer;
          } else {
            kind = wasOptedOut ? 'opted_in' : 'message_received';
          }
          break;
        }
        case 'help':
          kind = 'help';
          break;
        case 'pain':
          await this.outbox.publish(tx, 'checkin.answered', { patientId: recipient.id, messageId: inboundId, score: reply.score, answeredAt: now.toISOString() }, meta);
          kind = 'checkin_thanks';
          break;
        case 'confirm':
        case 'reschedule': {
          const next = await this.directory.nextAppointment(recipient.id, now, tx);
          if (!next) {
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
        default:
          // Free text reaches the front desk and clinicians with the messaging work; until
          // then the patient is told a person will read it.
          kind = 'message_received';
      }
      // Once opted out, only the confirmation of STOP itself goes back by SMS.
      if (optedOut && reply.kind !== 'stop') return { reply: null };
      return { reply: await this.recordReply(tx, recipient, kind, about) };
    });
  }

  private async recordReply(tx: Executor, recipient: RecipientRow, kind: MessageKind, about: MessageSubject | null = null): Promise<string> {
    const clinic = await this.directory.clinic(recipient.clinicId, tx);
    const vars = clinic ? this.messages.varsFor(recipient, clinic, about) : { firstName: recipient.firstName, clinicName: 'your clinic', clinicPhone: '' };
    const body = renderSms(kind, vars, recipient.language);
    const now = this.clock.now();
    await tx.insert(messages).values({
      id: randomUUID(),
      clinicId: recipient.clinicId,
      patientId: recipient.id,
      channel: 'sms',
      direction: 'outbound',
      kind,
      status: 'sent',
      body,
      toAddress: recipient.phone,
      provider: 'twiml',
      sendAt: now,
      sentAt: now,
      createdAt: now,
    });
    return body;
  }

  private async unknownSenderHelp(tx: Executor): Promise<string> {
    // Without a patient we do not know the clinic for sure; with one clinic per number that is
    // the only clinic. Multi-clinic routing by the To number comes with clinic onboarding.
    const [clinic] = await tx.select().from(clinics).orderBy(asc(clinics.name)).limit(1);
    return renderSms('unknown_sender_help', { firstName: '', clinicName: clinic?.name ?? 'the clinic', clinicPhone: clinic?.phone ?? '' });
  }
}
