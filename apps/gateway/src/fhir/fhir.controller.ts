import { Controller, Get, Header, Param } from '@nestjs/common';
import type { RequestContext } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { CLINICAL } from '../auth/roles.js';
import { IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { FhirExportService } from './fhir-export.service.js';
import type { FhirBundle, FhirPatient } from './fhir.types.js';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/**
 * FHIR R4 export for a clinic's EHR: a patient's appointments, care plans, tasks and pain
 * scores. Clinical data, so clinicians and admins only. Errors keep the API's JSON shape.
 */
@Controller('api/fhir')
export class FhirController {
  constructor(private readonly exports: FhirExportService) {}

  @Get('Patient/:id')
  @Roles(...CLINICAL)
  @Header('Content-Type', FHIR_JSON)
  patient(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<FhirPatient> {
    return this.exports.patient(ctx, params.id);
  }

  @Get('Patient/:id/$everything')
  @Roles(...CLINICAL)
  @Header('Content-Type', FHIR_JSON)
  everything(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<FhirBundle> {
    return this.exports.everything(ctx, params.id);
  }
}
