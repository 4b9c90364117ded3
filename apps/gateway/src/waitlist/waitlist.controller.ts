import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { PATTERNS, type CreateWaitlistEntryData, type ListWaitlistData, type RequestContext, type WaitlistEntryResource, type WaitlistPage } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ALL_STAFF } from '../auth/roles.js';
import { defined } from '../common/http.js';
import { EmptyBodyDto, IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { CreateWaitlistEntryDto, ListWaitlistQueryDto } from './waitlist.dto.js';

const P = PATTERNS.scheduling;

/** Patients who want an earlier time: freed slots are offered to them by SMS. */
@Controller('api/waitlist')
export class WaitlistController {
  constructor(private readonly services: ServiceForwarder) {}

  @Post()
  @Roles(...ALL_STAFF)
  create(@Ctx() ctx: RequestContext, @Body() body: CreateWaitlistEntryDto): Promise<WaitlistEntryResource> {
    const data: CreateWaitlistEntryData = {
      patientId: body.patientId,
      procedureType: body.procedureType,
      clinicianId: body.clinicianId ?? null,
      earliestDate: body.earliestDate,
      latestDate: body.latestDate,
      notes: body.notes ?? null,
    };
    return this.services.send(P.waitlistCreate, ctx, data);
  }

  @Get()
  @Roles(...ALL_STAFF)
  list(@Ctx() ctx: RequestContext, @Query() query: ListWaitlistQueryDto): Promise<WaitlistEntryResource[] | WaitlistPage> {
    const data: ListWaitlistData = defined({ status: query.status, procedureType: query.procedureType, patientId: query.patientId, limit: query.limit, cursor: query.cursor });
    return this.services.send(P.waitlistList, ctx, data);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles(...ALL_STAFF)
  cancel(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() _body: EmptyBodyDto): Promise<WaitlistEntryResource> {
    return this.services.send(P.waitlistCancel, ctx, { id: params.id });
  }
}
