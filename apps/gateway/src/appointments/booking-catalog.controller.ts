import { Controller, Get, Query } from '@nestjs/common';
import {
  PATTERNS,
  type AvailabilityData,
  type ClinicianResource,
  type ProcedureTypeResource,
  type RequestContext,
  type SlotResource,
} from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ALL_STAFF } from '../auth/roles.js';
import { defined } from '../common/http.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { AvailabilityQueryDto } from './appointments.dto.js';

const P = PATTERNS.scheduling;

/** What booking needs to choose from: clinicians, procedure types and free slots. */
@Controller('api')
export class BookingCatalogController {
  constructor(private readonly services: ServiceForwarder) {}

  @Get('clinicians')
  @Roles(...ALL_STAFF)
  clinicians(@Ctx() ctx: RequestContext): Promise<ClinicianResource[]> {
    return this.services.send(P.cliniciansList, ctx, {});
  }

  @Get('procedure-types')
  @Roles(...ALL_STAFF)
  procedureTypes(@Ctx() ctx: RequestContext): Promise<ProcedureTypeResource[]> {
    return this.services.send(P.procedureTypesList, ctx, {});
  }

  @Get('availability')
  @Roles(...ALL_STAFF)
  availability(@Ctx() ctx: RequestContext, @Query() query: AvailabilityQueryDto): Promise<{ slots: SlotResource[] }> {
    const data: AvailabilityData = defined({
      procedureType: query.procedureType,
      from: query.from,
      to: query.to,
      clinicianId: query.clinicianId,
      patientId: query.patientId,
      limit: query.limit,
    });
    return this.services.send(P.availabilitySearch, ctx, data);
  }
}
