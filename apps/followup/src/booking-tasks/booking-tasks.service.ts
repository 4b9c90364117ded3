import { Inject, Injectable, Logger } from '@nestjs/common';
import { and, asc, desc, eq, isNull, or, sql, type SQL } from 'drizzle-orm';
import {
  PATTERNS,
  type AppointmentResource,
  type BookingTaskResource,
  type EventEnvelope,
  type ListBookingTasksData,
  type RequestContext,
} from '@aftercare/contracts';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { Clock } from '@aftercare/clock';
import { DomainError, notFound, ServiceClient } from '@aftercare/messaging';
import { carePlans, items, patients, steps, type CarePlanRow, type ItemRow } from '../database/schema.js';
import { FollowUpsService } from '../follow-ups/follow-ups.service.js';
import {
  BOOKING_TASK_REASONS,
  FOLLOW_UP_VISIT,
  isUuid,
  rebookBookBy,
  rebookCause,
  UNKNOWN_PROCEDURE_TYPE,
  type VisitEnd,
} from './domain/booking-task.rules.js';

const LIST_LIMIT = 500;

/** Notes on tasks that followup closes itself (seen on the clinician's due list). */
const CLOSED_BY = {
  cancelled: 'The appointment was cancelled: nothing left to reschedule',
  superseded: 'The patient missed the appointment: a task to book a new follow-up visit replaces this one',
} as const;

type VisitEndEvent = EventEnvelope<'appointment.cancelled'> | EventEnvelope<'appointment.no-show'>;

/**
 * The front desk's booking tasks: raised by the care plan (no free slot), a "yes" to a repeat
 * injection, an R by SMS, or a cancelled or missed follow-up visit; closed by the booking (or
 * the move) that answers them, as scheduling's appointment.* events report it.
 */
