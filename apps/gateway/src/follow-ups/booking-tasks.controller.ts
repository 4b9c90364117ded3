import { Controller, Get, Query } from '@nestjs/common';
import { PATTERNS, type BookingTaskResource, type ListBookingTasksData, type RequestContext } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ALL_STAFF } from '../auth/roles.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { ListBookingTasksQueryDto } from './booking-tasks.dto.js';

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
}
