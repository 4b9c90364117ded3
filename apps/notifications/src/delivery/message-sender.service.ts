import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { and, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock } from '@aftercare/clock';
import { Coalescer, DRIZZLE, pgErrorOf, type Db, type Executor } from '@aftercare/database';
import { PermanentError, RetryableError } from '@aftercare/jobs';
import { safeErrorMessage } from '@aftercare/messaging';
import { appointments, deliveryCallbacks, messages, recipients, waitlistOffers, type MessageRow } from '../database/schema.js';
import { APPOINTMENT_CANCELLED, APPOINTMENT_RESCHEDULED, isOfAnOlderSequence, REMINDER_MOOT, STATES_THE_TIME } from '../messages/appointment-moot.js';
import { numberUndeliverable } from '../messages/channel.policy.js';
import { PENDING_STATUSES } from '../messages/message.source.js';
import { MessagesService, undeliverableFlagOf } from '../messages/messages.service.js';
import { decideAtSendTime, decideSendTime, needsCapCheckAtSendTime, timingOfRow, type SendTimeDecision, type Timing } from '../messages/send-timing.policy.js';
import { CallGate } from '../providers/call-gate.js';
import { Mailer } from '../providers/mailer.js';
import { SmsSender, type SmsSendResult } from '../providers/sms-sender.js';
import { SMS_OUTCOME_UNKNOWN_CODES } from '../providers/twilio.sms-sender.js';
import { describeErrorCode } from './delivery.rules.js';
import { SMS_HELD } from './fallback.rules.js';
import { FallbackService } from './fallback.service.js';
import { backoffDelayMs, MAX_SEND_ATTEMPTS, mayRetry } from './retry.policy.js';
import { SendStatements, type Acceptance, type LoadedSend, type SendAppointment, type SendRecipient, type SendRow } from './send-statements.js';
import { setStatusSource } from './status-source.js';

export interface SendOutcome {
  /** Wake the row's job again at this time (a retry's backoff, quiet hours, or a job woken before its time). */
  wakeAt: Date | null;
}
const DONE: SendOutcome = { wakeAt: null };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * One statement of a kind at the database at a time, carrying up to 256 sends (the worker's
 * default concurrency): the sends that arrive while it runs go together in the next one. Against
 * 100 per statement with two at once, a burst costs fewer statements (each a round trip, a wake-up
 * of a PostgreSQL backend and a row of per-statement work), and a lone send waits for nothing.
 */
const BATCHES = { maxBatch: 256, maxInFlight: 1 };

/**
 * A claim keeps the row its worker's for this long: the claim sets `next_attempt_at` to its end,
 * so a `sending` row is due again only then. BullMQ hands a job to another worker when its lock
 * runs out (`lockDuration`, 15 s without a renewal: a process paused that long, or cut off from
 * Redis), yet the first worker may wake and make its provider call after all. So a worker that
 * finds the row `sending` before its due time leaves it alone - no call, no suppression - and
 * comes back then: by then the first worker has recorded its call, or never will (it died), and
 * the lookup before a resend settles whether the provider has the message. The reconciler and the
 * virtual clock see the same due time.
 */
export const SEND_LEASE_MS = 45_000;
/**
 * The worker holding a claim makes its provider calls only this long after the claim, so that a
 * call (Twilio's times out after 10 s) ends well inside the lease. Past it - a long wait for the
 * provider gate, or a pause - it makes no call and gives the claim back (releaseLapsedClaim).
 */
export const SEND_CALL_BY_MS = 25_000;

/** PostgreSQL's lock_not_available: a NOWAIT lock that another transaction holds. */
const LOCK_NOT_AVAILABLE = '55P03';
/** A send that found its patient's row busy (placeUnderCap) comes back this much later. */
const PATIENT_BUSY_RETRY_MS = 1_000;

/** The claim's time ran out before its provider call began: no call was made. */
class ClaimLapsed extends Error {}
/** The reason code of a claim given back unused: its turn at the provider came too late. */
export const PROVIDER_BUSY = 'PROVIDER_BUSY';


