import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { DateTime } from 'luxon';
import pg from 'pg';
import { PATTERNS, type AppointmentResource, type BookingTaskResource, type RequestContext } from '@aftercare/contracts';
import { migrate, type Db } from '@aftercare/database';
import { createTestDatabase, holdTransaction, waitForLockWaiters, type TestDatabase } from '@aftercare/testing';
import { CarePlansService } from '../care-plans/care-plans.service.js';
import { FOLLOWUP_MIGRATIONS } from '../database/migrations.js';
import { carePlans, items, type ItemRow } from '../database/schema.js';
import type { FollowupEventsController } from '../events/followup-events.controller.js';
import { FollowupController } from '../followup.controller.js';
import { FollowUpActionsService } from '../follow-ups/follow-up-actions.service.js';
import { FollowUpsService } from '../follow-ups/follow-ups.service.js';
import { bookedAppointment, byId, envelopesOf, FakeScheduling, insertPlanWithVisitDue, requestContext, useFollowupModule } from '../followup.spec-support.js';

/**
 * Booking tasks on a real PostgreSQL (a fresh database) with the whole followup module; its
 * controllers are called directly with the envelopes and requests the transport would deliver.
 * Scheduling is a fake behind ServiceClient: it answers the care plan's book-in-window and the
 * appointment look-up.
 */

const CLINIC = randomUUID();
const OTHER_CLINIC = randomUUID();
const CLINICIAN = randomUUID();
const ZONE = 'America/New_York';
const DAY = 86_400_000;

const appointment = (patientId: string, procedureType: string, startsAt: Date): AppointmentResource => bookedAppointment(patientId, CLINICIAN, procedureType, startsAt);

const envelope = envelopesOf(CLINIC);
const ctx = (clinicId = CLINIC): RequestContext => requestContext(clinicId, 'front_desk', { userId: null });

jest.setTimeout(30_000);

