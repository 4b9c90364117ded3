import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { and, eq } from 'drizzle-orm';
import { PATTERNS, type AppointmentResource, type BookInWindowData, type CancelData, type RpcRequest } from '@aftercare/contracts';
import type { Db } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { carePlans as carePlansTable, items, steps } from '../database/schema.js';
import { FollowUpActionsService } from '../follow-ups/follow-up-actions.service.js';
import type { FollowupEventsController } from '../events/followup-events.controller.js';
import { FollowupController } from '../followup.controller.js';
import { bookedAppointment, envelopesOf, FakeScheduling, insertPlanWithVisitDue, requestContext, useFollowupModule } from '../followup.spec-support.js';
import { CarePlanLifecycleService } from './care-plan-lifecycle.service.js';
import { CarePlanStepSource } from './care-plan-step.source.js';
import { CarePlansService } from './care-plans.service.js';

/**
 * The care plan books its follow-up visit by asking scheduling, and records it once the answer
 * is back. A clinician who cancels the plan in between must not be left with a visit nobody
 * tracks: the visit is recorded on the ended plan and cancelled, and its cancellation opens no
 * rebook task. Real PostgreSQL; scheduling is a fake behind ServiceClient that lets the test act
 * while the booking is under way.
 */

const CLINIC = randomUUID();
const CLINICIAN = randomUUID();
const ZONE = 'Europe/Madrid';
const DAY = 86_400_000;

jest.setTimeout(30_000);

