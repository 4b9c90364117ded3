import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import type { AvailabilityData, ProcedureTypeResource, RequestContext, ResourceRequirement, SlotResource } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { ClinicService, type ClinicSetup, type SetupPeriod } from '../clinic/clinic.service.js';
import { closures, resources, timeOff, type ClinicianRow, type ResourceRow } from '../database/schema.js';
import { findSlots, type Busy, type ResourceNeed, type Slot } from './slot-search.js';

/** Statuses that hold a slot (the same set as the exclusion constraints). */
export const ACTIVE_STATUSES = ['booked', 'confirmed', 'checked_in'] as const;
const MAX_RANGE_DAYS = 62;
const DAY_MS = 86_400_000;
/** Slots answered when the caller gives no limit: the first few days of a typical clinic. */
export const DEFAULT_LIMIT = 100;

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
export function candidatesFor(all: readonly ResourceRow[], req: ResourceRequirement): ResourceRow[] {
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
    const setup = await this.clinic.setup(ctx.clinicId);
    if (data.clinicianId) setup.clinician(data.clinicianId);
    const slots = await this.find({
      clinicId: ctx.clinicId,
      procedureType: data.procedureType,
      clinicianIds: data.clinicianId ? [data.clinicianId] : undefined,
      patientId: data.patientId,
      from,
      to,
      limit: data.limit,
    }, this.db, setup);
    return {
      slots: slots.map((s) => ({ clinicianId: s.clinicianId, startsAt: s.startsAt.toISOString(), endsAt: s.endsAt.toISOString(), resourceIds: s.resourceIds })),
    };
  }

  /**
   * Free slots, earliest first. The range is searched in growing chunks (1 day, 2, 4, …) that
   * stop once `limit` slots are found: a search for 4 weeks whose first 100 slots lie in its first
   * two days reads two days of bookings, not four weeks.
   */
  async find(query: SlotQuery, db: Executor = this.db, setup?: ClinicSetup): Promise<Slot[]> {
    // The caller's copy of the setup when it has one (a booking reads it once for all its checks).
    const known = setup ?? (await this.clinic.setup(query.clinicId, db));
    const { clinic, activeClinicians: all } = known;
    const type = known.procedureType(query.procedureType);
    const chosen = query.clinicianIds ? all.filter((c) => query.clinicianIds!.includes(c.id)) : all;
    if (chosen.length === 0) return [];
    const resourceRows = type.requires.length ? known.resources : [];
    const limit = query.limit ?? DEFAULT_LIMIT;
    const found: Slot[] = [];
    let chunkDays = 1;
    for (let from = query.from; from < query.to && found.length < limit; chunkDays *= 2) {
      const to = new Date(Math.min(query.to.getTime(), from.getTime() + chunkDays * DAY_MS));
      found.push(...(await this.findIn({ ...query, from, to, limit: limit - found.length }, known, type, chosen, resourceRows, db)));
      from = to;
    }
    return found;
  }

  private async findIn(
    query: SlotQuery & { limit: number },
    setup: ClinicSetup,
    type: ProcedureTypeResource,
    chosen: readonly ClinicianRow[],
    resourceRows: readonly ResourceRow[],
    db: Executor,
  ): Promise<Slot[]> {
    // Anything that could overlap a slot in the range: starts before the range ends, blocks past its start.
    const horizonEnd = new Date(query.to.getTime() + (type.durationMinutes + type.bufferAfterMinutes) * 60_000);
    const range = { from: query.from.toISOString(), to: horizonEnd.toISOString() };
    const clinic = setup.clinic;
    const clinicianIds = chosen.map((c) => c.id);
    // Closures and time off come with the setup, unless the range starts before what it holds.
    const kept = setup.periodsFrom <= query.from;
    const overlapping = (p: SetupPeriod) => p.startsAt < horizonEnd && p.endsAt > query.from;
    const [busyRows, closureRows, timeOffRows] = await Promise.all([
      // Epoch milliseconds and ids only: thousands of rows decode fast that way.
      db.execute<{ id: string; clinician_id: string; patient_id: string; s: number; e: number; b: number }>(sql`
        SELECT id, clinician_id, patient_id,
               (extract(epoch from starts_at) * 1000)::float8 AS s,
               (extract(epoch from ends_at) * 1000)::float8 AS e,
               (extract(epoch from blocks_until) * 1000)::float8 AS b
          FROM scheduling.appointments
         WHERE clinic_id = ${query.clinicId}
           AND status IN ('booked', 'confirmed', 'checked_in')
           AND starts_at < ${range.to}::timestamptz AND blocks_until > ${range.from}::timestamptz
           AND (clinician_id = ANY(${pgArray(clinicianIds)}::uuid[]) OR patient_id = ${query.patientId ?? null}::uuid)`),
      kept
        ? setup.closures.filter(overlapping)
        : db.select({ startsAt: closures.startsAt, endsAt: closures.endsAt }).from(closures).where(and(eq(closures.clinicId, query.clinicId), lt(closures.startsAt, horizonEnd), gt(closures.endsAt, query.from))),
      kept
        ? setup.timeOff.filter(overlapping)
        : db
            .select({ clinicianId: timeOff.clinicianId, startsAt: timeOff.startsAt, endsAt: timeOff.endsAt })
            .from(timeOff)
            .where(and(eq(timeOff.clinicId, query.clinicId), lt(timeOff.startsAt, horizonEnd), gt(timeOff.endsAt, query.from))),
    ]);
    const holds = (row: { id: string }) => row.id !== query.ignoreAppointmentId;
    const byClinician = new Map<string, Busy[]>();
    const patientBusy: Busy[] = [];
    for (const r of busyRows.rows) {
      if (!holds(r)) continue;
      push(byClinician, r.clinician_id, { start: new Date(Number(r.s)), end: new Date(Number(r.b)) });
      if (query.patientId && r.patient_id === query.patientId) patientBusy.push({ start: new Date(Number(r.s)), end: new Date(Number(r.e)) });
    }
    for (const r of timeOffRows) push(byClinician, r.clinicianId!, { start: r.startsAt, end: r.endsAt });
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
      limit: query.limit,
    });
  }

  private async resourceNeeds(requires: ResourceRequirement[], all: readonly ResourceRow[], query: SlotQuery, horizonEnd: Date, db: Executor): Promise<ResourceNeed[]> {
    if (requires.length === 0) return [];
    const needed = [...new Set(requires.flatMap((req) => candidatesFor(all, req).map((r) => r.id)))];
    const holds = needed.length
      ? (
          await db.execute<{ appointment_id: string; resource_id: string; s: number; e: number }>(sql`
            SELECT appointment_id, resource_id,
                   (extract(epoch from lower(during)) * 1000)::float8 AS s,
                   (extract(epoch from upper(during)) * 1000)::float8 AS e
              FROM scheduling.appointment_resources
             WHERE active AND resource_id = ANY(${pgArray(needed)}::uuid[])
               AND during && tstzrange(${query.from.toISOString()}::timestamptz, ${horizonEnd.toISOString()}::timestamptz)`)
        ).rows
      : [];
    const busyOf = new Map<string, Busy[]>();
    for (const h of holds) {
      if (h.appointment_id === query.ignoreAppointmentId) continue;
      push(busyOf, h.resource_id, { start: new Date(Number(h.s)), end: new Date(Number(h.e)) });
    }
    return requires.map((req) => ({ candidates: candidatesFor(all, req).map((r) => ({ resourceId: r.id, busy: busyOf.get(r.id) ?? [] })) }));
  }
}

/** A list of uuids as one PostgreSQL array parameter (drizzle would spread a JS array into many). */
const pgArray = (ids: string[]) => `{${ids.join(',')}}`;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
