import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  PATTERNS,
  type AppointmentResource,
  type BookAppointmentData,
  type CancelData,
  type CompleteData,
  type ListAppointmentsData,
  type RequestContext,
  type RescheduleData,
} from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ALL_STAFF, CLINICAL } from '../auth/roles.js';
import { defined } from '../common/http.js';
import { EmptyBodyDto, IdParamDto } from '../common/id-param.dto.js';
import { IdempotencyKey } from '../common/idempotency-key.decorator.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import {
  BookAppointmentDto,
  CancelAppointmentDto,
  CompleteAppointmentDto,
  ListAppointmentsQueryDto,
  RescheduleAppointmentDto,
} from './appointments.dto.js';

const P = PATTERNS.scheduling;


@Controller('api/appointments')
export class AppointmentsController {
  constructor(private readonly services: ServiceForwarder) {}

  @Post()
  @Roles(...ALL_STAFF)
  book(
    @Ctx() ctx: RequestContext,
    @Body() body: BookAppointmentDto,
    @IdempotencyKey() idempotencyKey: string | null,
  ): Promise<AppointmentResource> {
    const data: BookAppointmentData = {
      patientId: body.patientId,
      clinicianId: body.clinicianId,
      procedureType: body.procedureType,
      startsAt: body.startsAt,
      notes: body.notes ?? null,
      idempotencyKey,
      bookingTaskId: body.bookingTaskId ?? null,
    };
    return this.services.send(P.appointmentsBook, ctx, data);
  }

  @Get()
  @Roles(...ALL_STAFF)
  list(@Ctx() ctx: RequestContext, @Query() query: ListAppointmentsQueryDto): Promise<unknown> {
    const data: ListAppointmentsData = defined({ from: query.from, to: query.to, clinicianId: query.clinicianId, patientId: query.patientId, limit: query.limit, cursor: query.cursor });
    return this.services.send(P.appointmentsList, ctx, data);
  }

  @Get(':id')
  @Roles(...ALL_STAFF)
  get(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<AppointmentResource> {
    return this.services.send(P.appointmentsGet, ctx, { id: params.id });
  }

  @Post(':id/reschedule')
  @HttpCode(200)
  @Roles(...ALL_STAFF)
  reschedule(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: RescheduleAppointmentDto): Promise<AppointmentResource> {
    const data: RescheduleData = { id: params.id, startsAt: body.startsAt };
    return this.services.send(P.appointmentsReschedule, ctx, data);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles(...ALL_STAFF)
  cancel(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: CancelAppointmentDto): Promise<AppointmentResource> {
    const data: CancelData = { id: params.id, reason: body.reason ?? null };
    return this.services.send(P.appointmentsCancel, ctx, data);
  }

  @Post(':id/check-in')
  @HttpCode(200)
  @Roles(...ALL_STAFF)
  checkIn(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() _body: EmptyBodyDto): Promise<AppointmentResource> {
    return this.services.send(P.appointmentsCheckIn, ctx, { id: params.id });
  }

  /** Starts the care plan (procedure.completed), a clinical act. */
  @Post(':id/complete')
  @HttpCode(200)
  @Roles(...CLINICAL)
  complete(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: CompleteAppointmentDto): Promise<AppointmentResource> {
    const data: CompleteData = { id: params.id, notes: body.notes ?? null, site: body.site ?? null };
    return this.services.send(P.appointmentsComplete, ctx, data);
  }

  @Post(':id/no-show')
  @HttpCode(200)
  @Roles(...ALL_STAFF)
  noShow(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() _body: EmptyBodyDto): Promise<AppointmentResource> {
    return this.services.send(P.appointmentsNoShow, ctx, { id: params.id });
  }
}
