import { describe, expect, it } from '@jest/globals';
import { DEFAULT_QUIET_HOURS } from '@aftercare/clock';
import { decideAtSendTime, decideSendTime, needsCapCheckAtSendTime, reminderUsefulUntil, timingOfRow, type SendTimeInput, type Timing } from './send-timing.policy.js';

const QH = DEFAULT_QUIET_HOURS; // 21:00-08:00
const at = (iso: string) => new Date(iso);
const LATER: Timing = { kind: 'later' };
const reminderFor = (startsAt: string): Timing => ({ kind: 'reminder', usefulUntil: reminderUsefulUntil(at(startsAt)) });
const decide = (input: Omit<SendTimeInput, 'quietHours'> & { quietHours?: SendTimeInput['quietHours'] }) => decideSendTime({ quietHours: QH, ...input });
const sentAt = (decision: ReturnType<typeof decideSendTime>) => {
  if (!decision.send) throw new Error(`dropped: ${decision.code}`);
  return decision.at.toISOString();
};

/** Three zones on three continents; one of them never changes its clocks. */
const ZONES = [
  {
    zone: 'America/Los_Angeles',
    evening: '2026-01-15T06:30:00Z', // Wed 14 Jan 22:30 PST
    morning: '2026-01-15T16:00:00Z', // Thu 15 Jan 08:00 PST
    appointment0830: '2026-01-15T16:30:00Z',
    twoHoursBefore: '2026-01-15T14:30:00Z', // 06:30 PST
    eveningBefore: '2026-01-15T04:59:00Z', // Wed 14 Jan 20:59 PST
  },
  {
    zone: 'Europe/Berlin',
    evening: '2026-01-14T21:30:00Z', // 22:30 CET
    morning: '2026-01-15T07:00:00Z', // 08:00 CET
    appointment0830: '2026-01-15T07:30:00Z',
    twoHoursBefore: '2026-01-15T05:30:00Z',
    eveningBefore: '2026-01-14T19:59:00Z', // 20:59 CET
  },
  {
    zone: 'Asia/Kolkata',
    evening: '2026-01-14T17:00:00Z', // 22:30 IST (+05:30, no DST)
    morning: '2026-01-15T02:30:00Z', // 08:00 IST
    appointment0830: '2026-01-15T03:00:00Z',
    twoHoursBefore: '2026-01-15T01:00:00Z',
    eveningBefore: '2026-01-14T15:29:00Z', // 20:59 IST
  },
];
const NOW = at('2026-01-12T12:00:00Z');

