/**
 * Local dates and wall-clock times in a given zone (the clinic's, a patient's), for
 * <input type="date"> and <input type="datetime-local">, which know nothing of zones: an admin
 * types "2026-12-24 13:00" meaning the clinic's 13:00, not the browser's, and a day sheet's day
 * starts at the clinic's midnight. Built on Intl only (the web app carries no time-zone library).
 */

import { dateTimeFormat } from '../format';

/** The zone's offset from UTC (ms) at an instant: its wall time minus UTC. */
function zoneOffsetMs(at: number, timeZone: string): number {
  const parts = dateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(at / 1000) * 1000;
}

/** The instant (ms) whose wall time in `timeZone` is `wall` (a wall time written as if it were UTC). */
function wallToInstant(wall: number, timeZone: string): number {
  const first = wall - zoneOffsetMs(wall, timeZone);
  // Second pass: the offset at the result may differ from the first guess's (a DST change).
  return wall - zoneOffsetMs(first, timeZone);
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;

/**
 * 'YYYY-MM-DDTHH:mm' (or a date alone: its midnight) in `timeZone` → an ISO instant; null when
 * the text is no such time. A wall time that a DST change skips comes out an hour off, as the
 * zone's rules have no such time.
 */
export function wallTimeToIso(wall: string, timeZone: string): string | null {
  const match = WALL.exec(wall.trim());
  if (!match) return null;
  const [, y, mo, d, h = '00', mi = '00'] = match;
  const utcWall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
  if (Number.isNaN(utcWall)) return null;
  const check = new Date(utcWall);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59) return null;
  return new Date(wallToInstant(utcWall, timeZone)).toISOString();
}

/** An ISO instant → 'YYYY-MM-DDTHH:mm' in `timeZone`, for a datetime-local field's value. */
export function isoToWallTime(iso: string, timeZone: string): string {
  const at = Date.parse(iso);
  const local = new Date(at + zoneOffsetMs(at, timeZone));
  return local.toISOString().slice(0, 16);
}

/** The instant local midnight starts `date` ('YYYY-MM-DD') in `timeZone`, DST included. */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(wallToInstant(Date.UTC(y, m - 1, d), timeZone));
}

/** The local date `days` after `date` ('YYYY-MM-DD'). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** [start, end) of a local day in the zone, as ISO instants for `from`/`to` queries. */
export function localDayBounds(date: string, timeZone: string): { from: string; to: string } {
  return { from: startOfLocalDay(date, timeZone).toISOString(), to: startOfLocalDay(addDays(date, 1), timeZone).toISOString() };
}

export const isLocalDate = (value: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));

/** A local date 'YYYY-MM-DD' as words, without moving it through a time zone. */
export function formatLocalDate(date: string | null | undefined): string {
  if (!date) return '—';
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return dateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}
