import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { eq, inArray } from 'drizzle-orm';
import type { Pool, QueryConfig } from 'pg';
import { PATTERNS, QUEUES, type EventAck } from '@aftercare/contracts';
import type { Db } from '@aftercare/database';
import { carePlans, steps } from '../database/schema.js';
import type { FollowupEventsController } from '../events/followup-events.controller.js';
import { envelopesOf, FakeScheduling, insertPatient, useFollowupModule } from '../followup.spec-support.js';
import { ProtocolsService } from '../protocols/protocols.service.js';

/**
 * Many procedure.completed at once, as under load (bench/care-plans.bench.ts): the completions
 * that meet go to PostgreSQL in shared statements and their jobs to Redis in one addBulk
 * (BatchedCalls), and each still comes out as if it had been handled alone: one plan per
 * appointment, every step with its delayed job, an event handled twice answered as a duplicate,
 * a patient's later procedure superseding the earlier one. Real PostgreSQL and Redis, the
 * followup module compiled but not started; the test calls the event handler itself.
 */

const CLINIC = randomUUID();
const CLINICIAN = randomUUID();
const ZONE = 'America/New_York';
const DAY = 86_400_000;
const START = 'followup.care-plan.start-many';

const scheduling = new FakeScheduling({
  [PATTERNS.scheduling.procedureTypesList]: () =>
    ['consultation', 'bmac_injection', 'follow_up_visit'].map((code) => ({ code, name: code, durationMinutes: 30, bufferAfterMinutes: 0, requires: [] })),
});
const envelope = envelopesOf(CLINIC);

jest.setTimeout(30_000);

describe('care plans of many completions at once (followup, real PostgreSQL and Redis)', () => {
  const followup = useFollowupModule('aftercare_test_care_plan_start', scheduling);
  let db: Db;
  let events: FollowupEventsController;
  let queue: Queue;

  beforeAll(async () => {
    ({ db, events } = followup);
    queue = followup.app.get<Queue>(getQueueToken(QUEUES.carePlanSteps));
    await followup.app.get(ProtocolsService).seedDefaults(CLINIC);
  });

  const completion = (patientId: string, opts: { appointmentId?: string; daysAgo?: number } = {}) =>
    envelope('procedure.completed', {
      appointmentId: opts.appointmentId ?? randomUUID(),
      patientId,
      clinicianId: CLINICIAN,
      procedureType: 'bmac_injection',
      completedAt: new Date(Date.now() - (opts.daysAgo ?? 0) * DAY).toISOString(),
      site: 'left knee',
      condition: null,
    });
  const plansOf = (appointmentIds: string[]) => db.select().from(carePlans).where(inArray(carePlans.appointmentId, appointmentIds));
  /** The plan's steps, each with the state of its job (jobId = step id). */
  async function stepsWithJobs(planId: string) {
    const rows = await db.select().from(steps).where(eq(steps.carePlanId, planId));
    return Promise.all(rows.map(async (s) => ({ status: s.status, job: (await queue.getJob(s.id)) ? await queue.getJobState(s.id) : 'missing' })));
  }

  it('forty at once: one plan each, every step with its delayed job, in fewer statements than completions', async () => {
    const patients = await Promise.all(Array.from({ length: 40 }, () => insertPatient(db, { clinicId: CLINIC, timezone: ZONE })));
    const pool = (db as unknown as { $client: Pool }).$client;
    const query = jest.spyOn(pool, 'query');
    const sent = patients.map((p) => completion(p));
    const acks = (await Promise.all(sent.map((e) => events.procedureCompleted(e)))) as EventAck[];
    const starts = query.mock.calls.filter(([config]) => (config as unknown as QueryConfig).name === START).length;
    query.mockRestore();

    expect(acks).toEqual(sent.map(() => ({ ack: true, duplicate: false })));
    expect(starts).toBeGreaterThanOrEqual(1);
    expect(starts).toBeLessThan(40);
    const plans = await plansOf(sent.map((e) => e.payload.appointmentId));
    expect(plans).toHaveLength(40);
    expect(new Set(plans.map((p) => p.patientId))).toEqual(new Set(patients));
    for (const plan of plans) {
      expect(plan.status).toBe('active');
      const planSteps = await stepsWithJobs(plan.id);
      expect(planSteps).toHaveLength(8);
      expect(planSteps.every((s) => s.status === 'scheduled' && s.job === 'delayed')).toBe(true);
    }
  });

  it('one event three times at once, and another event of the same appointment: one plan, the repeats answered as duplicates', async () => {
    const patientId = await insertPatient(db, { clinicId: CLINIC, timezone: ZONE });
    const event = completion(patientId);
    const sameAppointment = completion(patientId, { appointmentId: event.payload.appointmentId });
    const acks = (await Promise.all([event, event, event, sameAppointment].map((e) => events.procedureCompleted(e)))) as EventAck[];

    // As one after the other: the first is new, its repeats are duplicates; the other event is
    // new to the inbox but its appointment already has its plan.
    expect(acks.map((a) => a.duplicate)).toEqual([false, true, true, false]);
    const plans = await plansOf([event.payload.appointmentId]);
    expect(plans).toHaveLength(1);
    const planSteps = await stepsWithJobs(plans[0]!.id);
    expect(planSteps).toHaveLength(8);
    expect(planSteps.every((s) => s.job === 'delayed')).toBe(true);
  });

  it("a patient's two procedures at once: the later supersedes the earlier, as one after the other", async () => {
    const patientId = await insertPatient(db, { clinicId: CLINIC, timezone: ZONE });
    const earlier = completion(patientId, { daysAgo: 2 });
    const later = completion(patientId);
    const others = await Promise.all(Array.from({ length: 5 }, () => insertPatient(db, { clinicId: CLINIC, timezone: ZONE })));
    await Promise.all([earlier, later, ...others.map((p) => completion(p))].map((e) => events.procedureCompleted(e)));

    const [first] = await plansOf([earlier.payload.appointmentId]);
    const [second] = await plansOf([later.payload.appointmentId]);
    expect(second).toMatchObject({ status: 'active' });
    expect(first).toMatchObject({ status: 'superseded', supersededBy: second!.id });
    expect((await stepsWithJobs(first!.id)).some((s) => s.status === 'scheduled')).toBe(false);
    expect((await stepsWithJobs(second!.id)).every((s) => s.status === 'scheduled' && s.job === 'delayed')).toBe(true);
  });

  it('an unknown patient among known ones fails alone', async () => {
    const known = await Promise.all(Array.from({ length: 5 }, () => insertPatient(db, { clinicId: CLINIC, timezone: ZONE })));
    const sent = [completion(known[0]!), completion(randomUUID()), ...known.slice(1).map((p) => completion(p))];
    const settled = await Promise.allSettled(sent.map((e) => events.procedureCompleted(e)));

    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/not known to followup/);
    expect(await plansOf(sent.map((e) => e.payload.appointmentId))).toHaveLength(5);
  });
});
