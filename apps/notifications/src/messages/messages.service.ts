import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { and, asc, eq, inArray, type SQL } from 'drizzle-orm';
import { JOBS, QUEUES, type MessageResource, type MessageStatus, type RequestContext, type TimelineEntry } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock, nextAllowedTime } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { JobScheduler } from '@aftercare/jobs';
import { buildInvite } from '../calendar/ics.js';
import { messages, type AppointmentCopyRow, type ClinicRow, type MessageRow, type RecipientRow, type WaitlistOfferRow } from '../database/schema.js';
import { DirectoryService } from '../directory/directory.service.js';
import { formatAppointmentTime, hasEmailTemplate, renderEmail, renderSms, type MessageKind, type TemplateVars } from '../templates/message.templates.js';
import { channelsFor } from './channel.policy.js';

export interface ComposeRequest {
  clinicId: string;
  patientId: string;
  kind: MessageKind;
  sendAt: Date;
  /** What the message is for; with the channel it makes the dedupe key. */
  cause: string;
  appointment?: AppointmentCopyRow | null;
  /** The waitlist offer the message is about (its time, clinician and expiry). */
  offer?: WaitlistOfferRow | null;
  stepId?: string | null;
  /** Calendar attachment of the email. */
  ics?: 'REQUEST' | 'CANCEL';
  /** Check-ins and aftercare move out of quiet hours; transactional messages do not. */
  respectQuietHours?: boolean;
}

/** Kinds that carry a time and so need the appointment (or the offer). */
const NEEDS_TIME = new Set<MessageKind>([
  'booking_confirmation',
  'reminder',
  'rescheduled',
  'cancellation',
  'follow_up_booked',
  'waitlist_offer',
  'waitlist_taken',
  'waitlist_expired',
]);

/** What a message is about: a time with a clinician, and for an offer, until when to answer. */
export interface MessageSubject {
  startsAt: Date;
  clinicianName: string;
  expiresAt?: Date;
}

/** Statuses of an outbound message that (may) have reached the provider. */
const HANDED_OVER: MessageStatus[] = ['sending', 'sent', 'delivered'];

export const toMessageResource = (row: MessageRow): MessageResource => ({
  id: row.id,
  patientId: row.patientId,
  channel: row.channel,
  direction: row.direction,
  kind: row.kind,
  status: row.status,
  body: row.body,
  subject: row.subject,
  sendAt: row.sendAt?.toISOString() ?? null,
  createdAt: row.createdAt.toISOString(),
  sentAt: row.sentAt?.toISOString() ?? null,
  error: row.error,
});

