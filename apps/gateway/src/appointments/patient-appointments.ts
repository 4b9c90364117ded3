import { PATTERNS, type AppointmentPage, type AppointmentResource, type RequestContext } from '@aftercare/contracts';
import type { ServiceForwarder } from '../common/service-forwarder.service.js';

/** Pages this large are asked for: a patient's whole history is one page but for the rare few. */
const PAGE = 500;

/** Every appointment of one patient, in time order, page by page (the timeline, the FHIR export). */
export async function patientAppointments(services: ServiceForwarder, ctx: RequestContext, patientId: string): Promise<AppointmentResource[]> {
  const all: AppointmentResource[] = [];
  let cursor: string | null = null;
  do {
    const page: AppointmentPage = await services.send<AppointmentPage>(PATTERNS.scheduling.appointmentsList, ctx, { patientId, limit: PAGE, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}
