import { Controller, Get, Param, Query } from '@nestjs/common';
import { PATTERNS, type CarePlanResource, type ListCarePlansData, type RequestContext } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { CLINICAL } from '../auth/roles.js';
import { IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { ListCarePlansQueryDto } from './care-plans.dto.js';

const P = PATTERNS.followup;

@Controller('api/care-plans')
export class CarePlansController {
  constructor(private readonly services: ServiceForwarder) {}

  @Get()
  @Roles(...CLINICAL)
  list(@Ctx() ctx: RequestContext, @Query() query: ListCarePlansQueryDto): Promise<CarePlanResource[]> {
    const data: ListCarePlansData = query.patientId ? { patientId: query.patientId } : {};
    return this.services.send(P.carePlansList, ctx, data);
  }

  @Get(':id')
  @Roles(...CLINICAL)
  get(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<CarePlanResource> {
    return this.services.send(P.carePlansGet, ctx, { id: params.id });
  }
}
