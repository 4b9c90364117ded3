import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { daysSinceProcedure } from '../../outcomes/domain/outcomes.calculator.js';
import { LocalDays } from './local-days.js';

const open = (dueAt: string, snoozedUntil: string | null = null) => ({ status: 'open', dueAt: new Date(dueAt), snoozedUntil: snoozedUntil ? new Date(snoozedUntil) : null });

describe('LocalDays (today worked out once per zone for a whole due list)', () => {
  // 2026-03-08 is the spring-forward day in New York: local midnight to midnight is 23 hours.
  const now = new Date('2026-03-08T15:00:00Z'); // 11:00 in New York, 16:00 in Berlin, 04:00 the next day in Auckland

  it('calls an item overdue, today or upcoming by the local day of the patient', () => {
    const days = new LocalDays(now);
    expect(days.stateOf(open('2026-03-08T04:59:00Z'), 'America/New_York')).toBe('overdue'); // 23:59 on the 7th, EST
    expect(days.stateOf(open('2026-03-08T05:00:00Z'), 'America/New_York')).toBe('today'); // 00:00 on the 8th, EST
    expect(days.stateOf(open('2026-03-09T03:59:00Z'), 'America/New_York')).toBe('today'); // 23:59 on the 8th, EDT
    expect(days.stateOf(open('2026-03-09T04:00:00Z'), 'America/New_York')).toBe('upcoming'); // 00:00 on the 9th, EDT
    // The same moment is a day further on in Auckland.
    expect(days.stateOf(open('2026-03-08T10:59:00Z'), 'Pacific/Auckland')).toBe('overdue'); // 23:59 on the 8th there
    expect(days.stateOf(open('2026-03-08T11:00:00Z'), 'Pacific/Auckland')).toBe('today'); // 00:00 on the 9th there
    expect(days.stateOf({ ...open('2026-03-01T12:00:00Z'), status: 'done' }, 'Europe/Berlin')).toBe('done');
  });

  it('counts a snoozed item from the end of its snooze', () => {
    const days = new LocalDays(now);
    expect(days.stateOf(open('2026-03-01T12:00:00Z', '2026-03-10T14:00:00Z'), 'America/New_York')).toBe('upcoming');
    expect(days.stateOf(open('2026-03-01T12:00:00Z', '2026-03-08T14:00:00Z'), 'America/New_York')).toBe('today');
  });

  it('gives the same days since a procedure as the outcome series, across DST changes and zones', () => {
    const zones = ['America/New_York', 'Europe/Berlin', 'Pacific/Auckland', 'Asia/Kolkata', 'UTC'];
    const nows = ['2026-03-08T15:00:00Z', '2026-11-01T06:30:00Z', '2026-03-29T00:30:00Z', '2026-04-05T13:59:00Z'].map((iso) => new Date(iso));
    for (const at of nows) {
      const days = new LocalDays(at);
      for (const zone of zones) {
        for (let back = 0; back <= 60; back += 7) {
          for (const hour of [0, 1, 11, 23]) {
            const procedure = DateTime.fromJSDate(at, { zone }).minus({ days: back }).set({ hour, minute: 30 }).toJSDate();
            if (procedure > at) continue;
            expect([zone, at.toISOString(), back, hour, days.daysSince(procedure, zone)]).toEqual([zone, at.toISOString(), back, hour, daysSinceProcedure(procedure, at, zone)]);
          }
        }
      }
    }
  });
});
