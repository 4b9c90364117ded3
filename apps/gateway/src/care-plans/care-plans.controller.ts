import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { PATTERNS, type CarePlanChangeData, type CarePlanPage, type CarePlanResource, type ListCarePlansData, type RequestContext } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { CLINICAL } from '../auth/roles.js';
import { IdParamDto } from '../common/id-param.dto.js';
import { defined } from '../common/http.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { CarePlanReasonDto, ListCarePlansQueryDto, ResumeCarePlanDto } from './care-plans.dto.js';

const P = PATTERNS.followup;

@Controller('api/care-plans')
export class CarePlansController {
  constructor(private readonly services: ServiceForwarder) {}

  @Get()
  @Roles(...CLINICAL)
  list(@Ctx() ctx: RequestContext, @Query() query: ListCarePlansQueryDto): Promise<CarePlanResource[] | CarePlanPage> {
    const data: ListCarePlansData = defined({ patientId: query.patientId, limit: query.limit, cursor: query.cursor });
    return this.services.send(P.carePlansList, ctx, data);
  }

  @Get(':id')
  @Roles(...CLINICAL)
  get(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<CarePlanResource> {
    return this.services.send(P.carePlansGet, ctx, { id: params.id });
  }

  /** Stops the plan's steps from firing until it is resumed (409 unless active). */
  @Post(':id/pause')
  @HttpCode(200)
  @Roles(...CLINICAL)
  pause(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: CarePlanReasonDto): Promise<CarePlanResource> {
    const data: CarePlanChangeData = { id: params.id, reason: body.reason };
    return this.services.send(P.carePlansPause, ctx, data);
  }

  /** Steps still ahead go on at their times; those that came due while paused are skipped or due now (409 unless paused). */
  @Post(':id/resume')
  @HttpCode(200)
  @Roles(...CLINICAL)
  resume(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: ResumeCarePlanDto): Promise<CarePlanResource> {
    const data: CarePlanChangeData = { id: params.id, reason: body.reason ?? null };
    return this.services.send(P.carePlansResume, ctx, data);
  }

  /** Ends the plan: remaining steps cancelled, its open items (but attention items) closed (409 once ended). */
  @Post(':id/cancel')
  @HttpCode(200)
  @Roles(...CLINICAL)
  cancel(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: CarePlanReasonDto): Promise<CarePlanResource> {
    const data: CarePlanChangeData = { id: params.id, reason: body.reason };
    return this.services.send(P.carePlansCancel, ctx, data);
  }
}
