import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { PATTERNS, type BookingTaskResource, type ListBookingTasksData, type RequestContext } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ALL_STAFF } from '../auth/roles.js';
import { IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { ListBookingTasksQueryDto } from './booking-tasks.dto.js';
import { CompleteFollowUpDto } from './follow-ups.dto.js';

/**
 * The front desk's list: what to book, for whom, by when. Open to every role: the tasks carry
 * booking facts only (no pain scores or check-in answers), unlike the clinician's due list.
 */
@Controller('api/booking-tasks')
export class BookingTasksController {
  constructor(private readonly services: ServiceForwarder) {}

  @Get()
  @Roles(...ALL_STAFF)
  list(@Ctx() ctx: RequestContext, @Query() query: ListBookingTasksQueryDto): Promise<BookingTaskResource[]> {
    const data: ListBookingTasksData = {};
    if (query.state) data.state = query.state;
    if (query.patientId) data.patientId = query.patientId;
    return this.services.send(PATTERNS.followup.bookingTasksList, ctx, data);
  }

  /** Done by hand: a call made, an opt-out confirmed, a booking made some other way. */
  @Post(':id/complete')
  @HttpCode(200)
  @Roles(...ALL_STAFF)
  complete(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: CompleteFollowUpDto): Promise<BookingTaskResource> {
    return this.services.send(PATTERNS.followup.bookingTasksComplete, ctx, { id: params.id, note: body.note ?? null });
  }
}