@Injectable()
export class BookingTasksService {
  private readonly logger = new Logger('BookingTasks');
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly services: ServiceClient,
    private readonly followUps: FollowUpsService,
    private readonly clock: Clock,
  ) {}

  /** Open (default) or done tasks, soonest book-by first. */
  async list(ctx: RequestContext, query: ListBookingTasksData): Promise<BookingTaskResource[]> {
    const where: SQL[] = [eq(items.clinicId, ctx.clinicId), eq(items.kind, 'booking_task'), eq(items.status, query.state === 'done' ? 'done' : 'open')];
    if (query.patientId) where.push(eq(items.patientId, query.patientId));
    const rows = await this.db
      .select({ item: items, firstName: patients.firstName, lastName: patients.lastName })
      .from(items)
      .innerJoin(patients, eq(patients.id, items.patientId))
      .where(and(...where))
      .orderBy(asc(items.bookBy), asc(items.createdAt), asc(items.id))
      .limit(LIST_LIMIT);
    return rows.map(({ item, firstName, lastName }) => toBookingTaskResource(item, `${firstName} ${lastName}`));
  }

  /**
   * The front desk marks a task done by hand (a call made, an opt-out confirmed, a booking made
   * outside Aftercare). Booking with `bookingTaskId` closes a task by itself.
   */
  async complete(ctx: RequestContext, data: { id: string; note?: string | null }): Promise<BookingTaskResource> {
    const where = and(eq(items.id, data.id), eq(items.clinicId, ctx.clinicId), eq(items.kind, 'booking_task'));
    await this.db
      .update(items)
      .set({ status: 'done', note: data.note ?? null, completedAt: this.clock.now(), completedBy: ctx.userId })
      .where(and(where, eq(items.status, 'open')));
    const [row] = await this.db
      .select({ item: items, firstName: patients.firstName, lastName: patients.lastName })
      .from(items)
      .innerJoin(patients, eq(patients.id, items.patientId))
      .where(where);
    if (!row) throw notFound('Booking task', data.id);
    return toBookingTaskResource(row.item, `${row.firstName} ${row.lastName}`);
  }

  /**
   * What the appointment of a reschedule request is. A visit the care plan booked is known here;
   * any other is asked of scheduling, which owns appointments. Called before the inbox
   * transaction, so no connection waits on the answer; no answer (503) fails the delivery, and
   * the producer's relay tries again.
   */
  async procedureTypeOf(event: EventEnvelope<'patient.replied'>): Promise<string> {
    const { appointmentId } = event.payload;
    if (await this.carePlanOfVisit(this.db, event.clinicId, { appointmentId, patientId: event.payload.patientId, bookedByCarePlan: false })) {
      return FOLLOW_UP_VISIT;
    }
    const ctx: RequestContext = { clinicId: event.clinicId, userId: null, role: 'system', clinicianId: null, correlationId: event.correlationId };
    try {
      const appointment = await this.services.send<AppointmentResource>(PATTERNS.scheduling.appointmentsGet, { ctx, data: { id: appointmentId } });
      return appointment.procedureType;
    } catch (error) {
      // Never stall the patient's request on an appointment scheduling does not know: the task
      // still names the appointment, and the front desk can call the patient.
      if (error instanceof DomainError && error.statusCode === 404) {
        this.logger.warn(`reschedule request ${event.id}: appointment ${appointmentId} is unknown to scheduling`);
        return UNKNOWN_PROCEDURE_TYPE;
      }
      throw error;
    }
  }

  /** The patient answered R: a task to move the appointment before it starts, once per appointment. */
  async raiseRescheduleRequest(tx: Executor, event: EventEnvelope<'patient.replied'>, procedureType: string): Promise<void> {
    const p = event.payload;
    const visit = await this.carePlanOfVisit(tx, event.clinicId, { appointmentId: p.appointmentId, patientId: p.patientId, bookedByCarePlan: false });
    const plan = visit?.plan ?? (await this.activePlanOf(tx, event.clinicId, p.patientId));
    await this.followUps.raise(tx, {
      plan: { id: plan?.id ?? null, clinicId: event.clinicId, patientId: p.patientId, clinicianId: p.clinicianId },
      kind: 'booking_task',
      cause: 'reschedule_request',
      reason: BOOKING_TASK_REASONS.reschedule_request,
      dueAt: new Date(p.at),
      appointmentId: p.appointmentId,
      task: { source: 'reschedule_request', procedureType, bookBy: new Date(p.appointmentStartsAt) },
    });
  }

  /**
   * A booking that answers a task closes it. The task is only named by the booking request, so
   * an id that is no task of this clinic and patient is ignored.
   */
  async appointmentBooked(tx: Executor, event: EventEnvelope<'appointment.booked'>): Promise<void> {
    const p = event.payload;
    if (p.bookingTaskId == null) return;
    if (!isUuid(p.bookingTaskId)) {
      this.logger.warn(`appointment ${p.appointmentId} names a booking task that is no uuid; ignored`);
      return;
    }
    const task = and(eq(items.id, p.bookingTaskId), eq(items.clinicId, event.clinicId), eq(items.patientId, p.patientId), eq(items.kind, 'booking_task'));
    // Remembered even when someone closed the task by hand first: cancelling or missing this
    // appointment later must still know it was the care plan's follow-up visit.
    await tx.update(items).set({ bookedAppointmentId: p.appointmentId }).where(and(task, isNull(items.bookedAppointmentId)));
    await tx
      .update(items)
      .set({ status: 'done', completedAt: new Date(event.occurredAt) })
      .where(and(task, eq(items.status, 'open')));
  }

  /** A moved appointment answers the patient's request to reschedule it. */
  async appointmentRescheduled(tx: Executor, event: EventEnvelope<'appointment.rescheduled'>): Promise<void> {
    await tx
      .update(items)
      .set({ status: 'done', completedAt: new Date(event.occurredAt), bookedAppointmentId: event.payload.appointmentId })
      .where(this.openRescheduleRequests(event.clinicId, event.payload.appointmentId));
  }

  /**
   * A cancelled appointment has nothing left to move: its reschedule request is closed (if the
   * patient still wants a visit, the front desk books one; a care-plan visit gets a new task).
   */
  async appointmentCancelled(tx: Executor, event: EventEnvelope<'appointment.cancelled'>): Promise<void> {
    await tx
      .update(items)
      .set({ status: 'done', completedAt: new Date(event.occurredAt), note: CLOSED_BY.cancelled })
      .where(this.openRescheduleRequests(event.clinicId, event.payload.appointmentId));
    await this.rebook(tx, event, 'cancelled');
  }

  /**
   * A missed care-plan visit gets a new task, which replaces a reschedule request of it. Any
   * other missed appointment keeps its reschedule request open: the patient still wants a time.
   */
  async appointmentMissed(tx: Executor, event: EventEnvelope<'appointment.no-show'>): Promise<void> {
    if (!(await this.rebook(tx, event, 'no_show'))) return;
    await tx
      .update(items)
      .set({ status: 'done', completedAt: new Date(event.occurredAt), note: CLOSED_BY.superseded })
      .where(this.openRescheduleRequests(event.clinicId, event.payload.appointmentId));
  }

  /**
   * A cancelled or missed follow-up visit of an active care plan becomes a task to book it again,
   * with the plan's clinician, once per appointment and change. True when the visit was one.
   */
  private async rebook(tx: Executor, event: VisitEndEvent, end: VisitEnd): Promise<boolean> {
    const p = event.payload;
    const visit = await this.carePlanOfVisit(tx, event.clinicId, p);
    if (!visit || visit.plan.status !== 'active') return false;
    // Still active once nothing can end it under us: a cancel or a takeover locks the plan to
    // close its open items, and would not see a task written meanwhile.
    const [plan] = await tx.select({ status: carePlans.status }).from(carePlans).where(eq(carePlans.id, visit.plan.id)).for('share');
    if (plan?.status !== 'active') return false;
    const at = new Date(event.occurredAt);
    const bookBy = rebookBookBy(await this.visitWindowEnd(tx, visit.plan.id, visit.stepId), at, visit.plan.timezone);
    await this.followUps.raise(tx, {
      plan: visit.plan,
      kind: 'booking_task',
      cause: rebookCause(p.sequence),
      reason: BOOKING_TASK_REASONS.rebook[end],
      dueAt: bookBy,
      appointmentId: p.appointmentId,
      task: { source: 'rebook', procedureType: FOLLOW_UP_VISIT, bookBy },
    });
    return true;
  }

  /**
   * The care plan whose follow-up visit this appointment is: the plan booked it (its clinician's
   * follow_up_visit item), or it answered a task to book a follow-up visit for the plan (no free
   * slot, a rebook, or a reschedule request of such a visit). An appointment the plan booked
   * whose item is not written yet (the step's job writes it after booking) falls back to the
   * patient's newest active plan.
   */
  private async carePlanOfVisit(
    db: Executor,
    clinicId: string,
    p: { appointmentId: string; patientId: string; bookedByCarePlan: boolean },
  ): Promise<{ plan: CarePlanRow; stepId: string | null } | null> {
    const [hit] = await db
      .select({ plan: carePlans, stepId: items.stepId })
      .from(items)
      .innerJoin(carePlans, eq(carePlans.id, items.carePlanId))
      .where(
        and(
          eq(items.clinicId, clinicId),
          or(
            and(eq(items.kind, 'follow_up_visit'), eq(items.appointmentId, p.appointmentId)),
            and(eq(items.kind, 'booking_task'), eq(items.procedureType, FOLLOW_UP_VISIT), eq(items.bookedAppointmentId, p.appointmentId)),
          ),
        ),
      )
      .orderBy(desc(items.createdAt))
      .limit(1);
    if (hit) return hit;
    if (!p.bookedByCarePlan) return null;
    const plan = await this.activePlanOf(db, clinicId, p.patientId);
    return plan ? { plan, stepId: null } : null;
  }

  private async activePlanOf(db: Executor, clinicId: string, patientId: string): Promise<CarePlanRow | null> {
    const [plan] = await db
      .select()
      .from(carePlans)
      .where(and(eq(carePlans.clinicId, clinicId), eq(carePlans.patientId, patientId), eq(carePlans.status, 'active')))
      .orderBy(desc(carePlans.createdAt))
      .limit(1);
    return plan ?? null;
  }

  /** The end of the follow-up visit's window: the visit's own step, else the plan's last one that ran. */
  private async visitWindowEnd(db: Executor, planId: string, stepId: string | null): Promise<Date | null> {
    const [step] = await db
      .select({ windowEnd: steps.windowEnd, dueAt: steps.dueAt })
      .from(steps)
      .where(and(eq(steps.carePlanId, planId), eq(steps.kind, 'follow_up_visit'), stepId ? eq(steps.id, stepId) : undefined))
      .orderBy(sql`${steps.firedAt} DESC NULLS LAST`, desc(steps.dueAt))
      .limit(1);
    return step ? (step.windowEnd ?? step.dueAt) : null;
  }

  private openRescheduleRequests(clinicId: string, appointmentId: string): SQL {
    return and(
      eq(items.clinicId, clinicId),
      eq(items.kind, 'booking_task'),
      eq(items.source, 'reschedule_request'),
      eq(items.appointmentId, appointmentId),
      eq(items.status, 'open'),
    )!;
  }
}

export function toBookingTaskResource(item: ItemRow, patientName: string): BookingTaskResource {
  return {
    id: item.id,
    state: item.status,
    // The migration gave every booking task these; a row without them is no booking task.
    source: item.source!,
    patient: { id: item.patientId, name: patientName },
    clinicianId: item.clinicianId,
    procedureType: item.procedureType,
    bookBy: item.bookBy!.toISOString(),
    appointmentId: item.appointmentId,
    reason: item.reason ?? '',
    createdAt: item.createdAt.toISOString(),
    completedAt: item.completedAt?.toISOString() ?? null,
  };
}
