import { Inject, Injectable } from '@nestjs/common';
import {
  PATTERNS,
  type ClinicianResource,
  type PatientCareRecord,
  type PatientResource,
  type RequestContext,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { patientAppointments } from '../appointments/patient-appointments.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import type { FhirBundle, FhirPatient } from './fhir.types.js';
import { patientEverything, toFhirPatient } from './fhir.mapping.js';

/**
 * The FHIR export: asks scheduling (patient, appointments, clinicians) and followup (care plans,
 * items, pain scores) at once, then maps (fhir.mapping.ts). No rules here, only the fan-out.
 */
@Injectable()
export class FhirExportService {
  constructor(
    private readonly services: ServiceForwarder,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The FHIR base of this installation: fullUrls hang from it. */
  get baseUrl(): string {
    return `${this.config.publicUrl}/api/fhir`;
  }

  async patient(ctx: RequestContext, patientId: string): Promise<FhirPatient> {
    return toFhirPatient(await this.services.send<PatientResource>(PATTERNS.scheduling.patientsGet, ctx, { id: patientId }));
  }

  async everything(ctx: RequestContext, patientId: string): Promise<FhirBundle> {
    const [patient, appointments, clinicians, record] = await Promise.all([
      this.services.send<PatientResource>(PATTERNS.scheduling.patientsGet, ctx, { id: patientId }),
      patientAppointments(this.services, ctx, patientId),
      this.services.send<ClinicianResource[]>(PATTERNS.scheduling.cliniciansList, ctx, {}),
      this.services.send<PatientCareRecord>(PATTERNS.followup.careRecord, ctx, { id: patientId }),
    ]);
    return patientEverything({ patient, appointments, clinicians: clinicians ?? [], record }, { baseUrl: this.baseUrl, now: this.clock.now() });
  }
}
