import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  PATTERNS,
  type ByIdData,
  type CompleteFollowUpData,
  type DecideData,
  type ListBookingTasksData,
  type ListCarePlansData,
  type ListFollowUpsData,
  type RpcRequest,
} from '@aftercare/contracts';
import { BookingTasksService } from './booking-tasks/booking-tasks.service.js';
import { CarePlansService } from './care-plans/care-plans.service.js';
import { FollowUpsService } from './follow-ups/follow-ups.service.js';

const P = PATTERNS.followup;

/** Request patterns from the gateway. */
@Controller()
export class FollowupController {
  constructor(
    private readonly carePlans: CarePlansService,
    private readonly followUps: FollowUpsService,
    private readonly bookingTasks: BookingTasksService,
  ) {}

  @MessagePattern(P.itemsList)
  items(@Payload() { ctx, data }: RpcRequest<ListFollowUpsData>) {
    return this.followUps.list(ctx, data ?? {});
  }

  @MessagePattern(P.bookingTasksList)
  bookingTasksList(@Payload() { ctx, data }: RpcRequest<ListBookingTasksData>) {
    return this.bookingTasks.list(ctx, data ?? {});
  }

  @MessagePattern(P.bookingTasksComplete)
  bookingTasksComplete(@Payload() { ctx, data }: RpcRequest<CompleteFollowUpData>) {
    return this.bookingTasks.complete(ctx, data);
  }

  @MessagePattern(P.itemsComplete)
  complete(@Payload() { ctx, data }: RpcRequest<CompleteFollowUpData>) {
    return this.followUps.complete(ctx, data);
  }

  @MessagePattern(P.itemsDecide)
  decide(@Payload() { ctx, data }: RpcRequest<DecideData>) {
    return this.followUps.decide(ctx, data);
  }

  @MessagePattern(P.carePlansList)
  listCarePlans(@Payload() { ctx, data }: RpcRequest<ListCarePlansData>) {
    return this.carePlans.list(ctx, data?.patientId);
  }

  @MessagePattern(P.carePlansGet)
  carePlan(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.carePlans.get(ctx, data.id);
  }

  @MessagePattern(P.timeline)
  timeline(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.followUps.timeline(ctx, data.id);
  }
}
