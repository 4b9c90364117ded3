import { describe, expect, it } from '@jest/globals';
import { DateTime, IANAZone } from 'luxon';
import { decodeCursor, encodeCursor, ZONE_MARGIN_HOURS } from './due-list.query.js';

const ID = '7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f';

describe('the due list cursor', () => {
  it('round-trips the phase, the microsecond sort time and the id', () => {
    for (const phase of [0, 1, 'done'] as const) {
      const cursor = { phase, at: '2026-01-12T14:00:00.123456Z', id: ID };
      expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    }
  });

  it('is url-safe', () => {
    expect(encodeCursor({ phase: 1, at: '2026-01-12T14:00:00.123456Z', id: ID })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('refuses anything else', () => {
    const bad = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(decodeCursor('nonsense')).toBeNull();
    expect(decodeCursor(bad([2, '2026-01-12T14:00:00.123456Z', ID]))).toBeNull();
    expect(decodeCursor(bad([1, "2026-01-12'; DROP TABLE x", ID]))).toBeNull();
    expect(decodeCursor(bad([1, '2026-01-12T14:00:00.123456Z', 'x']))).toBeNull();
    expect(decodeCursor(bad({ phase: 1 }))).toBeNull();
  });
});

describe('the window where a patient\'s zone matters (ZONE_MARGIN_HOURS)', () => {
  const HOUR = 3_600_000;
  const dayLength = (zone: string, date: string) => {
    const start = DateTime.fromISO(date, { zone }).startOf('day');
    return (start.plus({ days: 1 }).startOf('day').toMillis() - start.toMillis()) / HOUR;
  };

  it('is as long as the longest local day', () => {
    expect(dayLength('America/New_York', '2026-11-01')).toBe(25);
    expect(dayLength('Antarctica/Troll', '2026-10-25')).toBe(ZONE_MARGIN_HOURS); // +02:00 back to +00:00
  });

  it('holds in every zone: no clock goes back by more than ZONE_MARGIN_HOURS - 24 hours', () => {
    // A day is 24 h plus the hours the clock goes back in it, so a weekly look at each zone's
    // offset finds any longer day (two opposite changes in one week do not happen).
    const week = 7 * 24 * HOUR;
    const from = Date.UTC(2025, 0, 1);
    const longest: Record<string, number> = {};
    for (const zone of Intl.supportedValuesOf('timeZone')) {
      const iana = IANAZone.create(zone);
      let before = iana.offset(from);
      for (let at = from + week; at < Date.UTC(2028, 0, 1); at += week) {
        const after = iana.offset(at);
        if (before - after > 0) longest[zone] = Math.max(longest[zone] ?? 0, 24 + (before - after) / 60);
        before = after;
      }
    }
    expect(Object.entries(longest).filter(([, hours]) => hours > ZONE_MARGIN_HOURS)).toEqual([]);
  });
});
