import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import {
  PATTERNS,
  type ClinicianDetailResource,
  type ClinicResourceResource,
  type ClinicSettingsResource,
  type ClosureResource,
  type CreateClosureData,
  type DaySheetResource,
  type ProcedureTypeResource,
  type RequestContext,
  type TimeOffResource,
} from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ADMIN_ONLY, ALL_STAFF } from '../auth/roles.js';
import { defined } from '../common/http.js';
import { IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import {
  CodeParamDto,
  CreateClinicianDto,
  CreateClosureDto,
  CreateProcedureTypeDto,
  CreateResourceDto,
  CreateTimeOffDto,
  DaySheetQueryDto,
  RangeQueryDto,
  TimeOffQueryDto,
  UpdateClinicDto,
  UpdateClinicianDto,
  UpdateProcedureTypeDto,
  UpdateResourceDto,
} from './clinic-setup.dto.js';

const P = PATTERNS.scheduling;
interface WithConflicts<T> {
  value: T;
  conflictingAppointmentIds: string[];
}
/** The thing itself, plus the appointments it collides with (which stay booked: move them). */
const flatten = <T extends object>(r: WithConflicts<T>) => ({ ...r.value, conflictingAppointmentIds: r.conflictingAppointmentIds });

/**
 * The clinic's setup: hours, closures, clinicians and their time off, rooms and equipment,
 * procedure types. Everyone on staff reads it (booking needs it); only admins change it.
 */
@Controller('api')
export class ClinicSetupController {
  constructor(private readonly services: ServiceForwarder) {}

  @Get('clinic')
  @Roles(...ALL_STAFF)
  clinic(@Ctx() ctx: RequestContext): Promise<ClinicSettingsResource> {
    return this.services.send(P.clinicGet, ctx, {});
  }

  @Patch('clinic')
  @Roles(...ADMIN_ONLY)
  updateClinic(@Ctx() ctx: RequestContext, @Body() body: UpdateClinicDto): Promise<ClinicSettingsResource> {
    return this.services.send(P.clinicUpdate, ctx, defined({ ...body }));
  }

  @Get('clinic/closures')
  @Roles(...ALL_STAFF)
  closures(@Ctx() ctx: RequestContext, @Query() query: RangeQueryDto): Promise<ClosureResource[]> {
    return this.services.send(P.closuresList, ctx, defined({ from: query.from, to: query.to }));
  }

  @Post('clinic/closures')
  @Roles(...ADMIN_ONLY)
  async createClosure(@Ctx() ctx: RequestContext, @Body() body: CreateClosureDto): Promise<unknown> {
    const data: CreateClosureData = defined({ startsAt: body.startsAt, endsAt: body.endsAt, date: body.date, throughDate: body.throughDate, reason: body.reason });
    return flatten(await this.services.send<WithConflicts<ClosureResource>>(P.closuresCreate, ctx, data));
  }

  @Delete('clinic/closures/:id')
  @Roles(...ADMIN_ONLY)
  deleteClosure(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<unknown> {
    return this.services.send(P.closuresDelete, ctx, { id: params.id });
  }

  @Get('day-sheet')
  @Roles(...ALL_STAFF)
  daySheet(@Ctx() ctx: RequestContext, @Query() query: DaySheetQueryDto): Promise<DaySheetResource> {
    return this.services.send(P.daySheet, ctx, { date: query.date });
  }

  @Get('clinicians/:id')
  @Roles(...ALL_STAFF)
  clinician(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<ClinicianDetailResource> {
    return this.services.send(P.cliniciansGet, ctx, { id: params.id });
  }

  @Post('clinicians')
  @Roles(...ADMIN_ONLY)
  createClinician(@Ctx() ctx: RequestContext, @Body() body: CreateClinicianDto): Promise<ClinicianDetailResource> {
    return this.services.send(P.cliniciansCreate, ctx, { name: body.name, email: body.email ?? null, weeklyHours: body.weeklyHours });
  }

  @Patch('clinicians/:id')
  @Roles(...ADMIN_ONLY)
  async updateClinician(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: UpdateClinicianDto): Promise<unknown> {
    return flatten(await this.services.send<WithConflicts<ClinicianDetailResource>>(P.cliniciansUpdate, ctx, defined({ id: params.id, ...body })));
  }

  @Get('time-off')
  @Roles(...ALL_STAFF)
  timeOff(@Ctx() ctx: RequestContext, @Query() query: TimeOffQueryDto): Promise<TimeOffResource[]> {
    return this.services.send(P.timeOffList, ctx, defined({ from: query.from, to: query.to, clinicianId: query.clinicianId }));
  }

  @Post('time-off')
  @Roles(...ADMIN_ONLY)
  async createTimeOff(@Ctx() ctx: RequestContext, @Body() body: CreateTimeOffDto): Promise<unknown> {
    const data = { clinicianId: body.clinicianId, startsAt: body.startsAt, endsAt: body.endsAt, reason: body.reason ?? null };
    return flatten(await this.services.send<WithConflicts<TimeOffResource>>(P.timeOffCreate, ctx, data));
  }

  @Delete('time-off/:id')
  @Roles(...ADMIN_ONLY)
  deleteTimeOff(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<unknown> {
    return this.services.send(P.timeOffDelete, ctx, { id: params.id });
  }

  @Get('resources')
  @Roles(...ALL_STAFF)
  resources(@Ctx() ctx: RequestContext): Promise<ClinicResourceResource[]> {
    return this.services.send(P.resourcesList, ctx, {});
  }

  @Post('resources')
  @Roles(...ADMIN_ONLY)
  createResource(@Ctx() ctx: RequestContext, @Body() body: CreateResourceDto): Promise<ClinicResourceResource> {
    return this.services.send(P.resourcesCreate, ctx, defined({ kind: body.kind, category: body.category, name: body.name, features: body.features }));
  }

  @Patch('resources/:id')
  @Roles(...ADMIN_ONLY)
  updateResource(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: UpdateResourceDto): Promise<ClinicResourceResource> {
    return this.services.send(P.resourcesUpdate, ctx, defined({ id: params.id, ...body }));
  }

  @Post('procedure-types')
  @Roles(...ADMIN_ONLY)
  createProcedureType(@Ctx() ctx: RequestContext, @Body() body: CreateProcedureTypeDto): Promise<ProcedureTypeResource> {
    return this.services.send(P.procedureTypesCreate, ctx, defined({ ...body }));
  }

  @Patch('procedure-types/:code')
  @Roles(...ADMIN_ONLY)
  updateProcedureType(@Ctx() ctx: RequestContext, @Param() params: CodeParamDto, @Body() body: UpdateProcedureTypeDto): Promise<ProcedureTypeResource> {
    return this.services.send(P.procedureTypesUpdate, ctx, defined({ code: params.code, ...body }));
  }
}
