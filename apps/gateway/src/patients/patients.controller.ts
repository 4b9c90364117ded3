import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  PATTERNS,
  type CreatePatientData,
  type ListPatientsData,
  type PatientResource,
  type PossibleDuplicate,
  type RequestContext,
  type TimelineEntry,
} from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ALL_STAFF, CLINICAL } from '../auth/roles.js';
import { EmptyBodyDto, IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { PatientTimelineService } from './patient-timeline.service.js';
import { defined } from '../common/http.js';
import { CreatePatientDto, ListPatientsQueryDto, PatientDuplicatesQueryDto } from './patients.dto.js';

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
      dateOfBirth: body.dateOfBirth ?? null,
      language: body.language ?? 'en',
    };
    return this.services.send(P.patientsCreate, ctx, data);
  }

  @Get()
  @Roles(...ALL_STAFF)
  list(@Ctx() ctx: RequestContext, @Query() query: ListPatientsQueryDto): Promise<unknown> {
    const data: ListPatientsData = defined({ query: query.query || undefined, dateOfBirth: query.dateOfBirth, limit: query.limit, cursor: query.cursor });
    return this.services.send(P.patientsList, ctx, data);
  }

  /** Declared before ':id' so that "duplicates" is not read as an id. */
  @Get('duplicates')
  @Roles(...ALL_STAFF)
  duplicates(@Ctx() ctx: RequestContext, @Query() query: PatientDuplicatesQueryDto): Promise<PossibleDuplicate[]> {
    return this.services.send(P.patientsDuplicates, ctx, defined({ phone: query.phone, email: query.email }));
  }

  @Get(':id')
  @Roles(...ALL_STAFF)
  get(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<PatientResource> {
    return this.services.send(P.patientsGet, ctx, { id: params.id });
  }

  /**
   * Staff record an SMS opt-out the patient asked for in words or by phone: it takes effect at
   * once, like STOP, and the patient gets one confirmation.
   */
  @Post(':id/sms-opt-out')
  @HttpCode(200)
  @Roles(...ALL_STAFF)
  smsOptOut(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() _body: EmptyBodyDto): Promise<unknown> {
    return this.services.send(PATTERNS.notifications.smsOptOut, ctx, { id: params.id });
  }

  /**
   * Staff lift the hold on automated SMS that the patient's words ("please stop texting me")
   * put on: they confirmed the patient wants the texts. A patient who has opted out stays so.
   */
  @Post(':id/sms-hold/release')
  @HttpCode(200)
  @Roles(...ALL_STAFF)
  smsHoldRelease(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() _body: EmptyBodyDto): Promise<unknown> {
    return this.services.send(PATTERNS.notifications.smsHoldRelease, ctx, { id: params.id });
  }

  /** Check-in answers and messages are in it, so not for the front desk. */
  @Get(':id/timeline')
  @Roles(...CLINICAL)
  timeline(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<TimelineEntry[]> {
    return this.timelines.timeline(ctx, params.id);
  }
}
