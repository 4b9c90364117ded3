import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { drizzle } from 'drizzle-orm/node-postgres';
import { DEMO, type RequestContext } from '@aftercare/contracts';
import { SystemClock } from '@aftercare/clock';
import { AvailabilityService, ACTIVE_STATUSES, DEFAULT_LIMIT } from '../../apps/scheduling/src/availability/availability.service.js';
import { findSlots, type Busy, type SlotSearchInput } from '../../apps/scheduling/src/availability/slot-search.js';
import { ClinicService } from '../../apps/scheduling/src/clinic/clinic.service.js';
import { instrumentedPool as capturingPool, type CapturedQuery as GenericCapturedQuery } from './query-capture.js';
import { quantile } from './stats.js';

export { DEFAULT_LIMIT };

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

type CapturedQuery = GenericCapturedQuery<QueryKind>;

type QueryKind = 'busy appointments' | 'room holds' | 'closures' | 'time off' | 'setup version' | 'clinic' | 'procedure type' | 'clinicians' | 'resources' | 'other';

/** What a query reads, from its SQL (drizzle quotes table names; the service's raw SQL names them schema-qualified). */
function kindOf(text: string): QueryKind {
  if (/appointment_resources/.test(text)) return 'room holds';
  if (/scheduling\.appointments\b|"appointments"/.test(text)) return 'busy appointments';
  if (/"setup_versions"/.test(text)) return 'setup version';
  if (/"closures"/.test(text)) return 'closures';
  if (/"time_off"/.test(text)) return 'time off';
  if (/"procedure_types"/.test(text)) return 'procedure type';
  if (/"clinicians"/.test(text)) return 'clinicians';
  if (/"clinics"/.test(text)) return 'clinic';
  if (/"resources"/.test(text)) return 'resources';
  return 'other';
}

const ISO = /^\d{4}-\d{2}-\d{2}T/;
const timesIn = (values: unknown[] = []) =>
  values.flatMap((v) => (v instanceof Date ? [v.getTime()] : typeof v === 'string' && ISO.test(v) ? [Date.parse(v)] : [])).filter(Number.isFinite);

const instrumentedPool = (url: string) => capturingPool(url, kindOf);

/** What one search did, as seen at the pool: the same in every pass (the data does not change while profiling). */
export interface SearchShape {
  key: 'default' | 'limit500' | 'one';
  label: string;
  limit: number;
  slots: number;
  bytes: number;
  /** round trips to PostgreSQL */
  queries: number;
  /** busy-appointment queries: one per chunk of the range */
  chunks: number;
  /** days of bookings read: from the search's start to the end of the last chunk */
  daysRead: number;
  busyRows: number;
  holdRows: number;
  /** sum of the captured queries' wall times in the search (some run side by side) */
  queryMs: number;
  /** queries for the clinic's setup rows (clinic, procedure type, clinicians, resources) */
  setupQueries: number;
}

export interface ProfileResult {
  defaultLimit: number;
  stages: (StageTiming & { p50s: number[] })[];
  shapes: SearchShape[];
  /** rows of the whole 4 weeks: busy appointments of all active clinicians, and room holds */
  busyRowsAll: number;
  holdRowsAll: number;
  freeSlotsAll: number;
  explain: { query: string; executionMs: number; rows: number }[];
}

/**
 * Where the time of one slot search goes, measured in this process against the bench database
 * (the services keep running but are idle): the scheduling service's own AvailabilityService
 * from dist/ (database + slot finder, no transport) with the default limit, with limit 500 and
 * for one clinician; every query it sent, captured at the pool and replayed alone; the pure
 * `findSlots` on the data of the whole range; and the JSON encoding of the answers. What the
 * API adds on top is the gateway and the Redis transport.
 */
export async function profileSlotSearch(url: string, range: { from: Date; to: Date }, oneClinicianId: string): Promise<ProfileResult> {
  const io = instrumentedPool(url);
  try {
    return await profileWith(io, range, oneClinicianId);
  } finally {
    await io.pool.end();
  }
}

