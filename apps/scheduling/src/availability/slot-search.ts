/**
 * Slot search: the pure rule behind `GET /api/availability` and behind "book the follow-up in
 * the first free slot of a window".
 *
 * No Nest, no I/O: the caller loads opening hours, clinician hours, appointments, time off and
 * the patient's other appointments, and passes them in. Everything here is deterministic for a
 * given input, so it is unit tested on its own.
 *
 * Time model
 * ----------
 * - Weekly hours are *wall-clock* times in the clinic's IANA time zone ('09:00' means 09:00 on
 *   the clinic's clocks, whatever the UTC offset is that day). Hence a day with hours 09:00–17:00
 *   gives a first slot at 09:00 local both before and after a DST change, i.e. at different UTC
 *   instants.
 * - Busy intervals, `from`, `to`, `now` and the returned slots are absolute instants (Date), and
 *   durations are real elapsed minutes: a 60-minute procedure lasts 60 minutes even across a
 *   DST jump.
 * - Everything is half-open [start, end): an appointment ending at 10:00 does not block one
 *   starting at 10:00.
 *
 * Algorithm (why it is cheap)
 * ---------------------------
 * Hours are first intersected per weekday (clinic ∩ clinician) in local minutes, once. Then we
 * walk the local calendar days of the range; for each day and each clinician we turn the few
 * intersected windows into absolute instants and step through them on the local grid. When a
 * candidate collides with a busy interval we jump straight to the end of that interval instead
 * of testing every grid step inside it. Busy lists are merged and sorted once and searched by
 * bisection. Cost is roughly O(days × clinicians × grid steps per day × log busy), bounded by
 * the opening hours rather than by the length of the range in minutes.
 *
 * The only time-zone primitive used is luxon's `IANAZone#offset(ts)`; local wall time ↔ instant
 * conversion is done here explicitly so that DST gaps and repeats are resolved by a rule we
 * chose (see `localInstant`) rather than by a library default.
 */
import { IANAZone } from 'luxon';

export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7; // luxon weekday, Monday = 1
export interface LocalInterval {
  start: string; // local 'HH:mm'
  end: string; // local 'HH:mm'; '24:00' allowed to mean "until midnight"
}
export type WeeklyHours = Partial<Record<Weekday, LocalInterval[]>>;
export interface Busy {
  start: Date;
  end: Date;
} // half-open [start, end)
export interface ClinicianAvailability {
  clinicianId: string;
  weeklyHours: WeeklyHours;
  /** existing appointments (including their buffer-after), time off */
  busy: Busy[];
}
/**
 * One room or piece of equipment the procedure needs for its whole time and buffer: any one of
 * the candidates will do (e.g. either consultation room). Candidates are tried in order, so the
 * caller's order is the preference.
 */
