/**
 * VTIMEZONE components (RFC 5545 §3.6.5) for an IANA zone, built from the same time-zone data
 * that luxon (Intl/ICU) uses everywhere else in the system.
 *
 * Pure functions: no Nest, no I/O.
 *
 * Why not a bundled VTIMEZONE library: the DTSTART of an invite is written as the clinic's wall
 * time, computed by luxon. The VTIMEZONE that turns that wall time back into an instant must
 * come from the very same rules, or a zone whose rules changed recently (and that two data sets
 * disagree on) would put the appointment at the wrong hour. Built from luxon, the two always
 * agree, so the instant survives the round trip whatever the tzdata version.
 *
 * The component lists the zone's real transitions around the event (each as its own STANDARD
 * or DAYLIGHT observance with the onset's local time), which is what a client needs to place
 * the event and show it in another zone. A zone without transitions in that span gets one
 * STANDARD observance with its fixed offset.
 */
import { DateTime, IANAZone } from 'luxon';

export interface ZoneTransition {
  /** The first instant (epoch ms) of the new offset. */
  at: number;
  /** Minutes east of UTC before and from `at`. */
  offsetFrom: number;
  offsetTo: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Scan step: far shorter than any gap between two transitions in modern tzdata. */
const SCAN_STEP_MS = 12 * HOUR_MS;
/** How far around the event the observances reach (a year covers both DST changes). */
export const VTIMEZONE_MARGIN_MS = 366 * DAY_MS;

export function ianaZone(name: string): IANAZone {
  const zone = IANAZone.create(name);
  if (!zone.isValid) throw new RangeError(`Unknown time zone "${name}"`);
  return zone;
}

/**
 * The zone's offset changes in [from, to], found by scanning every few hours and bisecting to
 * the minute (transitions fall on whole minutes). Computed per calendar year and kept: the
 * rules of a zone do not change while the process runs.
 */
export function zoneTransitions(zoneName: string, from: number, to: number): ZoneTransition[] {
  ianaZone(zoneName);
  const transitions: ZoneTransition[] = [];
  for (let year = new Date(from).getUTCFullYear(); year <= new Date(to).getUTCFullYear(); year++) {
    for (const t of transitionsInYear(zoneName, year)) if (t.at >= from && t.at <= to) transitions.push(t);
  }
  return transitions;
}

const byZoneYear = new Map<string, readonly ZoneTransition[]>();

function transitionsInYear(zoneName: string, year: number): readonly ZoneTransition[] {
  const key = `${zoneName} ${year}`;
  const known = byZoneYear.get(key);
  if (known) return known;
  const zone = ianaZone(zoneName);
  const end = Date.UTC(year + 1, 0, 1);
  const found: ZoneTransition[] = [];
  let previousAt = Date.UTC(year, 0, 1);
  let previousOffset = zone.offset(previousAt);
  while (previousAt < end) {
    const at = Math.min(previousAt + SCAN_STEP_MS, end);
    const offset = zone.offset(at);
    if (offset !== previousOffset) {
      let lo = previousAt; // old offset
      let hi = at; // new offset
      while (hi - lo > MINUTE_MS) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
        if (zone.offset(mid) === previousOffset) lo = mid;
        else hi = mid;
      }
      // A change exactly at midnight of 1 January belongs to this year, not the last.
      found.push({ at: hi, offsetFrom: previousOffset, offsetTo: offset });
    }
    previousAt = at;
    previousOffset = offset;
  }
  byZoneYear.set(key, found);
  return found;
}

/**
 * A VTIMEZONE for `zoneName` whose observances cover [startsAt - margin, endsAt + margin], with
 * CRLF line ends. TZID is the IANA name, as the event's DTSTART;TZID= refers to it.
 */
export function buildVtimezone(zoneName: string, startsAt: Date, endsAt: Date, marginMs = VTIMEZONE_MARGIN_MS): string {
  const zone = ianaZone(zoneName);
  const from = startsAt.getTime() - marginMs;
  const to = endsAt.getTime() + marginMs;
  const transitions = zoneTransitions(zoneName, from, to);

  const lines = ['BEGIN:VTIMEZONE', `TZID:${zoneName}`];
  // The offset at the start of the span holds until the first transition: if that transition
  // comes after the event starts (or there is none), a base observance covers the time before.
  if (transitions.length === 0 || transitions[0].at > startsAt.getTime()) {
    const offset = zone.offset(from);
    lines.push(...observance(zone, { at: Date.UTC(1970, 0, 1) - offset * MINUTE_MS, offsetFrom: offset, offsetTo: offset }, from));
  }
  for (const transition of transitions) lines.push(...observance(zone, transition, transition.at));
  lines.push('END:VTIMEZONE');
  return lines.join('\r\n') + '\r\n';
}

function observance(zone: IANAZone, t: ZoneTransition, sample: number): string[] {
  const kind = DateTime.fromMillis(sample, { zone }).isInDST ? 'DAYLIGHT' : 'STANDARD';
  // The onset is written as local time in the offset that was in force just before it.
  const onset = DateTime.fromMillis(t.at + t.offsetFrom * MINUTE_MS, { zone: 'utc' }).toFormat("yyyyLLdd'T'HHmmss");
  const name = zone.offsetName(sample, { format: 'short', locale: 'en-US' });
  return [
    `BEGIN:${kind}`,
    `DTSTART:${onset}`,
    `TZOFFSETFROM:${formatOffset(t.offsetFrom)}`,
    `TZOFFSETTO:${formatOffset(t.offsetTo)}`,
    ...(name ? [`TZNAME:${name.replace(/[\\;,]/g, (c) => `\\${c}`)}`] : []),
    `END:${kind}`,
  ];
}

/** Minutes east of UTC as ±HHMM. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/**
 * Whether `at` can be written as a wall time in the zone without doubt. In the hour repeated
 * when clocks go back, a wall time names two instants: RFC 5545 §3.3.5 says the first, but
 * clients differ (ical.js takes the second), so such an instant is better written in UTC.
 */
export function isWallTimeUnambiguous(at: Date, zoneName: string): boolean {
  const zone = ianaZone(zoneName);
  const ms = at.getTime();
  const offset = zone.offset(ms);
  const wall = ms + offset * MINUTE_MS;
  for (const candidate of new Set([zone.offset(ms - DAY_MS), zone.offset(ms + DAY_MS)])) {
    if (candidate === offset) continue;
    const other = wall - candidate * MINUTE_MS;
    if (zone.offset(other) === candidate) return false;
  }
  return true;
}