describe('quiet hours in the patient’s zone', () => {
  describe.each(ZONES.map((z) => [z.zone, z] as const))('%s', (_zone, z) => {
    it('moves a message due at 22:30 local to 08:00 the next morning', () => {
      expect(decide({ intended: at(z.evening), now: NOW, timezone: z.zone, timing: LATER })).toEqual({ send: true, at: at(z.morning), movedBy: 'quiet_hours' });
    });

    it('leaves a message due in the day where it is', () => {
      const noon = new Date(at(z.morning).getTime() + 4 * 3_600_000);
      expect(decide({ intended: noon, now: NOW, timezone: z.zone, timing: LATER })).toEqual({ send: true, at: noon, movedBy: null });
    });

    it('moves the 2-hours-before reminder of an 08:30 appointment to 20:59 the evening before', () => {
      const timing = reminderFor(z.appointment0830);
      expect(decide({ intended: at(z.twoHoursBefore), now: NOW, timezone: z.zone, timing })).toEqual({ send: true, at: at(z.eveningBefore), movedBy: 'quiet_hours' });
    });

    it('sends an answer to the patient’s own message at once, at night too', () => {
      expect(decide({ intended: at(z.evening), now: at(z.evening), timezone: z.zone, timing: { kind: 'at_once' } })).toEqual({ send: true, at: at(z.evening), movedBy: null });
    });
  });

  it('keeps the intended time of a late message (it goes at once), or moves it to the end of the quiet period if now is night', () => {
    const la = ZONES[0]!;
    const noon = at('2026-01-14T20:00:00Z');
    expect(decide({ intended: at('2026-01-14T18:00:00Z'), now: noon, timezone: la.zone, timing: LATER })).toEqual({ send: true, at: at('2026-01-14T18:00:00Z'), movedBy: null });
    expect(sentAt(decide({ intended: at('2026-01-14T18:00:00Z'), now: at(la.evening), timezone: la.zone, timing: LATER }))).toBe(at(la.morning).toISOString());
  });

  it('drops a reminder that only the morning could carry, when the morning is too late; keeps it when it is not', () => {
    const la = ZONES[0]!;
    // It is 22:30 and the reminder is overdue (a late event): the evening is gone.
    const for0830 = decide({ intended: at('2026-01-15T04:00:00Z'), now: at(la.evening), timezone: la.zone, timing: reminderFor(la.appointment0830) });
    expect(for0830).toMatchObject({ send: false, code: 'TOO_LATE' });
    const for1100 = decide({ intended: at('2026-01-15T04:00:00Z'), now: at(la.evening), timezone: la.zone, timing: reminderFor('2026-01-15T19:00:00Z') });
    expect(sentAt(for1100)).toBe(at(la.morning).toISOString());
  });

  it('never sends a reminder late: one whose event arrives after its use is dropped, one still useful keeps its time', () => {
    const timing = reminderFor('2026-01-14T20:00:00Z'); // 12:00 PST: useful until 11:00
    expect(decide({ intended: at('2026-01-14T18:00:00Z'), now: at('2026-01-14T19:30:00Z'), timezone: 'America/Los_Angeles', timing })).toMatchObject({ send: false, code: 'TOO_LATE' });
    expect(decide({ intended: at('2026-01-14T18:00:00Z'), now: at('2026-01-14T18:30:00Z'), timezone: 'America/Los_Angeles', timing })).toEqual({
      send: true,
      at: at('2026-01-14T18:00:00Z'),
      movedBy: null,
    });
  });

  describe('across DST changes', () => {
    it('New York, spring forward: quiet hours end at 08:00 EDT, an hour earlier in UTC than the day before', () => {
      // Sat 7 Mar 23:30 EST -> Sun 8 Mar 08:00 EDT (12:00Z, not 13:00Z).
      expect(sentAt(decide({ intended: at('2026-03-08T04:30:00Z'), now: NOW, timezone: 'America/New_York', timing: LATER }))).toBe('2026-03-08T12:00:00.000Z');
    });

    it('New York, spring forward: the reminder of a Monday 08:30 appointment goes at 20:59 EDT on the Sunday', () => {
      const timing = reminderFor('2026-03-09T12:30:00Z'); // Mon 9 Mar 08:30 EDT
      expect(sentAt(decide({ intended: at('2026-03-09T10:30:00Z'), now: NOW, timezone: 'America/New_York', timing }))).toBe('2026-03-09T00:59:00.000Z');
    });

    it('New York, fall back: Sat 31 Oct 23:00 EDT -> Sun 1 Nov 08:00 EST (13:00Z)', () => {
      expect(sentAt(decide({ intended: at('2026-11-01T03:00:00Z'), now: NOW, timezone: 'America/New_York', timing: LATER }))).toBe('2026-11-01T13:00:00.000Z');
    });

    it('New York, fall back: a message due in the repeated hour (01:30, twice) waits for 08:00 EST', () => {
      expect(sentAt(decide({ intended: at('2026-11-01T06:30:00Z'), now: NOW, timezone: 'America/New_York', timing: LATER }))).toBe('2026-11-01T13:00:00.000Z');
    });

    it('Berlin, spring forward: Sat 28 Mar 22:00 CET -> Sun 29 Mar 08:00 CEST (06:00Z)', () => {
      expect(sentAt(decide({ intended: at('2026-03-28T21:00:00Z'), now: NOW, timezone: 'Europe/Berlin', timing: LATER }))).toBe('2026-03-29T06:00:00.000Z');
    });
  });
});

