import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { eventPattern, type EventEnvelope } from '@aftercare/contracts';
import { Inbox } from '@aftercare/messaging';
import { CarePlansService } from '../care-plans/care-plans.service.js';
import type { StepRow } from '../database/schema.js';
import { FollowUpsService } from '../follow-ups/follow-ups.service.js';
import { PatientsService } from '../patients/patients.service.js';

/** Events followup consumes, each handled once (inbox). */
@Controller()
export class FollowupEventsController {
  constructor(
    private readonly inbox: Inbox,
    private readonly patients: PatientsService,
    private readonly carePlans: CarePlansService,
    private readonly followUps: FollowUpsService,
  ) {}

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
  procedureCompleted(@Payload() event: EventEnvelope<'procedure.completed'>) {
    let created: StepRow[] = [];
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
  replied(@Payload() event: EventEnvelope<'patient.replied'>) {
    return this.inbox.handleOnce(event, async (tx, e) => {
      if (e.payload.reply === 'reschedule') await this.followUps.raiseRescheduleRequest(tx, e);
    });
  }

  @MessagePattern(eventPattern('followup', 'checkin.answered'))
  checkinAnswered(@Payload() event: EventEnvelope<'checkin.answered'>) {
    return this.inbox.handleOnce(event, (tx, e) => this.followUps.recordAnswer(tx, e));
  }
}