/** Writes outgoing messages as rows (rendered once, so a retry sends the same text). */
@Injectable()
export class MessagesService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QUEUES.outboundMessages) private readonly queue: Queue,
    private readonly clock: Clock,
    private readonly scheduler: JobScheduler,
    private readonly directory: DirectoryService,
  ) {}

  /** Inside the caller's transaction. Returns the new rows, whose jobs are added after commit. */
  async compose(tx: Executor, request: ComposeRequest): Promise<MessageRow[]> {
    const recipient = await this.directory.recipient(request.patientId, tx);
    const clinic = await this.directory.clinic(request.clinicId, tx);
    // Copies arrive in event order, so both exist; if not, fail so the event is redelivered.
    if (!recipient) throw new Error(`patient ${request.patientId} is not known to notifications yet`);
    if (!clinic) throw new Error(`clinic ${request.clinicId} is not known to notifications yet`);
    const now = this.clock.now();
    // The intended time is kept (a late event sends at once); quiet hours are checked against
    // when it will really go out.
    let sendAt = request.sendAt;
    if (request.respectQuietHours) {
      const goesOutAt = sendAt < now ? now : sendAt;
      const allowed = nextAllowedTime(goesOutAt, recipient.timezone, this.config.quietHours);
      if (allowed > goesOutAt) sendAt = allowed;
    }

    const vars = this.varsFor(recipient, clinic, request.appointment ?? request.offer ?? null);
    if (NEEDS_TIME.has(request.kind) && !vars.appointmentTime) throw new Error(`${request.kind} needs an appointment`);
    const channels = channelsFor({
      preferredChannel: recipient.preferredChannel,
      smsConsent: recipient.smsConsent,
      smsOptedOut: recipient.smsOptedOut,
      hasEmail: !!recipient.email,
    }).filter((channel) => channel === 'sms' || hasEmailTemplate(request.kind));

    const base = {
      clinicId: request.clinicId,
      patientId: request.patientId,
      direction: 'outbound' as const,
      kind: request.kind,
      sendAt,
      appointmentId: request.appointment?.id ?? null,
      stepId: request.stepId ?? null,
      waitlistOfferId: request.offer?.id ?? null,
      createdAt: now,
    };
    const rows: (typeof messages.$inferInsert)[] = channels.map((channel) => {
      if (channel === 'sms') {
        return { ...base, id: randomUUID(), channel, status: 'scheduled', body: renderSms(request.kind, vars, recipient.language), toAddress: recipient.phone, dedupeKey: `${request.cause}:sms` };
      }
      const email = renderEmail(request.kind, vars, recipient.language);
      return {
        ...base,
        id: randomUUID(),
        channel,
        status: 'scheduled',
        subject: email.subject,
        body: email.text,
        toAddress: recipient.email,
        dedupeKey: `${request.cause}:email`,
        ics: request.ics && request.appointment ? this.invite(request.ics, request.appointment, clinic, recipient, now) : null,
      };
    });
    if (rows.length === 0) {
      // Nobody to write to: recorded as suppressed, so the front desk can see it and call.
      await tx
        .insert(messages)
        .values({
          ...base,
          id: randomUUID(),
          channel: 'sms',
          status: 'suppressed',
          body: renderSms(request.kind, vars, recipient.language),
          dedupeKey: `${request.cause}:none`,
          errorCode: 'NO_CHANNEL',
          error: 'No SMS consent and no email address: call the patient',
        })
        .onConflictDoNothing({ target: messages.dedupeKey });
      return [];
    }
    return tx.insert(messages).values(rows).onConflictDoNothing({ target: messages.dedupeKey }).returning();
  }

  async scheduleJobs(rows: MessageRow[]): Promise<void> {
    await this.scheduler.scheduleMany(this.queue, JOBS.messageSend, rows.map((r) => ({ id: r.id, dueAt: r.sendAt ?? this.clock.now() })));
  }

  /** Pending reminders (or any pending kind) of an appointment no longer go out. */
  async cancelPendingForAppointment(tx: Executor, appointmentId: string, kinds: MessageKind[]): Promise<string[]> {
    const cancelled = await tx
      .update(messages)
      .set({ status: 'cancelled', updatedAt: this.clock.now() })
      .where(and(eq(messages.appointmentId, appointmentId), inArray(messages.kind, kinds), inArray(messages.status, ['scheduled', 'queued'])))
      .returning({ id: messages.id });
    return cancelled.map((r) => r.id);
  }

  /** The offer's texts not yet handed to a provider no longer go out (it has closed). */
  async cancelPendingForOffer(tx: Executor, offerId: string): Promise<string[]> {
    const cancelled = await tx
      .update(messages)
      .set({ status: 'cancelled', errorCode: 'OFFER_CLOSED', error: 'The waitlist offer closed before this went out', updatedAt: this.clock.now() })
      .where(and(eq(messages.waitlistOfferId, offerId), eq(messages.kind, 'waitlist_offer'), inArray(messages.status, ['scheduled', 'queued'])))
      .returning({ id: messages.id });
    return cancelled.map((r) => r.id);
  }

  /** Whether the offer itself went out to the patient (on any channel). */
  async offerWentOut(tx: Executor, offerId: string): Promise<boolean> {
    const [row] = await tx
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.waitlistOfferId, offerId), eq(messages.kind, 'waitlist_offer'), inArray(messages.status, HANDED_OVER)))
      .limit(1);
    return !!row;
  }

  async removeJobs(ids: string[]): Promise<void> {
    for (const id of ids) await this.queue.remove(id).catch(() => undefined);
  }

  async list(ctx: RequestContext, patientId?: string): Promise<MessageResource[]> {
    const where: SQL[] = [eq(messages.clinicId, ctx.clinicId)];
    if (patientId) where.push(eq(messages.patientId, patientId));
    const rows = await this.db.select().from(messages).where(and(...where)).orderBy(asc(messages.createdAt), asc(messages.sendAt)).limit(1000);
    return rows.map(toMessageResource);
  }

  async timeline(ctx: RequestContext, patientId: string): Promise<TimelineEntry[]> {
    const rows = await this.list(ctx, patientId);
    return rows.map((m) => ({ at: m.sentAt ?? m.sendAt ?? m.createdAt, type: 'message' as const, data: m }));
  }

  varsFor(recipient: RecipientRow, clinic: ClinicRow, about: MessageSubject | null): TemplateVars {
    const format = (at: Date) => formatAppointmentTime(at, recipient.timezone, recipient.language);
    return {
      firstName: recipient.firstName,
      clinicName: clinic.name,
      clinicPhone: clinic.phone,
      ...(about ? { appointmentTime: format(about.startsAt), clinicianName: about.clinicianName } : {}),
      ...(about?.expiresAt ? { expiryTime: format(about.expiresAt) } : {}),
    };
  }

  private invite(method: 'REQUEST' | 'CANCEL', appointment: AppointmentCopyRow, clinic: ClinicRow, recipient: RecipientRow, now: Date): string {
    return buildInvite({
      uid: `${appointment.id}@aftercare`,
      sequence: appointment.sequence,
      method,
      startsAt: appointment.startsAt,
      endsAt: appointment.endsAt,
      // Where the appointment physically is: the clinic's zone.
      timezone: clinic.timezone,
      title: `Appointment at ${clinic.name}`,
      location: clinic.name,
      organizerName: clinic.name,
      organizerEmail: clinic.email ?? this.config.smtp?.from.replace(/^.*<|>$/g, '') ?? 'no-reply@aftercare.local',
      attendeeEmail: recipient.email ?? undefined,
      attendeeName: recipient.firstName,
      stamp: now,
    });
  }
}
