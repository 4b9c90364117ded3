import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { AvailabilityData, RequestContext, ResourceRequirement, SlotResource } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { ClinicService } from '../clinic/clinic.service.js';
import { appointmentResources, appointments, closures, resources, timeOff, type ResourceRow } from '../database/schema.js';
import { findSlots, type Busy, type ResourceNeed, type Slot } from './slot-search.js';

/** Statuses that hold a slot (the same set as the exclusion constraints). */
export const ACTIVE_STATUSES = ['booked', 'confirmed', 'checked_in'] as const;
const MAX_RANGE_DAYS = 62;

export interface SlotQuery {
  clinicId: string;
  procedureType: string;
  clinicianIds?: string[];
  patientId?: string;
  from: Date;
  to: Date;
  limit?: number;
  /** Leave out this appointment's own holds (moving it may overlap where it is now). */
  ignoreAppointmentId?: string;
}

/** Active resources that meet a requirement, in a stable order (the preference). */
export function candidatesFor(all: ResourceRow[], req: ResourceRequirement): ResourceRow[] {
  const features = req.features ?? [];
  return all.filter((r) => r.active && r.category === req.category && features.every((f) => r.features.includes(f)));
}

/** Loads what the slot finder needs from the database and asks it. */
@Injectable()
export class AvailabilityService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clinic: ClinicService,
    private readonly clock: Clock,
  ) {}

  async search(ctx: RequestContext, data: AvailabilityData): Promise<{ slots: SlotResource[] }> {
    const from = new Date(data.from);
    const to = new Date(data.to);
    if (!(to > from)) throw new DomainError('AVAILABILITY.BAD_RANGE', 'to must be after from', 400, 'to');
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
      throw new DomainError('AVAILABILITY.RANGE_TOO_LONG', `the range from–to may span at most ${MAX_RANGE_DAYS} days`, 400, 'to');
    }
    if (data.clinicianId) await this.clinic.clinician(ctx.clinicId, data.clinicianId);
    const slots = await this.find({
      clinicId: ctx.clinicId,
      procedureType: data.procedureType,
      clinicianIds: data.clinicianId ? [data.clinicianId] : undefined,
      patientId: data.patientId,
      from,
      to,
      limit: data.limit,
    });
    return {
      slots: slots.map((s) => ({ clinicianId: s.clinicianId, startsAt: s.startsAt.toISOString(), endsAt: s.endsAt.toISOString(), resourceIds: s.resourceIds })),
    };
  }

  async find(query: SlotQuery, db: Executor = this.db): Promise<Slot[]> {
    const clinic = await this.clinic.clinic(query.clinicId, db);
    const type = await this.clinic.procedureType(query.clinicId, query.procedureType, db);
    const all = await this.clinic.activeClinicians(query.clinicId, db);
    const chosen = query.clinicianIds ? all.filter((c) => query.clinicianIds!.includes(c.id)) : all;
    if (chosen.length === 0) return [];

    // Anything that could overlap a slot in the range: starts before the range ends, blocks past its start.
    const horizonEnd = new Date(query.to.getTime() + (type.durationMinutes + type.bufferAfterMinutes) * 60_000);
    const [busyRows, closureRows, timeOffRows, resourceRows] = await Promise.all([
      db
        .select({ id: appointments.id, clinicianId: appointments.clinicianId, patientId: appointments.patientId, startsAt: appointments.startsAt, endsAt: appointments.endsAt, blocksUntil: appointments.blocksUntil })
        .from(appointments)
        .where(
          and(
            eq(appointments.clinicId, query.clinicId),
            inArray(appointments.status, [...ACTIVE_STATUSES]),
            lt(appointments.startsAt, horizonEnd),
            gt(appointments.blocksUntil, query.from),
          ),
        ),
      db.select({ startsAt: closures.startsAt, endsAt: closures.endsAt }).from(closures).where(and(eq(closures.clinicId, query.clinicId), lt(closures.startsAt, horizonEnd), gt(closures.endsAt, query.from))),
      db
        .select({ clinicianId: timeOff.clinicianId, startsAt: timeOff.startsAt, endsAt: timeOff.endsAt })
        .from(timeOff)
        .where(and(eq(timeOff.clinicId, query.clinicId), lt(timeOff.startsAt, horizonEnd), gt(timeOff.endsAt, query.from))),
      type.requires.length ? db.select().from(resources).where(eq(resources.clinicId, query.clinicId)).orderBy(asc(resources.name), asc(resources.id)) : Promise.resolve([]),
    ]);
    const holds = (row: { id: string }) => row.id !== query.ignoreAppointmentId;
    const byClinician = new Map<string, Busy[]>();
    for (const r of busyRows.filter(holds)) push(byClinician, r.clinicianId, { start: r.startsAt, end: r.blocksUntil });
    for (const r of timeOffRows) push(byClinician, r.clinicianId, { start: r.startsAt, end: r.endsAt });
    const patientBusy: Busy[] = query.patientId
      ? busyRows.filter((r) => holds(r) && r.patientId === query.patientId).map((r) => ({ start: r.startsAt, end: r.endsAt }))
      : [];
    const resourceNeeds = await this.resourceNeeds(type.requires, resourceRows, query, horizonEnd, db);

    return findSlots({
      from: query.from,
      to: query.to,
      now: this.clock.now(),
      clinicTimezone: clinic.timezone,
      clinicHours: clinic.openingHours,
      closures: closureRows.map((r) => ({ start: r.startsAt, end: r.endsAt })),
      clinicians: chosen.map((c) => ({ clinicianId: c.id, weeklyHours: c.weeklyHours, busy: byClinician.get(c.id) ?? [] })),
      patientBusy,
      resourceNeeds,
      durationMinutes: type.durationMinutes,
      bufferAfterMinutes: type.bufferAfterMinutes,
      gridMinutes: clinic.gridMinutes,
      limit: query.limit ?? 500,
    });
  }

  private async resourceNeeds(requires: ResourceRequirement[], all: ResourceRow[], query: SlotQuery, horizonEnd: Date, db: Executor): Promise<ResourceNeed[]> {
    if (requires.length === 0) return [];
    const needed = [...new Set(requires.flatMap((req) => candidatesFor(all, req).map((r) => r.id)))];
    const holds = needed.length
      ? await db
          .select({
            appointmentId: appointmentResources.appointmentId,
            resourceId: appointmentResources.resourceId,
            start: sql<number>`(extract(epoch from lower(${appointmentResources.during})) * 1000)::float8`.mapWith(Number),
            end: sql<number>`(extract(epoch from upper(${appointmentResources.during})) * 1000)::float8`.mapWith(Number),
          })
          .from(appointmentResources)
          .where(
            and(
              eq(appointmentResources.active, true),
              inArray(appointmentResources.resourceId, needed),
              sql`${appointmentResources.during} && tstzrange(${query.from.toISOString()}::timestamptz, ${horizonEnd.toISOString()}::timestamptz)`,
            ),
          )
      : [];
    const busyOf = new Map<string, Busy[]>();
    for (const h of holds) {
      if (h.appointmentId === query.ignoreAppointmentId) continue;
      push(busyOf, h.resourceId, { start: new Date(h.start), end: new Date(h.end) });
    }
    return requires.map((req) => ({ candidates: candidatesFor(all, req).map((r) => ({ resourceId: r.id, busy: busyOf.get(r.id) ?? [] })) }));
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