async function profileWith(io: ReturnType<typeof instrumentedPool>, range: { from: Date; to: Date }, oneClinicianId: string): Promise<ProfileResult> {
  const db = drizzle({ client: io.pool });
  const clock = new SystemClock();
  const clinic = new ClinicService(db as never, clock);
  const availability = new AvailabilityService(db as never, clinic, clock);
  const ctx: RequestContext = { clinicId: DEMO.clinicId, userId: null, role: 'system', clinicianId: null, correlationId: 'bench-profile' };
  const base = { procedureType: 'consultation', from: range.from.toISOString(), to: range.to.toISOString() };
  const shapesIn = [
    { key: 'default' as const, label: `any clinician, default limit (${DEFAULT_LIMIT})`, limit: DEFAULT_LIMIT, data: base },
    { key: 'limit500' as const, label: 'any clinician, limit 500', limit: 500, data: { ...base, limit: 500 } },
    { key: 'one' as const, label: `one clinician, default limit (${DEFAULT_LIMIT})`, limit: DEFAULT_LIMIT, data: { ...base, clinicianId: oneClinicianId } },
  ];
  const stages: (StageTiming & { p50s: number[] })[] = [];
  const shapes: SearchShape[] = [];
  const captured = new Map<SearchShape['key'], CapturedQuery[]>();
  const answers = new Map<SearchShape['key'], unknown>();

  for (const s of shapesIn) {
    await availability.search(ctx, s.data); // warm
    const { result, queries } = await io.capture(() => availability.search(ctx, s.data));
    captured.set(s.key, queries);
    answers.set(s.key, result);
    const busy = queries.filter((q) => q.kind === 'busy appointments');
    const times = busy.flatMap((q) => timesIn(q.config.values));
    shapes.push({
      key: s.key,
      label: s.label,
      limit: s.limit,
      slots: result.slots.length,
      bytes: Buffer.byteLength(JSON.stringify(result)),
      queries: queries.length,
      chunks: busy.length,
      daysRead: times.length ? (Math.max(...times) - range.from.getTime()) / 86_400_000 : NaN,
      busyRows: busy.reduce((a, q) => a + q.rows, 0),
      holdRows: queries.filter((q) => q.kind === 'room holds').reduce((a, q) => a + q.rows, 0),
      queryMs: queries.reduce((a, q) => a + q.ms, 0),
      setupQueries: queries.filter((q) => ['clinic', 'procedure type', 'clinicians', 'resources'].includes(q.kind)).length,
    });
  }
  const shape = (key: SearchShape['key']) => shapes.find((s) => s.key === key)!;
  const describe = (s: SearchShape) =>
    `${s.slots} slots; ${s.queries} queries, ${s.chunks} chunk${s.chunks === 1 ? '' : 's'} over ${s.daysRead.toFixed(1)} days, ${s.busyRows.toLocaleString('en-US')} + ${s.holdRows.toLocaleString('en-US')} rows`;

  for (const s of shapesIn) {
    stages.push(await time(`AvailabilityService.search, ${s.label}, in process (${describe(shape(s.key))})`, s.key === 'limit500' ? 50 : 100, () => availability.search(ctx, s.data)));
  }

  // Each query of a search on its own, as captured (the service runs a chunk's busy, closures and
  // time-off queries side by side, then the room holds; the chunks one after another).
  const replayGroup = async (key: SearchShape['key'], label: string, kinds: QueryKind[]) => {
    const queries = captured.get(key)!.filter((q) => kinds.includes(q.kind));
    if (queries.length === 0) return;
    const rows = queries.reduce((a, q) => a + q.rows, 0);
    stages.push(
      await time(`replay, ${shape(key).label}: ${label} (${queries.length} quer${queries.length === 1 ? 'y' : 'ies'}, ${rows.toLocaleString('en-US')} rows), one after another`, 50, async () => {
        for (const q of queries) await io.replay(q);
      }),
    );
  };
  // The setup is kept in memory (ClinicService): a search reads its version, and the setup only after a change.
  await replayGroup('default', 'the setup\'s version', ['setup version']);
  await replayGroup('default', 'clinic + procedure type + clinicians + resources', ['clinic', 'procedure type', 'clinicians', 'resources']);
  await replayGroup('default', 'busy appointments', ['busy appointments']);
  await replayGroup('default', 'closures + time off', ['closures', 'time off']);
  await replayGroup('default', 'room holds', ['room holds']);
  await replayGroup('limit500', 'busy appointments', ['busy appointments']);
  await replayGroup('limit500', 'room holds', ['room holds']);

  // What-if: the range the default search read, in one busy + one holds query instead of chunks.
  const lastOf = (key: SearchShape['key'], kind: QueryKind) => captured.get(key)!.filter((q) => q.kind === kind).at(-1);
  const widened = (q: CapturedQuery | undefined): CapturedQuery | null => {
    if (!q) return null;
    const chunkFrom = Math.min(...timesIn(q.config.values));
    const values = (q.config.values ?? []).map((v) => (typeof v === 'string' && ISO.test(v) && Date.parse(v) === chunkFrom ? range.from.toISOString() : v instanceof Date && v.getTime() === chunkFrom ? range.from : v));
    return { ...q, config: { ...q.config, values } };
  };
  const onePass = [widened(lastOf('default', 'busy appointments')), widened(lastOf('default', 'room holds'))].filter((q): q is CapturedQuery => !!q);
  if (shape('default').chunks > 1 && onePass.length === 2) {
    const rows = (await Promise.all(onePass.map((q) => io.replay(q)))).map((r) => r.rowCount ?? 0);
    stages.push(
      await time(`what-if: the default search's ${shape('default').daysRead.toFixed(1)} days in one busy + one holds query instead of ${shape('default').chunks} chunks (${rows.join(' + ')} rows)`, 50, async () => {
        for (const q of onePass) await io.replay(q);
      }),
    );
  }

  const explain: ProfileResult['explain'] = [];
  for (const key of ['default', 'limit500'] as const) {
    for (const kind of ['busy appointments', 'room holds'] as const) {
      let executionMs = 0;
      let rows = 0;
      const queries = captured.get(key)!.filter((q) => q.kind === kind);
      for (const q of queries) {
        const plan = (await io.raw({ text: `EXPLAIN (ANALYZE, FORMAT JSON) ${q.config.text}`, values: q.config.values })).rows[0]['QUERY PLAN'][0];
        executionMs += plan['Execution Time'];
        rows += plan.Plan['Actual Rows'];
      }
      explain.push({ query: `${kind}, ${shape(key).label} (${queries.length} quer${queries.length === 1 ? 'y' : 'ies'})`, executionMs, rows });
    }
  }

  // The slot finder alone, on the data of the whole range, built as the service builds its input.
  const clinicId = DEMO.clinicId;
  const clinicRow = (await io.raw({ text: 'SELECT * FROM scheduling.clinics WHERE id = $1', values: [clinicId] })).rows[0];
  const typeRow = (await io.raw({ text: 'SELECT * FROM scheduling.procedure_types WHERE clinic_id = $1 AND code = $2', values: [clinicId, 'consultation'] })).rows[0];
  const clinicianRows = (await io.raw({ text: 'SELECT * FROM scheduling.clinicians WHERE clinic_id = $1 AND active = true ORDER BY name', values: [clinicId] })).rows as {
    id: string;
    weekly_hours: SlotSearchInput['clinicHours'];
  }[];
  const resourceRows = (await io.raw({ text: 'SELECT * FROM scheduling.resources WHERE clinic_id = $1 ORDER BY name, id', values: [clinicId] })).rows as {
    id: string;
    category: string;
    active: boolean;
  }[];
  const rooms = resourceRows.filter((r) => r.active && r.category === 'consultation_room');
  const horizonEnd = new Date(range.to.getTime() + (typeRow.duration_minutes + typeRow.buffer_after_minutes) * 60_000);
  const busyRows = (
    await io.raw({
      text: `SELECT clinician_id, (extract(epoch from starts_at) * 1000)::float8 AS s, (extract(epoch from blocks_until) * 1000)::float8 AS b
        FROM scheduling.appointments WHERE clinic_id = $1 AND status = ANY($2::text[]) AND starts_at < $3 AND blocks_until > $4 AND clinician_id = ANY($5::uuid[])`,
      values: [clinicId, [...ACTIVE_STATUSES], horizonEnd, range.from, clinicianRows.map((c) => c.id)],
    })
  ).rows as { clinician_id: string; s: number; b: number }[];
  const holdRows = (
    await io.raw({
      text: `SELECT resource_id, (extract(epoch from lower(during)) * 1000)::float8 AS s, (extract(epoch from upper(during)) * 1000)::float8 AS e
        FROM scheduling.appointment_resources WHERE active AND resource_id = ANY($1::uuid[]) AND during && tstzrange($2::timestamptz, $3::timestamptz)`,
      values: [rooms.map((r) => r.id), range.from.toISOString(), horizonEnd.toISOString()],
    })
  ).rows as { resource_id: string; s: number; e: number }[];
  const byClinician = new Map<string, Busy[]>();
  for (const r of busyRows) {
    const list = byClinician.get(r.clinician_id) ?? [];
    list.push({ start: new Date(Number(r.s)), end: new Date(Number(r.b)) });
    byClinician.set(r.clinician_id, list);
  }
  const busyOfRoom = new Map<string, Busy[]>();
  for (const h of holdRows) {
    const list = busyOfRoom.get(h.resource_id) ?? [];
    list.push({ start: new Date(Number(h.s)), end: new Date(Number(h.e)) });
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
  const n = clinicianRows.length;
  for (const limit of [DEFAULT_LIMIT, 500]) {
    const inputOf = input(clinicianRows, limit);
    const found = findSlots(inputOf);
    stages.push(await time(`findSlots alone: ${n} clinicians, whole range's data, limit ${limit}${limit === DEFAULT_LIMIT ? ' (the default)' : ''} (${found.length} slots)`, 300, () => findSlots(inputOf)));
  }
  const allInput = input(clinicianRows, 1_000_000);
  const all = findSlots(allInput);
  stages.push(await time(`findSlots alone: ${n} clinicians, no limit (all ${all.length.toLocaleString('en-US')} free slots of the range)`, 50, () => findSlots(allInput)));
  const oneInput = input(clinicianRows.filter((c) => c.id === oneClinicianId), DEFAULT_LIMIT);
  const one = findSlots(oneInput);
  stages.push(await time(`findSlots alone: 1 clinician, limit ${DEFAULT_LIMIT} (${one.length} slots)`, 300, () => findSlots(oneInput)));

  for (const key of ['default', 'limit500'] as const) {
    const answer = answers.get(key);
    const encoded = JSON.stringify(answer);
    stages.push(await time(`JSON.stringify of the answer, ${shape(key).label} (${(Buffer.byteLength(encoded) / 1024).toFixed(0)} KiB)`, 300, () => JSON.stringify(answer)));
    stages.push(await time(`JSON.parse of the answer, ${shape(key).label}`, 300, () => JSON.parse(encoded)));
  }

  return { defaultLimit: DEFAULT_LIMIT, stages, shapes, busyRowsAll: busyRows.length, holdRowsAll: holdRows.length, freeSlotsAll: all.length, explain };
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

/** A stage by the start of its label. */
export function stageOf(profile: ProfileResult, prefix: string): (StageTiming & { p50s: number[] }) | undefined {
  return profile.stages.find((s) => s.stage.startsWith(prefix));
}