export interface ResourceNeed {
  candidates: { resourceId: string; busy: Busy[] }[];
}
export interface SlotSearchInput {
  /** search range, half-open: slot *starts* must lie in [from, to) */
  from: Date;
  to: Date;
  /** no slot starts before now (+ minNoticeMinutes) */
  now: Date;
  /** IANA; all weekly hours are local to the clinic */
  clinicTimezone: string;
  /** opening hours */
  clinicHours: WeeklyHours;
  /** whole clinic closed */
  closures?: Busy[];
  clinicians: ClinicianAvailability[];
  /** the patient's own other appointments */
  patientBusy?: Busy[];
  /** rooms and equipment needed at once (all of them, one candidate each) */
  resourceNeeds?: ResourceNeed[];
  durationMinutes: number;
  /** clean-up/recovery: the clinician must also be free for it */
  bufferAfterMinutes?: number;
  /** default 15: slots start on local-time multiples of the grid */
  gridMinutes?: number;
  /** default 0 */
  minNoticeMinutes?: number;
  /** max slots returned (default 500) */
  limit?: number;
}
export interface Slot {
  clinicianId: string;
  startsAt: Date;
  endsAt: Date;
  /** the first free candidate of each resource need, in the order of the needs */
  resourceIds: string[];
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const DAY_MINUTES = 1440;
export const DEFAULT_GRID_MINUTES = 15;
export const DEFAULT_SLOT_LIMIT = 500;

const WEEKDAYS: readonly Weekday[] = [1, 2, 3, 4, 5, 6, 7];
// 00:00–23:59, or 24:00 (only meaningful as an end: "open until midnight").
const HHMM = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

/** [start, end) in minutes after local midnight. */
type MinuteRange = readonly [number, number];
/** [start, end) in epoch milliseconds. */
type MsRange = readonly [number, number];

// ---------------------------------------------------------------------------------------------
// Weekly hours: validation and normalisation
// ---------------------------------------------------------------------------------------------

function parseHHMM(s: string): number | null {
  if (typeof s !== 'string') return null;
  const m = HHMM.exec(s);
  if (!m) return null;
  if (m[1] === undefined) return DAY_MINUTES; // '24:00'
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * Problems with a weekly-hours definition, as human-readable strings; empty means valid.
 * Rejected: unknown weekday keys, malformed 'HH:mm', start '24:00', intervals that are empty or
 * cross local midnight (end <= start — split them over two days instead), and intervals that
 * overlap on the same day (almost always a data-entry mistake; touching intervals are fine).
 */
export function validateWeeklyHours(h: WeeklyHours): string[] {
  const problems: string[] = [];
  if (h === null || typeof h !== 'object' || Array.isArray(h)) {
    return ['weekly hours must be an object keyed by weekday 1-7'];
  }
  for (const key of Object.keys(h)) {
    const wd = Number(key);
    if (!WEEKDAYS.includes(wd as Weekday)) {
      problems.push(`weekday ${JSON.stringify(key)}: not a weekday (1 = Monday … 7 = Sunday)`);
      continue;
    }
    const list = (h as Record<string, unknown>)[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.push(`weekday ${wd}: must be a list of intervals`);
      continue;
    }
    const parsed: { range: MinuteRange; label: string }[] = [];
    list.forEach((iv: LocalInterval, i) => {
      const label = `weekday ${wd}, interval ${i} (${JSON.stringify(iv?.start)}–${JSON.stringify(iv?.end)})`;
      if (iv === null || typeof iv !== 'object') {
        problems.push(`weekday ${wd}, interval ${i}: must be { start, end }`);
        return;
      }
      const s = parseHHMM(iv.start);
      const e = parseHHMM(iv.end);
      if (s === null) problems.push(`${label}: start must be 'HH:mm'`);
      if (e === null) problems.push(`${label}: end must be 'HH:mm' (or '24:00')`);
      if (s === null || e === null) return;
      if (s === DAY_MINUTES) {
        problems.push(`${label}: start cannot be 24:00`);
        return;
      }
      if (e <= s) {
        problems.push(`${label}: end must be after start (intervals may not cross midnight)`);
        return;
      }
      parsed.push({ range: [s, e], label });
    });
    parsed.sort((a, b) => a.range[0] - b.range[0]);
    for (let i = 1; i < parsed.length; i++) {
      const prev = parsed[i - 1]!;
      const cur = parsed[i]!;
      if (cur.range[0] < prev.range[1]) problems.push(`${cur.label}: overlaps ${prev.label}`);
    }
  }
  return problems;
}

/** Sorted, merged minute ranges for one weekday. Touching ranges are merged so a slot may
 *  span e.g. 09:00–12:00 + 12:00–17:00 (the person is continuously available). */
function minuteRanges(list: LocalInterval[] | undefined): MinuteRange[] {
  if (!list) return [];
  const ranges = list.map((iv) => [parseHHMM(iv.start)!, parseHHMM(iv.end)!] as MinuteRange);
  return mergeRanges(ranges);
}

function mergeRanges<T extends MinuteRange | MsRange>(ranges: T[]): T[] {
  const sorted = ranges.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out as unknown as T[];
}

function intersectRanges(a: MinuteRange[], b: MinuteRange[]): MinuteRange[] {
  const out: MinuteRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const s = Math.max(a[i]![0], b[j]![0]);
    const e = Math.min(a[i]![1], b[j]![1]);
    if (e > s) out.push([s, e]);
    if (a[i]![1] < b[j]![1]) i++;
    else j++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Busy intervals
// ---------------------------------------------------------------------------------------------

function toMsRanges(list: Busy[] | undefined, what: string): MsRange[] {
  if (!list) return [];
  return list.map((b, i) => {
    const s = b?.start instanceof Date ? b.start.getTime() : NaN;
    const e = b?.end instanceof Date ? b.end.getTime() : NaN;
    if (!Number.isFinite(s) || !Number.isFinite(e)) {
      throw new RangeError(`${what}[${i}]: start and end must be valid Dates`);
    }
    return [s, e] as MsRange; // empty/inverted ranges are dropped by mergeRanges
  });
}

/**
 * First merged busy range overlapping [s, e), or undefined. `busy` is sorted and merged, so
 * both starts and ends are increasing and we can bisect for the first range ending after s.
 */
function firstOverlap(busy: MsRange[], s: number, e: number): MsRange | undefined {
  let lo = 0;
  let hi = busy.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (busy[mid]![1] <= s) lo = mid + 1;
    else hi = mid;
  }
  const hit = busy[lo];
  return hit && hit[0] < e ? hit : undefined;
}

// ---------------------------------------------------------------------------------------------
// Local wall time in the clinic's zone
// ---------------------------------------------------------------------------------------------

class ClinicClock {
  private readonly zone: IANAZone;

  constructor(timezone: string) {
    // luxon keeps one zone object per name and decides its validity once (isValidZone builds an
    // Intl formatter per call); the zone here is the clinic's own, never a client's input.
    const zone = typeof timezone === 'string' ? IANAZone.create(timezone) : null;
    if (!zone?.isValid) {
      throw new RangeError(`clinicTimezone: unknown IANA time zone ${JSON.stringify(timezone)}`);
    }
    this.zone = zone;
  }

  /** UTC offset in ms at instant t. */
  offsetMs(t: number): number {
    return this.zone.offset(t) * MINUTE_MS;
  }

  /** The clinic's wall-clock reading at t, encoded as if it were a UTC timestamp. */
  wall(t: number): number {
    return t + this.offsetMs(t);
  }

  /**
   * The instant at which the clinic's wall clock *first* reads `minute` minutes after midnight on
   * the local date `dayKey` (a UTC-midnight timestamp naming the calendar date), or later.
   *
   * - Normal times: the unique matching instant.
   * - Repeated times (autumn fall-back, e.g. 01:30 in New York on 2025-11-02): the first
   *   occurrence, so an 01:00–03:00 window covers the whole repeated hour.
   * - Skipped times (spring gap, e.g. 02:30 on 2025-03-09): the moment of the jump (03:00 local),
   *   so hours 'opening at 02:30' open as soon as the clock passes that time.
   * `minute` may be 1440 ('24:00'), i.e. the next local midnight.
   */
  localInstant(dayKey: number, minute: number): number {
    const w = dayKey + minute * MINUTE_MS;
    // Offsets in force around w. A transition is a few hours from w at most, so a day either
    // side captures both the pre- and post-transition offsets (real zones never change twice
    // within two days).
    const offsets = [...new Set([this.offsetMs(w - DAY_MS), this.offsetMs(w), this.offsetMs(w + DAY_MS)])];
    let best: number | undefined;
    for (const off of offsets) {
      const t = w - off;
      if (this.offsetMs(t) === off && (best === undefined || t < best)) best = t;
    }
    if (best !== undefined) return best;
    // Skipped wall time: bisect for the first instant whose wall reading is >= w. Between these
    // bounds only the transition lies, so wall(t) is increasing there.
    let lo = w - Math.max(...offsets); // wall(lo) < w
    let hi = w - Math.min(...offsets); // wall(hi) > w
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.wall(mid) >= w) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /** Local calendar date containing t, as a UTC-midnight timestamp (see `localInstant`). */
  dayKeyOf(t: number): number {
    return Math.floor(this.wall(t) / DAY_MS) * DAY_MS;
  }

  /**
   * Smallest instant >= t whose local wall time is a multiple of the grid counted from local
   * midnight (09:00, 09:15, …). Computed from the wall clock rather than by stepping in UTC so
   * the grid stays local across DST changes and in zones with :30/:45 offsets. The loop re-checks
   * after a step because an offset change may fall between t and the candidate.
   *
   * `fixedOffsetMs`, when given, is the offset known to hold for t and the result (the caller
   * checked there is no transition in the window); it saves a time-zone lookup per candidate,
   * which is most of the cost of a search.
   */
  alignUp(t: number, gridMs: number, fixedOffsetMs?: number): number {
    for (;;) {
      const msOfDay = mod(t + (fixedOffsetMs ?? this.offsetMs(t)), DAY_MS);
      const r = msOfDay % gridMs;
      if (r === 0) return t;
      // A grid that does not divide the day restarts at midnight.
      t += Math.min(gridMs - r, DAY_MS - msOfDay);
    }
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Luxon weekday (Monday = 1) of a calendar date given as a UTC-midnight timestamp. */
function weekdayOf(dayKey: number): Weekday {
  const d = new Date(dayKey).getUTCDay(); // Sunday = 0
  return (d === 0 ? 7 : d) as Weekday;
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

function requireDate(d: Date, name: string): number {
  const t = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(t)) throw new RangeError(`${name} must be a valid Date`);
  return t;
}

function requireNumber(v: number | undefined, fallback: number, name: string, check: (n: number) => boolean, rule: string): number {
  const n = v ?? fallback;
  if (typeof n !== 'number' || Number.isNaN(n) || !check(n)) throw new RangeError(`${name} must be ${rule}`);
  return n;
}

function assertHours(h: WeeklyHours, owner: string): void {
  const problems = validateWeeklyHours(h);
  // Bad hours are configuration errors; failing loudly beats silently offering no (or wrong)
  // slots for that clinician.
  if (problems.length) throw new RangeError(`${owner}: invalid weekly hours: ${problems.join('; ')}`);
}

/**
 * All free slots in [from, to), sorted by start then clinicianId, at most `limit` of them.
 *
 * A start s is offered for a clinician when:
 * - s is on the local grid, s ∈ [from, to) and s >= now + minNotice;
 * - [s, s + duration) lies inside one of that local day's clinic hours ∩ clinician hours
 *   (the buffer may run past closing time: clean-up after the last patient is normal);
 * - [s, s + duration + buffer) overlaps none of the clinician's busy intervals nor a closure
 *   (the room/clinician is needed for the clean-up too);
 * - [s, s + duration) overlaps none of the patient's busy intervals (the patient does not need
 *   to wait for the clean-up);
 * - for every resource need, some candidate (not already picked for another need of the same
 *   slot) is free for [s, s + duration + buffer): the room is cleaned after the patient too.
 *
 * Throws RangeError on malformed input (bad dates, unknown zone, invalid weekly hours,
 * non-positive duration/grid…): those are programming or configuration errors, not "no slots".
 */
export function findSlots(input: SlotSearchInput): Slot[] {
  const from = requireDate(input.from, 'from');
  const to = requireDate(input.to, 'to');
  const now = requireDate(input.now, 'now');
  const clock = new ClinicClock(input.clinicTimezone);
  const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
  const nonNegative = (n: number) => Number.isFinite(n) && n >= 0;
  const durMs = requireNumber(input.durationMinutes, NaN, 'durationMinutes', positiveInt, 'a positive integer') * MINUTE_MS;
  const bufMs = requireNumber(input.bufferAfterMinutes, 0, 'bufferAfterMinutes', nonNegative, '>= 0') * MINUTE_MS;
  const gridMs =
    requireNumber(input.gridMinutes, DEFAULT_GRID_MINUTES, 'gridMinutes', (n) => positiveInt(n) && n <= DAY_MINUTES, 'an integer in 1..1440') *
    MINUTE_MS;
  const noticeMs = requireNumber(input.minNoticeMinutes, 0, 'minNoticeMinutes', nonNegative, '>= 0') * MINUTE_MS;
  const limit = Math.floor(requireNumber(input.limit, DEFAULT_SLOT_LIMIT, 'limit', (n) => n >= 0, '>= 0'));

  assertHours(input.clinicHours, 'clinicHours');
  const clinicByWeekday = new Map(WEEKDAYS.map((wd) => [wd, minuteRanges(input.clinicHours[wd])]));
  const closures = toMsRanges(input.closures, 'closures');
  const patientBusy = mergeRanges(toMsRanges(input.patientBusy, 'patientBusy'));
  const needs = (input.resourceNeeds ?? []).map((need, i) =>
    need.candidates.map((c) => ({ id: c.resourceId, busy: mergeRanges(toMsRanges(c.busy, `resourceNeeds[${i}] ${c.resourceId} busy`)) })),
  );
  // A need nobody can meet (no such room in the clinic) means no slot at all.
  if (needs.some((candidates) => candidates.length === 0)) return [];

  // Per clinician, once: where they may work on each weekday (their hours ∩ clinic hours), and
  // everything that blocks them (own busy + clinic closures) as one sorted, merged list.
  const clinicians = input.clinicians.map((c) => {
    assertHours(c.weeklyHours, `clinician ${c.clinicianId}`);
    return {
      id: c.clinicianId,
      windows: new Map(WEEKDAYS.map((wd) => [wd, intersectRanges(clinicByWeekday.get(wd)!, minuteRanges(c.weeklyHours[wd]))])),
      busy: mergeRanges([...toMsRanges(c.busy, `clinician ${c.clinicianId} busy`), ...closures]),
    };
  });

  const lowerBound = Math.max(from, now + noticeMs);
  const out: Slot[] = [];
  if (limit === 0 || lowerBound >= to || clinicians.length === 0) return out;

  // Walk local calendar days. Slots of one local day all start before the next local midnight
  // (intervals never cross midnight), so collecting per day, sorting the day and appending keeps
  // the whole result sorted — and lets us stop as soon as `limit` is reached.
  for (let dayKey = clock.dayKeyOf(lowerBound); ; dayKey += DAY_MS) {
    if (clock.localInstant(dayKey, 0) >= to) break;
    const weekday = weekdayOf(dayKey);
    const instantCache = new Map<number, number>();
    const at = (minute: number) => {
      let t = instantCache.get(minute);
      if (t === undefined) instantCache.set(minute, (t = clock.localInstant(dayKey, minute)));
      return t;
    };

    const daySlots: Slot[] = [];
    for (const c of clinicians) {
      for (const [startMin, endMin] of c.windows.get(weekday)!) {
        const windowStart = at(startMin);
        const windowEnd = at(endMin);
        if (windowEnd - durMs < Math.max(windowStart, lowerBound)) continue;
        // Same offset at both ends of a window inside one local day means no DST change inside
        // it (real zones never change twice within a day): use that offset for every candidate.
        const startOffset = clock.offsetMs(windowStart);
        const fixed = startOffset === clock.offsetMs(windowEnd) ? startOffset : undefined;
        let s = clock.alignUp(Math.max(windowStart, lowerBound), gridMs, fixed);
        while (s < to && s + durMs <= windowEnd) {
          const blocked = firstOverlap(c.busy, s, s + durMs + bufMs) ?? firstOverlap(patientBusy, s, s + durMs);
          const picked = blocked ? null : pickResources(needs, s, s + durMs + bufMs);
          const freeAt = blocked ? blocked[1] : picked && 'freeAt' in picked ? picked.freeAt : null;
          if (freeAt !== null) {
            // Every start before the blocker's end would still overlap it: skip past it.
            // (A blocker may end beyond the window; the loop condition then ends the window.)
            s = freeAt >= windowEnd ? windowEnd : clock.alignUp(Math.max(freeAt, s + 1), gridMs, fixed);
            continue;
          }
          const resourceIds = picked && 'ids' in picked ? picked.ids : [];
          daySlots.push({ clinicianId: c.id, startsAt: new Date(s), endsAt: new Date(s + durMs), resourceIds });
          s = clock.alignUp(s + gridMs, gridMs, fixed);
        }
      }
    }
    daySlots.sort(compareSlots);
    out.push(...daySlots);
    if (out.length >= limit) break;
  }
  return out.length > limit ? out.slice(0, limit) : out;
}

/**
 * One free resource per need for [s, e), or the earliest time one of the blocked needs could be
 * met (the end of the first blocking interval among its candidates).
 */
function pickResources(needs: { id: string; busy: MsRange[] }[][], s: number, e: number): { ids: string[] } | { freeAt: number } {
  const ids: string[] = [];
  for (const candidates of needs) {
    let freeAt = Infinity;
    let chosen: string | undefined;
    for (const r of candidates) {
      if (ids.includes(r.id)) continue;
      const hit = firstOverlap(r.busy, s, e);
      if (!hit) {
        chosen = r.id;
        break;
      }
      freeAt = Math.min(freeAt, hit[1]);
    }
    if (chosen === undefined) {
      // Every candidate taken by another need of this slot: try the next grid step.
      return { freeAt: freeAt === Infinity ? s + 1 : freeAt };
    }
    ids.push(chosen);
  }
  return { ids };
}

function compareSlots(a: Slot, b: Slot): number {
  const d = a.startsAt.getTime() - b.startsAt.getTime();
  if (d !== 0) return d;
  return a.clinicianId < b.clinicianId ? -1 : a.clinicianId > b.clinicianId ? 1 : 0;
}

/**
 * The earliest free slot in [from, to) (ties broken by clinicianId), or null when there is none —
 * e.g. the follow-up visit "first free slot in days 12–16"; null means a booking task for the
 * front desk. Stops at the first day that has a slot, so a wide window stays cheap.
 */
export function firstFreeSlot(input: SlotSearchInput): Slot | null {
  return findSlots({ ...input, limit: 1 })[0] ?? null;
}
