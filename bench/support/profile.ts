import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { and, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { DEMO, type RequestContext } from '@aftercare/contracts';
import { SystemClock } from '@aftercare/clock';
import { AvailabilityService, ACTIVE_STATUSES } from '../../apps/scheduling/src/availability/availability.service.js';
import { findSlots, type Busy, type SlotSearchInput } from '../../apps/scheduling/src/availability/slot-search.js';
import { ClinicService } from '../../apps/scheduling/src/clinic/clinic.service.js';
import { appointmentResources, appointments } from '../../apps/scheduling/src/database/schema.js';
import { quantile } from './stats.js';

/** Timing of one stage: median and p99 over `n` sequential calls, in ms. */
export interface StageTiming {
  stage: string;
  n: number;
  p50: number;
  p99: number;
  note?: string;
}

async function time(stage: string, n: number, work: () => unknown | Promise<unknown>, note?: string): Promise<StageTiming & { p50s: number[] }> {
  for (let i = 0; i < Math.min(10, n); i++) await work(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await work();
    samples.push(performance.now() - t0);
  }
  const p50 = quantile(samples, 0.5);
  return { stage, n, p50, p99: quantile(samples, 0.99), note, p50s: [p50] };
}

export interface ProfileResult {
  stages: (StageTiming & { p50s: number[] })[];
  busyRows: number;
  resourceHolds: number;
  slotsReturned: number;
  responseBytes: number;
  explain: { query: string; executionMs: number; rows: number }[];
}

/**
 * Where the time of one slot search goes, measured in this process against the bench database
 * (the services keep running but are idle): the scheduling service's own AvailabilityService
 * from dist/ (database + slot finder, no transport), each of its queries on its own (raw pg,
 * the same SQL shape), the pure `findSlots` on exactly the data those queries return, and the
 * JSON encoding of the answer. What the API adds on top is the gateway and the Redis transport.
 */
export async function profileSlotSearch(pool: pg.Pool, range: { from: Date; to: Date }, oneClinicianId: string): Promise<ProfileResult> {
  const db = drizzle({ client: pool });
  const clinic = new ClinicService(db as never);
  const availability = new AvailabilityService(db as never, clinic, new SystemClock());
  const ctx: RequestContext = { clinicId: DEMO.clinicId, userId: null, role: 'system', clinicianId: null, correlationId: 'bench-profile' };
  const data = { procedureType: 'consultation', from: range.from.toISOString(), to: range.to.toISOString() };
  const clinicId = DEMO.clinicId;
  const stages: (StageTiming & { p50s: number[] })[] = [];

  const answer = await availability.search(ctx, data);
  const responseBytes = Buffer.byteLength(JSON.stringify(answer));
  stages.push(await time('AvailabilityService.search (DB + findSlots + mapping), in process', 100, () => availability.search(ctx, data)));

  // The service's queries, one by one (the first three run one after another, the next four side by side, then the holds).
  const q = {
    clinic: () => pool.query('SELECT * FROM scheduling.clinics WHERE id = $1', [clinicId]),
    type: () => pool.query('SELECT * FROM scheduling.procedure_types WHERE clinic_id = $1 AND code = $2', [clinicId, 'consultation']),
    clinicians: () => pool.query('SELECT * FROM scheduling.clinicians WHERE clinic_id = $1 AND active = true ORDER BY name', [clinicId]),
  };
  const clinicRow = (await q.clinic()).rows[0];
  const typeRow = (await q.type()).rows[0];
  const clinicianRows = (await q.clinicians()).rows as { id: string; weekly_hours: SlotSearchInput['clinicHours'] }[];
  const horizonEnd = new Date(range.to.getTime() + (typeRow.duration_minutes + typeRow.buffer_after_minutes) * 60_000);
  const busySql = `SELECT id, clinician_id, patient_id, starts_at, ends_at, blocks_until FROM scheduling.appointments
    WHERE clinic_id = $1 AND status = ANY($2::text[]) AND starts_at < $3 AND blocks_until > $4`;
  const busyArgs = [clinicId, [...ACTIVE_STATUSES], horizonEnd, range.from];
  const busy = () => pool.query(busySql, busyArgs);
  const closuresQ = () => pool.query('SELECT starts_at, ends_at FROM scheduling.closures WHERE clinic_id = $1 AND starts_at < $2 AND ends_at > $3', [clinicId, horizonEnd, range.from]);
  const timeOffQ = () =>
    pool.query('SELECT clinician_id, starts_at, ends_at FROM scheduling.time_off WHERE clinic_id = $1 AND starts_at < $2 AND ends_at > $3', [clinicId, horizonEnd, range.from]);
  const resourcesQ = () => pool.query('SELECT * FROM scheduling.resources WHERE clinic_id = $1 ORDER BY name, id', [clinicId]);
  const resourceRows = (await resourcesQ()).rows as { id: string; category: string; active: boolean; features: string[] }[];
  const rooms = resourceRows.filter((r) => r.active && r.category === 'consultation_room');
  const holdsSql = `SELECT appointment_id, resource_id,
      (extract(epoch from lower(during)) * 1000)::float8 AS start, (extract(epoch from upper(during)) * 1000)::float8 AS "end"
    FROM scheduling.appointment_resources
    WHERE active = true AND resource_id = ANY($1::uuid[]) AND during && tstzrange($2::timestamptz, $3::timestamptz)`;
  const holdsArgs = [rooms.map((r) => r.id), range.from.toISOString(), horizonEnd.toISOString()];
  const holds = () => pool.query(holdsSql, holdsArgs);

  const busyRows = (await busy()).rows as { clinician_id: string; starts_at: Date; blocks_until: Date }[];
  const holdRows = (await holds()).rows as { resource_id: string; start: number; end: number }[];
  stages.push(await time('query: clinic + procedure type + active clinicians (3 small queries, one after another)', 100, async () => {
    await q.clinic();
    await q.type();
    await q.clinicians();
  }));
  stages.push(await time(`query: busy appointments of the whole range (${busyRows.length} rows)`, 100, busy));
  stages.push(await time('query: closures + time off + resources (side by side with the one above)', 100, () => Promise.all([closuresQ(), timeOffQ(), resourcesQ()])));
  stages.push(await time(`query: room holds of the whole range (${holdRows.length} rows)`, 100, holds));

  // The same two queries as the service writes them (drizzle maps every timestamptz to a Date).
  stages.push(await time('query via drizzle, as the service: busy appointments', 100, () =>
    db
      .select({ id: appointments.id, clinicianId: appointments.clinicianId, patientId: appointments.patientId, startsAt: appointments.startsAt, endsAt: appointments.endsAt, blocksUntil: appointments.blocksUntil })
      .from(appointments)
      .where(and(eq(appointments.clinicId, clinicId), inArray(appointments.status, [...ACTIVE_STATUSES]), lt(appointments.startsAt, horizonEnd), gt(appointments.blocksUntil, range.from))),
  ));
  stages.push(await time('query via drizzle, as the service: room holds', 100, () =>
    db
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
          inArray(appointmentResources.resourceId, rooms.map((r) => r.id)),
          sql`${appointmentResources.during} && tstzrange(${range.from.toISOString()}::timestamptz, ${horizonEnd.toISOString()}::timestamptz)`,
        ),
      ),
  ));
  // What-ifs for the suggestions: times as epoch-ms numbers instead of Dates; only the days the default limit needs.
  const busyEpochSql = `SELECT clinician_id, (extract(epoch from starts_at) * 1000)::float8 AS s, (extract(epoch from blocks_until) * 1000)::float8 AS e
    FROM scheduling.appointments WHERE clinic_id = $1 AND status = ANY($2::text[]) AND starts_at < $3 AND blocks_until > $4`;
  stages.push(await time('what-if: busy appointments as epoch-ms numbers, 3 columns (raw pg)', 100, () => pool.query(busyEpochSql, busyArgs)));
  const firstAnswer = await availability.search(ctx, data);
  const lastStart = firstAnswer.slots.at(-1) ? new Date(firstAnswer.slots.at(-1)!.startsAt) : range.to;
  const neededTo = new Date(Math.min(range.to.getTime(), lastStart.getTime() + 86_400_000));
  const neededDays = (neededTo.getTime() - range.from.getTime()) / 86_400_000;
  const neededArgs = [clinicId, [...ACTIVE_STATUSES], neededTo, range.from];
  const neededRows = (await pool.query(busyEpochSql, neededArgs)).rowCount ?? 0;
  stages.push(
    await time(`what-if: both queries (epoch ms) over only the ${neededDays.toFixed(1)} days the 500 slots need (${neededRows} busy rows)`, 100, () =>
      Promise.all([pool.query(busyEpochSql, neededArgs), pool.query(holdsSql, [rooms.map((r) => r.id), range.from.toISOString(), neededTo.toISOString()])]),
    ),
  );

  const explain: ProfileResult['explain'] = [];
  for (const [query, sqlText, args] of [
    ['busy appointments', busySql, busyArgs],
    ['room holds', holdsSql, holdsArgs],
  ] as const) {
    const plan = (await pool.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sqlText}`, args as unknown[])).rows[0]['QUERY PLAN'][0];
    explain.push({ query, executionMs: plan['Execution Time'], rows: plan.Plan['Actual Rows'] });
  }

  // The slot finder alone, on the same data, as the service builds its input.
  const byClinician = new Map<string, Busy[]>();
  for (const r of busyRows) {
    const list = byClinician.get(r.clinician_id) ?? [];
    list.push({ start: r.starts_at, end: r.blocks_until });
    byClinician.set(r.clinician_id, list);
  }
  const busyOfRoom = new Map<string, Busy[]>();
  for (const h of holdRows) {
    const list = busyOfRoom.get(h.resource_id) ?? [];
    list.push({ start: new Date(h.start), end: new Date(h.end) });
    busyOfRoom.set(h.resource_id, list);
  }
  const input = (clinicians: typeof clinicianRows, limit: number): SlotSearchInput => ({
    from: range.from,
    to: range.to,
    now: new Date(),
    clinicTimezone: clinicRow.timezone,
    clinicHours: clinicRow.opening_hours,
    closures: [],
    clinicians: clinicians.map((c) => ({ clinicianId: c.id, weeklyHours: c.weekly_hours, busy: byClinician.get(c.id) ?? [] })),
    patientBusy: [],
    resourceNeeds: [{ candidates: rooms.map((r) => ({ resourceId: r.id, busy: busyOfRoom.get(r.id) ?? [] })) }],
    durationMinutes: typeRow.duration_minutes,
    bufferAfterMinutes: typeRow.buffer_after_minutes,
    gridMinutes: clinicRow.grid_minutes,
    limit,
  });
  const defaultInput = input(clinicianRows, 500);
  const slots = findSlots(defaultInput);
  stages.push(await time(`findSlots alone: 20 clinicians, limit 500 (the API default; ${slots.length} slots)`, 300, () => findSlots(defaultInput)));
  const allInput = input(clinicianRows, 1_000_000);
  const all = findSlots(allInput);
  stages.push(await time(`findSlots alone: 20 clinicians, no limit (all ${all.length.toLocaleString('en-US')} free slots of the 4 weeks)`, 50, () => findSlots(allInput)));
  const oneInput = input(clinicianRows.filter((c) => c.id === oneClinicianId), 500);
  const one = findSlots(oneInput);
  stages.push(await time(`findSlots alone: 1 clinician, 4 weeks, limit 500 (${one.length} slots)`, 300, () => findSlots(oneInput)));
  stages.push(await time(`JSON.stringify of the answer (${(responseBytes / 1024).toFixed(0)} KiB)`, 300, () => JSON.stringify(answer)));
  const encoded = JSON.stringify(answer);
  stages.push(await time('JSON.parse of the answer', 300, () => JSON.parse(encoded)));

  return { stages, busyRows: busyRows.length, resourceHolds: holdRows.length, slotsReturned: answer.slots.length, responseBytes, explain };
}

/** Several passes into one: per stage the median of the passes' p50 and p99, and every pass's p50. */
export function mergeProfiles(passes: ProfileResult[]): ProfileResult {
  const first = passes[0]!;
  const med = (values: number[]) => quantile(values, 0.5);
  return {
    ...first,
    stages: first.stages.map((stage, i) => {
      const all = passes.map((p) => p.stages[i]!);
      return { ...stage, p50: med(all.map((s) => s.p50)), p99: med(all.map((s) => s.p99)), p50s: all.map((s) => s.p50) };
    }),
    explain: first.explain.map((e, i) => ({ ...e, executionMs: med(passes.map((p) => p.explain[i]!.executionMs)) })),
  };
}
