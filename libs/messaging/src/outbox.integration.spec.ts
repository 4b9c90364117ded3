import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Inject, Module, type DynamicModule, type INestApplicationContext, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, MessagePattern, Payload, RpcException, type ClientProxy } from '@nestjs/microservices';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { pgSchema, bigserial, text, uuid } from 'drizzle-orm/pg-core';
import { firstValueFrom, timeout } from 'rxjs';
import { ClockModule } from '@aftercare/clock';
import { ConfigModule, loadConfig, logLevels, type AppConfig } from '@aftercare/config';
import { eventPattern, type EventAck, type EventEnvelope, type EventPayloads } from '@aftercare/contracts';
import { DatabaseModule, DRIZZLE, PG_POOL, type Db } from '@aftercare/database';
import { createTestDatabase, PrivateRedis, waitFor, type TestDatabase } from '@aftercare/testing';
import { Inbox } from './inbox.js';
import { MessagingModule, redisTransportOptions } from './messaging.module.js';
import { messagingMigration, messagingTables, outboxNotifyMigration } from './outbox.tables.js';
import { OutboxWriter } from './outbox.js';

/**
 * The outbox and inbox end to end (ARCHITECTURE.md, "Events and jobs"): a producer
 * ("scheduling") writes events with OutboxWriter in its own transactions, its relay sends them
 * over the Redis transport to a consumer microservice ("followup") that handles each once
 * through Inbox. Real PostgreSQL (a fresh database) and a private Redis on a spare port.
 */

const CLINIC_ID = randomUUID();
const WAIT = { timeoutMs: 15_000, intervalMs: 20 };

const scheduling = messagingTables('scheduling');
const followup = messagingTables('followup');

/** What the consumer did with each event: its own table, committed with the inbox row. */
const received = pgSchema('followup').table('received', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  eventId: uuid('event_id').notNull(),
  appointmentId: text('appointment_id').notNull(),
});
const CONSUMER_MIGRATIONS = [
  messagingMigration('followup'),
  {
    id: '0001_received',
    sql: `CREATE TABLE followup.received (seq bigserial PRIMARY KEY, event_id uuid NOT NULL, appointment_id text NOT NULL)`,
  },
];

/** Kept by the test across consumer restarts. */
class ConsumerLog {
  /** Every call of the message handler, in arrival order (duplicates included). */
  readonly deliveries: string[] = [];
  /** Every run of the inbox-guarded handler body, in order: an event id at most once if all is well. */
  readonly handled: string[] = [];
  /** Event id -> how many more deliveries to refuse (a transient failure of the consumer). */
  readonly failures = new Map<string, number>();
  /** Event id -> a promise the handler waits for before it handles the event (a slow consumer). */
  readonly holds = new Map<string, Promise<void>>();

  count(list: 'deliveries' | 'handled', id: string): number {
    return this[list].filter((x) => x === id).length;
  }
}
const CONSUMER_LOG = Symbol('CONSUMER_LOG');

@Controller()
class ProcedureEventsController {
  constructor(
    private readonly inbox: Inbox,
    @Inject(CONSUMER_LOG) private readonly log: ConsumerLog,
  ) {}

  @MessagePattern(eventPattern('followup', 'procedure.completed'))
  async procedureCompleted(@Payload() event: EventEnvelope<'procedure.completed'>): Promise<EventAck> {
    this.log.deliveries.push(event.id);
    const failures = this.log.failures.get(event.id) ?? 0;
    if (failures > 0) {
      this.log.failures.set(event.id, failures - 1);
      throw new RpcException({ statusCode: 503, code: 'TEST.TRANSIENT', message: `refused ${event.id} for now` });
    }
    await this.log.holds.get(event.id);
    return this.inbox.handleOnce(event, async (tx, e) => {
      await tx.insert(received).values({ eventId: e.id, appointmentId: e.payload.appointmentId });
      this.log.handled.push(e.id);
    });
  }
}

@Module({})
class ConsumerModule {
  static forRoot(config: AppConfig, log: ConsumerLog): DynamicModule {
    return {
      module: ConsumerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forService({ url: config.databaseUrl, schema: 'followup', migrations: CONSUMER_MIGRATIONS, applicationName: 'outbox-test-consumer', poolSize: 4 }),
        ClockModule.forRoot({ virtual: config.virtualClock, poolToken: PG_POOL }),
        MessagingModule.forService({ service: 'followup', tables: followup }),
      ],
      controllers: [ProcedureEventsController],
      providers: [{ provide: CONSUMER_LOG, useValue: log }],
    };
  }
}