describe('booking tasks (followup, real PostgreSQL)', () => {
  /** What book-in-window answers: an appointment, or none (no free slot). */
  let bookInWindow: AppointmentResource | null = null;
  const appointments = new Map<string, AppointmentResource>();
  const scheduling = new FakeScheduling({
    [PATTERNS.scheduling.appointmentsBookInWindow]: () => ({ appointment: bookInWindow }),
    [PATTERNS.scheduling.appointmentsGet]: byId(appointments, 'APPOINTMENT.NOT_FOUND', 'Appointment'),
  });
  const followup = useFollowupModule('aftercare_test_booking_tasks', scheduling);
  let db: Db;
  let events: FollowupEventsController;
  let requests: FollowupController;
  let carePlanService: CarePlansService;

  beforeAll(() => {
    ({ db, events } = followup);
    requests = followup.app.get(FollowupController);
    carePlanService = followup.app.get(CarePlansService);
  });

  /**
   * A patient with an active bmac_injection plan completed `daysAgo` days ago, whose follow-up
   * visit step (window days 12–16) is due now; and a worrying check-in answer, which must never
   * reach a booking task.
   */
  async function givenPlan(daysAgo: number, clinicId = CLINIC) {
    const { patientId, planId, stepId, windowEnd } = await insertPlanWithVisitDue(db, { clinicId, clinicianId: CLINICIAN, timezone: ZONE, daysAgo });
    await events.checkinAnswered(envelope('checkin.answered', { patientId, messageId: randomUUID(), score: 9, answeredAt: new Date().toISOString() }, new Date(), clinicId));
    return { patientId, planId, stepId, windowEnd };
  }

  /** The care plan's follow-up visit step runs; book-in-window answers `visit` (null: no free slot). */
  async function runVisitStep(stepId: string, visit: AppointmentResource | null): Promise<void> {
    bookInWindow = visit;
    await carePlanService.runStep(stepId);
  }

  const tasksOf = (patientId: string, state?: 'open' | 'done') => requests.bookingTasksList({ ctx: ctx(), data: { patientId, ...(state ? { state } : {}) } });
  const rowsOf = (patientId: string): Promise<ItemRow[]> => db.select().from(items).where(and(eq(items.patientId, patientId), eq(items.kind, 'booking_task')));

  const cancelled = (a: AppointmentResource, sequence: number, bookedByCarePlan: boolean, at = new Date()) =>
    envelope(
      'appointment.cancelled',
      { appointmentId: a.id, patientId: a.patientId, clinicianId: a.clinicianId, procedureType: a.procedureType, startsAt: a.startsAt, reason: null, sequence, bookedByCarePlan },
      at,
    );
  const noShow = (a: AppointmentResource, sequence: number, at = new Date()) =>
    envelope('appointment.no-show', { appointmentId: a.id, patientId: a.patientId, clinicianId: a.clinicianId, procedureType: a.procedureType, startsAt: a.startsAt, sequence, bookedByCarePlan: false }, at);
  const booked = (a: AppointmentResource, bookingTaskId: string | null, at = new Date()) =>
    envelope(
      'appointment.booked',
      {
        appointmentId: a.id,
        patientId: a.patientId,
        clinicianId: a.clinicianId,
        clinicianName: 'Dr. Test',
        procedureType: a.procedureType,
        startsAt: a.startsAt,
        endsAt: a.endsAt,
        sequence: 0,
        bookedByCarePlan: false,
        bookingTaskId,
        waitlistOfferId: null,
      },
      at,
    );
  const replied = (a: AppointmentResource, reply: 'confirm' | 'reschedule' = 'reschedule') =>
    envelope('patient.replied', {
      patientId: a.patientId,
      appointmentId: a.id,
      clinicianId: a.clinicianId,
      appointmentStartsAt: a.startsAt,
      reply,
      messageId: randomUUID(),
      at: new Date().toISOString(),
    });

  it('a follow-up visit with no free slot is a task to book one by the end of its window', async () => {
    const { patientId, stepId, windowEnd } = await givenPlan(8);
    await runVisitStep(stepId, null);
    const [task] = await tasksOf(patientId);
    expect(task).toMatchObject({
      state: 'open',
      source: 'follow_up_visit',
      procedureType: 'follow_up_visit',
      bookBy: windowEnd.toISOString(),
      patient: { id: patientId, name: 'Ana Lima' },
      clinicianId: CLINICIAN,
      appointmentId: null,
      completedAt: null,
    });
  });

  it('appointment.booked naming the task closes it at the event time; other task ids change nothing', async () => {
    const { patientId, stepId } = await givenPlan(8);
    await runVisitStep(stepId, null);
    const [task] = await tasksOf(patientId);
    const visit = appointment(patientId, 'follow_up_visit', new Date(Date.now() + 5 * DAY));

    // Not this task: no id, an unknown one, one that is no uuid, and another patient's booking.
    for (const id of [null, randomUUID(), 'not-a-task']) expect(await events.appointmentBooked(booked(visit, id))).toEqual({ ack: true, duplicate: false });
    expect(await events.appointmentBooked(booked(appointment(randomUUID(), 'follow_up_visit', new Date()), task!.id))).toMatchObject({ ack: true });
    expect(await tasksOf(patientId)).toHaveLength(1);

    const at = new Date(Date.now() - 1_000);
    const event = booked(visit, task!.id, at);
    expect(await events.appointmentBooked(event)).toEqual({ ack: true, duplicate: false });
    expect(await events.appointmentBooked(event)).toEqual({ ack: true, duplicate: true });
    expect(await tasksOf(patientId)).toEqual([]);
    const [done] = await tasksOf(patientId, 'done');
    expect(done).toMatchObject({ id: task!.id, state: 'done', completedAt: at.toISOString(), appointmentId: null });
    expect((await rowsOf(patientId))[0]!.bookedAppointmentId).toBe(visit.id);
  });

  it('a cancelled care-plan visit becomes exactly one rebook task, however often the cancellation comes', async () => {
    const { patientId, stepId, windowEnd } = await givenPlan(8);
    const visit = appointment(patientId, 'follow_up_visit', new Date(Date.now() + 5 * DAY));
    await runVisitStep(stepId, visit);
    expect(await tasksOf(patientId)).toEqual([]); // booked: nothing for the front desk

    const event = cancelled(visit, 1, true);
    expect(await events.appointmentCancelled(event)).toEqual({ ack: true, duplicate: false });
    expect(await events.appointmentCancelled(event)).toEqual({ ack: true, duplicate: true });
    // The same cancellation under another event id finds the task by its natural key.
    expect(await events.appointmentCancelled(cancelled(visit, 1, true))).toEqual({ ack: true, duplicate: false });

    const tasks = await tasksOf(patientId);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      source: 'rebook',
      procedureType: 'follow_up_visit',
      clinicianId: CLINICIAN,
      appointmentId: visit.id,
      reason: 'Follow-up visit was cancelled — book a new one',
      bookBy: windowEnd.toISOString(), // the window is still ahead
    });
  });

  it('a missed visit booked from a task is rebooked too, once, within a week when its window has passed', async () => {
    const { patientId, stepId } = await givenPlan(20); // window ended four days ago
    await runVisitStep(stepId, null);
    const [task] = await tasksOf(patientId);
    const visit = appointment(patientId, 'follow_up_visit', new Date(Date.now() - DAY));
    await events.appointmentBooked(booked(visit, task!.id));

    const at = new Date();
    const event = noShow(visit, 0, at);
    expect(await events.appointmentMissed(event)).toEqual({ ack: true, duplicate: false });
    expect(await events.appointmentMissed(event)).toEqual({ ack: true, duplicate: true });
    expect(await events.appointmentMissed(noShow(visit, 0, at))).toEqual({ ack: true, duplicate: false });

    const tasks = await tasksOf(patientId);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      source: 'rebook',
      procedureType: 'follow_up_visit',
      appointmentId: visit.id,
      reason: 'Patient missed the follow-up visit — book a new one',
      bookBy: DateTime.fromJSDate(at, { zone: ZONE }).plus({ days: 7 }).toJSDate().toISOString(), // the window has passed
    });
  });

  it('a cancelled appointment that is no care-plan visit, or of a closed plan, raises nothing', async () => {
    const { patientId, planId, stepId } = await givenPlan(8);
    const injection = appointment(patientId, 'bmac_injection', new Date(Date.now() + 3 * DAY));
    await events.appointmentCancelled(cancelled(injection, 1, false));
    await events.appointmentMissed(noShow(injection, 0));
    expect(await tasksOf(patientId)).toEqual([]);

    const visit = appointment(patientId, 'follow_up_visit', new Date(Date.now() + 5 * DAY));
    await runVisitStep(stepId, visit);
    await db.update(carePlans).set({ status: 'completed' }).where(eq(carePlans.id, planId));
    await events.appointmentCancelled(cancelled(visit, 1, true));
    expect(await tasksOf(patientId)).toEqual([]);
  });

  it('a visit cancelled while its plan is being cancelled opens no task on the ended plan', async () => {
    const { patientId, planId, stepId } = await givenPlan(8);
    const visit = appointment(patientId, 'follow_up_visit', new Date(Date.now() + 5 * DAY));
    await runVisitStep(stepId, visit);
    // The clinician's cancel of the plan has locked it and not committed yet.
    const cancelling = await holdTransaction(db, async (tx) => {
      await tx.select({ id: carePlans.id }).from(carePlans).where(eq(carePlans.id, planId)).for('update');
      await tx.update(carePlans).set({ status: 'cancelled' }).where(eq(carePlans.id, planId));
    });
    const handled = events.appointmentCancelled(cancelled(visit, 1, true));
    await waitForLockWaiters(db, 1); // it waits for the plan
    await cancelling.release();
    await handled;
    expect(await tasksOf(patientId)).toEqual([]);
  });

  it('R asks to move an appointment before it starts; the move closes the task', async () => {
    const { patientId } = await givenPlan(8);
    const injection = appointment(patientId, 'bmac_injection', new Date(Date.now() + 3 * DAY));
    appointments.set(injection.id, injection);

    await events.replied(replied(injection, 'confirm'));
    expect(await tasksOf(patientId)).toEqual([]);
    const r = replied(injection);
    await events.replied(r);
    await events.replied(r); // redelivered
    await events.replied(replied(injection)); // R again
    const tasks = await tasksOf(patientId);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      source: 'reschedule_request',
      procedureType: 'bmac_injection', // the appointment's own type, from scheduling
      bookBy: injection.startsAt,
      appointmentId: injection.id,
      reason: 'The patient asked by SMS to reschedule this appointment',
    });

    const at = new Date(Date.now() - 500);
    const moved = envelope(
      'appointment.rescheduled',
      {
        appointmentId: injection.id,
        patientId,
        clinicianId: CLINICIAN,
        clinicianName: 'Dr. Test',
        procedureType: 'bmac_injection',
        startsAt: new Date(Date.now() + 6 * DAY).toISOString(),
        endsAt: new Date(Date.now() + 6 * DAY + 3_600_000).toISOString(),
        sequence: 1,
        previousStartsAt: injection.startsAt,
      },
      at,
    );
    expect(await events.appointmentRescheduled(moved)).toEqual({ ack: true, duplicate: false });
    expect(await tasksOf(patientId)).toEqual([]);
    expect(await tasksOf(patientId, 'done')).toEqual([expect.objectContaining({ id: tasks[0]!.id, completedAt: at.toISOString() })]);
  });

  it('R on a care-plan visit needs no look-up; cancelling the visit closes the request and rebooks it', async () => {
    const { patientId, stepId } = await givenPlan(8);
    const visit = appointment(patientId, 'follow_up_visit', new Date(Date.now() + 5 * DAY));
    await runVisitStep(stepId, visit);
    const lookups = scheduling.calls.filter((c) => c.pattern === PATTERNS.scheduling.appointmentsGet).length;
    await events.replied(replied(visit));
    expect(scheduling.calls.filter((c) => c.pattern === PATTERNS.scheduling.appointmentsGet)).toHaveLength(lookups);
    const [request] = await tasksOf(patientId);
    expect(request).toMatchObject({ source: 'reschedule_request', procedureType: 'follow_up_visit' });

    await events.appointmentCancelled(cancelled(visit, 2, true));
    const open = await tasksOf(patientId);
    expect(open.map((t) => t.source)).toEqual(['rebook']);
    const [closed] = await tasksOf(patientId, 'done');
    expect(closed).toMatchObject({ id: request!.id, source: 'reschedule_request' });
    expect((await rowsOf(patientId)).find((t) => t.id === request!.id)!.note).toMatch(/cancelled/);
  });

  it('a missed appointment that is no care-plan visit keeps its reschedule request open', async () => {
    const { patientId } = await givenPlan(8);
    const injection = appointment(patientId, 'bmac_injection', new Date(Date.now() - DAY));
    appointments.set(injection.id, injection);
    await events.replied(replied(injection));
    await events.appointmentMissed(noShow(injection, 0));
    expect((await tasksOf(patientId)).map((t) => t.source)).toEqual(['reschedule_request']);
  });

  it('R about an appointment scheduling does not know still reaches the front desk', async () => {
    const { patientId } = await givenPlan(8);
    await events.replied(replied(appointment(patientId, 'consultation', new Date(Date.now() + DAY))));
    expect(await tasksOf(patientId)).toEqual([expect.objectContaining({ source: 'reschedule_request', procedureType: 'unknown' })]);
  });

  it('a "yes" to a repeat injection asks for the plan\'s procedure within four weeks', async () => {
    const { patientId, planId } = await givenPlan(42);
    const followUps = followup.app.get(FollowUpsService);
    const plan = (await db.select().from(carePlans).where(eq(carePlans.id, planId)))[0]!;
    await followUps.raise(db, { plan, kind: 'repeat_evaluation', cause: 'repeat_evaluation', reason: 'Decide on a repeat injection', dueAt: new Date() });
    const [evaluation] = await db.select().from(items).where(and(eq(items.patientId, patientId), eq(items.kind, 'repeat_evaluation')));
    const before = Date.now();
    await followup.app.get(FollowUpActionsService).decide({ ...ctx(), role: 'clinician', userId: randomUUID() }, { id: evaluation!.id, repeatInjection: true, note: 'pain 9/10 still' });
    const [task] = await tasksOf(patientId);
    expect(task).toMatchObject({ source: 'repeat_injection', procedureType: 'bmac_injection', clinicianId: CLINICIAN, appointmentId: null });
    const days = (Date.parse(task!.bookBy) - before) / DAY;
    expect(days).toBeGreaterThan(27.9);
    expect(days).toBeLessThan(28.1);
  });

  it('lists open tasks by book-by then creation, per patient or all, never another clinic\'s, and never clinical answers', async () => {
    const a = await givenPlan(8); // window ends in 8 days
    const b = await givenPlan(10); // in 6 days
    const other = await givenPlan(9, OTHER_CLINIC);
    for (const p of [a, b, other]) await runVisitStep(p.stepId, null);
    const injection = appointment(a.patientId, 'bmac_injection', new Date(Date.now() + 7 * DAY));
    appointments.set(injection.id, injection);
    await events.replied(replied(injection)); // by 7 days, created after a's task

    const all = await requests.bookingTasksList({ ctx: ctx(), data: {} });
    expect(all.every((t) => t.patient.id !== other.patientId)).toBe(true);
    const ours = all.filter((t) => t.patient.id === a.patientId || t.patient.id === b.patientId);
    expect(ours.map((t) => [t.patient.id, t.source])).toEqual([
      [b.patientId, 'follow_up_visit'],
      [a.patientId, 'reschedule_request'],
      [a.patientId, 'follow_up_visit'],
    ]);
    const keys = all.map((t) => `${t.bookBy}|${t.createdAt}`);
    expect([...keys].sort()).toEqual(keys);

    expect((await tasksOf(a.patientId)).map((t) => t.source)).toEqual(['reschedule_request', 'follow_up_visit']);
    expect(await requests.bookingTasksList({ ctx: ctx(), data: { state: 'done', patientId: a.patientId } })).toEqual([]);
    expect((await requests.bookingTasksList({ ctx: ctx(OTHER_CLINIC), data: {} })).map((t) => t.patient.id)).toEqual([other.patientId]);

    // Every patient above answered a check-in with 9: the due list escalated it, the tasks never show it.
    const text = JSON.stringify(all);
    expect(text).not.toMatch(/pain|score|9\/10/i);
    const attention = await db.select().from(items).where(and(eq(items.patientId, a.patientId), eq(items.kind, 'attention')));
    expect(attention).toHaveLength(1);
    const listed: BookingTaskResource[] = all;
    expect(listed.some((t) => t.id === attention[0]!.id)).toBe(false);
  });
});

