import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { DeliveryStatusUpdate, MessageStatus } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { ActivityCounter, DrainLoop, safeErrorMessage } from '@aftercare/messaging';
import { deliveryCallbacks, messages, type DeliveryCallbackRow, type MessageRow } from '../database/schema.js';
import { MessagesService } from '../messages/messages.service.js';
import { describeErrorCode, errorCodeFromCallback, nextStatus, statusFromTwilio } from './delivery.rules.js';
import { FallbackService } from './fallback.service.js';
import { setStatusSource } from './status-source.js';

/**
 * A status callback as the gateway forwards it: Twilio's fields, plus our message id from the
 * callback URL's query (null for callbacks not made by us or from before it was added).
 */
export type StatusCallback = DeliveryStatusUpdate & { messageId?: string | null };

/** How often leftovers are looked for (callbacks of a crashed run, calls due by now). */
const SWEEP_INTERVAL_MS = 2_000;
const BATCH = 50;

/**
 * Twilio's delivery reports. The webhook only records the callback (one row; a replay of the
 * same MessageSid + status + error code adds nothing) and answers; the callback is applied
 * right after, off the request, one transaction per callback, in arrival order:
 *
 * - the message is found by the provider's id, or by our id from the callback URL (the send's
 *   answer may have been lost: the report then tells us it was accepted after all);
 * - its status only moves forward (a late `sent` after `delivered` changes nothing);
 * - `undelivered` / `failed` are final: 21610 opts the patient out, 30003/30005/30006 flag the
 *   number, and the message falls back to e-mail or a call task (FallbackService).
 *
 * A periodic sweep picks up callbacks whose processing was cut off, and asks for the calls
 * that messages without any channel owe once they are due.
 */
@Injectable()
export class DeliveryStatusService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeliveryStatus');
  private readonly loop = new DrainLoop(
    () => this.drain(),
    (error) => this.logger.warn(`delivery reports: ${safeErrorMessage(error)}`),
  );

  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
    private readonly fallback: FallbackService,
    private readonly messages: MessagesService,
    private readonly activity: ActivityCounter,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start(SWEEP_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Records a callback and answers at once; `recorded: false` for a replay. */
  async update(callback: StatusCallback): Promise<{ recorded: boolean }> {
    const recorded = await this.db
      .insert(deliveryCallbacks)
      .values({
        id: randomUUID(),
        provider: 'twilio',
        messageSid: callback.messageSid,
        messageId: callback.messageId ?? null,
        providerStatus: callback.status.trim().toLowerCase(),
        errorCode: callback.errorCode?.trim() ?? '',
        receivedAt: this.clock.now(),
      })
      .onConflictDoNothing()
      .returning({ id: deliveryCallbacks.id });
    if (recorded.length > 0) setImmediate(() => this.kick());
    else this.activity.bump();
    return { recorded: recorded.length > 0 };
  }

  /** Applies what is waiting, now (one pass at a time; a kick during a pass makes another). */
  kick(): void {
    this.loop.kick();
  }

  /** Resolves once no pass is running (tests wait on it after a kick). */
  idle(): Promise<void> {
    return this.loop.idle();
  }

  /** Applies every recorded callback not yet applied, then the calls that are due. */
  async drain(): Promise<void> {
    while (!this.loop.isStopped && (await this.processNext())) {
      /* one callback per transaction */
    }
    while (!this.loop.isStopped && (await this.db.transaction((tx) => this.fallback.reportUnreachableDue(tx, BATCH))) === BATCH) {
      /* keep going while full batches come back */
    }
  }

  /** Applies the oldest callback nobody else is applying. False when there is none. */
  private async processNext(): Promise<boolean> {
    let created: MessageRow[] = [];
    const done = await this.db.transaction(async (tx) => {
      const [callback] = await tx
        .select()
        .from(deliveryCallbacks)
        .where(isNull(deliveryCallbacks.processedAt))
        .orderBy(asc(deliveryCallbacks.receivedAt), asc(deliveryCallbacks.id))
        .limit(1)
        .for('update', { skipLocked: true });
      if (!callback) return false;
      const result = await this.apply(tx, callback);
      created = result.created;
      await tx.update(deliveryCallbacks).set({ processedAt: this.clock.now(), outcome: result.outcome }).where(eq(deliveryCallbacks.id, callback.id));
      return true;
    });
    if (done) {
      this.activity.bump();
      await this.messages.scheduleJobs(created);
    }
    return done;
  }

  private async apply(tx: Executor, callback: DeliveryCallbackRow): Promise<{ outcome: string; created: MessageRow[] }> {
    const nothing = (outcome: string) => ({ outcome, created: [] });
    const reported = statusFromTwilio(callback.providerStatus);
    if (!reported) return nothing('ignored_status');
    await setStatusSource(tx, 'provider');

    let [row] = await tx.select().from(messages).where(eq(messages.providerMessageId, callback.messageSid)).for('update');
    if (!row && callback.messageId) {
      [row] = await tx.select().from(messages).where(and(eq(messages.id, callback.messageId), eq(messages.direction, 'outbound'))).for('update');
      if (row?.providerMessageId && row.providerMessageId !== callback.messageSid) {
        // The provider has two of this message: the lookup before a resend missed the first.
        this.logger.warn(`message ${row.id}: a report for another provider message (${callback.messageSid}); the message went out twice`);
        return nothing('other_send');
      }
    }
    if (!row) return nothing('unknown_message');
    if (row.channel !== 'sms' || row.direction !== 'outbound') return nothing('ignored');

    const attach = !row.providerMessageId;
    // Given up on after calls that got no answer, it went out after all: the report is the truth.
    const wasGuess = attach && row.status === 'failed' && row.unconfirmedSince !== null;
    const next = wasGuess ? reported : nextStatus(row.status, reported);
    if (!next && !attach) return nothing('stale');
    const now = this.clock.now();
    const set: Partial<typeof messages.$inferInsert> = { updatedAt: now };
    if (attach) Object.assign(set, { providerMessageId: callback.messageSid, provider: 'twilio', sentAt: row.sentAt ?? now, unconfirmedSince: null, nextAttemptAt: null });
    if (next) Object.assign(set, { status: next, ...this.detailsOf(next, callback, now) });
    const [updated] = await tx.update(messages).set(set).where(eq(messages.id, row.id)).returning();
    const created = next === 'failed' || next === 'undelivered' ? await this.fallback.afterFailure(tx, updated!) : [];
    return { outcome: next ? `applied:${next}` : 'attached', created };
  }

  private detailsOf(status: MessageStatus, callback: DeliveryCallbackRow, now: Date): Partial<typeof messages.$inferInsert> {
    if (status === 'delivered') return { deliveredAt: now, errorCode: null, error: null };
    if (status === 'sent') return { errorCode: null, error: null };
    const code = errorCodeFromCallback(callback.errorCode) ?? `TWILIO_${status.toUpperCase()}`;
    const reason = describeErrorCode(code) ?? (status === 'undelivered' ? 'The carrier could not deliver the message' : 'The provider could not send the message');
    return { errorCode: code, error: reason };
  }
}
