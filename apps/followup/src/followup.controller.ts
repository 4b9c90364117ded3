import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  PATTERNS,
  type ByIdData,
  type CompleteFollowUpData,
  type ListBookingTasksData,
  type ListCarePlansData,
  type OutcomeSummaryData,
  type RpcRequest,
} from '@aftercare/contracts';
import { BookingTasksService } from './booking-tasks/booking-tasks.service.js';
import { CarePlansService } from './care-plans/care-plans.service.js';
import { FollowUpsService } from './follow-ups/follow-ups.service.js';
import { OutcomesService } from './outcomes/outcomes.service.js';

const P = PATTERNS.followup;

/** Request patterns from the gateway (the due list and its actions: FollowUpsController). */
@Controller()
export class FollowupController {
  constructor(
    private readonly carePlans: CarePlansService,
    private readonly followUps: FollowUpsService,
    private readonly bookingTasks: BookingTasksService,
    private readonly outcomes: OutcomesService,
  ) {}

  @MessagePattern(P.bookingTasksList)
  bookingTasksList(@Payload() { ctx, data }: RpcRequest<ListBookingTasksData>) {
    return this.bookingTasks.list(ctx, data ?? {});
  }

  @MessagePattern(P.bookingTasksComplete)
  bookingTasksComplete(@Payload() { ctx, data }: RpcRequest<CompleteFollowUpData>) {
    return this.bookingTasks.complete(ctx, data);
  }

  @MessagePattern(P.carePlansList)
  listCarePlans(@Payload() { ctx, data }: RpcRequest<ListCarePlansData>) {
    return this.carePlans.list(ctx, data ?? {});
  }

  @MessagePattern(P.carePlansGet)
  carePlan(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.carePlans.get(ctx, data.id);
  }

  @MessagePattern(P.timeline)
  timeline(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.followUps.timeline(ctx, data.id);
  }

  @MessagePattern(P.outcomesPatient)
  patientOutcomes(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.outcomes.forPatient(ctx, data.id);
  }

  @MessagePattern(P.outcomesSummary)
  outcomeSummary(@Payload() { ctx, data }: RpcRequest<OutcomeSummaryData>) {
    return this.outcomes.summary(ctx, data ?? {});
  }

  @MessagePattern(P.careRecord)
  careRecord(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.outcomes.careRecord(ctx, data.id);
  }
}