describe('migration 0002_booking_tasks backfills the tasks raised before it', () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase('aftercare_test_booking_backfill');
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('gives each old task its source, what to book and by when', async () => {
    const before = FOLLOWUP_MIGRATIONS.filter((m) => m.id < '0002_booking_tasks');
    await migrate(pool, 'followup', before);
    const db = drizzle({ client: pool });
    const patientId = randomUUID();
    const planId = randomUUID();
    const stepId = randomUUID();
    const visitId = randomUUID();
    const otherAppointment = randomUUID();
    const windowEnd = new Date('2025-05-20T03:59:59.000Z');
    const createdAt = new Date('2025-06-01T14:00:00.000Z');
    // Plain SQL: the old table has none of the new columns the schema module now declares.
    await pool.query(`INSERT INTO followup.patients (id, clinic_id, first_name, last_name, timezone) VALUES ($1, $2, 'Ana', 'Lima', $3)`, [patientId, CLINIC, ZONE]);
    await pool.query(
      `INSERT INTO followup.care_plans (id, clinic_id, patient_id, appointment_id, clinician_id, procedure_type, protocol_code, protocol_version, status, procedure_completed_at, timezone)
       VALUES ($1, $2, $3, $4, $5, 'bmac_injection', 'bmac-standard', 1, 'active', '2025-05-04T14:00:00Z', $6)`,
      [planId, CLINIC, patientId, randomUUID(), CLINICIAN, ZONE],
    );
    await pool.query(
      `INSERT INTO followup.care_plan_steps (id, clinic_id, care_plan_id, patient_id, key, kind, due_at, window_start, window_end, status)
       VALUES ($1, $2, $3, $4, 'follow-up-visit', 'follow_up_visit', '2025-05-11T14:00:00Z', '2025-05-16T04:00:00Z', $5, 'done')`,
      [stepId, CLINIC, planId, patientId, windowEnd],
    );
    const insertItem = (values: { kind: string; cause: string; reason: string; stepId?: string; appointmentId?: string; dueAt?: Date }) =>
      pool
        .query(
          `INSERT INTO followup.follow_up_items (id, clinic_id, patient_id, care_plan_id, step_id, clinician_id, kind, cause, reason, due_at, status, appointment_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $12) RETURNING id`,
          [randomUUID(), CLINIC, patientId, planId, values.stepId ?? null, CLINICIAN, values.kind, values.cause, values.reason, values.dueAt ?? windowEnd, values.appointmentId ?? null, createdAt],
        )
        .then((r) => r.rows[0].id as string);
    const noSlot = await insertItem({ kind: 'booking_task', cause: 'follow_up_visit', reason: 'No free slot for the follow-up visit in its window: book one with the patient', stepId });
    const repeat = await insertItem({ kind: 'booking_task', cause: 'repeat_injection', reason: 'Book a repeat injection (bmac_injection) with the same clinician' });
    await insertItem({ kind: 'follow_up_visit', cause: 'follow_up_visit', reason: 'Follow-up visit booked by the care plan', appointmentId: visitId });
    const moveVisit = await insertItem({ kind: 'booking_task', cause: 'reschedule_request', reason: 'The patient asked by SMS to reschedule the appointment of 2025-06-05T14:30:00.000Z', appointmentId: visitId, dueAt: createdAt });
    const moveOther = await insertItem({ kind: 'booking_task', cause: 'reschedule_request', reason: 'The patient asked by SMS to reschedule the appointment of soon', appointmentId: otherAppointment, dueAt: createdAt });

    expect(await migrate(pool, 'followup', FOLLOWUP_MIGRATIONS)).toEqual(FOLLOWUP_MIGRATIONS.filter((m) => m.id >= '0002_booking_tasks').map((m) => m.id));

    const rows = new Map((await db.select().from(items).where(eq(items.kind, 'booking_task'))).map((r) => [r.id, r]));
    expect(rows.get(noSlot)).toMatchObject({ source: 'follow_up_visit', procedureType: 'follow_up_visit', bookBy: windowEnd });
    expect(rows.get(repeat)).toMatchObject({ source: 'repeat_injection', procedureType: 'bmac_injection', bookBy: new Date(createdAt.getTime() + 28 * DAY) });
    expect(rows.get(moveVisit)).toMatchObject({
      source: 'reschedule_request',
      procedureType: 'follow_up_visit',
      bookBy: new Date('2025-06-05T14:30:00.000Z'),
      reason: 'The patient asked by SMS to reschedule this appointment',
    });
    expect(rows.get(moveOther)).toMatchObject({ source: 'reschedule_request', procedureType: 'unknown', bookBy: createdAt });
    const [visitItem] = await db.select().from(items).where(eq(items.kind, 'follow_up_visit'));
    expect(visitItem).toMatchObject({ source: null, procedureType: null, bookBy: null });

    // From now on a booking task cannot lack them.
    await expect(insertItem({ kind: 'booking_task', cause: 'repeat_injection', reason: 'x' })).rejects.toThrow(/follow_up_items_booking_task_fields/);
  });
});
