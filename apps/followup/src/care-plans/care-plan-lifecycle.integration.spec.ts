import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { and, eq, sql } from 'drizzle-orm';
import { PATTERNS, QUEUES, type BookInWindowData, type CarePlanResource, type EventEnvelope, type ProtocolStepData, type RequestContext } from '@aftercare/contracts';
import type { Db } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { carePlans, followupMessaging, items, steps } from '../database/schema.js';
import type { FollowupEventsController } from '../events/followup-events.controller.js';
import { envelopesOf, FakeScheduling, insertPatient, requestContext, useFollowupModule } from '../followup.spec-support.js';
import { ProtocolsController } from '../protocols/protocols.controller.js';
import { ProtocolsService } from '../protocols/protocols.service.js';
import { CarePlanLifecycleController } from './care-plan-lifecycle.controller.js';
import { CarePlanStepSource } from './care-plan-step.source.js';
import { CarePlansService } from './care-plans.service.js';

/**
 * Protocols and the care plan's lifecycle on a real PostgreSQL and Redis, with the whole
 * followup module compiled but not started (no worker, relay or reconciler runs: the test calls
 * the handlers and runs steps itself). Scheduling is a fake that knows the procedure types.
 */

const CLINIC = randomUUID();
const CLINICIAN = randomUUID();
const ADMIN = randomUUID();
const ZONE = 'America/New_York';
const DAY = 86_400_000;

const scheduling = new FakeScheduling({
  [PATTERNS.scheduling.procedureTypesList]: () =>
    ['consultation', 'bmac_injection', 'follow_up_visit'].map((code) => ({ code, name: code, durationMinutes: 30, bufferAfterMinutes: 0, requires: [] })),
  // Asked only about an ended plan's visit step (was one booked while it ended?): none was.
  [PATTERNS.scheduling.appointmentsBookInWindow]: (request) => {
    if (!(request.data as BookInWindowData).existingOnly) throw new Error('this spec books no visit');
    return { appointment: null };
  },
});
const envelope = envelopesOf(CLINIC);
const ctx = (role: RequestContext['role'] = 'admin'): RequestContext => requestContext(CLINIC, role, { userId: ADMIN });

jest.setTimeout(30_000);

