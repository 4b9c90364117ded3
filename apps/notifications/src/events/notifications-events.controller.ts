import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { eventPattern, type EventEnvelope } from '@aftercare/contracts';
import type { Executor } from '@aftercare/database';
import { Inbox } from '@aftercare/messaging';
import type { MessageRow } from '../database/schema.js';
import { DirectoryService } from '../directory/directory.service.js';
import { AppointmentMessagesService } from '../messages/appointment-messages.service.js';
import { MessagesService } from '../messages/messages.service.js';
import { WaitlistOffersService } from '../waitlist/waitlist-offers.service.js';

/** Events notifications consumes, each handled once (inbox); jobs are added after commit. */
@Controller()
export class NotificationsEventsController {
  constructor(
    private readonly inbox: Inbox,
    private readonly directory: DirectoryService,
    private readonly messages: MessagesService,
    private readonly appointmentMessages: AppointmentMessagesService,
    private readonly waitlist: WaitlistOffersService,
  ) {}

  @MessagePattern(eventPattern('notifications', 'clinic.upserted'))
  clinicUpserted(@Payload() event: EventEnvelope<'clinic.upserted'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.directory.upsertClinic(tx, e));
  }

  @MessagePattern(eventPattern('notifications', 'patient.registered'))
  patientRegistered(@Payload() event: EventEnvelope<'patient.registered'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.directory.upsertRecipient(tx, e));
  }

  @MessagePattern(eventPattern('notifications', 'appointment.booked'))
  booked(@Payload() event: EventEnvelope<'appointment.booked'>) {
    return this.withJobs(event, (tx, e) => this.appointmentMessages.booked(tx, e));
  }

  @MessagePattern(eventPattern('notifications', 'appointment.rescheduled'))
  rescheduled(@Payload() event: EventEnvelope<'appointment.rescheduled'>) {
    return this.withJobs(event, (tx, e) => this.appointmentMessages.rescheduled(tx, e));
  }

  @MessagePattern(eventPattern('notifications', 'appointment.cancelled'))
  cancelled(@Payload() event: EventEnvelope<'appointment.cancelled'>) {
    return this.withJobs(event, (tx, e) => this.appointmentMessages.cancelled(tx, e));
  }

  @MessagePattern(eventPattern('notifications', 'appointment.checked-in'))
  checkedIn(@Payload() event: EventEnvelope<'appointment.checked-in'>) {
    return this.withJobs(event, (tx, e) => this.appointmentMessages.checkedIn(tx, e));
  }

  @MessagePattern(eventPattern('notifications', 'appointment.no-show'))
  noShow(@Payload() event: EventEnvelope<'appointment.no-show'>) {
    return this.withJobs(event, (tx, e) => this.appointmentMessages.noShow(tx, e));
  }

  @MessagePattern(eventPattern('notifications', 'waitlist.offered'))
  waitlistOffered(@Payload() event: EventEnvelope<'waitlist.offered'>) {
    return this.withJobs(event, (tx, e) => this.waitlist.offered(tx, e));
  }

  @MessagePattern(eventPattern('notifications', 'waitlist.offer-closed'))
  waitlistOfferClosed(@Payload() event: EventEnvelope<'waitlist.offer-closed'>) {
    return this.withJobs(event, (tx, e) => this.waitlist.closed(tx, e));
  }

  @MessagePattern(eventPattern('notifications', 'care-plan.message-due'))
  carePlanMessageDue(@Payload() event: EventEnvelope<'care-plan.message-due'>) {
    return this.withJobs(event, async (tx, e) => ({
      created: await this.messages.compose(tx, {
        clinicId: e.clinicId,
        patientId: e.payload.patientId,
        kind: e.payload.kind,
        sendAt: new Date(e.payload.dueAt),
        cause: `step:${e.payload.stepId}`,
        stepId: e.payload.stepId,
        respectQuietHours: true,
      }),
      cancelled: [],
    }));
  }

  /** Handles the event once; after commit adds the new rows' jobs and drops cancelled ones. */
  private withJobs<E extends EventEnvelope>(
    event: E,
    handler: (tx: Executor, e: E) => Promise<{ created: MessageRow[]; cancelled: string[] }>,
  ) {
    let result: { created: MessageRow[]; cancelled: string[] } = { created: [], cancelled: [] };
    return this.inbox.handleOnce(
      event,
      async (tx, e) => {
        result = await handler(tx, e as E);
      },
      async () => {
        await this.messages.removeJobs(result.cancelled);
        await this.messages.scheduleJobs(result.created);
      },
    );
  }
}
