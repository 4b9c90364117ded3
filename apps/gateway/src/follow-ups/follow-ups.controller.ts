import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  PATTERNS,
  type CompleteFollowUpData,
  type DecideData,
  type FollowUpItemResource,
  type ListFollowUpsData,
  type RequestContext,
} from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { CLINICAL } from '../auth/roles.js';
import { IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { CompleteFollowUpDto, DecisionDto, ListFollowUpsQueryDto } from './follow-ups.dto.js';

const P = PATTERNS.followup;

/** The clinician's due list: it shows pain scores and check-in answers, so clinical roles only. */
@Controller('api/follow-ups')
export class FollowUpsController {
  constructor(private readonly services: ServiceForwarder) {}

  @Get()
  @Roles(...CLINICAL)
  list(@Ctx() ctx: RequestContext, @Query() query: ListFollowUpsQueryDto): Promise<FollowUpItemResource[]> {
    const data: ListFollowUpsData = {};
    if (query.clinicianId) data.clinicianId = query.clinicianId;
    if (query.kind) data.kind = query.kind;
    if (query.state) data.state = query.state;
    return this.services.send(P.itemsList, ctx, data);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @Roles(...CLINICAL)
  complete(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: CompleteFollowUpDto): Promise<FollowUpItemResource> {
    const data: CompleteFollowUpData = { id: params.id, note: body.note ?? null };
    return this.services.send(P.itemsComplete, ctx, data);
  }

  @Post(':id/decision')
  @HttpCode(200)
  @Roles(...CLINICAL)
  decide(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: DecisionDto): Promise<FollowUpItemResource> {
    const data: DecideData = { id: params.id, repeatInjection: body.repeatInjection, note: body.note ?? null };
    return this.services.send(P.itemsDecide, ctx, data);
  }
}
