import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  PATTERNS,
  type OutcomeSummaryData,
  type OutcomeSummaryResource,
  type PatientOutcomesResource,
  type PatientResource,
  type RequestContext,
} from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { CLINICAL } from '../auth/roles.js';
import { defined } from '../common/http.js';
import { IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import { OutcomeSummaryQueryDto } from './outcomes.dto.js';

/** Patient-reported outcomes: pain scores are check-in answers, so clinicians and admins only. */
@Controller('api')
export class OutcomesController {
  constructor(private readonly services: ServiceForwarder) {}

  @Get('patients/:id/outcomes')
  @Roles(...CLINICAL)
  async patient(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<PatientOutcomesResource> {
    const [, outcomes] = await Promise.all([
      // Asked only to answer 404 for an unknown patient rather than an empty series.
      this.services.send<PatientResource>(PATTERNS.scheduling.patientsGet, ctx, { id: params.id }),
      this.services.send<PatientOutcomesResource>(PATTERNS.followup.outcomesPatient, ctx, { id: params.id }),
    ]);
    return outcomes;
  }

  @Get('outcomes/summary')
  @Roles(...CLINICAL)
  summary(@Ctx() ctx: RequestContext, @Query() query: OutcomeSummaryQueryDto): Promise<OutcomeSummaryResource> {
    const data: OutcomeSummaryData = defined({ clinicianId: query.clinicianId, protocol: query.protocol, from: query.from, to: query.to });
    return this.services.send(PATTERNS.followup.outcomesSummary, ctx, data);
  }
}
