import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PATTERNS, type CarePlanChangeData, type CarePlanResource, type RpcRequest } from '@aftercare/contracts';
import { CarePlanLifecycleService } from './care-plan-lifecycle.service.js';
import { CarePlansService } from './care-plans.service.js';

const P = PATTERNS.followup;

/** Pause, resume and cancel from the gateway; each answers the plan as it now is. */
@Controller()
export class CarePlanLifecycleController {
  constructor(
    private readonly lifecycle: CarePlanLifecycleService,
    private readonly carePlans: CarePlansService,
  ) {}

  @MessagePattern(P.carePlansPause)
  async pause(@Payload() { ctx, data }: RpcRequest<CarePlanChangeData>): Promise<CarePlanResource> {
    await this.lifecycle.pause(ctx, data);
    return this.carePlans.get(ctx, data.id);
  }

  @MessagePattern(P.carePlansResume)
  async resume(@Payload() { ctx, data }: RpcRequest<CarePlanChangeData>): Promise<CarePlanResource> {
    await this.lifecycle.resume(ctx, data);
    return this.carePlans.get(ctx, data.id);
  }

  @MessagePattern(P.carePlansCancel)
  async cancel(@Payload() { ctx, data }: RpcRequest<CarePlanChangeData>): Promise<CarePlanResource> {
    await this.lifecycle.cancel(ctx, data);
    return this.carePlans.get(ctx, data.id);
  }
}