@Module({})
class ProducerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ProducerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forService({
          url: config.databaseUrl,
          schema: 'scheduling',
          migrations: [messagingMigration('scheduling'), outboxNotifyMigration('scheduling', '0001_outbox_notify')],
          applicationName: 'outbox-test-producer',
          poolSize: 4,
        }),
        ClockModule.forRoot({ virtual: config.virtualClock, poolToken: PG_POOL }),
        MessagingModule.forService({ service: 'scheduling', tables: scheduling }),
      ],
    };
  }
}

/**
 * A second producer ("notifications", its own outbox) whose relay polls only every ten minutes:
 * what it delivers sooner, it delivered because a commit woke it.
 */
const notifier = messagingTables('notifications');
const NOTIFIER_APP = 'outbox-test-notifier';
@Module({})
class SlowPollingProducerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SlowPollingProducerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forService({
          url: config.databaseUrl,
          schema: 'notifications',
          migrations: [messagingMigration('notifications'), outboxNotifyMigration('notifications', '0001_outbox_notify')],
          applicationName: NOTIFIER_APP,
          poolSize: 4,
        }),
        ClockModule.forRoot({ virtual: config.virtualClock, poolToken: PG_POOL }),
        MessagingModule.forService({ service: 'notifications', tables: notifier, relayIntervalMs: 600_000 }),
      ],
    };
  }
}

const payload = (appointmentId: string, patientId: string = randomUUID()): EventPayloads['procedure.completed'] => ({
  appointmentId,
  patientId,
  clinicianId: randomUUID(),
  procedureType: 'bmac-knee',
  completedAt: new Date().toISOString(),
  site: 'left knee',
});

jest.setTimeout(20_000);