describe('the frequency cap', () => {
  const NY = 'America/New_York';
  const CAP = { daily: 2, weekly: 6 };
  const monday10 = at('2026-01-12T15:00:00Z'); // 10:00 EST
  const mondayBusy = [at('2026-01-12T13:00:00Z'), at('2026-01-12T14:00:00Z')];

  it('moves a check-in over the daily limit to 08:00 the next day', () => {
    const decision = decide({ intended: monday10, now: at('2026-01-12T14:59:00Z'), timezone: NY, timing: LATER, cap: { limits: CAP, others: mondayBusy } });
    expect(decision).toEqual({ send: true, at: at('2026-01-13T13:00:00Z'), movedBy: 'frequency_cap' });
  });

  it('moves it on until a day has room', () => {
    const tuesdayBusy = [at('2026-01-13T14:00:00Z'), at('2026-01-13T20:00:00Z')];
    const decision = decide({ intended: monday10, now: NOW, timezone: NY, timing: LATER, cap: { limits: CAP, others: [...mondayBusy, ...tuesdayBusy] } });
    expect(sentAt(decision)).toBe('2026-01-14T13:00:00.000Z');
  });

  it('moves it past a full week (6 in the 6 days before) to the first day the week has room', () => {
    const lastWeek = [6, 7, 8, 9, 10, 11].map((d) => at(`2026-01-${String(d).padStart(2, '0')}T15:00:00Z`));
    expect(sentAt(decide({ intended: monday10, now: NOW, timezone: NY, timing: LATER, cap: { limits: CAP, others: lastWeek } }))).toBe('2026-01-13T13:00:00.000Z');
  });

  it('moves a reminder over the limit to the next day while it is still useful', () => {
    const timing = reminderFor('2026-01-14T15:00:00Z'); // Wed 10:00 EST: the 48 h reminder is Mon 10:00
    expect(decide({ intended: monday10, now: NOW, timezone: NY, timing, cap: { limits: CAP, others: mondayBusy } })).toEqual({
      send: true,
      at: at('2026-01-13T13:00:00Z'),
      movedBy: 'frequency_cap',
    });
  });

  it('drops a reminder that the limit would push past its use, with a reason that names no patient', () => {
    const timing = reminderFor('2026-01-12T17:00:00Z'); // Mon 12:00 EST: the 2 h reminder is Mon 10:00
    const decision = decide({ intended: monday10, now: NOW, timezone: NY, timing, cap: { limits: CAP, others: mondayBusy } });
    expect(decision).toEqual({
      send: false,
      code: 'FREQUENCY_CAP',
      reason: 'Within the SMS limit (2 a day, 6 a week) the reminder could only go less than 60 minutes before the appointment',
    });
  });

  it('applies the FCC preset: one a day', () => {
    const decision = decide({ intended: monday10, now: NOW, timezone: NY, timing: LATER, cap: { limits: { daily: 1, weekly: 3 }, others: [mondayBusy[0]!] } });
    expect(sentAt(decision)).toBe('2026-01-13T13:00:00.000Z');
  });

  it('counts the day in the patient’s zone: a check-in moved by the cap lands at 08:00 local in each zone', () => {
    for (const [zone, busy, expected] of [
      ['Europe/Berlin', ['2026-01-12T08:00:00Z', '2026-01-12T09:00:00Z'], '2026-01-13T07:00:00.000Z'],
      ['Asia/Kolkata', ['2026-01-12T04:00:00Z', '2026-01-12T05:00:00Z'], '2026-01-13T02:30:00.000Z'],
      ['America/Los_Angeles', ['2026-01-12T17:00:00Z', '2026-01-12T18:00:00Z'], '2026-01-13T16:00:00.000Z'],
    ] as const) {
      const intended = at(busy[1]!);
      const decision = decide({ intended: new Date(intended.getTime() + 3_600_000), now: NOW, timezone: zone, timing: LATER, cap: { limits: CAP, others: busy.map(at) } });
      expect([zone, sentAt(decision)]).toEqual([zone, expected]);
    }
  });

  it('moves a check-in over the cap across the spring-forward night to 08:00 EDT', () => {
    const saturdayBusy = [at('2026-03-07T15:00:00Z'), at('2026-03-07T16:00:00Z')]; // Sat 7 Mar, EST
    const decision = decide({ intended: at('2026-03-07T20:00:00Z'), now: NOW, timezone: NY, timing: LATER, cap: { limits: CAP, others: saturdayBusy } });
    expect(sentAt(decision)).toBe('2026-03-08T12:00:00.000Z');
  });

  it('does not cap an answer to the patient', () => {
    const decision = decide({ intended: monday10, now: monday10, timezone: NY, timing: { kind: 'at_once' }, cap: { limits: CAP, others: mondayBusy } });
    expect(sentAt(decision)).toBe(monday10.toISOString());
  });

  it('gives up after a month without room', () => {
    const everyDay = Array.from({ length: 40 }, (_, i) => new Date(monday10.getTime() + i * 86_400_000));
    const decision = decide({ intended: monday10, now: NOW, timezone: NY, timing: LATER, cap: { limits: { daily: 1, weekly: 7 }, others: everyDay } });
    expect(decision).toMatchObject({ send: false, code: 'FREQUENCY_CAP' });
  });
});

