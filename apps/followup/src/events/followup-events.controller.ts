import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { eventPattern, type EventEnvelope } from '@aftercare/contracts';
import { Inbox } from '@aftercare/messaging';
import { BookingTasksService } from '../booking-tasks/booking-tasks.service.js';
import { CarePlansService, type ScheduledStep } from '../care-plans/care-plans.service.js';
import { FollowUpsService } from '../follow-ups/follow-ups.service.js';
import { PatientMessagesService } from '../patient-messages/patient-messages.service.js';
import { PatientsService } from '../patients/patients.service.js';

/** Events followup consumes, each handled once (inbox). */
@Controller()
export class FollowupEventsController {
  constructor(
    private readonly inbox: Inbox,
    private readonly patients: PatientsService,
    private readonly carePlans: CarePlansService,
    private readonly followUps: FollowUpsService,
    private readonly bookingTasks: BookingTasksService,
    private readonly patientMessages: PatientMessagesService,
  ) {}

  /** The patient's own words: the clinician reads them, or the front desk confirms an opt-out. */
  @MessagePattern(eventPattern('followup', 'patient.wrote'))
  patientWrote(@Payload() event: EventEnvelope<'patient.wrote'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.patientMessages.wrote(tx, e));
  }

  /** No message reached the patient: the front desk calls. */
  @MessagePattern(eventPattern('followup', 'patient.unreachable'))
  patientUnreachable(@Payload() event: EventEnvelope<'patient.unreachable'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.patientMessages.unreachable(tx, e));
  }

  @MessagePattern(eventPattern('followup', 'patient.registered'))
  patientRegistered(@Payload() event: EventEnvelope<'patient.registered'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.patients.upsert(tx, e.clinicId, e.payload));
  }

  @MessagePattern(eventPattern('followup', 'patient.opted-out'))
  optedOut(@Payload() event: EventEnvelope<'patient.opted-out'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.patients.setSmsOptedOut(tx, e.payload.patientId, true));
  }

  @MessagePattern(eventPattern('followup', 'patient.opted-in'))
  optedIn(@Payload() event: EventEnvelope<'patient.opted-in'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.patients.setSmsOptedOut(tx, e.payload.patientId, false));
  }

  @MessagePattern(eventPattern('followup', 'procedure.completed'))
  async procedureCompleted(@Payload() event: EventEnvelope<'procedure.completed'>) {
    // The usual case: the inbox row, the plan and its steps in one statement, then the jobs.
    const started = await this.carePlans.startFromProcedure(event);
    if (started) return this.inbox.settle(event, started.fresh, () => this.carePlans.scheduleJobs(started.created));
    // Every other case (a plan to supersede, no protocol, an unknown patient) in a transaction.
    let created: ScheduledStep[] = [];
    return this.inbox.handleOnce(
      event,
      async (tx, e) => {
        created = await this.carePlans.createFromProcedure(tx, e);
      },
      // Rows are committed first; then their jobs. If this process dies in between, the
      // reconciler finds the rows without jobs.
      () => this.carePlans.scheduleJobs(created),
    );
  }

  @MessagePattern(eventPattern('followup', 'patient.replied'))
  async replied(@Payload() event: EventEnvelope<'patient.replied'>) {
    // Looked up before the inbox transaction: no connection is held while scheduling answers.
    const procedureType = event.payload.reply === 'reschedule' ? await this.bookingTasks.procedureTypeOf(event) : null;
    return this.inbox.handleOnce(event, async (tx, e) => {
      if (procedureType !== null) await this.bookingTasks.raiseRescheduleRequest(tx, e, procedureType);
    });
  }

  @MessagePattern(eventPattern('followup', 'appointment.booked'))
  appointmentBooked(@Payload() event: EventEnvelope<'appointment.booked'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.bookingTasks.appointmentBooked(tx, e));
  }

  @MessagePattern(eventPattern('followup', 'appointment.rescheduled'))
  appointmentRescheduled(@Payload() event: EventEnvelope<'appointment.rescheduled'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.bookingTasks.appointmentRescheduled(tx, e));
  }

  @MessagePattern(eventPattern('followup', 'appointment.cancelled'))
  appointmentCancelled(@Payload() event: EventEnvelope<'appointment.cancelled'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.bookingTasks.appointmentCancelled(tx, e));
  }

  @MessagePattern(eventPattern('followup', 'appointment.no-show'))
  appointmentMissed(@Payload() event: EventEnvelope<'appointment.no-show'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.bookingTasks.appointmentMissed(tx, e));
  }

  @MessagePattern(eventPattern('followup', 'checkin.answered'))
  checkinAnswered(@Payload() event: EventEnvelope<'checkin.answered'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.followUps.recordAnswer(tx, e));
  }
}
