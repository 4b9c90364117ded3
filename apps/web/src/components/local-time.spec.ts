import { describe, expect, it } from '@jest/globals';
import { addDays, formatLocalDate, isLocalDate, isoToWallTime, localDayBounds, startOfLocalDay, wallTimeToIso } from './local-time';

const NY = 'America/New_York';

describe('wallTimeToIso', () => {
  it('reads a wall time in the clinic zone, whatever zone the computer is in', () => {
    expect(wallTimeToIso('2026-01-15T09:30', NY)).toBe('2026-01-15T14:30:00.000Z');
    expect(wallTimeToIso('2026-07-15T09:30', NY)).toBe('2026-07-15T13:30:00.000Z');
    expect(wallTimeToIso('2026-07-15T09:30', 'Asia/Kolkata')).toBe('2026-07-15T04:00:00.000Z');
  });

  it('takes a date alone as its local midnight', () => {
    expect(wallTimeToIso('2026-12-24', NY)).toBe('2026-12-24T05:00:00.000Z');
  });

  it('is right on both sides of a DST change', () => {
    // 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
    expect(wallTimeToIso('2026-03-08T01:30', NY)).toBe('2026-03-08T06:30:00.000Z');
    expect(wallTimeToIso('2026-03-08T03:30', NY)).toBe('2026-03-08T07:30:00.000Z');
    expect(wallTimeToIso('2026-11-01T12:00', NY)).toBe('2026-11-01T17:00:00.000Z');
    expect(wallTimeToIso('2026-10-31T12:00', NY)).toBe('2026-10-31T16:00:00.000Z');
  });

  it('refuses what is no time', () => {
    expect(wallTimeToIso('', NY)).toBeNull();
    expect(wallTimeToIso('2026-02-30T10:00', NY)).toBeNull();
    expect(wallTimeToIso('2026-02-10T24:30', NY)).toBeNull();
    expect(wallTimeToIso('tomorrow', NY)).toBeNull();
  });
});

describe('isoToWallTime', () => {
  it('gives the field value of an instant in the zone, and back', () => {
    expect(isoToWallTime('2026-01-15T14:30:00.000Z', NY)).toBe('2026-01-15T09:30');
    expect(isoToWallTime('2026-12-24T05:00:00.000Z', NY)).toBe('2026-12-24T00:00');
    for (const wall of ['2026-03-08T01:30', '2026-03-08T03:30', '2026-11-01T12:00']) expect(isoToWallTime(wallTimeToIso(wall, NY)!, NY)).toBe(wall);
  });
});

describe('local days', () => {
  it('start at local midnight, on DST days too', () => {
    expect(startOfLocalDay('2026-01-15', NY).toISOString()).toBe('2026-01-15T05:00:00.000Z');
    expect(startOfLocalDay('2026-03-08', NY).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(startOfLocalDay('2026-03-09', NY).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(startOfLocalDay('2026-07-15', 'Asia/Kolkata').toISOString()).toBe('2026-07-14T18:30:00.000Z');
  });

  it('are 23 or 25 hours long when the clocks change', () => {
    expect(localDayBounds('2026-03-08', NY)).toEqual({ from: '2026-03-08T05:00:00.000Z', to: '2026-03-09T04:00:00.000Z' });
    expect(localDayBounds('2026-11-01', NY)).toEqual({ from: '2026-11-01T04:00:00.000Z', to: '2026-11-02T05:00:00.000Z' });
  });

  it('count on across months and years, and back', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-01-15', 28)).toBe('2026-02-12');
  });

  it('are told apart from what is no date, and named without a zone', () => {
    expect(isLocalDate('2026-12-24')).toBe(true);
    expect(isLocalDate('2026-13-01')).toBe(false);
    expect(isLocalDate('24/12/2026')).toBe(false);
    expect(formatLocalDate(null)).toBe('—');
    expect(formatLocalDate('2026-12-24')).toBe(new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date('2026-12-24T00:00:00Z')));
  });
});
