import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { asc, eq, sql } from 'drizzle-orm';
import type { RequestContext } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db } from '@aftercare/database';
import { DomainError, DrainLoop, KeyedTurns, listenerCount, REDIS_COMMANDS, safeErrorMessage, settledWithin } from '@aftercare/messaging';
import type { Redis } from 'ioredis';
import { Gauge } from 'prom-client';
import { AppMetrics } from '@aftercare/ops';
import { heldWebhooks, type HeldWebhookRow } from '../database/schema.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { systemContext } from '../common/request-context.js';

/** How often a gateway looks for held webhooks (one indexed query on an empty table, mostly). */
const PASS_EVERY_MS = 1_000;
/** Webhooks forwarded per pass, in order. */
const PASS_LIMIT = 100;
/** Wait before trying a held webhook again: doubling from 1 s, at most 30 s. */
const retryDelayMs = (attempts: number) => Math.min(30_000, 1_000 * 2 ** Math.min(attempts, 5));
/** One gateway at a time forwards the held webhooks, so that they reach notifications in order. */
const LOCK_KEY = 'aftercare.gateway.held-webhooks';
/**
 * How long a webhook waits for notifications before it is held: well inside Twilio's 15 s, and
 * far above the tens of milliseconds notifications takes.
 */
export const FORWARD_TIMEOUT_MS = 5_000;
/**
 * How long a delivery report waits for notifications before it is held, the gateway's checks
 * included: a report needs no answer, and Twilio is to get its acknowledgement within 2 s (the
 * held copy is forwarded as soon as notifications can take it; one that notifications took late
 * as well is recorded once). A held report holds no text: see `anyHeld`.
 */
export const STATUS_FORWARD_TIMEOUT_MS = 1_200;
/** How long to wait for Redis to say whether notifications listens at all (else: try it). */
const LISTENERS_TIMEOUT_MS = 250;

/** Whether notifications could not take the webhook now (so it is kept), rather than refused it. */
function notTakenNow(error: unknown): boolean {
  return !(error instanceof DomainError) || error.statusCode === 503;
}

/**
 * Twilio does not call a webhook again when we answer it with an error or not at all: an inbound
 * text (a STOP, a pain score) or a delivery report that came while notifications was down or
 * unreachable was lost. Here, such a webhook is kept in PostgreSQL (`gateway.held_webhooks`),
 * Twilio gets its ordinary answer, and the gateway forwards what it holds, in arrival order, as
 * soon as notifications answers again - deleting each once notifications has it. A webhook that
 * comes while others of its kind are held waits behind them, so a patient's STOP and a later
 * START are applied in the order they were sent (reports have no order to keep). Forwarding
 * twice is harmless: notifications records a text once per MessageSid and a report once per
 * MessageSid and status.
 */
