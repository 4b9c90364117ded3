import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { and, asc, desc, eq, gte, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { JOBS, QUEUES, type ListMessagesData, type MessageResource,
  type MessageStatusChange, type MessageStatus, type RequestContext, type TimelineEntry } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, placeholders, PreparedQuery, type Db, type Executor } from '@aftercare/database';
import { DomainError, notFound } from '@aftercare/messaging';
import { JobScheduler } from '@aftercare/jobs';
import { buildInvite } from '../calendar/ics.js';
import { clinics, messageEvents, messages, recipients, templateOverrides, waitlistOffers, type AppointmentCopyRow, type ClinicRow, type MessageRow, type RecipientRow, type WaitlistOfferRow } from '../database/schema.js';
import { setStatusSource } from '../delivery/status-source.js';
import { DirectoryService } from '../directory/directory.service.js';
import { formatAppointmentTime, hasEmailTemplate, type MessageKind, type TemplateVars } from '../templates/message.templates.js';
import { TemplatesService } from '../templates/templates.service.js';
import type { MootReason } from './appointment-moot.js';
import { channelsFor, numberUndeliverable, type UndeliverableFlag } from './channel.policy.js';
import { CAPPED_KINDS, cappedTime, countsTowardCap } from './frequency-cap.rule.js';
import { failedMessageRetry, retryRefusal } from './message-retry.rule.js';
import { decideSendTime, reminderUsefulUntil, type SendTimeDecision, type Timing } from './send-timing.policy.js';

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
  /**
   * Quiet hours apply to every message unless this is false: an answer to the patient's own
   * message (a booking made from their YES) goes at once and is not capped. Reminders move
   * earlier out of quiet hours, everything else later (send-timing.policy.ts).
   */
  respectQuietHours?: boolean;
}

/**
 * What every compose reads first, in one round trip: the recipient, the clinic and the clinic's
 * override of the message's template in the recipient's language (null: none). LOCKED holds the
 * recipient's row for the rest of the transaction (FOR UPDATE of that row alone), so that a
 * capped SMS's count of the patient's other SMS, read after it, cannot interleave with another
 * compose for them. That count stays a statement of its own: in this one, its snapshot would be
 * taken before the wait for the lock and could miss an SMS committed meanwhile.
 */
const composeContext = (locked: boolean) =>
  new PreparedQuery(`notifications.messages.compose_context${locked ? '_locked' : ''}`, (db) => {
    // Aliased: FOR UPDATE OF names a relation without its schema.
    const r = alias(recipients, 'r');
    const query = db
      // The override's first column is one that is never null: drizzle makes a left-joined object null
      // when its first column is (an e-mail-only override has no smsBody).
      .select({
        recipient: r,
        clinic: clinics,
        override: { kind: templateOverrides.kind, smsBody: templateOverrides.smsBody, emailSubject: templateOverrides.emailSubject, emailBody: templateOverrides.emailBody },
      })
      .from(r)
      .leftJoin(clinics, eq(clinics.id, sql.placeholder('clinicId')))
      .leftJoin(templateOverrides, and(eq(templateOverrides.clinicId, sql.placeholder('clinicId')), eq(templateOverrides.kind, sql.placeholder('kind')), eq(templateOverrides.language, r.language)))
      .where(eq(r.id, sql.placeholder('patientId')));
    return locked ? query.for('update', { of: r }) : query;
  });
const COMPOSE_CONTEXT = composeContext(false);
const COMPOSE_CONTEXT_LOCKED = composeContext(true);

/** Statuses of an SMS that the frequency cap counts: it went, or still will. */
const CAP_COUNTED: MessageStatus[] = ['scheduled', 'queued', 'sending', 'sent', 'delivered'];
const DAY_MS = 86_400_000;

/**
 * The patient's counted SMS meant for `since` on, with what tells when each goes or went (cappedTime):
 * read for every capped SMS composed, and for one the sender places again (PreparedQuery).
 */
const CAPPED_SMS_TIMES = new PreparedQuery('notifications.messages.capped_sms_times', (db) =>
  db
    .select({ id: messages.id, status: messages.status, dueAt: messages.dueAt, sentAt: messages.sentAt, unconfirmedSince: messages.unconfirmedSince, updatedAt: messages.updatedAt })
    .from(messages)
    .where(
      and(
        eq(messages.patientId, sql.placeholder('patientId')),
        // Written into the statement, not parameters: read along the patient's messages by send time (messages_patient_send).
        sql`${messages.channel} = 'sms' AND ${messages.direction} = 'outbound'`,
        inArray(messages.kind, [...CAPPED_KINDS]),
        inArray(messages.status, CAP_COUNTED),
        gte(messages.sendAt, sql.placeholder('since')),
      ),
    ),
);

