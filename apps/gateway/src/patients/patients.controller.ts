import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import {
  PATTERNS,
  type CreatePatientData,
  type ListPatientsData,
  type PatientResource,
  type RequestContext,
  type TimelineEntry,
} from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ALL_STAFF, CLINICAL } from '../auth/roles.js';
import { IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { PatientTimelineService } from './patient-timeline.service.js';
import { CreatePatientDto, ListPatientsQueryDto } from './patients.dto.js';

const P = PATTERNS.scheduling;

@Controller('api/patients')
export class PatientsController {
  constructor(
    private readonly services: ServiceForwarder,
    private readonly timelines: PatientTimelineService,
  ) {}

  @Post()
  @Roles(...ALL_STAFF)
  create(@Ctx() ctx: RequestContext, @Body() body: CreatePatientDto): Promise<PatientResource> {
    const data: CreatePatientData = {
      firstName: body.firstName,
      lastName: body.lastName,
      phone: body.phone,
      email: body.email ?? null,
      timezone: body.timezone,
      preferredChannel: body.preferredChannel,
      smsConsent: body.smsConsent,
    };
    return this.services.send(P.patientsCreate, ctx, data);
  }

  @Get()
  @Roles(...ALL_STAFF)
  list(@Ctx() ctx: RequestContext, @Query() query: ListPatientsQueryDto): Promise<unknown> {
    const data: ListPatientsData = query.query ? { query: query.query } : {};
    return this.services.send(P.patientsList, ctx, data);
  }

  @Get(':id')
  @Roles(...ALL_STAFF)
  get(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<PatientResource> {
    return this.services.send(P.patientsGet, ctx, { id: params.id });
  }

  /** Check-in answers and messages are in it, so not for the front desk. */
  @Get(':id/timeline')
  @Roles(...CLINICAL)
  timeline(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<TimelineEntry[]> {
    return this.timelines.timeline(ctx, params.id);
  }
}