describe('outbox relay and inbox over the Redis transport', () => {
  const redis = new PrivateRedis();
  const log = new ConsumerLog();
  let database: TestDatabase;
  let config: AppConfig;
  let producer: INestApplicationContext;
  let consumer: INestMicroservice | undefined;
  let db: Db;
  let writer: OutboxWriter;

  async function startConsumer(): Promise<INestMicroservice> {
    const app = await NestFactory.createMicroservice(ConsumerModule.forRoot(config, log), {
      ...redisTransportOptions(config),
      logger: logLevels(config.logLevel),
    });
    await app.listen();
    return app;
  }

  /** Commits one procedure.completed event (of a new patient unless given) in its own transaction; returns the event id. */
  const publish = (appointmentId: string, patientId?: string) =>
    db.transaction((tx) => writer.publish(tx, 'procedure.completed', payload(appointmentId, patientId), { clinicId: CLINIC_ID }));

  const outboxRow = async (eventId: string) => {
    const rows = await db.select().from(scheduling.outbox).where(eq(scheduling.outbox.eventId, eventId));
    expect(rows.length).toBeLessThanOrEqual(1);
    return rows[0];
  };

  const delivered = (eventId: string) =>
    waitFor(async () => {
      const row = await outboxRow(eventId);
      return row?.deliveredAt ? row : undefined;
    }, { ...WAIT, what: `outbox row of ${eventId} marked delivered` });

  const receivedRows = (eventIds: string[]) =>
    db.select().from(received).where(inArray(received.eventId, eventIds)).orderBy(asc(received.seq));

  beforeAll(async () => {
    await redis.start();
    database = await createTestDatabase('aftercare_test_outbox');
    config = loadConfig({ DATABASE_URL: database.url, REDIS_URL: redis.url, LOG_LEVEL: 'error', RECONCILE_INTERVAL_MS: '200' });
    producer = await NestFactory.createApplicationContext(ProducerModule.forRoot(config), { logger: logLevels(config.logLevel) });
    await producer.init();
    db = producer.get<Db>(DRIZZLE);
    writer = producer.get(OutboxWriter);
    consumer = await startConsumer();
  }, 30_000);

  afterAll(async () => {
    await consumer?.close();
    await producer?.close();
    await database?.drop();
    await redis.stop();
  }, 30_000);

  it('(a) relays an event committed with its change to the consumer and marks the outbox row delivered', async () => {
    const body = payload('appt-a');
    const id = await db.transaction((tx) => writer.publish(tx, 'procedure.completed', body, { clinicId: CLINIC_ID, correlationId: 'corr-a' }));

    const row = await delivered(id);
    expect(row).toMatchObject({ eventType: 'procedure.completed', subscriber: 'followup', lastError: null });
    expect(row.envelope).toEqual({
      id,
      type: 'procedure.completed',
      version: 1,
      clinicId: CLINIC_ID,
      occurredAt: expect.any(String),
      correlationId: 'corr-a',
      causationId: null,
      payload: body,
    });
    // Acknowledged means handled: the consumer's own row and its inbox row are committed.
    expect(log.count('handled', id)).toBe(1);
    expect(await receivedRows([id])).toEqual([{ seq: expect.any(Number), eventId: id, appointmentId: 'appt-a' }]);
    const inbox = await db.select().from(followup.inbox).where(eq(followup.inbox.eventId, id));
    expect(inbox).toEqual([{ eventId: id, eventType: 'procedure.completed', handledAt: expect.any(Date) }]);
  });

  it('(b) never relays an event whose transaction rolled back', async () => {
    let rolledBack: string | undefined;
    await expect(
      db.transaction(async (tx) => {
        rolledBack = await writer.publish(tx, 'procedure.completed', payload('appt-b-rolled-back'), { clinicId: CLINIC_ID });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(rolledBack).toBeDefined();
    expect(await outboxRow(rolledBack!)).toBeUndefined();

    // A later committed event gets through, so the relay has had its chance at the first one.
    const later = await publish('appt-b-committed');
    await delivered(later);
    expect(log.deliveries).toContain(later);
    expect(log.deliveries).not.toContain(rolledBack);
    const inbox = await db.select().from(followup.inbox).where(eq(followup.inbox.eventId, rolledBack!));
    expect(inbox).toEqual([]);
  });

  it('(c) keeps an event while the consumer is down and delivers it exactly once when it is back', async () => {
    await consumer!.close();
    consumer = undefined;

    const id = await publish('appt-c');
    const first = await waitFor(async () => {
      const row = await outboxRow(id);
      return row && row.attempts >= 1 ? row : undefined;
    }, { ...WAIT, what: 'a first failed attempt' });
    const later = await waitFor(async () => {
      const row = await outboxRow(id);
      return row && row.attempts > first.attempts ? row : undefined;
    }, { ...WAIT, what: 'a second failed attempt' });
    for (const row of [first, later]) {
      expect(row.deliveredAt).toBeNull();
      expect(row.lastError).toEqual(expect.stringMatching(/\S/));
    }
    // Backed off: the next attempt is after the last one.
    expect(later.nextAttemptAt.getTime()).toBeGreaterThan(first.nextAttemptAt.getTime());
    expect(log.deliveries).not.toContain(id);

    consumer = await startConsumer();
    const row = await delivered(id);
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    expect(log.count('handled', id)).toBe(1);
    expect(await receivedRows([id])).toHaveLength(1);

    // Still once after a few more relay passes.
    const barrier = await publish('appt-c-barrier');
    await delivered(barrier);
    expect(log.count('handled', id)).toBe(1);
    expect(await receivedRows([id])).toHaveLength(1);
  });

  it('(d) answers a redelivered envelope with { ack: true, duplicate: true } and changes nothing', async () => {
    const id = await publish('appt-d');
    const row = await delivered(id);
    const before = { received: await db.select({ n: sql<number>`count(*)::int` }).from(received), handled: log.handled.length };

    const client: ClientProxy = ClientProxyFactory.create(redisTransportOptions(config));
    try {
      const send = (envelope: unknown) =>
        firstValueFrom(client.send<EventAck>(eventPattern('followup', 'procedure.completed'), envelope).pipe(timeout(10_000)));

      expect(await send(row.envelope)).toEqual({ ack: true, duplicate: true });
      expect(await db.select({ n: sql<number>`count(*)::int` }).from(received)).toEqual(before.received);
      expect(log.handled.length).toBe(before.handled);
      expect(log.count('deliveries', id)).toBeGreaterThanOrEqual(2);

      // The same fresh envelope twice at once: the inbox lets exactly one through.
      const twin = { ...(row.envelope as EventEnvelope<'procedure.completed'>), id: randomUUID() };
      const answers = await Promise.all([send(twin), send(twin)]);
      expect(answers.map((a) => a.duplicate).sort()).toEqual([false, true]);
      expect(log.count('handled', twin.id)).toBe(1);
      expect(await receivedRows([twin.id])).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('(e) keeps the order of two events of one patient for one subscriber', async () => {
    const patient = randomUUID();
    const first = await publish('appt-e-1', patient);
    const second = await publish('appt-e-2', patient);
    await delivered(second);
    await delivered(first);

    expect(log.handled.filter((x) => x === first || x === second)).toEqual([first, second]);
    expect((await receivedRows([first, second])).map((r) => r.eventId)).toEqual([first, second]);
  });

  it('keeps the order of events published in one transaction', async () => {
    // All rows of one transaction share created_at (now() is the transaction's start): the
    // relay must follow the write order (seq), not the random row ids.
    const patient = randomUUID();
    const ids = await db.transaction(async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < 8; i++) out.push(await writer.publish(tx, 'procedure.completed', payload(`appt-tx-${i}`, patient), { clinicId: CLINIC_ID }));
      return out;
    });
    for (const id of ids) await delivered(id);
    expect(log.handled.filter((x) => ids.includes(x))).toEqual(ids);
  });

  it('a later event does not overtake an earlier one that is waiting for a retry', async () => {
    // The consumer fails the first event three times (a deadlock, a dependency down): it
    // backs off for a second, and the relay sends the second event in the meantime.
    // Set up the refusals before the row is committed, so that the relay cannot get there first.
    const patient = randomUUID();
    const first = await db.transaction(async (tx) => {
      const id = await writer.publish(tx, 'procedure.completed', payload('appt-retry-1', patient), { clinicId: CLINIC_ID });
      log.failures.set(id, 3);
      return id;
    });
    const refused = await waitFor(async () => {
      const row = await outboxRow(first);
      return row && row.attempts >= 3 ? row : undefined;
    }, { ...WAIT, what: 'three refused deliveries' });
    expect(refused.lastError).toMatch(/^TEST.TRANSIENT: refused/);
    const second = await publish('appt-retry-2', patient);
    await delivered(second);
    await delivered(first);
    expect(log.handled.filter((x) => x === first || x === second)).toEqual([first, second]);
  });

  /** A hold on an event: the consumer waits in its handler until released. */
  function hold() {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    return { promise, release };
  }

  it('sends other patients\' events of a pass while one patient\'s event is slow, and that patient\'s next event only after it', async () => {
    const slowPatient = randomUUID();
    const slow = hold();
    // One transaction, so that the relay takes them in one pass (a pass ends when all its sends are answered).
    const { first, next, others } = await db.transaction(async (tx) => {
      const first = await writer.publish(tx, 'procedure.completed', payload('appt-slow-1', slowPatient), { clinicId: CLINIC_ID });
      log.holds.set(first, slow.promise);
      const next = await writer.publish(tx, 'procedure.completed', payload('appt-slow-2', slowPatient), { clinicId: CLINIC_ID });
      const others: string[] = [];
      for (let i = 0; i < 5; i++) others.push(await writer.publish(tx, 'procedure.completed', payload(`appt-other-${i}`), { clinicId: CLINIC_ID }));
      return { first, next, others };
    });
    try {
      // Written after the slow patient's two, handled while the first is still held (well within the relay's 5 s wait for an answer).
      await waitFor(async () => others.every((id) => log.handled.includes(id)), { timeoutMs: 4_000, intervalMs: 20, what: "the other patients' events handled" });
      expect(log.deliveries).toContain(first);
      expect(log.handled).not.toContain(first);
      expect(log.deliveries).not.toContain(next);
    } finally {
      slow.release();
    }
    await delivered(next);
    expect(log.handled.filter((x) => x === first || x === next)).toEqual([first, next]);
  });

  it('keeps each patient\'s order when many patients\' events are written at once', async () => {
    const patients = Array.from({ length: 4 }, () => randomUUID());
    const written = await db.transaction(async (tx) => {
      const out: { id: string; patient: string }[] = [];
      for (let i = 0; i < 60; i++) {
        const patient = patients[i % patients.length]!;
        out.push({ id: await writer.publish(tx, 'procedure.completed', payload(`appt-many-${i}`, patient), { clinicId: CLINIC_ID }), patient });
      }
      return out;
    });
    for (const { id } of written) await delivered(id);
    for (const patient of patients) {
      const mine = written.filter((w) => w.patient === patient).map((w) => w.id);
      expect(log.handled.filter((x) => mine.includes(x))).toEqual(mine);
    }
  });

  it('an event of no patient waits for the events before it, and holds back those after it', async () => {
    const slow = hold();
    const { before, unkeyed, after } = await db.transaction(async (tx) => {
      const before = await writer.publish(tx, 'procedure.completed', payload('appt-before'), { clinicId: CLINIC_ID });
      log.holds.set(before, slow.promise);
      // A clinic-wide event (as clinic.upserted): its payload names no patient.
      const { patientId: _none, ...noPatient } = payload('appt-unkeyed');
      const unkeyed = await writer.publish(tx, 'procedure.completed', noPatient as EventPayloads['procedure.completed'], { clinicId: CLINIC_ID });
      const after = await writer.publish(tx, 'procedure.completed', payload('appt-after'), { clinicId: CLINIC_ID });
      return { before, unkeyed, after };
    });
    await waitFor(async () => log.deliveries.includes(before), { ...WAIT, what: 'the first event reaching the consumer' });
    await new Promise((resolve) => setTimeout(resolve, 300)); // a relay pass or more, while the first is held
    expect(log.deliveries).not.toContain(unkeyed);
    expect(log.deliveries).not.toContain(after);
    slow.release();
    await delivered(after);
    expect(log.handled.filter((x) => [before, unkeyed, after].includes(x))).toEqual([before, unkeyed, after]);
  });

  describe('woken by commits', () => {
    let slow: INestApplicationContext;
    let slowDb: Db;
    let slowWriter: OutboxWriter;

    beforeAll(async () => {
      slow = await NestFactory.createApplicationContext(SlowPollingProducerModule.forRoot(config), { logger: logLevels(config.logLevel) });
      await slow.init();
      slowDb = slow.get<Db>(DRIZZLE);
      slowWriter = slow.get(OutboxWriter);
      await waitFor(async () => (await listenerBackends()).length === 1, { ...WAIT, what: "the slow producer's relay listening" });
    }, 30_000);
    afterAll(async () => {
      await slow?.close();
    });

    const listenerBackends = async () =>
      (await db.execute<{ pid: number }>(sql`SELECT pid FROM pg_stat_activity WHERE application_name = ${`${NOTIFIER_APP}-outbox`}`)).rows;

    /** Writes an event and keeps its transaction open a while after it: a pass started by the write itself finds nothing. */
    const publishSlowly = (appointmentId: string) =>
      slowDb.transaction(async (tx) => {
        const id = await slowWriter.publish(tx, 'procedure.completed', payload(appointmentId), { clinicId: CLINIC_ID });
        await new Promise((resolve) => setTimeout(resolve, 300));
        return id;
      });

    const handledSoon = (id: string) => waitFor(async () => log.handled.includes(id), { timeoutMs: 5_000, intervalMs: 20, what: `${id} handled within seconds (the relay polls every ten minutes)` });

    it('delivers an event as soon as its transaction commits, long before the next poll', async () => {
      const id = await publishSlowly('appt-woken');
      await handledSoon(id);
      // Marked delivered when the pass that sent it commits, moments after the answer.
      await waitFor(async () => {
        const rows = await slowDb.select().from(notifier.outbox).where(eq(notifier.outbox.eventId, id));
        return rows.length === 1 && rows[0]!.deliveredAt !== null;
      }, { timeoutMs: 5_000, intervalMs: 20, what: `the outbox row of ${id} marked delivered` });
    });

    it('listens again after its connection is cut (PostgreSQL restarted, the backend terminated)', async () => {
      const [before] = await listenerBackends();
      await db.execute(sql`SELECT pg_terminate_backend(${before!.pid})`);
      await waitFor(async () => {
        const now = await listenerBackends();
        return now.length === 1 && now[0]!.pid !== before!.pid;
      }, { ...WAIT, what: 'the relay listening again on a new connection' });

      const id = await publishSlowly('appt-woken-again');
      await handledSoon(id);
    });
  });
});
