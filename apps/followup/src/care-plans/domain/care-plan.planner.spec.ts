import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { DEFAULT_QUIET_HOURS } from '@aftercare/clock';
import { planCarePlan, type PlannedStep } from './care-plan.planner.js';
import {
  BMAC_STANDARD,
  CONSULTATION_STANDARD,
  DEFAULT_PROTOCOLS,
  FOLLOW_UP_VISIT_STANDARD,
  validateProtocol,
  type ProtocolDefinition,
  type ProtocolStep,
} from './protocol.js';

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const utc = (iso: string): Date => new Date(iso);

/** A one-off protocol around the given steps. */
const protocolOf = (...steps: ProtocolStep[]): ProtocolDefinition => ({
  code: 'test',
  version: 1,
  procedureType: 'bmac_injection',
  name: 'test',
  steps,
});

const byKey = (plan: PlannedStep[]): Record<string, PlannedStep> => Object.fromEntries(plan.map((s) => [s.key, s]));
const local = (d: Date, zone: string): string => DateTime.fromJSDate(d, { zone }).toFormat("yyyy-MM-dd HH:mm ZZZZ");

describe('planCarePlan: days, local time and DST', () => {
  it('+7 days at 10:00 stays 10:00 in New York across the March change (2025-03-12T14:00Z, not 15:00Z)', () => {
    const plan = planCarePlan(protocolOf({ key: 'c', kind: 'checkin', offset: { days: 7 }, at: '10:00' }), {
      completedAt: utc('2025-03-05T20:00:00Z'), // 15:00 EST
      timezone: NY,
      quietHours: DEFAULT_QUIET_HOURS,
    });
    expect(plan[0].dueAt).toEqual(utc('2025-03-12T14:00:00Z')); // 10:00 EDT
  });

  it('+7 days at 10:00 stays 10:00 in Berlin across its change (2025-04-01T08:00Z)', () => {
    const plan = planCarePlan(protocolOf({ key: 'c', kind: 'checkin', offset: { days: 7 }, at: '10:00' }), {
      completedAt: utc('2025-03-25T14:00:00Z'), // 15:00 CET
      timezone: BERLIN,
      quietHours: DEFAULT_QUIET_HOURS,
    });
    expect(plan[0].dueAt).toEqual(utc('2025-04-01T08:00:00Z')); // 10:00 CEST
  });

  it('+7 days without `at` keeps the local time of completion across the change', () => {
    const plan = planCarePlan(protocolOf({ key: 'c', kind: 'checkin', offset: { days: 7 } }), {
      completedAt: utc('2025-03-05T20:00:00Z'), // 15:00 EST
      timezone: NY,
      quietHours: DEFAULT_QUIET_HOURS,
    });
    expect(plan[0].dueAt).toEqual(utc('2025-03-12T19:00:00Z')); // 15:00 EDT
  });

  it('hours are elapsed time, not wall-clock time', () => {
    // 01:00 EST on the night of the change + 2 h = 04:00 EDT (the clock shows three hours later).
    const plan = planCarePlan(protocolOf({ key: 'a', kind: 'aftercare', offset: { hours: 2 } }), {
      completedAt: utc('2025-03-09T06:00:00Z'),
      timezone: NY,
      quietHours: { start: '23:30', end: '23:45' }, // keep quiet hours out of the way
    });
    expect(plan[0].dueAt).toEqual(utc('2025-03-09T08:00:00Z'));
    expect(local(plan[0].dueAt, NY)).toBe('2025-03-09 04:00 EDT');
  });

  it('hours and minutes are added after `at`', () => {
    const plan = planCarePlan(
      protocolOf({ key: 'c', kind: 'checkin', offset: { days: 1, hours: 2, minutes: 30 }, at: '10:00' }),
      { completedAt: utc('2025-06-02T13:00:00Z'), timezone: BERLIN, quietHours: DEFAULT_QUIET_HOURS },
    );
    expect(local(plan[0].dueAt, BERLIN)).toBe('2025-06-03 12:30 GMT+2');
  });
});

describe('planCarePlan: quiet hours', () => {
  it('bmac-standard completed at 20:00: aftercare +2 h would be 22:00 (quiet), so it moves to 08:00 the next morning', () => {
    const plan = byKey(
      planCarePlan(BMAC_STANDARD, { completedAt: utc('2025-03-06T01:00:00Z'), timezone: NY, quietHours: DEFAULT_QUIET_HOURS }),
    );
    expect(local(plan.aftercare.dueAt, NY)).toBe('2025-03-06 08:00 EST');
    expect(plan.aftercare.dueAt).toEqual(utc('2025-03-06T13:00:00Z'));
  });

  it("uses the patient's own quiet hours, including a window that does not wrap midnight", () => {
    const plan = planCarePlan(protocolOf({ key: 'c', kind: 'checkin', offset: { days: 1 }, at: '10:00' }), {
      completedAt: utc('2025-06-02T13:00:00Z'),
      timezone: BERLIN,
      quietHours: { start: '09:00', end: '11:15' },
    });
    expect(local(plan[0].dueAt, BERLIN)).toBe('2025-06-03 11:15 GMT+2');
  });
});

