import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
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
  type ServiceName,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { DRIZZLE, PG_POOL, PreparedQuery, type Db, type Executor } from '@aftercare/database';
import type { Pool } from 'pg';
import { ChannelListener } from './channel-listener.js';
import { ActivityCounter } from './activity.js';
import { DrainLoop } from './drain-loop.js';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options.js';
import type { MessagingTables } from './outbox.tables.js';
import { isRpcErrorBody, safeErrorMessage } from './errors.js';
import { REDIS_COMMANDS, TRANSPORT_CLIENT } from './service-client.js';
import { listenerCount } from './within.js';

export interface EventMeta {
  clinicId: string;
  correlationId?: string;
  causationId?: string | null;
}

const BATCH = 200;
/** Events of different patients under way at once, per subscriber (MessagingOptions.relayConcurrency). */
const DEFAULT_CONCURRENCY = 32;
// Cheap to retry (a subscriber that is down is seen at once), so a consumer that comes back
// gets its backlog within seconds.
const MAX_BACKOFF_MS = 5_000;

/** The channel a service's outbox notifies when a transaction that wrote to it commits (outboxNotifyMigration). */
export const outboxChannel = (service: string) => `aftercare_outbox_${service}`;

/**
 * Sends undelivered outbox rows to their subscriber with a request (not a fire-and-forget
 * emit) and marks them delivered only when the subscriber acknowledges. A subscriber that is
 * down is retried with backoff; each subscriber gets its events in the order they were written.
 *
 * A pass starts when a transaction that wrote events commits (PostgreSQL's NOTIFY from the
 * outbox's trigger, heard on a connection of the relay's own), and every `relayIntervalMs`
 * anyway: for retries, for the notifications missed while that connection was down, and for a
 * database without the trigger.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
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
    @Inject(PG_POOL) pool: Pool,
  ) {
    this.listener = new ChannelListener({
      connection: { ...pool.options, application_name: `${String(pool.options.application_name ?? options.service)}-outbox` },
      channel: outboxChannel(options.service),
      onNotify: () => this.loop.kick(),
      onListening: () => this.loop.kick(),
      warn: (line) => this.logger.warn(line),
    });
  }

  private readonly listener: ChannelListener;

  onApplicationBootstrap(): void {
    this.listener.start();
    this.loop.start(this.options.relayIntervalMs ?? 250);
  }

  /** The pass under way finishes while the pool is open (the database module closes it first thing in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await this.listener.stop();
  }

  kick(): void {
    this.loop.kick();
  }

  /**
   * An event was written in a transaction that has not committed yet: when the relay hears
   * commits, the commit's notification starts the pass; otherwise a pass soon after (which
   * finds the event if the transaction has committed by then, or the next poll does).
   */
  written(): void {
    if (!this.listener.listening) setImmediate(() => this.loop.kick());
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
   * One pass over every subscriber's queue of undelivered events, oldest first. Events of one
   * patient arrive in the order they were written, one after the other; other patients' events
   * go side by side, up to `relayConcurrency` at a time (at one event per round trip, a relay
   * sent some 80 events a second, and a burst of due check-ins waited minutes in the outbox). An
   * event of no patient (a clinic's change, an attention item) waits for everything before it
   * and holds back everything after it. When an event is refused, nothing more is started for
   * that subscriber: those under way finish, and the next pass starts again at the refused one,
   * which waits for its retry, so no later event of its patient overtakes it.
   * Returns the most events delivered to one subscriber.
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
        const { delivered, refused } = await this.deliverInOrder(subscriber, rows);
        if (refused) {
          const { row, error } = refused;
          const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(row.attempts, 8));
          const reason = isRpcErrorBody(error) ? `${error.code}: ${error.message}` : safeErrorMessage(error);
          await tx
            .update(outbox)
            .set({ attempts: row.attempts + 1, nextAttemptAt: sql`now() + ${`${backoff} milliseconds`}::interval`, lastError: reason.slice(0, 500) })
            .where(eq(outbox.id, row.id));
          if (row.attempts === 0 || row.attempts % 20 === 0) {
            this.logger.warn(`event ${row.eventType} ${row.eventId} not acknowledged by ${subscriber} (${reason}); retrying`);
          }
        }
        if (delivered.length) await tx.update(outbox).set({ deliveredAt: sql`now()` }).where(inArray(outbox.id, delivered));
        most = Math.max(most, delivered.length);
      }
      return most;
    });
  }

  /**
   * Sends `rows` (one subscriber's, in write order) as relayBatch describes; answers the ids
   * acknowledged and the first refusal, if any (the earliest in write order among refusals).
   */
  private async deliverInOrder(subscriber: ServiceName, rows: OutboxRow[]): Promise<{ delivered: string[]; refused: Refusal | null }> {
    const limit = Math.max(1, this.options.relayConcurrency ?? DEFAULT_CONCURRENCY);
    const delivered: string[] = [];
    let refused: Refusal | null = null;
    // The subscriber's listeners per pattern, asked once per pass: a request nobody listens to
    // would only time out, so with the subscriber down it is refused at once.
    const listening = new Map<string, Promise<boolean>>();
    const isListening = (pattern: string) => {
      let known = listening.get(pattern);
      if (!known) {
        known = listenerCount(this.redis, pattern).then((n) => n > 0);
        listening.set(pattern, known);
      }
      return known;
    };
    const send = async (row: OutboxRow): Promise<boolean> => {
      try {
        const pattern = eventPattern(subscriber, row.eventType as EventType);
        if (!(await isListening(pattern))) throw new Error(`${subscriber} is not listening`);
        await firstValueFrom(this.client.send(pattern, row.envelope).pipe(timeout(this.options.ackTimeoutMs ?? 5_000)));
        delivered.push(row.id);
        this.activity.bump();
        return true;
      } catch (error) {
        if (!refused || refused.row.seq > row.seq) refused = { row, error };
        return false;
      }
    };

    /** Each patient's last event under way (its successor starts when it is acknowledged). */
    const tails = new Map<string, Promise<boolean>>();
    const running = new Set<Promise<boolean>>();
    for (const row of rows) {
      if (refused) break;
      const patient = patientOf(row.envelope);
      if (patient === null) {
        await Promise.all(running); // an event of no patient: after all before it, alone
        if (refused || !(await send(row))) break;
        continue;
      }
      while (running.size >= limit) await Promise.race(running);
      if (refused) break;
      const before = tails.get(patient);
      const mine: Promise<boolean> = (before ? before.then((ok) => ok && !refused && send(row)) : send(row)).finally(() => {
        running.delete(mine);
        if (tails.get(patient) === mine) tails.delete(patient);
      });
      running.add(mine);
      tails.set(patient, mine);
    }
    await Promise.all(running);
    return { delivered, refused };
  }
}