describe('protocols and the care plan lifecycle (followup, real PostgreSQL and Redis)', () => {
  const followup = useFollowupModule('aftercare_test_care_plan_lifecycle', scheduling);
  let db: Db;
  let events: FollowupEventsController;
  let protocolsApi: ProtocolsController;
  let lifecycle: CarePlanLifecycleController;
  let carePlans_: CarePlansService;
  let queue: Queue;
  let source: CarePlanStepSource;

  beforeAll(async () => {
    const { app } = followup;
    ({ db, events } = followup);
    protocolsApi = app.get(ProtocolsController);
    lifecycle = app.get(CarePlanLifecycleController);
    carePlans_ = app.get(CarePlansService);
    queue = app.get<Queue>(getQueueToken(QUEUES.carePlanSteps));
    source = app.get(CarePlanStepSource);
    await app.get(ProtocolsService).seedDefaults(CLINIC);
  });

  const patient = (): Promise<string> => insertPatient(db, { clinicId: CLINIC, timezone: ZONE });

  /** procedure.completed as scheduling emits it; answers the patient's newest plan. */
  async function complete(patientId: string, opts: { daysAgo?: number; procedureType?: string; site?: string | null; condition?: string | null } = {}): Promise<CarePlanResource> {
    const appointmentId = randomUUID();
    await events.procedureCompleted(
      envelope('procedure.completed', {
        appointmentId,
        patientId,
        clinicianId: CLINICIAN,
        procedureType: opts.procedureType ?? 'bmac_injection',
        completedAt: new Date(Date.now() - (opts.daysAgo ?? 0) * DAY).toISOString(),
        site: opts.site ?? null,
        condition: opts.condition ?? null,
      }),
    );
    const [plan] = await db.select().from(carePlans).where(eq(carePlans.appointmentId, appointmentId));
    return carePlans_.get(ctx(), plan!.id);
  }

  const refused = async (promise: Promise<unknown>): Promise<DomainError> => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof DomainError) return error;
      throw error;
    }
    throw new Error('expected a DomainError');
  };

  const messagesDue = async (stepId: string) =>
    (await db.select().from(followupMessaging.outbox)).filter((r) => r.eventType === 'care-plan.message-due' && (r.envelope as EventEnvelope<'care-plan.message-due'>).payload.stepId === stepId);

  const kneeSteps: ProtocolStepData[] = [
    { key: 'aftercare', kind: 'aftercare', offset: 'PT3H' },
    { key: 'checkin-day-2', kind: 'checkin', offset: 'P2D', at: '09:30' },
    { key: 'repeat-evaluation', kind: 'repeat_evaluation', offset: { days: 56 }, at: '10:00' },
  ];

  describe('protocols', () => {
    it('creates a site-specific protocol (version 1) and lists it with the seeded defaults', async () => {
      const created = await protocolsApi.create({ ctx: ctx(), data: { code: 'bmac-knee', name: 'BMAC knee', procedureType: 'bmac_injection', site: 'Knee', steps: kneeSteps, note: 'slower rehab' } });
      expect(created).toMatchObject({ code: 'bmac-knee', version: 1, active: true, site: 'Knee', condition: null, procedureType: 'bmac_injection' });
      expect(created.steps[0]).toEqual({ key: 'aftercare', kind: 'aftercare', offset: { hours: 3 } });
      expect(created.versions).toEqual([expect.objectContaining({ version: 1, note: 'slower rehab', createdBy: ADMIN })]);
      const list = await protocolsApi.list({ ctx: ctx(), data: { procedureType: 'bmac_injection' } });
      expect(list.map((p) => p.code)).toEqual(['bmac-knee', 'bmac-standard']);
    });

    it('refuses a bad definition with 400 naming the field, a taken code or scope with 409, an unknown procedure type with 400', async () => {
      const base = { code: 'bmac-x', name: 'x', procedureType: 'bmac_injection', site: 'shoulder' };
      const cases: [ProtocolStepData[], string][] = [
        [[{ key: 'a', kind: 'phone_call' as never, offset: { days: 1 } }], 'steps.0.kind'],
        [[{ key: 'a', kind: 'checkin', offset: { days: -1 } }], 'steps.0.offset.days'],
        [[{ key: 'a', kind: 'checkin', offset: 'P1M' }], 'steps.0.offset'],
        [[{ key: 'a', kind: 'checkin', offset: { days: 1 }, at: '24:00' }], 'steps.0.at'],
        [[{ key: 'a', kind: 'checkin', offset: { days: 1 } }, { key: 'a', kind: 'checkin', offset: { days: 2 } }], 'steps.1.key'],
        [[{ key: 'a', kind: 'checkin', offset: { days: 1 }, window: { fromDays: 1, toDays: 2 } }], 'steps.0.window'],
      ];
      for (const [steps_, field] of cases) {
        const error = await refused(protocolsApi.create({ ctx: ctx(), data: { ...base, steps: steps_ } }));
        expect({ status: error.statusCode, field: error.field }).toEqual({ status: 400, field });
      }
      expect(await refused(protocolsApi.create({ ctx: ctx(), data: { ...base, code: 'bmac-knee', steps: kneeSteps } }))).toMatchObject({ statusCode: 409, field: 'code' });
      expect(await refused(protocolsApi.create({ ctx: ctx(), data: { ...base, code: 'bmac-knee-2', site: 'KNEE', steps: kneeSteps } }))).toMatchObject({ statusCode: 409, code: 'PROTOCOL.SCOPE_TAKEN' });
      expect(await refused(protocolsApi.create({ ctx: ctx(), data: { ...base, procedureType: 'massage', steps: kneeSteps } }))).toMatchObject({ statusCode: 400, field: 'procedureType' });
      expect((await protocolsApi.list({ ctx: ctx(), data: {} })).map((p) => p.code)).not.toContain('bmac-x');
    });

    it('a plan takes the most specific protocol; an edit is a new version that only new plans use', async () => {
      const knee = await complete(await patient(), { site: 'left knee' });
      const hip = await complete(await patient(), { site: 'right hip' });
      expect(knee).toMatchObject({ protocol: 'bmac-knee', protocolVersion: 1, site: 'left knee' });
      expect(hip).toMatchObject({ protocol: 'bmac-standard', protocolVersion: 1 });

      const edited = await protocolsApi.addVersion({
        ctx: ctx(),
        data: { code: 'bmac-knee', steps: [...kneeSteps, { key: 'checkin-week-3', kind: 'checkin', offset: 'P3W', at: '10:00' }], note: 'one more check-in' },
      });
      expect(edited).toMatchObject({ version: 2, name: 'BMAC knee' });
      expect(edited.versions!.map((v) => v.version)).toEqual([2, 1]);
      expect(edited.versions![1]!.steps).toHaveLength(3); // the old version stays as it was

      // The running plan keeps version 1: the same steps at the same times.
      const again = await carePlans_.get(ctx(), knee.id);
      expect(again).toMatchObject({ protocolVersion: 1 });
      expect(again.steps.map((s) => [s.key, s.dueAt])).toEqual(knee.steps.map((s) => [s.key, s.dueAt]));
      // A new plan starts from version 2.
      const next = await complete(await patient(), { site: 'Knee' });
      expect(next).toMatchObject({ protocol: 'bmac-knee', protocolVersion: 2 });
      expect(next.steps.map((s) => s.key)).toContain('checkin-week-3');

      // Retired, it no longer starts plans; the type's default does.
      expect(await protocolsApi.setActive({ ctx: ctx(), data: { code: 'bmac-knee', active: false } })).toMatchObject({ active: false });
      expect(await complete(await patient(), { site: 'knee' })).toMatchObject({ protocol: 'bmac-standard' });
      await protocolsApi.setActive({ ctx: ctx(), data: { code: 'bmac-knee', active: true } });
    });
  });

  describe('pause, resume, cancel', () => {
    it('pausing stops every step: rows leave "scheduled", jobs go, the reconciler and a stray job leave them alone', async () => {
      // The control: an active plan's due aftercare step does send.
      const control = await complete(await patient(), { daysAgo: 2 });
      await carePlans_.runStep(control.steps.find((s) => s.key === 'aftercare')!.id);
      expect(await messagesDue(control.steps.find((s) => s.key === 'aftercare')!.id)).toHaveLength(1);

      const plan = await complete(await patient(), { daysAgo: 2 });
      const ids = plan.steps.map((s) => s.id);
      expect(await queue.getJob(ids[0]!)).toBeDefined();

      const paused = await lifecycle.pause({ ctx: ctx('clinician'), data: { id: plan.id, reason: 'in hospital' } });
      expect(paused).toMatchObject({ status: 'paused', statusReason: 'in hospital' });
      expect(paused.steps.every((s) => s.status === 'paused')).toBe(true);
      expect(paused.changes).toEqual([expect.objectContaining({ action: 'pause', fromStatus: 'active', toStatus: 'paused', reason: 'in hospital', userId: ADMIN })]);
      for (const id of ids) expect(await queue.getJob(id)).toBeUndefined();
      for (const id of ids) expect(await source.isPending(id)).toBe(false);

      // A job that woke anyway (the aftercare, long due) sends nothing.
      await carePlans_.runStep(plan.steps[0]!.id);
      expect(await messagesDue(plan.steps[0]!.id)).toEqual([]);
      // Pausing twice, or resuming an active plan, is a conflict.
      expect(await refused(lifecycle.pause({ ctx: ctx(), data: { id: plan.id, reason: 'again' } }))).toMatchObject({ statusCode: 409 });
    });

    it('resuming skips the messages that came due while paused, keeps the later steps’ times and gives them jobs again', async () => {
      const plan = await complete(await patient(), { daysAgo: 2 });
      await lifecycle.pause({ ctx: ctx(), data: { id: plan.id, reason: 'travelling' } });
      expect(await refused(lifecycle.pause({ ctx: ctx(), data: { id: plan.id, reason: 'x' } }))).toMatchObject({ code: 'CARE_PLAN.CANNOT_PAUSE' });

      const resumed = await lifecycle.resume({ ctx: ctx(), data: { id: plan.id, reason: null } });
      expect(resumed.status).toBe('active');
      const status = Object.fromEntries(resumed.steps.map((s) => [s.key, s.status]));
      expect(status).toMatchObject({ aftercare: 'skipped', 'checkin-day-1': 'skipped', 'checkin-day-3': 'scheduled', 'checkin-week-6': 'scheduled' });
      for (const s of resumed.steps.filter((x) => x.status === 'scheduled')) {
        expect(s.dueAt).toBe(plan.steps.find((x) => x.id === s.id)!.dueAt);
        const job = await queue.getJob(s.id);
        expect(job?.data).toEqual({ id: s.id }); // ids only
        expect(await source.isPending(s.id)).toBe(true);
      }
      expect(resumed.changes!.map((c) => c.action)).toEqual(['pause', 'resume']);
      expect(resumed.changes![1]!.details).toMatchObject({ skipped: 2, rescheduled: 6 });

      // A skipped check-in never went out: it does not count as unanswered.
      await carePlans_.runStep(resumed.steps.find((s) => s.key === 'aftercare')!.id);
      expect(await messagesDue(resumed.steps.find((s) => s.key === 'aftercare')!.id)).toEqual([]);
    });

    it('the clinic’s work that came due while paused is due at once on resume, with its visit window moved', async () => {
      const plan = await complete(await patient(), { daysAgo: 8 }); // the visit was to be booked on day 7
      await lifecycle.pause({ ctx: ctx(), data: { id: plan.id, reason: 'patient asked' } });
      const before = (await db.select().from(steps).where(and(eq(steps.carePlanId, plan.id), eq(steps.key, 'follow-up-visit'))))[0]!;
      const resumed = await lifecycle.resume({ ctx: ctx(), data: { id: plan.id, reason: 'back home' } });
      const visit = (await db.select().from(steps).where(eq(steps.id, before.id)))[0]!;
      expect(resumed.steps.find((s) => s.key === 'follow-up-visit')!.status).toBe('scheduled');
      expect(visit.dueAt.getTime()).toBeGreaterThan(before.dueAt.getTime());
      expect(visit.windowStart!.getTime()).toBeGreaterThan(before.windowStart!.getTime());
      expect(visit.windowEnd!.getTime() - visit.windowStart!.getTime()).toBeCloseTo(before.windowEnd!.getTime() - before.windowStart!.getTime(), -7);
    });

    it('cancelling cancels the remaining steps and closes the plan’s open items, but not an attention item', async () => {
      const patientId = await patient();
      const plan = await complete(patientId, { daysAgo: 43 });
      const evaluation = plan.steps.find((s) => s.kind === 'repeat_evaluation')!;
      await carePlans_.runStep(evaluation.id); // on the due list
      await events.checkinAnswered(envelope('checkin.answered', { patientId, messageId: randomUUID(), score: 9, answeredAt: new Date().toISOString() }));
      const open = await db.select().from(items).where(and(eq(items.carePlanId, plan.id), eq(items.status, 'open')));
      expect(open.map((i) => i.kind).sort()).toEqual(['attention', 'repeat_evaluation']);

      const cancelled = await lifecycle.cancel({ ctx: ctx('clinician'), data: { id: plan.id, reason: 'moved away' } });
      expect(cancelled).toMatchObject({ status: 'cancelled', outcome: 'cancelled', statusReason: 'moved away' });
      expect(cancelled.steps.filter((s) => s.status === 'scheduled' || s.status === 'paused')).toEqual([]);
      expect(cancelled.steps.find((s) => s.id === evaluation.id)!.status).toBe('done');
      const after = await db.select().from(items).where(eq(items.carePlanId, plan.id));
      expect(after.find((i) => i.kind === 'repeat_evaluation')).toMatchObject({ status: 'done', completedBy: ADMIN });
      expect(after.find((i) => i.kind === 'repeat_evaluation')!.note).toMatch(/cancelled \(moved away\)/);
      expect(after.find((i) => i.kind === 'attention')!.status).toBe('open');
      for (const s of cancelled.steps.filter((x) => x.status === 'cancelled')) expect(await queue.getJob(s.id)).toBeUndefined();
      expect(await refused(lifecycle.resume({ ctx: ctx(), data: { id: plan.id, reason: null } }))).toMatchObject({ statusCode: 409 });
      expect(await refused(lifecycle.cancel({ ctx: ctx(), data: { id: randomUUID(), reason: 'x' } }))).toMatchObject({ statusCode: 404 });
    });
  });

  describe('a new procedure', () => {
    it('supersedes the running plan of the same procedure type; the old steps do nothing when their jobs wake', async () => {
      const patientId = await patient();
      const old = await complete(patientId, { daysAgo: 43 });
      await carePlans_.runStep(old.steps.find((s) => s.kind === 'repeat_evaluation')!.id);
      await lifecycle.pause({ ctx: ctx(), data: { id: old.id, reason: 'waiting for the decision' } });

      const fresh = await complete(patientId);
      const before = await carePlans_.get(ctx(), old.id);
      expect(before).toMatchObject({ status: 'superseded', supersededBy: fresh.id, outcome: `superseded_by:${fresh.id}` });
      expect(before.steps.filter((s) => s.status === 'superseded').length).toBeGreaterThan(0);
      expect(before.steps.filter((s) => s.status === 'scheduled' || s.status === 'paused')).toEqual([]);
      expect(before.changes!.at(-1)).toMatchObject({ action: 'supersede', fromStatus: 'paused', userId: null, details: expect.objectContaining({ supersededBy: fresh.id }) });
      expect((await db.select().from(items).where(and(eq(items.carePlanId, old.id), eq(items.status, 'open')))).filter((i) => i.kind !== 'attention')).toEqual([]);
      for (const s of before.steps.filter((x) => x.status === 'superseded')) {
        await carePlans_.runStep(s.id);
        expect(await messagesDue(s.id)).toEqual([]);
      }
      expect(fresh.status).toBe('active');

      // A consultation or the plan's own follow-up visit is no new treatment: the plan runs on.
      await complete(patientId, { procedureType: 'follow_up_visit' });
      expect((await carePlans_.get(ctx(), fresh.id)).status).toBe('active');
    });

    it('lists care plans newest first: every match as an array, pages with limit and cursor (plans made in the same microsecond included), and a 400 saying how to narrow rather than the newest 200 when more match', async () => {
      const clinic = randomUUID();
      const other = requestContext(clinic, 'clinician', { userId: ADMIN });
      const patientId = await insertPatient(db, { clinicId: clinic, timezone: ZONE });
      await db.execute(sql`
        INSERT INTO followup.care_plans (id, clinic_id, patient_id, appointment_id, clinician_id, procedure_type, protocol_code, protocol_version, status, procedure_completed_at, timezone, created_at)
        SELECT gen_random_uuid(), ${clinic}::uuid, ${patientId}::uuid, gen_random_uuid(), ${CLINICIAN}::uuid, 'bmac_injection', 'bmac_default', 1, 'completed', t, ${ZONE},
               CASE WHEN n BETWEEN 110 AND 115 THEN '2025-01-05T10:00:00.123456Z'::timestamptz ELSE t END
          FROM generate_series(1, 205) AS n, LATERAL (SELECT '2025-01-01T10:00:00.123456Z'::timestamptz + n * interval '1 hour' AS t) AS at`);

      await expect(carePlans_.list(other, {})).rejects.toMatchObject({ code: 'CARE_PLAN.TOO_MANY', statusCode: 400, field: 'patientId', message: expect.stringContaining('limit and cursor') });
      expect(await carePlans_.list(other, { patientId: await insertPatient(db, { clinicId: clinic, timezone: ZONE }) })).toEqual([]);
      // Pages of 105: the first ends among the seven plans made at the same instant (positions 104 to 110).
      const items: CarePlanResource[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await carePlans_.list(other, { limit: 105, ...(cursor ? { cursor } : {}) });
        if (Array.isArray(page)) throw new Error('a paged request answered an array');
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(pages).toBe(2);
      expect(items).toHaveLength(205);
      expect(new Set(items.map((p) => p.id)).size).toBe(205);
      // The newest first.
      const completed = items.map((p) => p.completedAt);
      expect(completed.slice(0, 100)).toEqual([...completed.slice(0, 100)].sort().reverse());
      await expect(carePlans_.list(other, { cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ code: 'CARE_PLAN.BAD_CURSOR', field: 'cursor' });
    });
  });
});
