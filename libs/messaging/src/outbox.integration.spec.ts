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
import { messagingMigration, messagingTables } from './outbox.tables.js';
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
        DatabaseModule.forService({ url: config.databaseUrl, schema: 'scheduling', migrations: [messagingMigration('scheduling')], applicationName: 'outbox-test-producer', poolSize: 4 }),
        ClockModule.forRoot({ virtual: config.virtualClock, poolToken: PG_POOL }),
        MessagingModule.forService({ service: 'scheduling', tables: scheduling }),
      ],
    };
  }
}

const payload = (appointmentId: string): EventPayloads['procedure.completed'] => ({
  appointmentId,
  patientId: randomUUID(),
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

  /** Commits one procedure.completed event in its own transaction; returns the event id. */
  const publish = (appointmentId: string) =>
    db.transaction((tx) => writer.publish(tx, 'procedure.completed', payload(appointmentId), { clinicId: CLINIC_ID }));

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

  it('(e) keeps the order of two events for one subscriber', async () => {
    const first = await publish('appt-e-1');
    const second = await publish('appt-e-2');
    await delivered(second);
    await delivered(first);

    expect(log.handled.filter((x) => x === first || x === second)).toEqual([first, second]);
    expect((await receivedRows([first, second])).map((r) => r.eventId)).toEqual([first, second]);
  });

  it('keeps the order of events published in one transaction', async () => {
    // All rows of one transaction share created_at (now() is the transaction's start): the
    // relay must follow the write order (seq), not the random row ids.
    const ids = await db.transaction(async (tx) => {
      const out: string[] = [];
      for (let i = 0; i < 8; i++) out.push(await writer.publish(tx, 'procedure.completed', payload(`appt-tx-${i}`), { clinicId: CLINIC_ID }));
      return out;
    });
    for (const id of ids) await delivered(id);
    expect(log.handled.filter((x) => ids.includes(x))).toEqual(ids);
  });

  it('a later event does not overtake an earlier one that is waiting for a retry', async () => {
    // The consumer fails the first event three times (a deadlock, a dependency down): it
    // backs off for a second, and the relay sends the second event in the meantime.
    // Set up the refusals before the row is committed, so that the relay cannot get there first.
    const first = await db.transaction(async (tx) => {
      const id = await writer.publish(tx, 'procedure.completed', payload('appt-retry-1'), { clinicId: CLINIC_ID });
      log.failures.set(id, 3);
      return id;
    });
    const refused = await waitFor(async () => {
      const row = await outboxRow(first);
      return row && row.attempts >= 3 ? row : undefined;
    }, { ...WAIT, what: 'three refused deliveries' });
    expect(refused.lastError).toMatch(/^TEST.TRANSIENT: refused/);
    const second = await publish('appt-retry-2');
    await delivered(second);
    await delivered(first);
    expect(log.handled.filter((x) => x === first || x === second)).toEqual([first, second]);
  });
});
