import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { firstValueFrom, timeout } from 'rxjs';
import {
  EVENT_SUBSCRIBERS,
  SERVICES,
  EVENT_VERSIONS,
  eventPattern,
  type EventEnvelope,
  type EventPayloads,
  type EventType,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { ActivityCounter } from './activity.js';
import { DrainLoop } from './drain-loop.js';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options.js';
import { isRpcErrorBody, safeErrorMessage } from './errors.js';
import { REDIS_COMMANDS, TRANSPORT_CLIENT } from './service-client.js';

export interface EventMeta {
  clinicId: string;
  correlationId?: string;
  causationId?: string | null;
}

const BATCH = 100;
// Cheap to retry (a subscriber that is down is seen at once), so a consumer that comes back
// gets its backlog within seconds.
const MAX_BACKOFF_MS = 5_000;

/**
 * Sends undelivered outbox rows to their subscriber with a request (not a fire-and-forget
 * emit) and marks them delivered only when the subscriber acknowledges. A subscriber that is
 * down is retried with backoff; each subscriber gets its events in the order they were written.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private readonly loop = new DrainLoop(
    () => this.drain(),
    (error) => this.logger.warn(`relay pass failed: ${safeErrorMessage(error)}`),
  );

  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    @Inject(TRANSPORT_CLIENT) private readonly client: ClientProxy,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    @Inject(REDIS_COMMANDS) private readonly redis: Redis,
    private readonly activity: ActivityCounter,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start(this.options.relayIntervalMs ?? 250);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  kick(): void {
    this.loop.kick();
  }

  /** Rows not yet acknowledged (the virtual clock waits for zero). */
  async pendingCount(): Promise<number> {
    const { outbox } = this.options.tables;
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(outbox).where(isNull(outbox.deliveredAt));
    return row?.n ?? 0;
  }

  private async drain(): Promise<void> {
    while (!this.loop.isStopped && (await this.relayBatch()) === BATCH) {
      /* keep going while full batches come back */
    }
  }

  /**
   * One pass over every subscriber's queue of undelivered events, oldest first. A subscriber
   * whose oldest event is waiting for a retry gets nothing newer: its events arrive in the order
   * they were written. Returns the most events delivered to one subscriber.
   */
  async relayBatch(): Promise<number> {
    const { outbox } = this.options.tables;
    return this.db.transaction(async (tx) => {
      // One relay of this service at a time (replicas included) keeps the order per subscriber.
      const { rows: locks } = await tx.execute<{ locked: boolean }>(
        sql`SELECT pg_try_advisory_xact_lock(hashtext(${`aftercare.outbox.${this.options.service}`})) AS locked, now() AS now`,
      );
      if (!locks[0]?.locked) return 0;
      const dbNow = new Date((locks[0] as unknown as { now: Date }).now);
      let most = 0;
      for (const subscriber of SERVICES) {
        const rows = await tx
          .select()
          .from(outbox)
          .where(and(isNull(outbox.deliveredAt), eq(outbox.subscriber, subscriber)))
          .orderBy(asc(outbox.seq))
          .limit(BATCH);
        if (rows.length === 0 || rows[0]!.nextAttemptAt > dbNow) continue;
        const delivered: string[] = [];
        for (const row of rows) {
          try {
            const pattern = eventPattern(subscriber, row.eventType as EventType);
            // A request nobody listens to would only time out: with the subscriber down, say so at once.
            const [, listeners] = (await this.redis.pubsub('NUMSUB', pattern)) as [string, number];
            if (Number(listeners) === 0) throw new Error(`${subscriber} is not listening`);
            await firstValueFrom(this.client.send(pattern, row.envelope).pipe(timeout(this.options.ackTimeoutMs ?? 5_000)));
            delivered.push(row.id);
            this.activity.bump();
          } catch (error) {
            const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(row.attempts, 8));
            const reason = isRpcErrorBody(error) ? `${error.code}: ${error.message}` : safeErrorMessage(error);
            await tx
              .update(outbox)
              .set({ attempts: row.attempts + 1, nextAttemptAt: sql`now() + ${`${backoff} milliseconds`}::interval`, lastError: reason.slice(0, 500) })
              .where(eq(outbox.id, row.id));
            if (row.attempts === 0 || row.attempts % 20 === 0) {
              this.logger.warn(`event ${row.eventType} ${row.eventId} not acknowledged by ${subscriber} (${reason}); retrying`);
            }
            break; // nothing newer for this subscriber until this one is through
          }
        }
        if (delivered.length) await tx.update(outbox).set({ deliveredAt: sql`now()` }).where(inArray(outbox.id, delivered));
        most = Math.max(most, delivered.length);
      }
      return most;
    });
  }
}

/**
 * Writes events into the producer's outbox inside the caller's transaction, so the event
 * exists if and only if the change that caused it committed.
 */
@Injectable()
export class OutboxWriter {
  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly clock: Clock,
    private readonly relay: OutboxRelay,
  ) {}

  async publish<T extends EventType>(tx: Executor, type: T, payload: EventPayloads[T], meta: EventMeta): Promise<string> {
    const id = randomUUID();
    const envelope: EventEnvelope<T> = {
      id,
      type,
      version: EVENT_VERSIONS[type],
      clinicId: meta.clinicId,
      occurredAt: this.clock.now().toISOString(),
      correlationId: meta.correlationId ?? id,
      causationId: meta.causationId ?? null,
      payload,
    };
    const subscribers = EVENT_SUBSCRIBERS[type];
    if (subscribers.length > 0) {
      await tx.insert(this.options.tables.outbox).values(
        subscribers.map((subscriber) => ({ id: randomUUID(), eventId: id, eventType: type, subscriber, envelope })),
      );
    }
    // The relay polls anyway; this only shortens the wait once the transaction has committed.
    setImmediate(() => this.relay.kick());
    return id;
  }
}
