import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { eventPattern, type EventEnvelope } from '@aftercare/contracts';
import { Inbox } from '@aftercare/messaging';
import { AppointmentsService } from '../appointments/appointments.service.js';
import type { WaitlistOfferRow } from '../database/schema.js';
import { PatientsService } from '../patients/patients.service.js';
import { WaitlistService } from '../waitlist/waitlist.service.js';

/** Events scheduling consumes (including its own cancellations and moves, for the waitlist). */
@Controller()
export class SchedulingEventsController {
  constructor(
    private readonly inbox: Inbox,
    private readonly patients: PatientsService,
    private readonly appointments: AppointmentsService,
    private readonly waitlist: WaitlistService,
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

  /** A cancelled appointment's time goes to the waitlist. */
  @MessagePattern(eventPattern('scheduling', 'appointment.cancelled'))
  cancelled(@Payload() event: EventEnvelope<'appointment.cancelled'>) {
    return this.offerFreedTime(event, event.payload.startsAt);
  }

  /** So does the time a rescheduled appointment left. */
  @MessagePattern(eventPattern('scheduling', 'appointment.rescheduled'))
  rescheduled(@Payload() event: EventEnvelope<'appointment.rescheduled'>) {
    return this.offerFreedTime(event, event.payload.previousStartsAt);
  }

  /** A patient answered YES to an offer: the first YES books it. */
  @MessagePattern(eventPattern('scheduling', 'waitlist.offer-accepted'))
  offerAccepted(@Payload() event: EventEnvelope<'waitlist.offer-accepted'>) {
    let result: { closed: WaitlistOfferRow[]; offered: WaitlistOfferRow[] } = { closed: [], offered: [] };
    return this.inbox.handleOnce(
      event,
      async (tx, e) => {
        result = await this.waitlist.accept(tx, e.clinicId, e.payload, e.correlationId);
      },
      async () => {
        await this.waitlist.dropJobs(result.closed);
        await this.waitlist.scheduleJobs(result.offered);
      },
    );
  }

  /** Offers are rows written with the event's inbox entry; their expiry jobs follow the commit. */
  private offerFreedTime(event: EventEnvelope<'appointment.cancelled' | 'appointment.rescheduled'>, freedStartsAt: string) {
    let offers: WaitlistOfferRow[] = [];
    return this.inbox.handleOnce(
      event,
      async (tx, e) => {
        offers = await this.waitlist.offerFreedTime(tx, {
          clinicId: e.clinicId,
          clinicianId: e.payload.clinicianId,
          startsAt: new Date(freedStartsAt),
          slotKey: `appointment:${e.payload.appointmentId}:${e.payload.sequence}`,
          releasedByPatientId: e.payload.patientId,
          correlationId: e.correlationId,
        });
      },
      () => this.waitlist.scheduleJobs(offers),
    );
  }
}
