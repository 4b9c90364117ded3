import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { eventPattern, type EventEnvelope } from '@aftercare/contracts';
import { Inbox } from '@aftercare/messaging';
import { AppointmentsService } from '../appointments/appointments.service.js';
import { PatientsService } from '../patients/patients.service.js';

/** Events other services publish that scheduling keeps a copy of. */
@Controller()
export class SchedulingEventsController {
  constructor(
    private readonly inbox: Inbox,
    private readonly patients: PatientsService,
    private readonly appointments: AppointmentsService,
  ) {}

  @MessagePattern(eventPattern('scheduling', 'patient.replied'))
  replied(@Payload() event: EventEnvelope<'patient.replied'>) {
    return this.inbox.handleOnce(event, async (tx, e) => {
      // R is a task for the front desk (followup keeps booking tasks); C confirms here.
      if (e.payload.reply === 'confirm') await this.appointments.confirmByPatient(tx, e.clinicId, e.payload.appointmentId);
    });
  }

  @MessagePattern(eventPattern('scheduling', 'patient.opted-out'))
  optedOut(@Payload() event: EventEnvelope<'patient.opted-out'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.patients.setSmsOptedOut(tx, e.clinicId, e.payload.patientId, true));
  }

  @MessagePattern(eventPattern('scheduling', 'patient.opted-in'))
  optedIn(@Payload() event: EventEnvelope<'patient.opted-in'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.patients.setSmsOptedOut(tx, e.clinicId, e.payload.patientId, false));
  }
}