describe('a care plan that ends while its follow-up visit is being booked (followup, real PostgreSQL)', () => {
  /** Runs while book-in-window is under way, before it answers. */
  let duringBooking: () => Promise<void> = async () => undefined;
  let visit: AppointmentResource | null = null;
  /** Visits scheduling has booked, by the step id they were booked under. */
  const booked = new Map<string, AppointmentResource>();
  /** Book, then lose the answer (as if followup died before it came back). */
  let loseBookingAnswer = false;
  /** Cancellations scheduling was asked for, and how many to refuse as out of reach first. */
  const cancels: CancelData[] = [];
  let unreachableCancels = 0;
  const scheduling = new FakeScheduling({
    [PATTERNS.scheduling.appointmentsBookInWindow]: async (request: RpcRequest) => {
      const data = request.data as BookInWindowData;
      if (data.existingOnly) return { appointment: booked.get(data.idempotencyKey) ?? null };
      await duringBooking();
      if (visit) booked.set(data.idempotencyKey, visit);
      if (loseBookingAnswer) throw new DomainError('SERVICE_UNAVAILABLE', 'scheduling did not answer in time', 503);
      return { appointment: visit };
    },
    [PATTERNS.scheduling.appointmentsCancel]: (request: RpcRequest) => {
      if (unreachableCancels > 0) {
        unreachableCancels--;
        throw new DomainError('SERVICE_UNAVAILABLE', 'scheduling did not answer', 503);
      }
      cancels.push(request.data as CancelData);
      return { ...visit!, status: 'cancelled' };
    },
  });
  const followup = useFollowupModule('aftercare_test_visit_of_ended_plan', scheduling);
  let db: Db;
  let events: FollowupEventsController;
  let carePlans: CarePlansService;
  let lifecycle: CarePlanLifecycleService;
  let requests: FollowupController;
  let source: CarePlanStepSource;

  beforeEach(() => {
    duringBooking = async () => undefined;
    unreachableCancels = 0;
    loseBookingAnswer = false;
  });

  beforeAll(() => {
    ({ db, events } = followup);
    carePlans = followup.app.get(CarePlansService);
    lifecycle = followup.app.get(CarePlanLifecycleService);
    requests = followup.app.get(FollowupController);
    source = followup.app.get(CarePlanStepSource);
  });

  async function planWithVisitDue() {
    const { patientId, planId, stepId } = await insertPlanWithVisitDue(db, { clinicId: CLINIC, clinicianId: CLINICIAN, timezone: ZONE, daysAgo: 13 });
    visit = bookedAppointment(patientId, CLINICIAN, 'follow_up_visit', new Date(Date.now() + 2 * DAY));
    return { patientId, planId, stepId, visit };
  }

  const cancelPlan = (planId: string) => lifecycle.cancel(requestContext(CLINIC, 'clinician'), { id: planId, reason: 'patient moved away' });
  const stepStatus = async (stepId: string) => (await db.select({ status: steps.status }).from(steps).where(eq(steps.id, stepId)))[0]!.status;
  const visitItems = (stepId: string) =>
    db.select({ status: items.status, appointmentId: items.appointmentId, note: items.note }).from(items).where(and(eq(items.stepId, stepId), eq(items.kind, 'follow_up_visit')));
  const openTasks = (patientId: string) => requests.bookingTasksList({ ctx: requestContext(CLINIC, 'front_desk'), data: { patientId, state: 'open' } });

  it('cancels the visit booked for a plan the clinician cancelled meanwhile, and its cancellation opens no task', async () => {
    const { patientId, planId, stepId, visit } = await planWithVisitDue();
    duringBooking = () => cancelPlan(planId);
    await carePlans.runStep(stepId);

    expect(await stepStatus(stepId)).toBe('cancelled');
    expect(cancels.filter((c) => c.id === visit.id)).toHaveLength(1);
    expect(cancels.find((c) => c.id === visit.id)!.reason).toMatch(/care plan ended/);
    const [item] = await visitItems(stepId);
    expect(item).toMatchObject({ status: 'done', appointmentId: visit.id });
    expect(item!.note).toMatch(/care plan ended/);

    // Scheduling reports the cancellation: it is the ended plan's visit, so no task to book it again.
    await events.appointmentCancelled(
      envelopesOf(CLINIC)('appointment.cancelled', {
        appointmentId: visit.id,
        patientId,
        clinicianId: CLINICIAN,
        procedureType: 'follow_up_visit',
        startsAt: visit.startsAt,
        reason: item!.note,
        sequence: 1,
        bookedByCarePlan: true,
      }),
    );
    expect(await openTasks(patientId)).toEqual([]);
  });

  it('with scheduling out of reach at the cancellation, the retried job cancels it', async () => {
    const { planId, stepId, visit } = await planWithVisitDue();
    duringBooking = () => cancelPlan(planId);
    unreachableCancels = 1;
    await expect(carePlans.runStep(stepId)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(cancels.filter((c) => c.id === visit.id)).toHaveLength(0);
    expect(await visitItems(stepId)).toMatchObject([{ status: 'done', appointmentId: visit.id }]);
    expect(await stepStatus(stepId)).toBe('cancelling'); // still owed: the reconciler keeps its job

    // BullMQ runs the job again.
    await carePlans.runStep(stepId);
    expect(cancels.filter((c) => c.id === visit.id)).toHaveLength(1);
    expect(await stepStatus(stepId)).toBe('cancelled');
  });

  it('scheduling down for longer than the job\'s attempts: the step stays owed, and the reconciler keeps a job for it until the cancel is done', async () => {
    const { planId, stepId, visit } = await planWithVisitDue();
    duringBooking = () => cancelPlan(planId);
    unreachableCancels = 10;
    await expect(carePlans.runStep(stepId)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    for (let attempt = 0; attempt < 8; attempt++) await expect(carePlans.runStep(stepId)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    // The job is out of attempts now; the step is still among the rows the reconciler owes a job.
    expect((await source.pendingRows(500, null, new Date(Date.now() + 60_000))).map((r) => r.id)).toContain(stepId);

    unreachableCancels = 0;
    await carePlans.runStep(stepId); // the job the reconciler retried
    expect(cancels.filter((c) => c.id === visit.id)).toHaveLength(1);
    expect(await stepStatus(stepId)).toBe('cancelled');
    expect((await source.pendingRows(500, null, new Date(Date.now() + 60_000))).map((r) => r.id)).not.toContain(stepId);
  });

  it('a plan paused while its visit was being booked, then cancelled: the visit is found and cancelled', async () => {
    const { planId, stepId, visit } = await planWithVisitDue();
    duringBooking = () => lifecycle.pause(requestContext(CLINIC, 'clinician'), { id: planId, reason: 'patient travelling' });
    await carePlans.runStep(stepId);
    duringBooking = async () => undefined;
    expect(await stepStatus(stepId)).toBe('paused'); // the resumed step would book again and find this visit
    expect(await visitItems(stepId)).toEqual([]);

    await cancelPlan(planId); // not resumed after all
    expect(await stepStatus(stepId)).toBe('cancelling');
    await carePlans.runStep(stepId); // the job the cancel gave it
    expect(cancels.filter((c) => c.id === visit.id)).toHaveLength(1);
    expect(await visitItems(stepId)).toMatchObject([{ status: 'done', appointmentId: visit.id }]);
    expect(await stepStatus(stepId)).toBe('cancelled');
  });

  it('a visit booked before the plan was cancelled stays: only one caught in between is cancelled', async () => {
    const { planId, stepId, visit } = await planWithVisitDue();
    await carePlans.runStep(stepId);
    await cancelPlan(planId);
    await carePlans.runStep(stepId); // a late duplicate of the job
    expect(await stepStatus(stepId)).toBe('done');
    expect(await visitItems(stepId)).toMatchObject([{ appointmentId: visit.id }]);
    expect(cancels.filter((c) => c.id === visit.id)).toEqual([]);
  });

  it('a visit booked by a run that never recorded it (its answer lost, or followup killed) is found by the retried job and cancelled', async () => {
    const { planId, stepId, visit } = await planWithVisitDue();
    duringBooking = () => cancelPlan(planId);
    loseBookingAnswer = true;
    await expect(carePlans.runStep(stepId)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(await visitItems(stepId)).toEqual([]); // nothing recorded: the run never heard of the visit
    expect(await stepStatus(stepId)).toBe('cancelling');

    // BullMQ runs the job again: the step has ended, and scheduling is asked for what it booked (nothing new).
    loseBookingAnswer = false;
    await carePlans.runStep(stepId);
    expect(cancels.filter((c) => c.id === visit.id)).toHaveLength(1);
    expect(await visitItems(stepId)).toMatchObject([{ status: 'done', appointmentId: visit.id }]);
    const lookups = scheduling.calls.filter((c) => c.pattern === PATTERNS.scheduling.appointmentsBookInWindow && (c.data as BookInWindowData).idempotencyKey === stepId);
    expect(lookups.map((c) => (c.data as BookInWindowData).existingOnly ?? false)).toEqual([false, true]);
    expect(await stepStatus(stepId)).toBe('cancelled');
  });

  it('a due visit step of a cancelled plan that never booked asks, finds none, cancels nothing and ends', async () => {
    const { planId, stepId } = await planWithVisitDue();
    await cancelPlan(planId);
    expect(await stepStatus(stepId)).toBe('cancelling');
    await carePlans.runStep(stepId);
    expect(await visitItems(stepId)).toEqual([]);
    expect(cancels.filter((c) => c.id === visit!.id)).toEqual([]);
    expect(await stepStatus(stepId)).toBe('cancelled');
  });

  it('a plan closed by a "no repeat" decision while its visit was being booked (the answer lost): the retried job cancels the visit too', async () => {
    const { planId, stepId, visit } = await planWithVisitDue();
    const [plan] = await db.select().from(carePlansTable).where(eq(carePlansTable.id, planId));
    const evaluation = randomUUID();
    await db.insert(items).values({
      id: evaluation,
      clinicId: CLINIC,
      patientId: plan!.patientId,
      carePlanId: planId,
      clinicianId: CLINICIAN,
      kind: 'repeat_evaluation',
      cause: 'repeat_evaluation',
      reason: 'Decide on a repeat injection',
      dueAt: new Date(),
      status: 'open',
      createdAt: new Date(),
    });
    duringBooking = async () => {
      await followup.app.get(FollowUpActionsService).decide(requestContext(CLINIC, 'clinician'), { id: evaluation, decision: 'no_repeat' });
    };
    loseBookingAnswer = true;
    await expect(carePlans.runStep(stepId)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(await stepStatus(stepId)).toBe('cancelling');
    loseBookingAnswer = false;
    await carePlans.runStep(stepId); // the retried job
    expect(cancels.filter((c) => c.id === visit.id)).toHaveLength(1);
    expect(await stepStatus(stepId)).toBe('cancelled');
    expect(await visitItems(stepId)).toMatchObject([{ status: 'done', appointmentId: visit.id }]);
  });
});
