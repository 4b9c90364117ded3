import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_QUIET_HOURS,
  atLocalTime,
  isInQuietHours,
  latestAllowedTimeBefore,
  nextAllowedTime,
  parseLocalTime,
  parseQuietHours,
} from './quiet-hours.js';

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const utc = (iso: string): Date => new Date(iso);

describe('parseQuietHours', () => {
  it('parses a window that wraps midnight and one that does not', () => {
    expect(parseQuietHours('21:00-08:00')).toEqual({ start: '21:00', end: '08:00' });
    expect(parseQuietHours(' 12:30 - 14:00 ')).toEqual({ start: '12:30', end: '14:00' });
  });

  it.each(['', '21:00', '9:00-08:00', '21:00-24:00', '21:60-08:00', '21:00-08:00-09:00', 'late-early'])(
    'refuses %j and names the bad value',
    (bad) => {
      expect(() => parseQuietHours(bad)).toThrow(`"${bad}"`);
    },
  );

  it('refuses a window whose start equals its end', () => {
    expect(() => parseQuietHours('08:00-08:00')).toThrow(/"08:00-08:00".*same/);
  });
});

describe('parseLocalTime', () => {
  it('parses HH:mm and refuses anything else', () => {
    expect(parseLocalTime('00:00')).toEqual({ hour: 0, minute: 0 });
    expect(parseLocalTime('23:59')).toEqual({ hour: 23, minute: 59 });
    expect(() => parseLocalTime('7:00')).toThrow('"7:00"');
  });
});

describe('isInQuietHours', () => {
  it('uses local wall time, start inclusive and end exclusive (default 21:00–08:00)', () => {
    // New York in March before the change is UTC-5.
    expect(isInQuietHours(utc('2025-03-05T01:59:59Z'), NY, DEFAULT_QUIET_HOURS)).toBe(false); // 20:59:59
    expect(isInQuietHours(utc('2025-03-05T02:00:00Z'), NY, DEFAULT_QUIET_HOURS)).toBe(true); // 21:00
    expect(isInQuietHours(utc('2025-03-05T05:00:00Z'), NY, DEFAULT_QUIET_HOURS)).toBe(true); // 00:00
    expect(isInQuietHours(utc('2025-03-05T12:59:59Z'), NY, DEFAULT_QUIET_HOURS)).toBe(true); // 07:59:59
    expect(isInQuietHours(utc('2025-03-05T13:00:00Z'), NY, DEFAULT_QUIET_HOURS)).toBe(false); // 08:00
  });

  it('depends on the zone: the same instant can be quiet in one zone and not in another', () => {
    const at = utc('2025-03-05T21:30:00Z'); // 16:30 in New York, 22:30 in Berlin
    expect(isInQuietHours(at, NY, DEFAULT_QUIET_HOURS)).toBe(false);
    expect(isInQuietHours(at, BERLIN, DEFAULT_QUIET_HOURS)).toBe(true);
  });

  it('handles a window that does not wrap midnight', () => {
    const lunch = { start: '12:00', end: '13:30' };
    expect(isInQuietHours(utc('2025-06-02T09:59:00Z'), BERLIN, lunch)).toBe(false); // 11:59 CEST
    expect(isInQuietHours(utc('2025-06-02T10:00:00Z'), BERLIN, lunch)).toBe(true); // 12:00
    expect(isInQuietHours(utc('2025-06-02T11:29:00Z'), BERLIN, lunch)).toBe(true); // 13:29
    expect(isInQuietHours(utc('2025-06-02T11:30:00Z'), BERLIN, lunch)).toBe(false); // 13:30
    expect(isInQuietHours(utc('2025-06-02T22:00:00Z'), BERLIN, lunch)).toBe(false); // midnight
  });

  it('refuses an unknown zone and a bad window', () => {
    expect(() => isInQuietHours(new Date(), 'Mars/Olympus_Mons', DEFAULT_QUIET_HOURS)).toThrow('"Mars/Olympus_Mons"');
    expect(() => isInQuietHours(new Date(), NY, { start: '25:00', end: '08:00' })).toThrow('"25:00"');
    expect(() => isInQuietHours(new Date('nope'), NY, DEFAULT_QUIET_HOURS)).toThrow(/Invalid date/);
  });
});