@Injectable()
export class HeldWebhooks implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('HeldWebhooks');
  private readonly loop = new DrainLoop(
    () => this.forwardHeld(),
    (error) => this.logger.warn(`forwarding held webhooks failed, trying again shortly: ${safeErrorMessage(error)}`),
  );

  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly services: ServiceForwarder,
    @Inject(REDIS_COMMANDS) private readonly redis: Redis,
    private readonly clock: Clock,
    metrics: AppMetrics,
  ) {
    const held = () => this.heldCount();
    new Gauge({
      name: 'aftercare_held_webhooks',
      help: "Twilio webhooks held by the gateway until notifications can take them",
      registers: [metrics.registry],
      async collect() {
        this.set(await held());
      },
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start(PASS_EVERY_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /**
   * Forwards being made right now, by order key (a patient's number): a later webhook of the key
   * waits for the earlier one's forward to settle - answered, or held - so that it cannot overtake
   * a text that is about to be held (a STOP then a START must not be applied START first).
   */
  private readonly turns = new KeyedTurns();

  /**
   * The webhook's answer from notifications, forwarded at once - or, when notifications cannot
   * take it now (or older webhooks are still held), `heldAnswer` once the webhook is kept (as
   * `asHeld` makes it: what notifications should know of a webhook that waited). `orderKey`:
   * webhooks of one key are forwarded one after the other, in the order they came; `deadline`
   * (epoch ms, default 5 s from now): the answer is waited for until then, the wait for an
   * earlier webhook's turn included.
   */
  async forward<T>(
    pattern: string,
    dedupeKey: string,
    ctx: RequestContext,
    data: object,
    heldAnswer: T,
    asHeld: (receivedAt: Date) => object = () => data,
    { orderKey, deadline = Date.now() + FORWARD_TIMEOUT_MS }: { orderKey?: string; deadline?: number } = {},
  ): Promise<T> {
    const now = () => this.forwardNow(pattern, dedupeKey, ctx, data, heldAnswer, asHeld, deadline);
    return orderKey === undefined ? now() : this.turns.run(orderKey, now);
  }

  private async forwardNow<T>(pattern: string, dedupeKey: string, ctx: RequestContext, data: object, heldAnswer: T, asHeld: (receivedAt: Date) => object, deadline: number): Promise<T> {
    if (deadline > Date.now() && !(await this.anyHeld(pattern)) && !(await this.nobodyListens(pattern))) {
      // What is left of the time once the checks are done: the answer to Twilio keeps its deadline.
      const left = deadline - Date.now();
      try {
        if (left > 0) return await this.services.send<T>(pattern, ctx, data, left);
      } catch (error) {
        if (!notTakenNow(error)) throw error;
        this.logger.warn(`${pattern}: notifications cannot take it now (${safeErrorMessage(error)}); held, to be forwarded when it can`);
      }
    }
    // When it came is the Clock's time (what notifications records for a held text); the retries are paced in real time.
    const now = new Date();
    await this.db
      .insert(heldWebhooks)
      .values({ pattern, dedupeKey: `${pattern}:${dedupeKey}`, payload: asHeld(this.clock.now()), correlationId: ctx.correlationId, receivedAt: now, nextAttemptAt: now })
      .onConflictDoNothing({ target: heldWebhooks.dedupeKey });
    this.loop.kick();
    return heldAnswer;
  }

  /** How many webhooks wait (the aftercare_held_webhooks gauge). */
  async heldCount(): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(heldWebhooks);
    return row?.n ?? 0;
  }

  /**
   * Whether Redis says no replica of notifications listens for the pattern (it is stopped or
   * restarting): then the webhook is held at once instead of waiting for an answer that will not
   * come. Unknown (Redis slow or down: requests then go over TCP) counts as listening.
   */
  private nobodyListens(pattern: string): Promise<boolean> {
    return settledWithin(listenerCount(this.redis, pattern).then((n) => n === 0), LISTENERS_TIMEOUT_MS, false);
  }

  /**
   * Whether webhooks of the pattern are held (or, without one, any): a text waits behind held
   * texts, so that a patient's STOP and START keep their order, but not behind held delivery
   * reports, which have no order to keep (a message's status only moves forward) - else a report
   * held during a short stall of notifications would leave every text after it unanswered.
   */
  private async anyHeld(pattern?: string): Promise<boolean> {
    const rows = await this.db
      .select({ seq: heldWebhooks.seq })
      .from(heldWebhooks)
      .where(pattern === undefined ? undefined : eq(heldWebhooks.pattern, pattern))
      .limit(1);
    return rows.length > 0;
  }

  /**
   * One pass: under a transaction-scoped advisory lock (one gateway at a time), the held
   * webhooks in order, each forwarded and deleted; the first that notifications cannot take
   * yet stops the pass (those after it wait, in order) and is tried again after a backoff.
   */
  private async forwardHeld(): Promise<void> {
    if (!(await this.anyHeld())) return;
    await this.db.transaction(async (tx) => {
      const [{ locked } = { locked: false }] = (await tx.execute<{ locked: boolean }>(sql`SELECT pg_try_advisory_xact_lock(hashtext(${LOCK_KEY})) AS locked`)).rows;
      if (!locked) return;
      const held: HeldWebhookRow[] = await tx.select().from(heldWebhooks).orderBy(asc(heldWebhooks.seq)).limit(PASS_LIMIT);
      if (held[0] && held[0].nextAttemptAt > new Date()) return;
      for (const row of held) {
        try {
          if (await this.nobodyListens(row.pattern)) throw new DomainError('SERVICE.UNAVAILABLE', 'notifications is not listening yet', 503);
          await this.services.send(row.pattern, systemContext(row.correlationId), row.payload, FORWARD_TIMEOUT_MS);
        } catch (error) {
          if (notTakenNow(error)) {
            const attempts = row.attempts + 1;
            await tx
              .update(heldWebhooks)
              .set({ attempts, nextAttemptAt: new Date(Date.now() + retryDelayMs(attempts)), lastError: safeErrorMessage(error).slice(0, 500) })
              .where(eq(heldWebhooks.seq, row.seq));
            return;
          }
          // Refused for good (it passed the same checks when it came, so this is a bug of ours):
          // kept in the log by its sequence number, not retried forever ahead of the others.
          this.logger.error(`held webhook #${row.seq} (${row.pattern}) refused by notifications, dropped: ${safeErrorMessage(error)}`);
        }
        await tx.delete(heldWebhooks).where(eq(heldWebhooks.seq, row.seq));
        this.logger.log(`held webhook #${row.seq} (${row.pattern}) forwarded, ${Math.round((Date.now() - row.receivedAt.getTime()) / 1000)} s after it came`);
      }
      if (held.length === PASS_LIMIT) this.loop.kick();
    });
  }
}
