import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { loadConfig, logLevels } from '@aftercare/config';
import { EVENT_VERSIONS, type AppointmentResource, type ByIdData, type EventEnvelope, type EventPayloads, type EventType, type RequestContext, type RpcRequest } from '@aftercare/contracts';
import { DRIZZLE, type Db } from '@aftercare/database';
import { DomainError, ServiceClient } from '@aftercare/messaging';
import { createTestDatabase, PrivateRedis, type TestDatabase } from '@aftercare/testing';
import { carePlans, patients, steps } from './database/schema.js';
import { FollowupEventsController } from './events/followup-events.controller.js';
import { FollowupModule } from './followup.module.js';

/**
 * Test support (not a test, not built): what followup's integration specs share. The whole
 * followup module on a real PostgreSQL and a private Redis, a fake scheduling behind
 * ServiceClient, event envelopes and request contexts as the transport delivers them, and the
 * rows a test seeds (a patient, a running care plan). Each spec keeps its own clinic, clinicians
 * and fixtures.
 */

/** How the fake answers one pattern (a throw, a DomainError say, reaches the caller as a refusal). */
export type SchedulingAnswer = (request: RpcRequest) => unknown;

/** Scheduling behind ServiceClient: answers the patterns it is given, refuses every other one; records each call. */
export class FakeScheduling {
  readonly calls: { pattern: string; data: unknown }[] = [];
  constructor(private readonly answers: Record<string, SchedulingAnswer> = {}) {}

  async send<T>(pattern: string, request: RpcRequest): Promise<T> {
    this.calls.push({ pattern, data: request.data });
    const answer = this.answers[pattern];
    if (!answer) throw new Error(`the fake scheduling does not answer ${pattern}`);
    return answer(request) as T;
  }
}

/** A look-up by id (ByIdData) in `known`, refused as scheduling does (404 `code`) when the id is not there. */
export function byId<T>(known: ReadonlyMap<string, T>, code: string, what: string): SchedulingAnswer {
  return (request) => {
    const found = known.get((request.data as ByIdData).id);
    if (!found) throw new DomainError(code, `${what} was not found`, 404);
    return found;
  };
}

/** The module as the spec sees it; filled in by the suite's first beforeAll. */
export interface FollowupTestModule {
  app: TestingModule;
  db: Db;
  events: FollowupEventsController;
}

/**
 * For a describe block: a private Redis, a fresh database `databaseName` and the whole followup
 * module, compiled (the schema is migrated) but not started: no relay, reconciler or queue worker
 * runs, so the test alone decides which steps run and which events arrive. With `scheduling`,
 * that fake stands in for ServiceClient. All of it is stopped and dropped after the suite.
 */
export function useFollowupModule(databaseName: string, scheduling?: FakeScheduling): FollowupTestModule {
  const redis = new PrivateRedis();
  let database: TestDatabase | undefined;
  const followup = {} as FollowupTestModule;

  beforeAll(async () => {
    await redis.start();
    database = await createTestDatabase(databaseName);
    const config = loadConfig({ DATABASE_URL: database.url, REDIS_URL: redis.url, LOG_LEVEL: 'error' });
    const builder = Test.createTestingModule({ imports: [FollowupModule.forRoot(config)] });
    if (scheduling) builder.overrideProvider(ServiceClient).useValue(scheduling);
    followup.app = await builder.compile();
    followup.app.useLogger(logLevels(config.logLevel));
    followup.db = followup.app.get<Db>(DRIZZLE);
    followup.events = followup.app.get(FollowupEventsController);
  }, 60_000);

  afterAll(async () => {
    await followup.app?.close();
    await database?.drop();
    await redis.stop();
  }, 30_000);

  return followup;
}

/** Envelopes of `clinicId` as another service publishes them: a new id and correlation each, occurring now unless told. */
export function envelopesOf(clinicId: string) {
  return <T extends EventType>(type: T, payload: EventPayloads[T], occurredAt = new Date(), clinic = clinicId): EventEnvelope<T> => ({
    id: randomUUID(),
    type,
    version: EVENT_VERSIONS[type],
    clinicId: clinic,
    occurredAt: occurredAt.toISOString(),
    correlationId: randomUUID(),
    causationId: null,
    payload,
  });
}

/** A request's context as the gateway sends it: a user of `role` in `clinicId` (no clinician unless told). */
export function requestContext(clinicId: string, role: RequestContext['role'], over: Partial<Omit<RequestContext, 'clinicId' | 'role'>> = {}): RequestContext {
  return { clinicId, userId: randomUUID(), role, clinicianId: null, correlationId: randomUUID(), ...over };
}

/** A booked 30-minute appointment as scheduling answers it (AppointmentResource). */
export function bookedAppointment(patientId: string, clinicianId: string, procedureType: string, startsAt: Date): AppointmentResource {
  return {
    id: randomUUID(),
    patientId,
    clinicianId,
    procedureType,
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 30 * 60_000).toISOString(),
    status: 'booked',
    notes: null,
    site: null,
    completedAt: null,
    createdAt: new Date().toISOString(),
    resourceIds: [],
    sequence: 0,
  };
}

/** A patient as followup keeps it (a copy of scheduling's); returns the id. */
export async function insertPatient(
  db: Db,
  patient: { clinicId: string; timezone: string; id?: string; firstName?: string; lastName?: string },
): Promise<string> {
  const id = patient.id ?? randomUUID();
  await db.insert(patients).values({ firstName: 'Ana', lastName: 'Lima', ...patient, id });
  return id;
}

type CarePlanInsert = typeof carePlans.$inferInsert;

/**
 * A running care plan as a completed injection starts it: active, bmac_injection on
 * bmac-standard version 1, the left knee, for an appointment of its own; returns the id.
 */
export async function insertCarePlan(
  db: Db,
  plan: Pick<CarePlanInsert, 'clinicId' | 'patientId' | 'clinicianId' | 'procedureCompletedAt' | 'timezone'> & Partial<CarePlanInsert>,
): Promise<string> {
  const id = plan.id ?? randomUUID();
  await db.insert(carePlans).values({
    appointmentId: randomUUID(),
    procedureType: 'bmac_injection',
    protocolCode: 'bmac-standard',
    protocolVersion: 1,
    status: 'active',
    site: 'left knee',
    ...plan,
    id,
  });
  return id;
}

/**
 * A patient with a running bmac_injection plan completed `daysAgo` days ago, whose follow-up
 * visit step (window days 12–16 after the procedure) is due now.
 */
export async function insertPlanWithVisitDue(
  db: Db,
  plan: { clinicId: string; clinicianId: string; timezone: string; daysAgo: number },
): Promise<{ patientId: string; planId: string; stepId: string; windowEnd: Date }> {
  const { clinicId, clinicianId, timezone } = plan;
  const completedAt = new Date(Date.now() - plan.daysAgo * 86_400_000);
  const patientId = await insertPatient(db, { clinicId, timezone });
  const planId = await insertCarePlan(db, { clinicId, patientId, clinicianId, procedureCompletedAt: completedAt, timezone });
  const stepId = randomUUID();
  const windowEnd = new Date(completedAt.getTime() + 16 * 86_400_000);
  await db.insert(steps).values({
    id: stepId,
    clinicId,
    carePlanId: planId,
    patientId,
    key: 'follow-up-visit',
    kind: 'follow_up_visit',
    dueAt: new Date(Date.now() - 60_000),
    windowStart: new Date(completedAt.getTime() + 12 * 86_400_000),
    windowEnd,
    status: 'scheduled',
  });
  return { patientId, planId, stepId, windowEnd };
}