describe('nextAllowedTime', () => {
  it('returns the same instant when it is allowed', () => {
    const at = utc('2025-03-05T15:00:00Z'); // 10:00 EST
    expect(nextAllowedTime(at, NY, DEFAULT_QUIET_HOURS)).toEqual(at);
  });

  it('moves an evening time to 08:00 the next morning and an early-morning time to 08:00 the same morning', () => {
    expect(nextAllowedTime(utc('2025-03-05T03:00:00Z'), NY, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-03-05T13:00:00Z')); // 22:00 → 08:00 EST
    expect(nextAllowedTime(utc('2025-03-05T11:00:00Z'), NY, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-03-05T13:00:00Z')); // 06:00 → 08:00 EST
  });

  it('America/New_York 2025-03-09 (clocks forward): 22:00 EST → 08:00 EDT, one hour less of UTC', () => {
    // Sat 22:00 EST = 03:00Z; Sunday 08:00 is EDT (UTC-4) = 12:00Z, not 13:00Z.
    expect(nextAllowedTime(utc('2025-03-09T03:00:00Z'), NY, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-03-09T12:00:00Z'));
    // 01:30 EST, in the night of the change, still ends at 08:00 EDT.
    expect(nextAllowedTime(utc('2025-03-09T06:30:00Z'), NY, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-03-09T12:00:00Z'));
  });

  it('America/New_York 2025-11-02 (clocks back): 22:00 EDT → 08:00 EST', () => {
    // Sat 22:00 EDT = 02:00Z; Sunday 08:00 is EST (UTC-5) = 13:00Z.
    expect(nextAllowedTime(utc('2025-11-02T02:00:00Z'), NY, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-11-02T13:00:00Z'));
    // Both 01:30s of that night (EDT then EST) end at the same 08:00 EST.
    expect(nextAllowedTime(utc('2025-11-02T05:30:00Z'), NY, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-11-02T13:00:00Z'));
    expect(nextAllowedTime(utc('2025-11-02T06:30:00Z'), NY, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-11-02T13:00:00Z'));
  });

  it('Europe/Berlin 2025-03-30 (clocks forward): 23:00 CET → 08:00 CEST', () => {
    expect(nextAllowedTime(utc('2025-03-29T22:00:00Z'), BERLIN, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-03-30T06:00:00Z'));
  });

  it('when the end time is skipped by the clocks going forward, the period ends at the jump', () => {
    // Quiet until 02:30, which does not exist in New York on 2025-03-09 (01:59 EST → 03:00 EDT).
    const qh = { start: '22:00', end: '02:30' };
    expect(nextAllowedTime(utc('2025-03-09T06:45:00Z'), NY, qh)).toEqual(utc('2025-03-09T07:00:00Z')); // 01:45 EST → 03:00 EDT
  });

  it('when the end time happens twice (clocks back), the period ends at the first one after `at`', () => {
    const qh = { start: '21:00', end: '01:30' };
    expect(nextAllowedTime(utc('2025-11-02T05:15:00Z'), NY, qh)).toEqual(utc('2025-11-02T05:30:00Z')); // 01:15 EDT → 01:30 EDT
    expect(nextAllowedTime(utc('2025-11-02T06:15:00Z'), NY, qh)).toEqual(utc('2025-11-02T06:30:00Z')); // 01:15 EST → 01:30 EST
  });

  it('handles a window that does not wrap midnight', () => {
    const lunch = { start: '12:00', end: '13:30' };
    expect(nextAllowedTime(utc('2025-06-02T10:45:00Z'), BERLIN, lunch)).toEqual(utc('2025-06-02T11:30:00Z')); // 12:45 → 13:30 CEST
  });
});

describe('latestAllowedTimeBefore', () => {
  it('returns the same instant when it is allowed', () => {
    const at = utc('2025-03-05T15:00:00Z');
    expect(latestAllowedTimeBefore(at, NY, DEFAULT_QUIET_HOURS)).toEqual(at);
  });

  it('moves a quiet time back to 20:59 the evening the period began', () => {
    expect(latestAllowedTimeBefore(utc('2025-03-05T03:00:00Z'), NY, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-03-05T01:59:00Z')); // 22:00 → 20:59 same evening
    expect(latestAllowedTimeBefore(utc('2025-03-05T11:00:00Z'), NY, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-03-05T01:59:00Z')); // 06:00 → 20:59 the evening before
  });

  it('America/New_York 2025-03-09: 07:00 EDT → 20:59 EST the evening before', () => {
    expect(latestAllowedTimeBefore(utc('2025-03-09T11:00:00Z'), NY, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-03-09T01:59:00Z'));
  });

  it('America/New_York 2025-11-02: 07:00 EST → 20:59 EDT the evening before', () => {
    expect(latestAllowedTimeBefore(utc('2025-11-02T12:00:00Z'), NY, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-11-02T00:59:00Z'));
  });

  it('Europe/Berlin 2025-03-30: 07:00 CEST → 20:59 CET the evening before', () => {
    expect(latestAllowedTimeBefore(utc('2025-03-30T05:00:00Z'), BERLIN, DEFAULT_QUIET_HOURS)).toEqual(utc('2025-03-29T19:59:00Z'));
  });

  it('when the start time is skipped by the clocks going forward, the period began at the jump', () => {
    const qh = { start: '02:30', end: '06:00' };
    expect(latestAllowedTimeBefore(utc('2025-03-09T09:00:00Z'), NY, qh)).toEqual(utc('2025-03-09T06:59:00Z')); // 05:00 EDT → 01:59 EST
  });

  it('handles a window that does not wrap midnight', () => {
    const lunch = { start: '12:00', end: '13:30' };
    expect(latestAllowedTimeBefore(utc('2025-06-02T10:45:00Z'), BERLIN, lunch)).toEqual(utc('2025-06-02T09:59:00Z')); // 12:45 → 11:59 CEST
  });
});

describe('atLocalTime', () => {
  it('gives the instant of a local time on a local day, with the offset of that day', () => {
    expect(atLocalTime({ year: 2025, month: 3, day: 8 }, '10:00', NY)).toEqual(utc('2025-03-08T15:00:00Z'));
    expect(atLocalTime({ year: 2025, month: 3, day: 9 }, '10:00', NY)).toEqual(utc('2025-03-09T14:00:00Z'));
  });

  it('takes the jump for a skipped time and the first of a repeated one', () => {
    expect(atLocalTime({ year: 2025, month: 3, day: 9 }, '02:30', NY)).toEqual(utc('2025-03-09T07:00:00Z'));
    expect(atLocalTime({ year: 2025, month: 11, day: 2 }, '01:30', NY)).toEqual(utc('2025-11-02T05:30:00Z'));
    expect(atLocalTime({ year: 2025, month: 3, day: 30 }, '02:15', BERLIN)).toEqual(utc('2025-03-30T01:00:00Z'));
  });
});