describe('planCarePlan: bmac-standard', () => {
  // Completed Wednesday 2025-03-05 15:00 EST; New York moves to EDT on 2025-03-09.
  const plan = planCarePlan(BMAC_STANDARD, { completedAt: utc('2025-03-05T20:00:00Z'), timezone: NY, quietHours: DEFAULT_QUIET_HOURS });
  const steps = byKey(plan);

  it('plans every step of the protocol once', () => {
    expect(plan.map((s) => s.key).sort()).toEqual(BMAC_STANDARD.steps.map((s) => s.key).sort());
  });

  it('puts every step at the right local time', () => {
    expect(local(steps['aftercare'].dueAt, NY)).toBe('2025-03-05 17:00 EST');
    expect(local(steps['checkin-day-1'].dueAt, NY)).toBe('2025-03-06 10:00 EST');
    expect(local(steps['checkin-day-3'].dueAt, NY)).toBe('2025-03-08 10:00 EST');
    // Booked five days before its window (days 12–16) opens: day 7 at 10:00.
    expect(local(steps['follow-up-visit'].dueAt, NY)).toBe('2025-03-12 10:00 EDT');
    expect(local(steps['checkin-week-2'].dueAt, NY)).toBe('2025-03-19 10:00 EDT');
    expect(local(steps['checkin-week-4'].dueAt, NY)).toBe('2025-04-02 10:00 EDT');
    expect(local(steps['checkin-week-6'].dueAt, NY)).toBe('2025-04-16 10:00 EDT');
    expect(local(steps['repeat-evaluation'].dueAt, NY)).toBe('2025-04-16 10:00 EDT');
  });

  it('gives the follow-up visit a window of whole local days 12–16, end exclusive', () => {
    const win = steps['follow-up-visit'].window;
    expect(win).not.toBeNull();
    expect(win!.from).toEqual(utc('2025-03-17T04:00:00Z')); // 2025-03-17 00:00 EDT (day 12)
    expect(win!.to).toEqual(utc('2025-03-22T04:00:00Z')); // 2025-03-22 00:00 EDT (end of day 16)
    for (const s of plan.filter((p) => p.kind !== 'follow_up_visit')) expect(s.window).toBeNull();
  });

  it('sorts by due time, ties in protocol order', () => {
    expect(plan.map((s) => s.key)).toEqual([
      'aftercare',
      'checkin-day-1',
      'checkin-day-3',
      'follow-up-visit', // booked on day 7, ahead of its window
      'checkin-week-2',
      'checkin-week-4',
      'checkin-week-6', // same instant as the evaluation; first in the protocol
      'repeat-evaluation',
    ]);
  });

  it('keeps the plan kinds of the protocol', () => {
    expect(steps['aftercare'].kind).toBe('aftercare');
    expect(steps['follow-up-visit'].kind).toBe('follow_up_visit');
    expect(steps['repeat-evaluation'].kind).toBe('repeat_evaluation');
  });
});

describe("planCarePlan: the patient's zone, not the clinic's", () => {
  // Completed 2025-03-05T20:00Z: 15:00 at the clinic in New York, 21:00 at the patient's home in Berlin.
  const plan = byKey(
    planCarePlan(BMAC_STANDARD, { completedAt: utc('2025-03-05T20:00:00Z'), timezone: BERLIN, quietHours: DEFAULT_QUIET_HOURS }),
  );

  it('computes local times in Berlin', () => {
    // +2 h is 23:00 in Berlin: quiet, so 08:00 the next morning there.
    expect(plan['aftercare'].dueAt).toEqual(utc('2025-03-06T07:00:00Z'));
    expect(local(plan['checkin-day-1'].dueAt, BERLIN)).toBe('2025-03-06 10:00 GMT+1');
    // Berlin changes on 2025-03-30, so week 4 (2025-04-02) is already summer time there.
    expect(local(plan['checkin-week-4'].dueAt, BERLIN)).toBe('2025-04-02 10:00 GMT+2');
    expect(plan['checkin-week-4'].dueAt).toEqual(utc('2025-04-02T08:00:00Z'));
  });

  it("counts days from the patient's local date, which can differ from the clinic's", () => {
    // 2025-03-05T23:30Z is still 18:30 on the 5th in New York but already 00:30 on the 6th in Berlin.
    const late = byKey(
      planCarePlan(BMAC_STANDARD, { completedAt: utc('2025-03-05T23:30:00Z'), timezone: BERLIN, quietHours: DEFAULT_QUIET_HOURS }),
    );
    expect(local(late['checkin-day-1'].dueAt, BERLIN)).toBe('2025-03-07 10:00 GMT+1');
    expect(late['follow-up-visit'].window!.from).toEqual(utc('2025-03-17T23:00:00Z')); // 2025-03-18 00:00 CET
  });
});

