import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { and, eq } from 'drizzle-orm';
import { loadConfig, logLevels } from '@aftercare/config';
import { EVENT_VERSIONS, type EventEnvelope, type EventPayloads, type EventType, type FollowUpPage, type ListFollowUpsData, type RequestContext } from '@aftercare/contracts';
import { DRIZZLE, type Db } from '@aftercare/database';
import { createTestDatabase, PrivateRedis, type TestDatabase } from '@aftercare/testing';
import { carePlans, items, patients } from '../database/schema.js';
import { FollowupEventsController } from '../events/followup-events.controller.js';
import { FollowUpsController } from '../follow-ups/follow-ups.controller.js';
import { FollowupController } from '../followup.controller.js';
import { FollowupModule } from '../followup.module.js';

/**
 * What patients write and messages that reached nobody, on a real PostgreSQL with the whole
 * followup module; the controllers get the envelopes the transport would deliver.
 */

const CLINIC = randomUUID();
const CLINICIAN = randomUUID();
const OTHER_CLINICIAN = randomUUID();
const ZONE = 'America/Chicago';

function envelope<T extends EventType>(type: T, payload: EventPayloads[T]): EventEnvelope<T> {
  return { id: randomUUID(), type, version: EVENT_VERSIONS[type], clinicId: CLINIC, occurredAt: new Date().toISOString(), correlationId: randomUUID(), causationId: null, payload };
}
const frontDesk: RequestContext = { clinicId: CLINIC, userId: randomUUID(), role: 'front_desk', clinicianId: null, correlationId: 'c' };
const clinicianCtx: RequestContext = { clinicId: CLINIC, userId: randomUUID(), role: 'clinician', clinicianId: CLINICIAN, correlationId: 'c' };

jest.setTimeout(30_000);

describe('patient messages (followup, real PostgreSQL)', () => {
  const redis = new PrivateRedis();
  let database: TestDatabase;
  let app: TestingModule;
  let db: Db;
  let events: FollowupEventsController;
  let requests: FollowupController;
  let followUps: FollowUpsController;
  const dueListOf = async (ctx: RequestContext, data: ListFollowUpsData) => ((await followUps.items({ ctx, data: { ...data, paged: true, limit: 200 } })) as FollowUpPage).items;

  beforeAll(async () => {
    await redis.start();
    database = await createTestDatabase('aftercare_test_patient_messages');
    const config = loadConfig({ DATABASE_URL: database.url, REDIS_URL: redis.url, LOG_LEVEL: 'error' });
    app = await Test.createTestingModule({ imports: [FollowupModule.forRoot(config)] }).compile();
    app.useLogger(logLevels(config.logLevel));
    db = app.get<Db>(DRIZZLE);
    events = app.get(FollowupEventsController);
    requests = app.get(FollowupController);
    followUps = app.get(FollowUpsController);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    await redis.stop();
  }, 30_000);

  async function patient(withPlan: boolean): Promise<string> {
    const id = randomUUID();
    await db.insert(patients).values({ id, clinicId: CLINIC, firstName: 'Rosa', lastName: 'Diaz', timezone: ZONE });
    if (withPlan) {
      await db.insert(carePlans).values({
        id: randomUUID(),
        clinicId: CLINIC,
        patientId: id,
        appointmentId: randomUUID(),
        clinicianId: CLINICIAN,
        procedureType: 'bmac_injection',
        protocolCode: 'bmac-standard',
        protocolVersion: 1,
        status: 'active',
        procedureCompletedAt: new Date(Date.now() - 3 * 86_400_000),
        site: 'left knee',
        timezone: ZONE,
      });
    }
    return id;
  }
  const wrote = (patientId: string, text: string, over: Partial<EventPayloads['patient.wrote']> = {}) =>
    envelope('patient.wrote', { patientId, messageId: randomUUID(), text, at: new Date().toISOString(), asksToStop: false, clinicianId: null, ...over });
  const itemsOf = (patientId: string) => db.select().from(items).where(eq(items.patientId, patientId));

  it('free text goes to the care plan’s clinician as one attention item with the words, newest first', async () => {
    const id = await patient(true);
    const first = wrote(id, 'The swelling is worse since yesterday');
    await events.patientWrote(first);
    await events.patientWrote(first); // redelivered: nothing more
    await events.patientWrote(wrote(id, 'Should I keep the ice on?'));
    const rows = await itemsOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'attention', clinicianId: CLINICIAN, status: 'open' });
    expect(rows[0]!.reason).toBe('Patient wrote: “Should I keep the ice on?” · “The swelling is worse since yesterday”');
    const dueList = await dueListOf(clinicianCtx, { clinicianId: CLINICIAN, kind: 'attention' });
    expect(dueList.filter((i) => i.patient.id === id).map((i) => i.reason)).toEqual([rows[0]!.reason]);
  });

  it('without a care plan, the clinician of the next appointment gets it; with none, the front desk is asked to call', async () => {
    const id = await patient(false);
    await events.patientWrote(wrote(id, 'Can I drive after the injection?', { clinicianId: OTHER_CLINICIAN }));
    expect((await itemsOf(id)).map((r) => [r.kind, r.clinicianId])).toEqual([['attention', OTHER_CLINICIAN]]);

    const nobody = await patient(false);
    await events.patientWrote(wrote(nobody, 'hello?'));
    const tasks = await requests.bookingTasksList({ ctx: frontDesk, data: { patientId: nobody } });
    expect(tasks).toEqual([expect.objectContaining({ source: 'call_patient', clinicianId: null, procedureType: null })]);
    // The front desk's task does not show the patient's words.
    expect(tasks[0]!.reason).not.toContain('hello');
  });

  it('words asking to stop make a task for the front desk to confirm the opt-out, once per message', async () => {
    const id = await patient(true);
    const event = wrote(id, 'please stop texting me', { asksToStop: true });
    await events.patientWrote(event);
    await events.patientWrote({ ...event, id: randomUUID() }); // the same message again, as a new event
    const tasks = await requests.bookingTasksList({ ctx: frontDesk, data: { patientId: id } });
    expect(tasks.map((t) => t.source)).toEqual(['confirm_opt_out']);
    expect(new Date(tasks[0]!.bookBy).getTime()).toBeGreaterThan(Date.now());
    // Not on the clinician's due list, and no attention item either.
    const dueList = await dueListOf(clinicianCtx, {});
    expect(dueList.filter((i) => i.patient.id === id)).toEqual([]);
    const done = await requests.bookingTasksComplete({ ctx: frontDesk, data: { id: tasks[0]!.id, note: 'Called: confirmed, recorded' } });
    expect(done).toMatchObject({ state: 'done' });
  });

  it('a message that reached nobody makes one call task', async () => {
    const id = await patient(true);
    const event = envelope('patient.unreachable', { patientId: id, messageId: randomUUID(), messageKind: 'reminder', reason: 'SMS undeliverable, no e-mail', at: new Date().toISOString() });
    await events.patientUnreachable(event);
    await events.patientUnreachable(event);
    const rows = await db.select().from(items).where(and(eq(items.patientId, id), eq(items.kind, 'booking_task')));
    expect(rows.map((r) => [r.source, r.clinicianId])).toEqual([['call_patient', CLINICIAN]]);
  });
});