interface Suppression {
  status: 'cancelled' | 'suppressed';
  code: string;
  reason: string;
  /** Whether a `suppressed` message falls back (e-mail, or a call): not when it was only too late. */
  fallback?: boolean;
}

/** What a change of a row by the sender may set. */
type MessageChanges = Partial<typeof messages.$inferInsert>;

/** What the send decisions read besides the row: the patient's copy and the appointment's. */
interface SendFacts {
  recipient: SendRecipient | null;
  appointment: SendAppointment | null;
}

/** How the outcome of earlier calls stands when a provider call fails. */
interface AttemptContext {
  /** An earlier call's outcome was unknown (no answer, or the process killed mid-call). */
  priorUnknown: boolean;
  /** The failure was the lookup before a resend, not the send itself. */
  lookupFailed: boolean;
}

/**
 * Sends one message row, a state machine on the row (docs/messaging.md):
 *
 * - claim: `sending`, attempts + 1, `unconfirmed_since` set (committed before the provider call);
 *   the claim's UPDATE itself re-checks the patient's SMS permission, so a STOP committed after
 *   the checks below still stops the send;
 * - the provider accepts: `sent` with its id, `unconfirmed_since` cleared;
 * - it refuses for good (4xx): `failed` at once; then the fallback (e-mail, or a call task);
 * - an error that can pass (5xx, 429, timeout, reset): `queued` with `next_attempt_at` after an
 *   exponential backoff with jitter (out of quiet hours), up to MAX_SEND_ATTEMPTS; then `failed`
 *   and the fallback.
 *
 * A call whose outcome is unknown (a timeout, a dropped connection, Twilio's 500/502/504, the
 * process killed) sets `unconfirmed_since`, and it stays until the message is accepted or a
 * lookup finds it: every later attempt asks the provider first whether it has the message, and
 * if it has, records it as sent instead of sending it twice. Suppression (opt-out, no consent, a
 * number that cannot take SMS, a cancelled or moved appointment), quiet hours in the patient's
 * zone, and the frequency cap for a counted SMS that goes on another day than it was placed on,
 * are decided right here, just before the provider call.
 */