describe('planCarePlan: bad input', () => {
  it('refuses an invalid protocol, naming the problems', () => {
    const bad = protocolOf({ key: 'x', kind: 'checkin', offset: { days: -1 } });
    expect(() => planCarePlan(bad, { completedAt: new Date(), timezone: NY, quietHours: DEFAULT_QUIET_HOURS })).toThrow(/offset\.days/);
  });

  it('refuses an unknown time zone', () => {
    expect(() =>
      planCarePlan(BMAC_STANDARD, { completedAt: new Date(), timezone: 'Nowhere/Land', quietHours: DEFAULT_QUIET_HOURS }),
    ).toThrow(/Nowhere\/Land/);
  });
});

describe('protocols', () => {
  it('the default protocols are valid and cover the three procedure types', () => {
    for (const p of DEFAULT_PROTOCOLS) expect(validateProtocol(p)).toEqual([]);
    expect(DEFAULT_PROTOCOLS.map((p) => p.procedureType).sort()).toEqual(['bmac_injection', 'consultation', 'follow_up_visit']);
    expect(DEFAULT_PROTOCOLS).toEqual(expect.arrayContaining([BMAC_STANDARD, CONSULTATION_STANDARD, FOLLOW_UP_VISIT_STANDARD]));
  });

  it('bmac-standard is version 1 of bmac_injection with the steps of PRODUCT.md', () => {
    expect(BMAC_STANDARD).toMatchObject({ code: 'bmac-standard', version: 1, procedureType: 'bmac_injection' });
    expect(BMAC_STANDARD.steps).toEqual([
      { key: 'aftercare', kind: 'aftercare', offset: { hours: 2 } },
      { key: 'checkin-day-1', kind: 'checkin', offset: { days: 1 }, at: '10:00' },
      { key: 'checkin-day-3', kind: 'checkin', offset: { days: 3 }, at: '10:00' },
      { key: 'follow-up-visit', kind: 'follow_up_visit', offset: { days: 14 }, window: { fromDays: 12, toDays: 16 }, bookAheadDays: 5 },
      { key: 'checkin-week-2', kind: 'checkin', offset: { days: 14 }, at: '10:00' },
      { key: 'checkin-week-4', kind: 'checkin', offset: { days: 28 }, at: '10:00' },
      { key: 'checkin-week-6', kind: 'checkin', offset: { days: 42 }, at: '10:00' },
      { key: 'repeat-evaluation', kind: 'repeat_evaluation', offset: { days: 42 }, at: '10:00' },
    ]);
  });

  it('validateProtocol reports duplicate keys, negative offsets, bad times and misplaced or inverted windows', () => {
    const problems = validateProtocol(
      protocolOf(
        { key: 'a', kind: 'checkin', offset: { days: 1 } },
        { key: 'a', kind: 'checkin', offset: { days: 2 } },
        { key: 'neg', kind: 'checkin', offset: { hours: -2 } },
        { key: 'time', kind: 'checkin', offset: { days: 1 }, at: '25:00' },
        { key: 'win-on-checkin', kind: 'checkin', offset: { days: 1 }, window: { fromDays: 1, toDays: 2 } },
        { key: 'inverted', kind: 'follow_up_visit', offset: { days: 14 }, window: { fromDays: 16, toDays: 12 } },
      ),
    );
    expect(problems).toEqual([
      'steps.1.key "a" is already the key of steps.0; keys must be unique',
      'steps.2.offset.hours must be a whole number >= 0 (got -2)',
      `steps.3.at "25:00" is not a valid local time 'HH:mm' (00:00–23:59)`,
      'steps.4.window is only allowed on a follow_up_visit step',
      'steps.5.window.fromDays (16) must not be after window.toDays (12)',
    ]);
  });

  it('validateProtocol reports a protocol without steps or identity', () => {
    expect(validateProtocol({ code: '', version: 0, procedureType: '', name: '', steps: [] })).toEqual([
      'code is required',
      'version must be a positive integer (got 0)',
      'procedureType is required',
      'name is required',
      'steps must list at least one step',
    ]);
  });
});
