import { Inject, Injectable } from '@nestjs/common';
import { and, eq, gt, inArray, lt } from 'drizzle-orm';
import type { AvailabilityData, RequestContext, SlotResource } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { ClinicService } from '../clinic/clinic.service.js';
import { appointments } from '../database/schema.js';
import { findSlots, type Busy, type Slot } from './slot-search.js';

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
      from,
      to,
    });
    return { slots: slots.map((s) => ({ clinicianId: s.clinicianId, startsAt: s.startsAt.toISOString(), endsAt: s.endsAt.toISOString() })) };
  }

  async find(query: SlotQuery, db: Executor = this.db): Promise<Slot[]> {
    const clinic = await this.clinic.clinic(query.clinicId, db);
    const type = await this.clinic.procedureType(query.clinicId, query.procedureType, db);
    const all = await this.clinic.activeClinicians(query.clinicId);
    const chosen = query.clinicianIds ? all.filter((c) => query.clinicianIds!.includes(c.id)) : all;
    if (chosen.length === 0) return [];

    // Anything that could overlap a slot in the range: starts before the range ends, blocks past its start.
    const horizonEnd = new Date(query.to.getTime() + (type.durationMinutes + type.bufferAfterMinutes) * 60_000);
    const busyRows = await db
      .select({ clinicianId: appointments.clinicianId, patientId: appointments.patientId, startsAt: appointments.startsAt, endsAt: appointments.endsAt, blocksUntil: appointments.blocksUntil })
      .from(appointments)
      .where(
        and(
          eq(appointments.clinicId, query.clinicId),
          inArray(appointments.status, [...ACTIVE_STATUSES]),
          lt(appointments.startsAt, horizonEnd),
          gt(appointments.blocksUntil, query.from),
        ),
      );
    const busyOf = (clinicianId: string): Busy[] =>
      busyRows.filter((r) => r.clinicianId === clinicianId).map((r) => ({ start: r.startsAt, end: r.blocksUntil }));
    const patientBusy: Busy[] = query.patientId
      ? busyRows.filter((r) => r.patientId === query.patientId).map((r) => ({ start: r.startsAt, end: r.endsAt }))
      : [];

    return findSlots({
      from: query.from,
      to: query.to,
      now: this.clock.now(),
      clinicTimezone: clinic.timezone,
      clinicHours: clinic.openingHours,
      clinicians: chosen.map((c) => ({ clinicianId: c.id, weeklyHours: c.weeklyHours, busy: busyOf(c.id) })),
      patientBusy,
      durationMinutes: type.durationMinutes,
      bufferAfterMinutes: type.bufferAfterMinutes,
      gridMinutes: clinic.gridMinutes,
      limit: query.limit ?? 500,
    });
  }
}