@Injectable()
export class MessageSenderService {
  private readonly logger = new Logger('MessageSender');
  /** Provider calls (sends and lookups) at once: PROVIDER_CONCURRENCY, however many sends are under way. */
  private readonly providerCalls: CallGate;
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly sms: SmsSender,
    private readonly mailer: Mailer,
    private readonly fallback: FallbackService,
    private readonly messages: MessagesService,
  ) {
    this.providerCalls = new CallGate(config.providerConcurrency);
  }

  async send(messageId: string): Promise<SendOutcome> {
    // Not an id of ours (a job that someone else added): nothing to send, and no statement of a batch to spoil.
    if (!UUID.test(messageId)) return DONE;
    const loaded = await this.loads.submit(messageId);
    if (!loaded) return DONE;
    const { row, ...facts } = loaded;
    if (!(PENDING_STATUSES as readonly string[]).includes(row.status)) return DONE;
    const now = this.clock.now();
    // Not yet: its time, a retry's, the end of quiet hours - or, for a row `sending`, the end of
    // another worker's claim (its lease, SEND_LEASE_MS): that worker may be about to call the provider.
    if (row.dueAt && row.dueAt > now) return { wakeAt: row.dueAt };
    if (row.providerMessageId) {
      // The provider has it already: never a second time.
      await this.recordAccepted(row, row.provider ?? this.providerName(row), row.providerMessageId);
      return DONE;
    }
    const suppression = await this.suppressionOf(row, facts, now);
    if (suppression) {
      await this.suppress(row, suppression);
      return DONE;
    }

    // An earlier call may have been accepted with its answer lost (a crashed worker leaves the
    // row in `sending`; a call with no answer leaves `unconfirmed_since`).
    const unconfirmedSince = row.unconfirmedSince ?? (row.status === 'sending' ? row.updatedAt : null);

    // Quiet hours again: a retry, or a job that wakes late (after an outage, re-created by the
    // reconciler), must not go out in the patient's night.
    const timing = this.timingOf(row, facts);
    if (timing && facts.recipient) {
      const decision = decideAtSendTime({ at: now, timezone: facts.recipient.timezone, quietHours: this.config.quietHours, timing });
      if (!decision.send) {
        // Too late to be of use: dropped with the reason, never sent late (nor by e-mail).
        await this.suppress(row, { status: 'suppressed', code: decision.code, reason: decision.reason, fallback: false });
        return DONE;
      }
      const at = decision.at > now ? decision.at : now;
      // Not one whose earlier call may have gone (unconfirmedSince): it may count on the day it
      // went, and the provider is asked first - placed again, it could be dropped though the patient has it.
      const timezone = facts.recipient.timezone;
      if (!unconfirmedSince && needsCapCheckAtSendTime({ cappedSendAt: row.cappedSendAt, timing, at, timezone })) {
        const placed = await this.placeUnderCap(row, timing, timezone, at, now);
        if (placed) return placed;
      } else if (decision.at > now) return this.postpone(row, decision.at, unconfirmedSince);
    }

    const claimed = await this.claims.submit(row);
    if (!claimed) {
      // Another worker has it, or the patient's SMS were stopped since the checks above.
      const late = await this.suppressionOf(row, await this.factsOf(row), now);
      if (late) await this.suppress(row, late, { onlyIfUnchanged: true });
      return DONE;
    }

    if (unconfirmedSince && row.channel === 'sms') {
      let found: SmsSendResult | null;
      try {
        found = await this.alreadyAccepted(claimed, unconfirmedSince);
      } catch (error) {
        if (error instanceof ClaimLapsed) return this.releaseLapsedClaim(claimed, unconfirmedSince);
        return this.recordFailedAttempt(claimed, error, { priorUnknown: true, lookupFailed: true }, facts);
      }
      if (found) {
        this.logger.log(`message ${row.id}: the provider already had it (${found.providerMessageId}); not sent again`);
        await this.recordAccepted(claimed, this.sms.name, found.providerMessageId);
        return DONE;
      }
    }

    let result: { providerMessageId: string };
    try {
      result = row.channel === 'sms' ? await this.sendSms(claimed) : await this.sendEmail(claimed);
    } catch (error) {
      if (error instanceof ClaimLapsed) return this.releaseLapsedClaim(claimed, unconfirmedSince);
      return this.recordFailedAttempt(claimed, error, { priorUnknown: unconfirmedSince !== null, lookupFailed: false }, facts);
    }
    const accepted = { row: claimed, provider: this.providerName(row), providerMessageId: result.providerMessageId };
    // A delivery report that came first (by our id in its URL) has moved the row on: then only the id is filled in.
    if (!(await this.acceptances.submit(accepted))) await this.recordAccepted(claimed, accepted.provider, accepted.providerMessageId);
    return DONE;
  }

  /**
   * The hot path of a send is three statements for however many sends are under way (the worker
   * runs many jobs at once): read the rows with what the checks need, claim them, record the
   * provider's answers (send-statements.ts). Each is shared by the sends that reach it in the same
   * turn of the event loop (Coalescer), so a burst costs a few statements per batch, not a dozen
   * per message.
   */
  private statementsOnce: SendStatements | null = null;
  private get statements(): SendStatements {
    // drizzle's node-postgres database keeps its pool as $client.
    return (this.statementsOnce ??= new SendStatements((this.db as unknown as { $client: Pool }).$client, 'sender'));
  }
  private readonly loads = new Coalescer<string, LoadedSend | null>((ids) => this.statements.load(ids), BATCHES);
  private readonly claims = new Coalescer<SendRow, SendRow | null>((rows) => this.claimMany(rows), BATCHES);
  private readonly acceptances = new Coalescer<Acceptance, boolean>((accepted) => this.statements.recordAccepted(accepted, this.clock.now()), BATCHES);

  private claimMany(rows: SendRow[]): Promise<(SendRow | null)[]> {
    const now = this.clock.now();
    return this.statements.claim(rows, now, new Date(now.getTime() - this.messages.unreachableFlagMs()), new Date(now.getTime() + SEND_LEASE_MS));
  }

  /**
   * A provider call for the claimed row, when its turn at the gate comes - unless the claim is past
   * SEND_CALL_BY_MS by then (ClaimLapsed): another worker may have the row after the lease.
   */
  private providerCall<T>(claimed: SendRow, call: () => Promise<T>): Promise<T> {
    const callBy = claimed.updatedAt.getTime() + SEND_CALL_BY_MS;
    return this.providerCalls.run(() => (this.clock.now().getTime() > callBy ? Promise.reject(new ClaimLapsed()) : call()));
  }

  /**
   * No call was made under a claim whose turn at the provider came too late (the provider slow,
   * or a pause): the claim is given back - `queued` and due now, the attempt not counted, and
   * `unconfirmed_since` as it was before it - so that a busy provider costs a message neither an
   * attempt nor a lookup. Only while the row is still this claim's: after a pause past the lease
   * another worker may hold it, and it is left to that one.
   */
  private async releaseLapsedClaim(claimed: SendRow, unconfirmedSince: Date | null): Promise<SendOutcome> {
    const now = this.clock.now();
    const released = await this.updateAsSender(
      {
        status: 'queued',
        attempts: claimed.attempts - 1,
        unconfirmedSince,
        nextAttemptAt: null,
        errorCode: PROVIDER_BUSY,
        error: `No provider slot within ${SEND_CALL_BY_MS / 1000} s of the claim; no call was made, and it is queued again`,
        updatedAt: now,
      },
      [eq(messages.id, claimed.id), eq(messages.status, 'sending'), eq(messages.attempts, claimed.attempts)],
    );
    if (!released) return DONE;
    this.logger.warn(`message ${claimed.id}: no provider slot within ${SEND_CALL_BY_MS / 1000} s of its claim; no call made, queued again`);
    return { wakeAt: now };
  }

  private providerName(row: SendRow): string {
    return row.channel === 'sms' ? this.sms.name : this.mailer.name;
  }

  private sendSms(row: SendRow): Promise<SmsSendResult> {
    // Our id rides in the callback URL: the report finds the message even if the answer to
    // this call is lost.
    const statusCallbackUrl = this.config.twilio ? `${this.config.publicUrl}/webhooks/twilio/status?messageId=${row.id}` : undefined;
    return this.providerCall(row, () => this.sms.send({ to: row.toAddress!, body: row.body, statusCallbackUrl }));
  }

  private sendEmail(row: SendRow) {
    return this.providerCall(row, () => this.mailer.send({
      // The same Message-ID on every attempt: a mail sent twice is one mail to most clients.
      messageId: `<${row.id}@${mailDomain(this.config)}>`,
      to: row.toAddress!,
      subject: row.subject ?? '',
      text: row.body,
      icalEvent: row.ics ? { method: row.ics.includes('METHOD:CANCEL') ? 'CANCEL' : 'REQUEST', content: row.ics, filename: 'appointment.ics' } : undefined,
    }));
  }

  /** The provider's copy of this message, if it has one that is not another message of ours. */
  private async alreadyAccepted(row: SendRow, since: Date): Promise<SmsSendResult | null> {
    const candidates = await this.providerCall(row, () => this.sms.findAccepted({ to: row.toAddress!, body: row.body, since }));
    if (candidates.length === 0) return null;
    const taken = await this.db
      .select({ sid: messages.providerMessageId })
      .from(messages)
      .where(and(inArray(messages.providerMessageId, candidates.map((c) => c.providerMessageId)), ne(messages.id, row.id)));
    const known = new Set(taken.map((t) => t.sid));
    return candidates.find((c) => !known.has(c.providerMessageId)) ?? null;
  }

  private async factsOf(row: SendRow): Promise<SendFacts> {
    const [recipient] = row.patientId ? await this.db.select().from(recipients).where(eq(recipients.id, row.patientId)) : [];
    const [appointment] = row.appointmentId ? await this.db.select().from(appointments).where(eq(appointments.id, row.appointmentId)) : [];
    return { recipient: recipient ?? null, appointment: appointment ?? null };
  }

  /** How the row is timed against quiet hours; null for a message to nobody we know. */
  private timingOf(row: SendRow, facts: SendFacts): Timing | null {
    if (!facts.recipient || row.direction !== 'outbound') return null;
    return timingOfRow(row.timing, row.kind, facts.appointment?.startsAt ?? null);
  }

  /**
   * Quiet hours hold the message until `at`: the job wakes then (`next_attempt_at`; `send_at` stays
   * the time it was meant for). A row left `sending` by a killed worker waits as `queued`, keeping
   * the time from which the provider is to be asked whether it has it.
   */
  private async postpone(row: SendRow, at: Date, unconfirmedSince: Date | null): Promise<SendOutcome> {
    const updated = await this.updateAsSender(
      { status: row.status === 'sending' ? 'queued' : row.status, nextAttemptAt: at, unconfirmedSince: unconfirmedSince ?? null, updatedAt: this.clock.now() },
      [eq(messages.id, row.id), eq(messages.status, row.status), eq(messages.attempts, row.attempts)],
    );
    if (!updated) return DONE;
    this.logger.log(`message ${row.id} (${row.kind}, ${row.channel}) waits for the end of quiet hours: ${at.toISOString()}`);
    return { wakeAt: at };
  }

  /**
   * A counted SMS that goes on another local day than compose placed it on (needsCapCheckAtSendTime)
   * is placed under the cap again, for the day it goes, as compose places one: a check-in moves to
   * the next day with room, a reminder that would then come too late is dropped (FREQUENCY_CAP:
   * never sent late, and no e-mail instead, as at compose time). Its send time becomes the time it
   * goes (as compose writes a message it moves), so it counts on that day and the next placement
   * for the patient sees it there; a wake-up on that day finds it placed. Only while the row is as
   * read (locked first): otherwise another worker has moved it, and the job is that worker's. The
   * patient's row is then taken without waiting - an inbound text locks it before their messages,
   * a reschedule the other way round - and, were it busy, the send comes back in a second.
   * Null: it goes now.
   */
  private async placeUnderCap(row: SendRow, timing: Timing, timezone: string, at: Date, now: Date): Promise<SendOutcome | null> {
    let placed: SendTimeDecision | 'moved';
    try {
      placed = await this.db.transaction(async (tx): Promise<SendTimeDecision | 'moved'> => {
        const [asRead] = await tx
          .select({ id: messages.id })
          .from(messages)
          .where(
            and(
              eq(messages.id, row.id),
              eq(messages.status, row.status),
              eq(messages.attempts, row.attempts),
              // Another worker's hold moves the due time only (to the millisecond, as the row was read).
              sql`date_trunc('milliseconds', ${messages.dueAt}) IS NOT DISTINCT FROM ${row.dueAt}::timestamptz`,
            ),
          )
          .for('update');
        if (!asRead) return 'moved';
        await this.messages.lockForCap(tx, row.patientId!, { noWait: true });
        const others = await this.messages.cappedSmsTimes(tx, row.patientId!, at, row.id);
        const decision = decideSendTime({ intended: at, now, timezone, quietHours: this.config.quietHours, timing, cap: { limits: this.config.smsCap, others } });
        await setStatusSource(tx, 'sender');
        await tx
          .update(messages)
          .set(
            decision.send
              ? { sendAt: decision.at, ...(decision.at > now ? { nextAttemptAt: decision.at } : {}), updatedAt: now }
              : { status: 'suppressed', errorCode: decision.code, error: decision.reason, nextAttemptAt: null, updatedAt: now },
          )
          .where(eq(messages.id, row.id));
        return decision;
      });
    } catch (error) {
      if (pgErrorOf(error).code !== LOCK_NOT_AVAILABLE) throw error;
      return { wakeAt: new Date(now.getTime() + PATIENT_BUSY_RETRY_MS) };
    }
    if (placed === 'moved') {
      this.logger.log(`message ${row.id}: changed since it was read, while being placed under the SMS limit; left to whoever changed it`);
      return DONE;
    }
    if (!placed.send) {
      this.logger.log(`message ${row.id} (${row.kind}, ${row.channel}) not sent: ${placed.code} - ${placed.reason}`);
      return DONE;
    }
    if (placed.at <= now) return null;
    this.logger.log(`message ${row.id} (${row.kind}, ${row.channel}) waits ${placed.movedBy === 'frequency_cap' ? 'for a day with room under the SMS limit' : 'for the end of quiet hours'}: ${placed.at.toISOString()}`);
    return { wakeAt: placed.at };
  }

  private async recordAccepted(row: SendRow, provider: string, providerMessageId: string): Promise<void> {
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
   * A provider call that failed (or a lookup that could not answer). `unconfirmed_since` stays
   * while any call so far may have been taken - this one (no answer, Twilio's 500/502/504, an
   * error we do not know, a lookup that failed) or an earlier one - so that the next attempt
   * asks first; it is cleared only when every call so far was clearly not taken (503, 429,
   * connection refused, a 4xx refusal, SMTP answers).
   */
  private async recordFailedAttempt(row: SendRow, error: unknown, context: AttemptContext, facts: SendFacts): Promise<SendOutcome> {
    const known = error instanceof PermanentError || error instanceof RetryableError;
    const code = known ? error.code : 'UNEXPECTED';
    const thisUnknown = context.lookupFailed || !known || SMS_OUTCOME_UNKNOWN_CODES.has(code);
    const unknownOutcome = context.priorUnknown || thisUnknown;
    const canPass = !(error instanceof PermanentError);
    const described = describeErrorCode(code) ?? safeErrorMessage(error);
    const now = this.clock.now();

    let finalReason: string | null = canPass ? null : described;
    let retryAt: Date | null = null;
    if (canPass && !mayRetry(row.attempts)) finalReason = `Gave up after ${row.attempts} attempts: ${described}`;
    if (!finalReason) {
      retryAt = new Date(now.getTime() + backoffDelayMs(row.attempts, Math.random()));
      // The retry keeps out of quiet hours too: moved to their end, or given up when that is too late.
      const timing = this.timingOf(row, facts);
      if (timing && facts.recipient) {
        const decision = decideAtSendTime({ at: retryAt, timezone: facts.recipient.timezone, quietHours: this.config.quietHours, timing });
        if (decision.send) retryAt = decision.at;
        else finalReason = `Attempt ${row.attempts} failed (${described}); a retry would come in quiet hours or after, too late to be of use`;
      }
    }

    if (!finalReason && retryAt) {
      const at = retryAt;
      const updated = await this.updateAsSender(
        {
          status: 'queued',
          errorCode: code,
          error: `Attempt ${row.attempts} of ${MAX_SEND_ATTEMPTS} failed, will retry: ${described}`.slice(0, 300),
          nextAttemptAt: at,
          unconfirmedSince: unknownOutcome ? row.unconfirmedSince : null,
          updatedAt: now,
        },
        [eq(messages.id, row.id), eq(messages.status, 'sending')],
      );
      this.logger.warn(`message ${row.id} (${row.channel}) attempt ${row.attempts} failed: ${code}; retry at ${at.toISOString()}`);
      return updated ? { wakeAt: at } : DONE;
    }

    const reason = finalReason!;
    await this.updateAsSender(
      {
        status: 'failed',
        errorCode: code,
        error: reason.slice(0, 300),
        nextAttemptAt: null,
        // A call that may have been taken may yet have gone out: a report then overrides `failed`.
        unconfirmedSince: unknownOutcome ? row.unconfirmedSince : null,
        updatedAt: now,
      },
      [eq(messages.id, row.id), eq(messages.status, 'sending')],
      { fallback: true, changed: () => this.logger.warn(`message ${row.id} (${row.channel}) failed for good after ${row.attempts} attempt(s): ${code}`) },
    );
    return DONE;
  }

  /**
   * `cancelled` (moot) or `suppressed` (not allowed, or too late), with the reason. `onlyIfUnchanged`:
   * only while the row is as it was read (a claim that failed may have lost to another worker).
   */
  private async suppress(row: SendRow, suppression: Suppression, { onlyIfUnchanged = false } = {}): Promise<void> {
    const conditions: [SQL, ...SQL[]] = [eq(messages.id, row.id), inArray(messages.status, [...PENDING_STATUSES])];
    if (onlyIfUnchanged) conditions.push(eq(messages.status, row.status), eq(messages.attempts, row.attempts));
    await this.updateAsSender(
      { status: suppression.status, errorCode: suppression.code, error: suppression.reason, nextAttemptAt: null, updatedAt: this.clock.now() },
      conditions,
      {
        // Cancelled is moot; suppressed (SMS not allowed to this patient) falls back to e-mail - unless it was only too late.
        fallback: suppression.status === 'suppressed' && suppression.fallback !== false,
        changed: () => this.logger.log(`message ${row.id} (${row.kind}, ${row.channel}) not sent: ${suppression.code}`),
      },
    );
  }

  /**
   * A change of the row by the sender, only where all `conditions` still hold (the row as the
   * sender read or claimed it; never an empty list), in a transaction that names the sender as the source of its status change
   * (the status history's trigger reads it). With `fallback`, a row so changed (`failed`, or
   * `suppressed`) gets its fallback in the same transaction (an e-mail or a call task), whose
   * messages' jobs are added once it commits (rows before jobs). `changed` runs once the change
   * has committed, before those jobs are added (its log line is written even if Redis fails then).
   */
  private async updateAsSender(set: MessageChanges, conditions: [SQL, ...SQL[]], { fallback = false, changed }: { fallback?: boolean; changed?: () => void } = {}): Promise<MessageRow | null> {
    const { updated, created } = await this.db.transaction(async (tx) => {
      await setStatusSource(tx, 'sender');
      const [row] = await tx.update(messages).set(set).where(and(...conditions)).returning();
      return { updated: row ?? null, created: row && fallback ? await this.fallback.afterFailure(tx, row) : [] };
    });
    if (updated) changed?.();
    if (created.length > 0) await this.messages.scheduleJobs(created);
    return updated;
  }

  private async suppressionOf(row: SendRow, facts: SendFacts, now: Date, db: Executor = this.db): Promise<Suppression | null> {
    const appointment = facts.appointment;
    if (appointment && row.kind === 'reminder') {
      const moot = REMINDER_MOOT[appointment.status];
      if (moot) return { status: 'cancelled', ...moot };
    }
    if (appointment && STATES_THE_TIME.has(row.kind)) {
      if (appointment.status === 'cancelled') return { status: 'cancelled', ...APPOINTMENT_CANCELLED };
      // Written for a time the appointment has moved from: the new time has its own messages.
      if (isOfAnOlderSequence(row.kind, row.dedupeKey, appointment.sequence)) return { status: 'cancelled', ...APPOINTMENT_RESCHEDULED };
    }
    if (row.waitlistOfferId && row.kind === 'waitlist_offer') {
      // Held by quiet hours past the offer's end, or closed meanwhile: nothing left to answer.
      const [offer] = await db.select().from(waitlistOffers).where(eq(waitlistOffers.id, row.waitlistOfferId));
      if (offer && (offer.status !== 'pending' || offer.expiresAt <= now)) {
        return { status: 'cancelled', code: 'OFFER_CLOSED', reason: 'The waitlist offer closed before this went out' };
      }
    }
    const recipient = facts.recipient;
    if (row.channel === 'sms' && recipient) {
      if (recipient.smsOptedOut) return { status: 'suppressed', code: 'SMS_OPTED_OUT', reason: 'The patient opted out of SMS' };
      if (!recipient.smsConsent) return { status: 'suppressed', code: 'SMS_NO_CONSENT', reason: 'The patient has not consented to SMS' };
      if (recipient.smsHeldAt) return { status: 'suppressed', code: SMS_HELD, reason: 'Held: the patient asked by text to stop; staff confirm it' };
      if (numberUndeliverable(undeliverableFlagOf(recipient), row.toAddress, now, this.messages.unreachableFlagMs())) {
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
