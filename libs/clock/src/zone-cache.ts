/**
 * Memory for luxon's time-zone arithmetic. Every local time we work out (a reminder's send time,
 * quiet hours, a slot in the clinic's day, "Tue 9:30 AM EST" in a text) asks luxon for the zone's
 * UTC offset, and luxon asks Intl each time: `formatToParts` for an offset (an array of parts per
 * call), and for an offset's name a new `Intl.DateTimeFormat` per call. Under load that was a
 * sixth of the notifications service's CPU composing messages.
 *
 * An offset is the same for a whole hour of UTC unless a transition falls inside it, and the tz
 * database never has two transitions in one hour. So the offset (and the name) is asked at the
 * hour's first and last millisecond: when both agree, that answer holds for the hour and is
 * kept; when they differ (a transition inside the hour), nothing is kept and luxon answers the
 * exact instant, as before. The answers are the ones luxon gives, only asked less often.
 */
import { IANAZone } from 'luxon';

const HOUR_MS = 3_600_000;
/** Hours × zones remembered before starting afresh (a few years of hours for a few zones). */
const MAX_ENTRIES = 100_000;

type OffsetName = (ts: number, options: { format?: string; locale?: string }) => string | null;

const INSTALLED = Symbol.for('aftercare.zone-cache');

/** Kept answers, by "zone|hour" (offset) or "zone|format|locale|hour" (name). */
class HourMemo<T> {
  private readonly entries = new Map<string, T>();

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: T): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, value);
  }
}

/**
 * Makes luxon's IANA zones remember their offsets and offset names per hour (above). Idempotent;
 * every service runs it when it loads @aftercare/clock.
 */
export function installZoneCache(): void {
  const proto = IANAZone.prototype as unknown as Record<symbol, boolean> & { offset(ts: number): number; offsetName: OffsetName };
  if (proto[INSTALLED]) return;
  proto[INSTALLED] = true;
  const exactOffset = proto.offset;
  const exactName = proto.offsetName;
  const offsets = new HourMemo<number>();
  const names = new HourMemo<string | null>();

  proto.offset = function offset(this: IANAZone, ts: number): number {
    if (!this.isValid || !Number.isFinite(ts)) return exactOffset.call(this, ts);
    const hour = Math.floor(ts / HOUR_MS);
    const key = `${this.name}|${hour}`;
    const kept = offsets.get(key);
    if (kept !== undefined) return kept;
    const first = exactOffset.call(this, hour * HOUR_MS);
    const last = exactOffset.call(this, hour * HOUR_MS + HOUR_MS - 1);
    if (first !== last) return exactOffset.call(this, ts);
    offsets.set(key, first);
    return first;
  };

  proto.offsetName = function offsetName(this: IANAZone, ts: number, options: { format?: string; locale?: string }): string | null {
    if (!this.isValid || !Number.isFinite(ts)) return exactName.call(this, ts, options);
    const hour = Math.floor(ts / HOUR_MS);
    const key = `${this.name}|${options?.format}|${options?.locale}|${hour}`;
    const kept = names.get(key);
    if (kept !== undefined) return kept;
    const first = exactName.call(this, hour * HOUR_MS, options);
    const last = exactName.call(this, hour * HOUR_MS + HOUR_MS - 1, options);
    if (first !== last) return exactName.call(this, ts, options);
    names.set(key, first);
    return first;
  };
}

const validZones = new Set<string>();

/**
 * Whether `name` is an IANA time zone this runtime knows. luxon's `IANAZone.isValidZone` builds
 * an `Intl.DateTimeFormat` per call; the names found valid are remembered (there are a few
 * hundred at most), the invalid ones are not, so input cannot grow the memory.
 */
export function isIanaZone(name: unknown): name is string {
  if (typeof name !== 'string') return false;
  if (validZones.has(name)) return true;
  if (!IANAZone.isValidZone(name)) return false;
  validZones.add(name);
  return true;
}
