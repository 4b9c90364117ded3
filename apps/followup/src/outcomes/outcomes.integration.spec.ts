import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { DateTime } from 'luxon';
import type { RequestContext } from '@aftercare/contracts';
import { DatabaseModule, DRIZZLE, type Db } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { createTestDatabase, type TestDatabase } from '@aftercare/testing';
import { FOLLOWUP_MIGRATIONS } from '../database/migrations.js';
import { carePlans, items, painScores, patients, steps } from '../database/schema.js';
import { OutcomesService } from './outcomes.service.js';

/**
 * Outcomes read from followup's tables on a real PostgreSQL (all migrations applied): the
 * series per procedure, the summary per clinician and protocol, and the care record.
 */

const CLINIC = randomUUID();
const OTHER_CLINIC = randomUUID();
const DR_A = randomUUID();
const DR_B = randomUUID();
const ZONE = 'America/New_York';
const ctx: RequestContext = { clinicId: CLINIC, userId: randomUUID(), role: 'clinician', clinicianId: DR_A, correlationId: 'c' };
const local = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toJSDate();

jest.setTimeout(30_000);

describe('outcomes (followup, real PostgreSQL)', () => {
  let database: TestDatabase;
  let app: TestingModule;
  let db: Db;
  let outcomes: OutcomesService;

  beforeAll(async () => {
    database = await createTestDatabase('aftercare_test_outcomes');
    app = await Test.createTestingModule({
      imports: [DatabaseModule.forService({ url: database.url, schema: 'followup', migrations: FOLLOWUP_MIGRATIONS, applicationName: 'outcomes-test' })],
      providers: [OutcomesService],
    }).compile();
    await app.init();
    db = app.get<Db>(DRIZZLE);
    outcomes = app.get(OutcomesService);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  }, 30_000);

  async function patient(clinicId = CLINIC): Promise<string> {
    const id = randomUUID();
    await db.insert(patients).values({ id, clinicId, firstName: 'Rosa', lastName: 'Diaz', timezone: ZONE });
    return id;
  }
  async function plan(patientId: string, at: string, over: Partial<typeof carePlans.$inferInsert> = {}): Promise<string> {
    const id = randomUUID();
    await db.insert(carePlans).values({
      id,
      clinicId: CLINIC,
      patientId,
      appointmentId: randomUUID(),
      clinicianId: DR_A,
      procedureType: 'bmac_injection',
      protocolCode: 'bmac-standard',
      protocolVersion: 1,
      status: 'active',
      procedureCompletedAt: local(at),
      site: 'left knee',
      timezone: ZONE,
      ...over,
    });
    return id;
  }
  async function checkin(planId: string, patientId: string, key: string, dueAt: string): Promise<string> {
    const id = randomUUID();
    await db.insert(steps).values({ id, clinicId: CLINIC, carePlanId: planId, patientId, key, kind: 'checkin', dueAt: local(dueAt), status: 'answered', firedAt: local(dueAt) });
    return id;
  }
  async function score(patientId: string, planId: string | null, at: string, value: number, stepId: string | null = null, clinicId = CLINIC): Promise<string> {
    const id = randomUUID();
    await db.insert(painScores).values({ id, clinicId, patientId, carePlanId: planId, stepId, messageId: randomUUID(), score: value, answeredAt: local(at) });
    return id;
  }

  // Patient 1: injected 2026-03-01 (a DST change on 03-08 in between), 7 → 3 at week 6, then
  // injected again on 2026-05-04 (the first plan counts as re-injected).
  // Patient 2: 5 → 4 (no improvement); a repeat decided and booked.
  // Patient 3: no score near week 6; Dr B's consultation plan; another clinic's data.
  let p1: string;
  let plan1: string;
  let plan1b: string;
  let day1Step: string;
  let p2: string;
  let plan2: string;

  beforeAll(async () => {
    p1 = await patient();
    plan1 = await plan(p1, '2026-03-01T15:00');
    day1Step = await checkin(plan1, p1, 'checkin-day-1', '2026-03-02T10:00');
    await score(p1, plan1, '2026-03-02T10:20', 7, day1Step);
    await score(p1, plan1, '2026-04-12T10:05', 3); // day 42, across the DST change
    plan1b = await plan(p1, '2026-05-04T15:00');
    await score(p1, plan1b, '2026-05-05T10:00', 5);
    await score(p1, null, '2026-01-20T09:00', 8); // texted 40 days before: too old to be a baseline

    p2 = await patient();
    plan2 = await plan(p2, '2026-03-10T15:00');
    await score(p2, plan2, '2026-03-11T10:00', 5);
    await score(p2, plan2, '2026-04-22T10:00', 4);
    await db.insert(items).values({
      id: randomUUID(), clinicId: CLINIC, patientId: p2, carePlanId: plan2, clinicianId: DR_A, kind: 'booking_task', cause: 'repeat_injection',
      reason: 'Book the repeat injection', dueAt: local('2026-04-30T10:00'), status: 'done', source: 'repeat_injection', procedureType: 'bmac_injection',
      bookBy: local('2026-05-20T10:00'), bookedAppointmentId: randomUUID(),
    });

    const p3 = await patient();
    const plan3 = await plan(p3, '2026-03-15T15:00');
    await score(p3, plan3, '2026-03-16T10:00', 6);
    await plan(p3, '2026-03-20T15:00', { clinicianId: DR_B, procedureType: 'consultation', protocolCode: 'consultation-basic' });

    const elsewhere = await patient(OTHER_CLINIC);
    await score(elsewhere, null, '2026-03-02T10:00', 9, null, OTHER_CLINIC);
  });

  it('gives a patient’s score series per procedure, against local days since it, with baseline and week 6', async () => {
    const result = await outcomes.forPatient(ctx, p1);
    expect(result.procedures.map((p) => p.carePlanId)).toEqual([plan1b, plan1]); // newest first
    const first = result.procedures[1]!;
    expect(first).toMatchObject({ procedureDate: local('2026-03-01T15:00').toISOString(), site: 'left knee', timezone: ZONE, protocol: 'bmac-standard' });
    expect(first.scores.map((s) => [s.day, s.score, s.stepKey])).toEqual([
      [1, 7, 'checkin-day-1'],
      [42, 3, null],
    ]);
    expect(first.scores[0]).toMatchObject({ stepId: day1Step, messageId: expect.any(String), answeredAt: local('2026-03-02T10:20').toISOString() });
    expect(first).toMatchObject({ baseline: { score: 7, source: 'post_procedure' }, week6: { day: 42, score: 3 }, improvement: 4, improved: true });
    expect(first).toMatchObject({ reinjected: true, reinjectedBy: 'later_procedure' });
    // The second injection: its baseline is the week-6 score of the first, 22 days before it.
    expect(result.procedures[0]).toMatchObject({ baseline: { score: 3, source: 'pre_procedure', day: -22 }, week6: null, improved: null, reinjected: false });
    expect(result.unassignedScores.map((s) => s.score)).toEqual([8]);
    expect(result.definitions.week6).toMatch(/day 42/);
  });

  it('summarises per clinician and protocol: week-6 scores, improvements of 2 or more, re-injections', async () => {
    const summary = await outcomes.summary(ctx, { from: '2026-03-01T00:00:00-05:00', to: '2026-04-01T00:00:00-04:00' });
    expect(summary.groups).toEqual(
      expect.arrayContaining([
        {
          clinicianId: DR_A,
          protocol: 'bmac-standard',
          procedures: 3,
          patients: 3,
          withBaseline: 3,
          withWeek6Score: 2,
          evaluable: 2,
          improved: 1,
          improvedShare: 0.5,
          reinjected: 2,
        },
        expect.objectContaining({ clinicianId: DR_B, protocol: 'consultation-basic', procedures: 1, withWeek6Score: 0 }),
      ]),
    );
    expect(summary.groups).toHaveLength(2);
    expect(summary).toMatchObject({ from: '2026-03-01T05:00:00.000Z', to: '2026-04-01T04:00:00.000Z' });

    const drB = await outcomes.summary(ctx, { clinicianId: DR_B });
    expect(drB.groups.map((g) => g.clinicianId)).toEqual([DR_B]);
    const byProtocol = await outcomes.summary(ctx, { protocol: 'bmac-standard', from: '2026-05-01T00:00:00Z' });
    expect(byProtocol.groups).toEqual([expect.objectContaining({ procedures: 1, withBaseline: 1, withWeek6Score: 0 })]);
  });

  it('refuses a period that ends before it starts, naming the field', async () => {
    await expect(outcomes.summary(ctx, { from: '2026-04-01T00:00:00Z', to: '2026-03-01T00:00:00Z' })).rejects.toMatchObject({ statusCode: 400, field: 'to' });
    await expect(outcomes.summary(ctx, { from: '2026-04-01T00:00:00Z', to: '2026-03-01T00:00:00Z' })).rejects.toBeInstanceOf(DomainError);
  });

  it('sees nothing of another clinic', async () => {
    const other = await outcomes.summary({ ...ctx, clinicId: OTHER_CLINIC }, {});
    expect(other.groups).toEqual([]);
    expect((await outcomes.forPatient({ ...ctx, clinicId: OTHER_CLINIC }, p1)).procedures).toEqual([]);
  });

  it('hands over the care record for the FHIR export: plans with steps, items, scores with plan, step and message', async () => {
    const record = await outcomes.careRecord(ctx, p2);
    expect(record.carePlans).toHaveLength(1);
    expect(record.carePlans[0]).toMatchObject({ id: plan2, procedureType: 'bmac_injection', protocol: 'bmac-standard', site: 'left knee', steps: [] });
    expect(record.items).toEqual([expect.objectContaining({ kind: 'booking_task', source: 'repeat_injection', bookedAppointmentId: expect.any(String), carePlanId: plan2 })]);
    expect(record.painScores.map((s) => [s.score, s.carePlanId])).toEqual([
      [5, plan2],
      [4, plan2],
    ]);
    const withSteps = await outcomes.careRecord(ctx, p1);
    expect(withSteps.carePlans[0]!.steps).toEqual([expect.objectContaining({ id: day1Step, key: 'checkin-day-1', kind: 'checkin', status: 'answered' })]);
  });
});
