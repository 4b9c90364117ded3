import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { DEFAULT_QUIET_HOURS } from '@aftercare/clock';
import { planResume, transition, type PausedStep } from './care-plan.lifecycle.js';

const NY = 'America/New_York';
const utc = (iso: string) => new Date(iso);
const local = (d: Date) => DateTime.fromJSDate(d, { zone: NY }).toFormat('yyyy-MM-dd HH:mm ZZZZ');
const step = (id: string, kind: PausedStep['kind'], dueAt: string, window?: [string, string]): PausedStep => ({
  id,
  kind,
  dueAt: utc(dueAt),
  windowStart: window ? utc(window[0]) : null,
  windowEnd: window ? utc(window[1]) : null,
});

describe('care plan transitions', () => {
  it('pauses only an active plan, resumes only a paused one, cancels or supersedes either, never an ended one', () => {
    expect(transition('active', 'pause')).toBe('paused');
    expect(transition('paused', 'pause')).toBeNull();
    expect(transition('paused', 'resume')).toBe('active');
    expect(transition('active', 'resume')).toBeNull();
    expect(transition('active', 'cancel')).toBe('cancelled');
    expect(transition('paused', 'cancel')).toBe('cancelled');
    expect(transition('paused', 'supersede')).toBe('superseded');
    for (const ended of ['completed', 'cancelled', 'superseded'] as const) {
      for (const action of ['pause', 'resume', 'cancel', 'supersede'] as const) expect(transition(ended, action)).toBeNull();
    }
  });
});

describe('planResume', () => {
  const input = { resumedAt: utc('2025-03-10T14:00:00Z'), timezone: NY, quietHours: DEFAULT_QUIET_HOURS }; // Mon 10:00 EDT

  it('keeps the due time of a step still ahead: the plan stays anchored to the procedure', () => {
    const later = step('s1', 'checkin', '2025-03-19T14:00:00Z');
    expect(planResume([later], input)).toEqual([{ id: 's1', action: 'schedule', dueAt: later.dueAt, windowStart: null, windowEnd: null }]);
  });

  it('skips patient messages that came due while paused', () => {
    expect(planResume([step('a', 'aftercare', '2025-03-06T20:00:00Z'), step('c', 'checkin', '2025-03-08T15:00:00Z')], input)).toEqual([
      { id: 'a', action: 'skip' },
      { id: 'c', action: 'skip' },
    ]);
  });

  it('makes the clinic’s work due at once, and moves the visit’s window by the local days it was late, across the DST change', () => {
    // Booking due Fri 2025-03-07 10:00 EST; window Mon 03-10 00:00 EDT … Sat 03-15 00:00 EDT (whole local days).
    const visit = step('v', 'follow_up_visit', '2025-03-07T15:00:00Z', ['2025-03-10T04:00:00Z', '2025-03-15T04:00:00Z']);
    const evaluation = step('e', 'repeat_evaluation', '2025-03-08T15:00:00Z');
    const [v, e] = planResume([visit, evaluation], input);
    expect(v).toMatchObject({ action: 'schedule', dueAt: input.resumedAt });
    if (v!.action !== 'schedule') throw new Error('scheduled');
    // Three local days late (Fri → Mon): the window starts Thu 03-13 00:00 local and ends Tue 03-18 00:00 local.
    expect(local(v!.windowStart!)).toBe('2025-03-13 00:00 EDT');
    expect(local(v!.windowEnd!)).toBe('2025-03-18 00:00 EDT');
    expect(e).toEqual({ id: 'e', action: 'schedule', dueAt: input.resumedAt, windowStart: null, windowEnd: null });
  });

  it('never makes a step due inside quiet hours: resumed at 23:30 local, the overdue evaluation is due at 08:00', () => {
    const night = { ...input, resumedAt: utc('2025-03-09T03:30:00Z') }; // Sat 22:30 EST → next allowed Sun 08:00 EDT
    const [e] = planResume([step('e', 'repeat_evaluation', '2025-03-08T15:00:00Z')], night);
    if (e!.action !== 'schedule') throw new Error('scheduled');
    expect(local(e!.dueAt)).toBe('2025-03-09 08:00 EDT');
  });
});
