import { Injectable } from '@nestjs/common';
import { PATTERNS, type PatientResource, type RequestContext, type TimelineEntry } from '@aftercare/contracts';
import { patientAppointments } from '../appointments/patient-appointments.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';

/**
 * Everything that happened to one patient, from the three services that each own a part of
 * it, in time order. Only merging and ordering here; each service decides what it shows.
 */
@Injectable()
export class PatientTimelineService {
  constructor(private readonly services: ServiceForwarder) {}

  async timeline(ctx: RequestContext, patientId: string): Promise<TimelineEntry[]> {
    const [, appointments, followup, notifications] = await Promise.all([
      // Asked only to answer 404 for an unknown patient rather than an empty timeline.
      this.services.send<PatientResource>(PATTERNS.scheduling.patientsGet, ctx, { id: patientId }),
      patientAppointments(this.services, ctx, patientId),
      this.services.send<TimelineEntry[]>(PATTERNS.followup.timeline, ctx, { id: patientId }),
      this.services.send<TimelineEntry[]>(PATTERNS.notifications.timeline, ctx, { id: patientId }),
    ]);
    return mergeTimeline([
      appointments.map((a): TimelineEntry => ({ at: a.startsAt, type: 'appointment', data: a })),
      followup ?? [],
      notifications ?? [],
    ]);
  }
}

/** Oldest first; entries at the same instant keep the order they came in (a stable sort). */
export function mergeTimeline(parts: readonly TimelineEntry[][]): TimelineEntry[] {
  return parts
    .flat()
    .map((entry, index) => ({ entry, index, t: Date.parse(entry.at) }))
    .sort((a, b) => (a.t - b.t) || (a.index - b.index))
    .map(({ entry }) => entry);
}