type OutboxRow = MessagingTables['outbox']['$inferSelect'];
interface Refusal {
  row: OutboxRow;
  error: unknown;
}

/** The patient an event is about (the key its order is kept by), or null for an event of no patient. */
function patientOf(envelope: unknown): string | null {
  const payload = (envelope as { payload?: { patientId?: unknown } } | null)?.payload;
  return typeof payload?.patientId === 'string' ? payload.patientId : null;
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
      const values: Record<string, unknown> = { eventId: id, eventType: type, envelope };
      subscribers.forEach((subscriber, i) => Object.assign(values, { [`id${i}`]: randomUUID(), [`subscriber${i}`]: subscriber }));
      await this.insertFor(subscribers.length).execute(tx, values);
    }
    this.relay.written();
    return id;
  }

  /** The outbox rows of one event, one per subscriber: every event written (PreparedQuery, one per count of subscribers). */
  private readonly inserts = new Map<number, PreparedQuery<Record<string, unknown>, unknown>>();
  private insertFor(count: number): PreparedQuery<Record<string, unknown>, unknown> {
    let insert = this.inserts.get(count);
    if (!insert) {
      const { outbox } = this.options.tables;
      const { schema, name } = getTableConfig(outbox);
      insert = new PreparedQuery(`${schema ?? 'public'}.${name}.write_${count}`, (tx) =>
        tx.insert(outbox).values(
          Array.from({ length: count }, (_, i) => ({
            id: sql.placeholder(`id${i}`),
            eventId: sql.placeholder('eventId'),
            eventType: sql.placeholder('eventType'),
            subscriber: sql.placeholder(`subscriber${i}`),
            envelope: sql.placeholder('envelope'),
          })),
        ),
      );
      this.inserts.set(count, insert);
    }
    return insert;
  }
}
