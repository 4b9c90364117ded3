/**
 * Quiet hours: the local hours in which no patient message may go out (PRODUCT.md: default
 * 21:00–08:00 in the patient's own time zone). Plain functions, no Nest, no I/O.
 *
 * All comparisons are made on the local *wall-clock* reading in an IANA zone (via luxon's
 * IANAZone), never on a fixed UTC offset, so the rules hold across daylight-saving changes:
 * "quiet until 08:00" means 08:00 on the clock on the wall, whatever the offset is that day.
 */
import { IANAZone } from 'luxon';

/** Local 'HH:mm' times. `start` is inclusive, `end` exclusive; the window may wrap midnight. */
export interface QuietHours {
  start: string;
  end: string;
}

export const DEFAULT_QUIET_HOURS: QuietHours = { start: '21:00', end: '08:00' };

/** A local time of day. */
export interface LocalTime {
  hour: number;
  minute: number;
}

/** A local calendar day (month 1–12). */
export interface LocalDay {
  year: number;
  month: number;
  day: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Parses a strict 24-hour 'HH:mm' (00:00–23:59); throws an Error naming the bad value. */
export function parseLocalTime(value: string): LocalTime {
  const match = HH_MM.exec(value);
  if (!match) {
    throw new Error(`Invalid local time "${value}": expected 'HH:mm' between 00:00 and 23:59`);
  }
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

/**
 * Parses '21:00-08:00' (spaces around the dash allowed) into QuietHours.
 * A window whose start equals its end is refused: it would be either empty or the whole day,
 * and neither is a sensible thing to configure by accident.
 */
export function parseQuietHours(value: string): QuietHours {
  const fail = (why: string): never => {
    throw new Error(`Invalid quiet hours "${value}": ${why}`);
  };
  if (typeof value !== 'string') fail("expected 'HH:mm-HH:mm', e.g. '21:00-08:00'");
  const parts = value.split('-').map((p) => p.trim());
  if (parts.length !== 2 || !HH_MM.test(parts[0]) || !HH_MM.test(parts[1])) {
    fail("expected 'HH:mm-HH:mm', e.g. '21:00-08:00'");
  }
  const [start, end] = parts;
  if (start === end) fail('start and end are the same');
  return { start, end };
}

/** Whether local wall time `at` in `zone` falls inside the quiet hours. */
export function isInQuietHours(at: Date, zone: string, qh: QuietHours): boolean {
  const z = ianaZone(zone);
  const win = windowMinutes(qh);
  return inWindow(minuteOfDay(wallMs(instantOf(at), z)), win);
}

/**
 * `at` if it is outside quiet hours, else the instant the current quiet period ends: the local
 * `end` time (the next morning when the window wraps midnight and `at` is in its evening part).
 */
export function nextAllowedTime(at: Date, zone: string, qh: QuietHours): Date {
  const z = ianaZone(zone);
  const win = windowMinutes(qh);
  const ts = instantOf(at);
  const wall = wallMs(ts, z);
  const m = minuteOfDay(wall);
  if (!inWindow(m, win)) return new Date(ts);

  // The period ends later the same local day, unless it wraps midnight and we are before midnight.
  const endDay = startOfWallDay(wall) + (win.wraps && m >= win.start ? DAY_MS : 0);
  const crossings = instantsReaching(endDay + win.end * MINUTE_MS, z);
  // When the end time happens twice (clocks going back), the period ends at the first one after `at`.
  return new Date(crossings.find((t) => t > ts) ?? crossings[crossings.length - 1]);
}

/**
 * `at` if it is outside quiet hours, else the last allowed instant before the current quiet
 * period began: its local `start` time minus one minute (e.g. 20:59 the evening before).
 */
export function latestAllowedTimeBefore(at: Date, zone: string, qh: QuietHours): Date {
  const z = ianaZone(zone);
  const win = windowMinutes(qh);
  const ts = instantOf(at);
  const wall = wallMs(ts, z);
  const m = minuteOfDay(wall);
  if (!inWindow(m, win)) return new Date(ts);

  // The period began earlier the same local day, unless it wraps midnight and we are past midnight.
  const startDay = startOfWallDay(wall) - (win.wraps && m < win.end ? DAY_MS : 0);
  const crossings = instantsReaching(startDay + win.start * MINUTE_MS, z);
  // When the start time happens twice (clocks going back), take the last one not after `at`.
  const began = [...crossings].reverse().find((t) => t <= ts) ?? crossings[0];
  return new Date(began - MINUTE_MS);
}

/**
 * The instant the local clock in `zone` first reads `time` ('HH:mm') on local calendar day `day`.
 * Across DST: when that reading happens twice (clocks go back) the first one; when it never
 * happens (clocks jump forward over it) the instant of the jump, i.e. the first instant that
 * reads later than `time`.
 */
export function atLocalTime(day: LocalDay, time: string, zone: string): Date {
  const z = ianaZone(zone);
  const { hour, minute } = parseLocalTime(time);
  const wall = Date.UTC(day.year, day.month - 1, day.day, hour, minute);
  if (Number.isNaN(wall)) throw new Error(`Invalid local day ${JSON.stringify(day)}`);
  return new Date(instantsReaching(wall, z)[0]);
}

// ---------------------------------------------------------------------------------------------
// Internals. A "wall" value is the local clock reading expressed as epoch ms *as if it were UTC*,
// which makes local readings comparable with plain arithmetic (minute of day, start of day, …).

interface WindowMinutes {
  start: number;
  end: number;
  wraps: boolean;
}

function windowMinutes(qh: QuietHours): WindowMinutes {
  const s = parseLocalTime(qh.start);
  const e = parseLocalTime(qh.end);
  const start = s.hour * 60 + s.minute;
  const end = e.hour * 60 + e.minute;
  return { start, end, wraps: start > end };
}

/** start inclusive, end exclusive; a window with start === end is empty. */
function inWindow(minute: number, w: WindowMinutes): boolean {
  return w.wraps ? minute >= w.start || minute < w.end : minute >= w.start && minute < w.end;
}

function ianaZone(zone: string): IANAZone {
  const z = typeof zone === 'string' ? IANAZone.create(zone) : undefined;
  if (!z || !z.isValid) throw new Error(`Invalid time zone "${zone}": expected an IANA name such as Europe/Berlin`);
  return z;
}

function instantOf(at: Date): number {
  const ts = at instanceof Date ? at.getTime() : NaN;
  if (Number.isNaN(ts)) throw new Error(`Invalid date "${String(at)}"`);
  return ts;
}

function wallMs(ts: number, z: IANAZone): number {
  return ts + z.offset(ts) * MINUTE_MS;
}

function minuteOfDay(wall: number): number {
  return Math.floor((((wall % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
}

function startOfWallDay(wall: number): number {
  return wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
}

/**
 * The instants, ascending, at which the clock in `z` reaches the wall reading `wall`:
 * one on an ordinary day; two when the clocks go back and the reading happens twice; in a
 * spring-forward gap, where the reading never shows, the single instant the clocks jump past it.
 */
function instantsReaching(wall: number, z: IANAZone): number[] {
  // Offsets in force around that day. Real zones change offset at most once within a day or so.
  const offsets = [...new Set([z.offset(wall - DAY_MS), z.offset(wall), z.offset(wall + DAY_MS)])];
  const exact = offsets
    .map((o) => wall - o * MINUTE_MS)
    .filter((t) => wallMs(t, z) === wall)
    .sort((a, b) => a - b);
  if (exact.length > 0) return exact;

  // Gap: `lo` still reads before `wall`, `hi` already reads after it; find the jump between them.
  let lo = wall - Math.max(...offsets) * MINUTE_MS;
  let hi = wall - Math.min(...offsets) * MINUTE_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallMs(mid, z) >= wall) hi = mid;
    else lo = mid;
  }
  return [hi];
}
