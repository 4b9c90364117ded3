import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { DEFAULT_QUIET_HOURS } from '@aftercare/clock';
import { planReminders, reminderKey } from './reminder.planner.js';

const NY = 'America/New_York';
const LA = 'America/Los_Angeles';
const HOUR_MS = 3_600_000;

/** A local wall-clock time in `zone` as a Date. */
const local = (iso: string, zone = NY): Date => {
  const dt = DateTime.fromISO(iso, { zone });
  if (!dt.isValid) throw new Error(`bad test time ${iso}`);
  return dt.toJSDate();
};
/** How `at` reads on the wall in `zone`, for readable assertions. */
const wall = (at: Date, zone = NY): string => DateTime.fromJSDate(at, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");

const plan = (startsAt: Date, now: Date, extra: { timezone?: string; offsetsMinutes?: number[] } = {}) =>
  planReminders({ startsAt, now, timezone: extra.timezone ?? NY, quietHours: DEFAULT_QUIET_HOURS, offsetsMinutes: extra.offsetsMinutes });

describe('planReminders', () => {
  it('plans 48 h and 2 h before by default, in send order', () => {
    const startsAt = local('2025-06-10T14:00');
    const result = plan(startsAt, local('2025-06-01T09:00'));

    expect(result.map((r) => r.key)).toEqual(['reminder-48h', 'reminder-2h']);
    expect(result.map((r) => wall(r.sendAt))).toEqual(['2025-06-08T14:00', '2025-06-10T12:00']);
  });

  describe('daylight-saving time: offsets are elapsed time, not wall-clock time', () => {
    it('48 h before a Monday appointment across the 2025-03-09 spring-forward is 48 real hours (09:00 EST on the wall)', () => {
      const startsAt = local('2025-03-10T10:00'); // EDT
      const [first] = plan(startsAt, local('2025-03-01T09:00'));

      expect(first.key).toBe('reminder-48h');
      expect(startsAt.getTime() - first.sendAt.getTime()).toBe(48 * HOUR_MS);
      expect(wall(first.sendAt)).toBe('2025-03-08T09:00'); // EST, the clock read one hour less
      expect(first.sendAt.toISOString()).toBe('2025-03-08T14:00:00.000Z');
    });

    it('48 h before an appointment across the 2025-11-02 fall-back is 48 real hours (11:00 EDT on the wall)', () => {
      const startsAt = local('2025-11-03T10:00'); // EST
      const [first] = plan(startsAt, local('2025-10-25T09:00'));

      expect(startsAt.getTime() - first.sendAt.getTime()).toBe(48 * HOUR_MS);
      expect(wall(first.sendAt)).toBe('2025-11-01T11:00');
    });
  });

  describe('quiet hours (21:00-08:00 in the patient zone)', () => {
    it('moves a 2 h reminder for an 08:30 appointment to 20:59 the evening before', () => {
      const result = plan(local('2025-06-10T08:30'), local('2025-06-01T09:00'));

      expect(result).toEqual([
        { key: 'reminder-48h', sendAt: local('2025-06-08T08:30') },
        { key: 'reminder-2h', sendAt: local('2025-06-09T20:59') },
      ]);
    });

    it('moves a 48 h reminder that falls at 07:30 to 20:59 the evening before it', () => {
      const [first] = plan(local('2025-06-10T07:30'), local('2025-06-01T09:00'));
      expect(wall(first.sendAt)).toBe('2025-06-07T20:59');
    });

    it('never moves a reminder later, not even past the end of quiet hours', () => {
      for (const r of plan(local('2025-06-10T08:30'), local('2025-06-01T09:00'))) {
        expect(r.sendAt.getTime()).toBeLessThanOrEqual(local('2025-06-10T08:30').getTime() - 2 * HOUR_MS);
      }
    });

    it("uses the patient's zone, not the clinic's", () => {
      // 11:30 in New York is 08:30 in Los Angeles: 2 h before is 06:30 there, inside quiet hours.
      const startsAt = local('2025-06-10T11:30', NY);

      const inNewYork = plan(startsAt, local('2025-06-01T09:00'), { timezone: NY });
      const inLosAngeles = plan(startsAt, local('2025-06-01T09:00'), { timezone: LA });

      expect(wall(inNewYork[1].sendAt, NY)).toBe('2025-06-10T09:30');
      expect(wall(inLosAngeles[1].sendAt, LA)).toBe('2025-06-09T20:59');
    });

    it('honours custom quiet hours', () => {
      const result = planReminders({
        startsAt: local('2025-06-10T09:00'),
        now: local('2025-06-01T09:00'),
        timezone: NY,
        quietHours: { start: '22:00', end: '07:30' },
      });
      // 2 h before is 07:00, inside 22:00-07:30: moved to 21:59 the evening before.
      expect(wall(result[1].sendAt)).toBe('2025-06-09T21:59');
    });
  });

  describe('reminders that would already have gone', () => {
    it('drops the 48 h reminder when the appointment is booked 30 hours ahead', () => {
      const startsAt = local('2025-06-10T14:00');
      const result = plan(startsAt, new Date(startsAt.getTime() - 30 * HOUR_MS));
      expect(result.map((r) => r.key)).toEqual(['reminder-2h']);
    });

    it('plans nothing when the appointment is booked 1 hour ahead', () => {
      const startsAt = local('2025-06-10T14:00');
      expect(plan(startsAt, new Date(startsAt.getTime() - HOUR_MS))).toEqual([]);
    });

    it('drops a reminder whose quiet-hours move puts it before the booking', () => {
      // Booked at 22:00 for 08:30 next morning: the 2 h reminder would move to 20:59 today, already past.
      expect(plan(local('2025-06-10T08:30'), local('2025-06-09T22:00'))).toEqual([]);
    });

    it('drops a reminder due exactly now: the booking confirmation goes out at this instant anyway', () => {
      const startsAt = local('2025-06-10T14:00');
      const result = plan(startsAt, new Date(startsAt.getTime() - 48 * HOUR_MS));
      expect(result.map((r) => r.key)).toEqual(['reminder-2h']);
    });

    it('keeps a reminder due one minute from now', () => {
      const startsAt = local('2025-06-10T14:00');
      const result = plan(startsAt, new Date(startsAt.getTime() - 48 * HOUR_MS - 60_000));
      expect(result.map((r) => r.key)).toEqual(['reminder-48h', 'reminder-2h']);
    });
  });

  describe('reminders that land on the same time', () => {
    it('keeps only the earlier one in the sequence (the larger offset)', () => {
      // 07:00 appointment: 10 h before is 21:00 and 2 h before is 05:00; both move to 20:59.
      const result = plan(local('2025-06-10T07:00'), local('2025-06-01T09:00'), { offsetsMinutes: [120, 600] });
      expect(result).toEqual([{ key: 'reminder-10h', sendAt: local('2025-06-09T20:59') }]);
    });

    it('keeps two reminders that are merely close together', () => {
      // 12 h before an 08:30 appointment is 20:30; 2 h before moves to 20:59.
      const result = plan(local('2025-06-10T08:30'), local('2025-06-01T09:00'), { offsetsMinutes: [720, 120] });
      expect(result.map((r) => [r.key, wall(r.sendAt)])).toEqual([
        ['reminder-12h', '2025-06-09T20:30'],
        ['reminder-2h', '2025-06-09T20:59'],
      ]);
    });
  });

  describe('offsets', () => {
    it('accepts custom offsets in any order and returns send order', () => {
      const result = plan(local('2025-06-10T14:00'), local('2025-06-01T09:00'), { offsetsMinutes: [90, 1440] });
      expect(result.map((r) => [r.key, wall(r.sendAt)])).toEqual([
        ['reminder-24h', '2025-06-09T14:00'],
        ['reminder-90m', '2025-06-10T12:30'],
      ]);
    });

    it('ignores a repeated offset', () => {
      const result = plan(local('2025-06-10T14:00'), local('2025-06-01T09:00'), { offsetsMinutes: [120, 120] });
      expect(result.map((r) => r.key)).toEqual(['reminder-2h']);
    });

    it('plans nothing for an empty offset list', () => {
      expect(plan(local('2025-06-10T14:00'), local('2025-06-01T09:00'), { offsetsMinutes: [] })).toEqual([]);
    });

    it.each([0, -60, 1.5, Number.NaN])('refuses the offset %p', (offset) => {
      expect(() => plan(local('2025-06-10T14:00'), local('2025-06-01T09:00'), { offsetsMinutes: [offset] })).toThrow(
        RangeError,
      );
    });

    it('refuses invalid dates', () => {
      expect(() => plan(new Date('nope'), local('2025-06-01T09:00'))).toThrow(/startsAt/);
      expect(() => plan(local('2025-06-10T14:00'), new Date('nope'))).toThrow(/now/);
    });

    it('names keys in hours when whole, else minutes', () => {
      expect(reminderKey(2880)).toBe('reminder-48h');
      expect(reminderKey(120)).toBe('reminder-2h');
      expect(reminderKey(90)).toBe('reminder-90m');
    });
  });
});