/** The columns compose gives a message row; the others keep their defaults. */
const COMPOSED_COLUMNS = [
  'id', 'clinicId', 'patientId', 'channel', 'direction', 'kind', 'status', 'body', 'subject', 'ics', 'toAddress', 'sendAt',
  'errorCode', 'error', 'appointmentId', 'stepId', 'waitlistOfferId', 'dedupeKey', 'createdAt', 'timing',
] as const satisfies readonly (keyof typeof messages.$inferInsert)[];
type ComposedRow = Pick<typeof messages.$inferInsert, (typeof COMPOSED_COLUMNS)[number]>;

/** One composed message, unless its dedupe key is taken: every message composed (PreparedQuery). */
const INSERT_COMPOSED = new PreparedQuery('notifications.messages.insert_composed', (db) =>
  db
    .insert(messages)
    .values(placeholders(COMPOSED_COLUMNS))
    .onConflictDoNothing({ target: messages.dedupeKey })
    .returning(),
);

const COMPOSED = new Set<string>(COMPOSED_COLUMNS);

/** A composed row's values for INSERT_COMPOSED: null where compose gave none. */
function composedValues(row: ComposedRow): Record<(typeof COMPOSED_COLUMNS)[number], unknown> {
  // A column compose starts to give must join COMPOSED_COLUMNS, or it would be dropped unseen.
  for (const column in row) if (!COMPOSED.has(column)) throw new Error(`compose gave ${column}, which COMPOSED_COLUMNS does not list`);
  return Object.fromEntries(COMPOSED_COLUMNS.map((column) => [column, row[column] ?? null])) as Record<(typeof COMPOSED_COLUMNS)[number], unknown>;
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

/** What one row tells of a message; the log adds its history (MessageLogEntry). */
export type MessageBase = Omit<MessageResource, 'errorCode' | 'deliveredAt' | 'attempts' | 'fallbackOf' | 'numberUndeliverable' | 'statusHistory'>;

export const toMessageResource = (row: MessageRow): MessageBase => ({
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

/** One change of a message's status, as the log shows it. */
export type StatusChange = MessageStatusChange;

/** A message in the log: the row plus how it got where it is (the API's MessageResource). */
export type MessageLogEntry = MessageResource;

/** The carrier's report on the recipient's number, as channel.policy.ts reads it. */
export function undeliverableFlagOf(recipient: Pick<RecipientRow, 'smsUndeliverablePhone' | 'smsUndeliverableCode' | 'smsUndeliverableAt'>): UndeliverableFlag {
  return { phone: recipient.smsUndeliverablePhone, code: recipient.smsUndeliverableCode, at: recipient.smsUndeliverableAt };
}

/** What a message is for, without its channel: "appointment:<id>:reminder-48h:0". */
export function causeOf(dedupeKey: string | null): string | null {
  const match = dedupeKey ? /^(.*):(sms|email)$/.exec(dedupeKey) : null;
  return match ? match[1]! : null;
}

/** The calendar attachment each kind's e-mail carries (as the appointment handlers compose them). */
const FALLBACK_INVITE: Partial<Record<MessageKind, 'REQUEST' | 'CANCEL'>> = {
  booking_confirmation: 'REQUEST',
  follow_up_booked: 'REQUEST',
  rescheduled: 'REQUEST',
  cancellation: 'CANCEL',
};

/** A row's status and send time from the timing decision. */
function placement(decision: SendTimeDecision): { status: 'scheduled' | 'suppressed'; sendAt?: Date; errorCode?: string; error?: string } {
  return decision.send ? { status: 'scheduled', sendAt: decision.at } : { status: 'suppressed', errorCode: decision.code, error: decision.reason };
}

/** Pages of the message log. */
export const MESSAGE_PAGE = { default: 100, max: 500 } as const;

const CURSOR = /^(\d{4}-\d{2}-\d{2}T[^_]+?)(?:_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))?$/i;

/** A log cursor: "<createdAt ISO>_<id>", or a time alone (everything created before it). */
export function parseMessageCursor(cursor: string): { at: Date; id: string | null } | null {
  const match = CURSOR.exec(cursor.trim());
  const at = match ? new Date(match[1]!) : null;
  if (!match || !at || Number.isNaN(at.getTime())) return null;
  return { at, id: match[2]?.toLowerCase() ?? null };
}

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
    private readonly templates: TemplatesService,
  ) {}

  private readonly logger = new Logger('Messages');

  /**
   * Inside the caller's transaction. Returns the new rows to send, whose jobs are added after
   * commit. Each channel gets its send time from quiet hours in the patient's zone; a counted
   * SMS also from the frequency cap. A message that cannot go in time is recorded as
   * `suppressed` with the reason, and not returned.
   */
  async compose(tx: Executor, request: ComposeRequest): Promise<MessageRow[]> {
    const timing = this.timingOf(request);
    const capped = timing.kind !== 'at_once' && countsTowardCap(request.kind);
    // Counting the patient's SMS and adding one must not interleave with another compose for them.
    const [context] = await (capped ? COMPOSE_CONTEXT_LOCKED : COMPOSE_CONTEXT).execute(tx, { patientId: request.patientId, clinicId: request.clinicId, kind: request.kind });
    const recipient = context?.recipient;
    const clinic = context?.clinic;
    // Copies arrive in event order, so both exist; if not, fail so the event is redelivered.
    if (!recipient) throw new Error(`patient ${request.patientId} is not known to notifications yet`);
    if (!clinic) throw new Error(`clinic ${request.clinicId} is not known to notifications yet`);
    const now = this.clock.now();

    const vars = this.varsFor(recipient, clinic, request.appointment ?? request.offer ?? null);
    if (NEEDS_TIME.has(request.kind) && !vars.appointmentTime) throw new Error(`${request.kind} needs an appointment`);
    // A number the carrier reported unable to take SMS gets none written: each would only be
    // suppressed at send time, and count toward the patient's cap meanwhile.
    const smsUndeliverable = numberUndeliverable(undeliverableFlagOf(recipient), recipient.phone, now, this.unreachableFlagMs());
    const channels = channelsFor({
      preferredChannel: recipient.preferredChannel,
      smsConsent: recipient.smsConsent,
      smsOptedOut: recipient.smsOptedOut,
      smsHeld: recipient.smsHeldAt !== null,
      smsUndeliverable,
      hasEmail: !!recipient.email,
    }).filter((channel) => channel === 'sms' || hasEmailTemplate(request.kind));

    const base = {
      clinicId: request.clinicId,
      patientId: request.patientId,
      direction: 'outbound' as const,
      kind: request.kind,
      sendAt: request.sendAt,
      appointmentId: request.appointment?.id ?? null,
      stepId: request.stepId ?? null,
      waitlistOfferId: request.offer?.id ?? null,
      // The sender checks quiet hours again with it right before the provider call.
      timing: timing.kind,
      createdAt: now,
    };
    const templates = this.templates.templatesWith(request.kind, recipient.language, context.override);
    const rows: ComposedRow[] = [];
    for (const channel of channels) {
      const decision = decideSendTime({
        intended: request.sendAt,
        now,
        timezone: recipient.timezone,
        quietHours: this.config.quietHours,
        timing,
        cap: channel === 'sms' && capped ? { limits: this.config.smsCap, others: await this.cappedSmsTimes(tx, recipient.id, request.sendAt) } : null,
      });
      const placed = placement(decision);
      if (channel === 'sms') {
        const body = templates.sms(vars);
        rows.push({ ...base, ...placed, id: randomUUID(), channel, body, toAddress: recipient.phone, dedupeKey: `${request.cause}:sms` });
        continue;
      }
      const email = templates.email(vars);
      rows.push({
        ...base,
        ...placed,
        id: randomUUID(),
        channel,
        subject: email.subject,
        body: email.text,
        toAddress: recipient.email,
        dedupeKey: `${request.cause}:email`,
        ics: request.ics && request.appointment ? this.invite(request.ics, request.appointment, clinic, recipient, now) : null,
      });
    }
    if (rows.length === 0) {
      // Nobody to write to: recorded as suppressed, so the front desk can see it and call. A
      // patient whose SMS are held (they asked to stop; staff are on it) is no call to make.
      const held = recipient.smsHeldAt !== null && recipient.smsConsent && !recipient.smsOptedOut;
      const undeliverable = smsUndeliverable && recipient.smsConsent && !recipient.smsOptedOut && !held;
      await tx
        .insert(messages)
        .values({
          ...base,
          id: randomUUID(),
          channel: 'sms',
          status: 'suppressed',
          body: templates.sms(vars),
          dedupeKey: `${request.cause}:none`,
          errorCode: held ? 'SMS_HELD' : 'NO_CHANNEL',
          error: held
            ? 'SMS are held: the patient asked by text to stop and has not confirmed'
            : undeliverable
              ? 'The carrier reported the number cannot take SMS, and there is no email address: call the patient'
              : 'No SMS consent and no email address: call the patient',
        })
        .onConflictDoNothing({ target: messages.dedupeKey });
      return [];
    }
    const inserted: MessageRow[] = [];
    for (const row of rows) inserted.push(...(await INSERT_COMPOSED.execute(tx, composedValues(row))));
    for (const row of inserted) {
      // Ids, kinds and codes only: no patient data in logs.
      if (row.status === 'suppressed') this.logger.log(`${row.kind} ${row.id} (${row.channel}) not sent: ${row.errorCode} - ${row.error}`);
    }
    return inserted.filter((row) => row.status === 'scheduled');
  }

  /** How the request is timed: see send-timing.policy.ts. */
  private timingOf(request: ComposeRequest): Timing {
    if (request.respectQuietHours === false) return { kind: 'at_once' };
    if (request.kind === 'reminder' && request.appointment) return { kind: 'reminder', usefulUntil: reminderUsefulUntil(request.appointment.startsAt) };
    return { kind: 'later' };
  }

  /**
   * Locks the patient's recipient row for a cap placement (as compose's locked read does):
   * placements for one patient go one at a time. `noWait`: fail at once (55P03) when it is busy.
   */
  async lockForCap(tx: Executor, patientId: string, { noWait = false }: { noWait?: boolean } = {}): Promise<void> {
    await tx.select({ id: recipients.id }).from(recipients).where(eq(recipients.id, patientId)).for('update', noWait ? { noWait: true } : undefined);
  }

  /**
   * When the patient's counted SMS go or went, for a cap check at `around` (the 7-day windows
   * around it); `except`: the message being placed itself. Call it with the patient's recipient
   * row locked (lockForCap, or compose's locked read), so that two placements for one patient
   * cannot interleave.
   */
  async cappedSmsTimes(tx: Executor, patientId: string, around: Date, except?: string): Promise<Date[]> {
    const found = await CAPPED_SMS_TIMES.execute(tx, { patientId, since: new Date(around.getTime() - 8 * DAY_MS) });
    return found.filter((r) => r.id !== except).map(cappedTime);
  }

  async scheduleJobs(rows: MessageRow[]): Promise<void> {
    await this.scheduler.scheduleMany(this.queue, JOBS.messageSend, rows.map((r) => ({ id: r.id, dueAt: r.sendAt ?? this.clock.now() })));
  }

  /**
   * An admin sends a `failed` message again (POST /api/messages/:id/retry): back to `queued` for
   * a fresh round of attempts, due now (message-retry.rule.ts). Opt-outs, a cancelled
   * appointment, quiet hours and, for a counted SMS retried on another day than it was meant for,
   * the frequency cap are decided by the sender at send time, as for any send.
   */
  async retryFailed(ctx: RequestContext, id: string): Promise<MessageLogEntry> {
    const now = this.clock.now();
    const row = await this.db.transaction(async (tx) => {
      const [current] = await tx.select().from(messages).where(and(eq(messages.id, id), eq(messages.clinicId, ctx.clinicId))).for('update');
      if (!current) throw notFound('Message', id);
      const refusal = retryRefusal(current);
      if (refusal) throw new DomainError('MESSAGE.NOT_FAILED', refusal, 409);
      await setStatusSource(tx, 'system');
      const [updated] = await tx.update(messages).set(failedMessageRetry(current, now)).where(eq(messages.id, id)).returning();
      return updated!;
    });
    // Rows before jobs: the job comes once the row is committed. The job that ended in `failed`
    // completed, and BullMQ ignores an add under an id it still holds, so it goes first; if it
    // cannot (still finishing), the reconciler gives the row a new job on its next pass.
    await this.queue.remove(row.id).catch(() => 0);
    await this.scheduler.schedule(this.queue, JOBS.messageSend, row.id, row.dueAt ?? now);
    return (await this.withHistory([row]))[0]!;
  }

  /**
   * Pending reminders (or any pending kind) of an appointment no longer go out; `why` (cancelled,
   * rescheduled, checked in, no-show) is their error code and reason in the log.
   */
  async cancelPendingForAppointment(tx: Executor, appointmentId: string, kinds: MessageKind[], why: MootReason): Promise<string[]> {
    const cancelled = await tx
      .update(messages)
      .set({ status: 'cancelled', errorCode: why.code, error: why.reason, updatedAt: this.clock.now() })
      .where(and(eq(messages.appointmentId, appointmentId), inArray(messages.kind, kinds), inArray(messages.status, ['scheduled', 'queued'])))
      .returning({ id: messages.id });
    return cancelled.map((r) => r.id);
  }

  /**
   * A text came from the patient's number: it can take SMS after all, so a carrier's report that
   * it could not (30003/30005/30006) no longer holds. Inside the inbound text's transaction.
   */
  async numberHeardFrom(tx: Executor, patientId: string, phone: string): Promise<void> {
    await tx
      .update(recipients)
      .set({ smsUndeliverablePhone: null, smsUndeliverableAt: null, smsUndeliverableCode: null })
      .where(and(eq(recipients.id, patientId), eq(recipients.smsUndeliverablePhone, phone)));
  }

  /** How long a temporary carrier report (30003) keeps a number from SMS. */
  unreachableFlagMs(): number {
    return (this.config.smsUnreachableFlagDays ?? 7) * DAY_MS;
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

  /**
   * The message log: every message with its channel, status history and error, newest first,
   * a page at a time (`limit`, default 100, at most 500). The next page is `before` the last
   * entry: its `createdAt` and `id` ("2026-01-12T14:00:00.000Z_<id>"; a time alone also does).
   * Newest first so that `?status=failed` shows today's failures however many there were before.
   */
  async list(ctx: RequestContext, patientId?: string, status?: MessageStatus, page: Pick<ListMessagesData, 'limit' | 'before'> = {}): Promise<MessageLogEntry[]> {
    const where: (SQL | undefined)[] = [eq(messages.clinicId, ctx.clinicId)];
    if (patientId) where.push(eq(messages.patientId, patientId));
    if (status) where.push(eq(messages.status, status));
    const before = page.before ? parseMessageCursor(page.before) : null;
    if (page.before && !before) {
      throw new DomainError('MESSAGES.BAD_CURSOR', 'before must be the createdAt and id of the last message shown, such as 2026-01-12T14:00:00.000Z_7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f', 400, 'before');
    }
    if (before) where.push(before.id ? or(lt(messages.createdAt, before.at), and(eq(messages.createdAt, before.at), lt(messages.id, before.id))) : lt(messages.createdAt, before.at));
    const asked = Number.isFinite(page.limit) ? Math.trunc(page.limit!) : MESSAGE_PAGE.default;
    const limit = Math.min(Math.max(asked, 1), MESSAGE_PAGE.max);
    const rows = await this.db.select().from(messages).where(and(...where)).orderBy(desc(messages.createdAt), desc(messages.id)).limit(limit);
    return this.withHistory(rows);
  }

  /** Every message of one patient, oldest first, for the timeline: the whole history, no page. */
  async timeline(ctx: RequestContext, patientId: string): Promise<TimelineEntry[]> {
    const rows = await this.db
      .select()
      .from(messages)
      .where(and(eq(messages.clinicId, ctx.clinicId), eq(messages.patientId, patientId)))
      .orderBy(asc(messages.createdAt), asc(messages.sendAt), asc(messages.id));
    return (await this.withHistory(rows)).map((m) => ({ at: m.sentAt ?? m.sendAt ?? m.createdAt, type: 'message' as const, data: m }));
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

  /**
   * Message rows as the log shows them: each with its status history (message_events, one entry
   * per change), the error code, what it stands in for, and whether its number was reported
   * unable to take SMS.
   */
  async withHistory(rows: MessageRow[]): Promise<MessageLogEntry[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const events = await this.db.select().from(messageEvents).where(inArray(messageEvents.messageId, ids)).orderBy(asc(messageEvents.id));
    const history = new Map<string, StatusChange[]>();
    for (const e of events) {
      const list = history.get(e.messageId) ?? [];
      list.push({ status: e.status, at: e.at.toISOString(), errorCode: e.errorCode, error: e.error, source: e.source as StatusChange['source'] });
      history.set(e.messageId, list);
    }
    const patientIds = [...new Set(rows.map((r) => r.patientId).filter((id): id is string => !!id))];
    const flagged = patientIds.length
      ? await this.db
          .select({ id: recipients.id, phone: recipients.smsUndeliverablePhone, code: recipients.smsUndeliverableCode, at: recipients.smsUndeliverableAt })
          .from(recipients)
          .where(inArray(recipients.id, patientIds))
      : [];
    const now = this.clock.now();
    const undeliverable = new Map(flagged.filter((f) => numberUndeliverable(f, f.phone, now, this.unreachableFlagMs())).map((f) => [f.id, f.phone!]));
    return rows.map((row) => ({
      ...toMessageResource(row),
      errorCode: row.errorCode,
      deliveredAt: row.deliveredAt?.toISOString() ?? null,
      attempts: row.attempts,
      fallbackOf: row.fallbackOf,
      numberUndeliverable: row.channel === 'sms' && row.direction === 'outbound' && !!row.toAddress && undeliverable.get(row.patientId ?? '') === row.toAddress,
      // Messages older than their history (none in practice) show where they are now.
      statusHistory: history.get(row.id) ?? [{ status: row.status, at: row.updatedAt.toISOString(), errorCode: row.errorCode, error: row.error, source: 'system' }],
    }));
  }

  /**
   * The e-mail that stands in for an SMS that could not go (opted out, number undeliverable,
   * failed for good): the same kind and content, by e-mail, linked by `fallback_of` - at the
   * SMS's own time, or at once when that has passed (quiet hours apply as to any message).
   * Its dedupe key is the e-mail of the same cause, so one cause never gets two e-mails (a
   * patient who asked for both already has one). Null when there is none to write.
   */
  async composeFallbackEmail(tx: Executor, failed: MessageRow, recipient: RecipientRow): Promise<MessageRow | null> {
    const cause = causeOf(failed.dedupeKey);
    const kind = failed.kind as MessageKind;
    if (!cause || !recipient.email || !failed.clinicId || !hasEmailTemplate(kind)) return null;
    const clinic = await this.directory.clinic(failed.clinicId, tx);
    if (!clinic) return null;
    const appointment = failed.appointmentId ? await this.directory.appointment(failed.appointmentId, tx) : null;
    const [offer] = failed.waitlistOfferId ? await tx.select().from(waitlistOffers).where(eq(waitlistOffers.id, failed.waitlistOfferId)) : [];
    const vars = this.varsFor(recipient, clinic, appointment ?? offer ?? null);
    if (NEEDS_TIME.has(kind) && !vars.appointmentTime) return null;
    const email = await this.templates.renderEmail(tx, clinic.id, kind, vars, recipient.language);
    const ics = FALLBACK_INVITE[kind];
    const now = this.clock.now();
    // The e-mail keeps quiet hours too (a reminder moves earlier only while that is ahead); one
    // that can no longer be useful is not written, and the caller asks for a call instead.
    const timing: Timing = kind === 'reminder' && appointment ? { kind: 'reminder', usefulUntil: reminderUsefulUntil(appointment.startsAt) } : { kind: 'later' };
    // Never earlier than the SMS was meant to go: a fallback decided ahead of time (a reminder
    // for next week) keeps its time; one for an SMS that failed just now goes now.
    const intended = failed.sendAt && failed.sendAt > now ? failed.sendAt : now;
    const decision = decideSendTime({ intended, now, timezone: recipient.timezone, quietHours: this.config.quietHours, timing });
    if (!decision.send) return null;
    const [row] = await tx
      .insert(messages)
      .values({
        id: randomUUID(),
        clinicId: failed.clinicId,
        patientId: failed.patientId,
        channel: 'email',
        direction: 'outbound',
        kind: failed.kind,
        status: 'scheduled',
        subject: email.subject,
        body: email.text,
        toAddress: recipient.email,
        sendAt: decision.at,
        appointmentId: failed.appointmentId,
        stepId: failed.stepId,
        waitlistOfferId: failed.waitlistOfferId,
        dedupeKey: `${cause}:email`,
        fallbackOf: failed.id,
        ics: ics && appointment ? this.invite(ics, appointment, clinic, recipient, now) : null,
        createdAt: now,
      })
      // The cause's e-mail exists already, or this SMS has its fallback: nothing new.
      .onConflictDoNothing()
      .returning();
    return row ?? null;
  }
}