describe('quiet hours again at send time (a retry, or a job woken late)', () => {
  const NY = 'America/New_York';
  const appointment0830 = at('2026-01-13T13:30:00Z'); // Tue 08:30 EST
  const check = (iso: string, timing: Timing) => decideAtSendTime({ at: at(iso), timezone: NY, quietHours: QH, timing });

  it('a 2-hours-before reminder due 20:59 and retried at 21:00:15 is not sent in the night: too late by 08:00, dropped', () => {
    expect(check('2026-01-13T02:00:15Z', reminderFor(appointment0830.toISOString()))).toMatchObject({ send: false, code: 'TOO_LATE' });
  });

  it('a reminder still of use after the night moves to 08:00, never earlier than now', () => {
    expect(sentAt(check('2026-01-13T02:00:15Z', reminderFor('2026-01-13T16:00:00Z')))).toBe('2026-01-13T13:00:00.000Z');
  });

  it('other messages move to the end of quiet hours; answers to the patient go at once; outside quiet hours nothing moves', () => {
    expect(sentAt(check('2026-01-13T04:00:00Z', LATER))).toBe('2026-01-13T13:00:00.000Z');
    expect(check('2026-01-13T04:00:00Z', { kind: 'at_once' })).toEqual({ send: true, at: at('2026-01-13T04:00:00Z'), movedBy: null });
    expect(check('2026-01-13T15:00:00Z', LATER)).toEqual({ send: true, at: at('2026-01-13T15:00:00Z'), movedBy: null });
  });

  it('takes the stored timing of a row, or infers it from the kind', () => {
    const startsAt = at('2026-01-13T16:00:00Z');
    expect(timingOfRow('reminder', 'reminder', startsAt)).toEqual({ kind: 'reminder', usefulUntil: at('2026-01-13T15:00:00Z') });
    expect(timingOfRow(null, 'reminder', startsAt)).toEqual({ kind: 'reminder', usefulUntil: at('2026-01-13T15:00:00Z') });
    expect(timingOfRow('at_once', 'booking_confirmation', startsAt)).toEqual({ kind: 'at_once' });
    expect(timingOfRow(null, 'checkin', null)).toEqual({ kind: 'later' });
    expect(timingOfRow('reminder', 'reminder', null)).toEqual({ kind: 'later' });
  });
});

describe('the cap again at send time, when a counted SMS goes on another day than it was placed on', () => {
  const NY = 'America/New_York';
  const needs = (sendAt: string, goesAt: string, { counted = true, timing = LATER, timezone = NY }: { counted?: boolean; timing?: Timing; timezone?: string } = {}) =>
    needsCapCheckAtSendTime({ cappedSendAt: counted ? at(sendAt) : null, timing, at: at(goesAt), timezone });

  it('not on the day it was placed on, however late in that day', () => {
    expect(needs('2026-01-12T15:00:00Z', '2026-01-12T15:00:00Z')).toBe(false);
    // Mon 10:00 EST, going Mon 20:59 EST (Tue 01:59 UTC: the UTC date is not the patient's).
    expect(needs('2026-01-12T15:00:00Z', '2026-01-13T01:59:00Z')).toBe(false);
  });

  it('on the next local day: held by quiet hours into the morning, a retry past midnight, a job woken late', () => {
    expect(needs('2026-01-13T01:30:00Z', '2026-01-13T13:00:00Z')).toBe(true); // Mon 20:30 -> Tue 08:00 EST
    expect(needs('2026-01-13T04:59:00Z', '2026-01-13T05:00:30Z')).toBe(true); // Mon 23:59 -> Tue 00:00:30 EST
    // The same instants in Kolkata are one local day (Tue 07:00 and 18:30 IST).
    expect(needs('2026-01-13T01:30:00Z', '2026-01-13T13:00:00Z', { timezone: 'Asia/Kolkata' })).toBe(false);
  });

  it('across the spring-forward night: Saturday 20:30 EST to Sunday 08:00 EDT is another day, Sunday 08:00 to 20:00 EDT is not', () => {
    expect(needs('2026-03-08T01:30:00Z', '2026-03-08T12:00:00Z')).toBe(true);
    expect(needs('2026-03-08T12:00:00Z', '2026-03-09T00:00:00Z')).toBe(false);
  });

  it('never for what the cap does not count: confirmations, e-mail, answers to the patient', () => {
    expect(needs('2026-01-13T01:30:00Z', '2026-01-13T13:00:00Z', { counted: false })).toBe(false);
    expect(needs('2026-01-13T01:30:00Z', '2026-01-13T13:00:00Z', { timing: { kind: 'at_once' } })).toBe(false);
  });
});
