import { describe, expect, it } from '@jest/globals';
import { DateTime, IANAZone } from 'luxon';
import { installZoneCache, isIanaZone } from './zone-cache.js';

installZoneCache();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The UTC offset in minutes straight from Intl ("GMT+05:45"), not through luxon. */
const formats = new Map<string, Intl.DateTimeFormat>();
function intlOffset(zone: string, ts: number): number {
  if (!formats.has(zone)) formats.set(zone, new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }));
  const name = formats.get(zone)!.formatToParts(new Date(ts)).find((p) => p.type === 'timeZoneName')!.value;
  const match = /GMT(?:([+-])(\d{2}):(\d{2}))?/.exec(name)!;
  if (!match[1]) return 0;
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
}

/** The instants in [from, to) where the zone's offset changes, to the minute. */
function transitions(zone: string, from: number, to: number): number[] {
  const found: number[] = [];
  for (let t = from; t < to; t += HOUR) {
    if (intlOffset(zone, t) === intlOffset(zone, t + HOUR)) continue;
    let lo = t;
    let hi = t + HOUR;
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (intlOffset(zone, mid) === intlOffset(zone, t)) lo = mid;
      else hi = mid;
    }
    found.push(hi);
  }
  return found;
}

describe('luxon zones with remembered offsets', () => {
  // Whole-hour DST, a 30-minute DST (Lord Howe), +05:45 (Kathmandu), +12:45/+13:45 (Chatham), and
  // Newfoundland, whose changes came at 00:01 local time until 2011: inside an hour of UTC, not on its edge.
  const zones = ['America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/St_Johns'];

  it.each(zones)('%s: the offset around every change of 2010 and 2026 is the one Intl gives, to the minute', (zone) => {
    const instants: number[] = [];
    for (const year of [2010, 2026]) {
      const changes = transitions(zone, Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1));
      if (zone !== 'Asia/Kathmandu') expect(changes.length).toBeGreaterThanOrEqual(2);
      for (const change of changes) for (let t = change - 2 * HOUR; t <= change + 2 * HOUR; t += MINUTE) instants.push(t, t - 1);
    }
    // Each instant asked twice: the second answer comes from what the first kept.
    for (const ts of instants) expect([ts, IANAZone.create(zone).offset(ts)]).toEqual([ts, intlOffset(zone, ts)]);
    for (const ts of instants) expect([ts, IANAZone.create(zone).offset(ts)]).toEqual([ts, intlOffset(zone, ts)]);
  });

  it('local times across the spring change in New York come out as luxon computed them before (02:30 does not exist)', () => {
    const before = DateTime.fromISO('2026-03-08T01:30', { zone: 'America/New_York' });
    expect(before.offset).toBe(-300);
    expect(before.plus({ hours: 1 }).toISO()).toBe('2026-03-08T03:30:00.000-04:00');
    expect(DateTime.fromISO('2026-03-08T02:30', { zone: 'America/New_York' }).toISO()).toBe('2026-03-08T03:30:00.000-04:00');
    expect(before.plus({ days: 1 }).toISO()).toBe('2026-03-09T01:30:00.000-04:00');
  });

  it('the zone name in a formatted time changes with the offset (EST, then EDT), at the minute of the change', () => {
    const change = Date.UTC(2026, 2, 8, 7, 0);
    const name = (ts: number) => DateTime.fromMillis(ts, { zone: 'America/New_York' }).toFormat('ZZZZ');
    expect([name(change - MINUTE), name(change - 1), name(change), name(change + 30 * MINUTE)]).toEqual(['EST', 'EST', 'EDT', 'EDT']);
    // Asked again, from memory.
    expect([name(change - 1), name(change)]).toEqual(['EST', 'EDT']);
    // Newfoundland's old change at 00:01 local (03:31 UTC): inside an hour, so that hour is never kept.
    const stJohns = (ts: number) => DateTime.fromMillis(ts, { zone: 'America/St_Johns' }).toFormat('ZZZZ');
    const newfoundland = Date.UTC(2010, 2, 14, 3, 31);
    expect([stJohns(newfoundland - MINUTE), stJohns(newfoundland), stJohns(newfoundland - MINUTE)]).toEqual(['GMT-3:30', 'GMT-2:30', 'GMT-3:30']);
  });

  it('an unknown zone stays invalid and is not remembered as valid', () => {
    expect(DateTime.now().setZone('Mars/Olympus_Mons').isValid).toBe(false);
    expect(isIanaZone('Mars/Olympus_Mons')).toBe(false);
    expect(isIanaZone('Mars/Olympus_Mons')).toBe(false);
    expect(isIanaZone('Europe/Lisbon')).toBe(true);
    expect(isIanaZone('Europe/Lisbon')).toBe(true);
    expect(isIanaZone(42)).toBe(false);
  });
});
