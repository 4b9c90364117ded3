import { describe, expect, it } from '@jest/globals';
import { cappedTime, countsTowardCap, fitsUnderCap, localDayNumber } from './frequency-cap.rule.js';

const NY = 'America/New_York';
const at = (iso: string) => new Date(iso);
const DEFAULT = { daily: 2, weekly: 6 };
const FCC = { daily: 1, weekly: 3 };

describe('what counts', () => {
  it.each(['reminder', 'aftercare', 'checkin'])('%s counts', (kind) => expect(countsTowardCap(kind)).toBe(true));
  it.each([
    'booking_confirmation',
    'rescheduled',
    'cancellation',
    'follow_up_booked',
    'appointment_confirmed',
    'checkin_thanks',
    'message_received',
    'opted_out',
    'help',
    'waitlist_offer',
    'waitlist_taken',
  ])('%s does not', (kind) => expect(countsTowardCap(kind)).toBe(false));
});

describe('localDayNumber', () => {
  it('is the local calendar day, not the UTC one', () => {
    // 23:30 in New York on 14 Jan is already 15 Jan in UTC.
    expect(localDayNumber(at('2026-01-15T04:30:00Z'), NY)).toBe(localDayNumber(at('2026-01-14T15:00:00Z'), NY));
    expect(localDayNumber(at('2026-01-15T04:30:00Z'), 'UTC')).toBe(localDayNumber(at('2026-01-14T15:00:00Z'), 'UTC') + 1);
  });

  it('counts the short and the long day of a DST change as one day each', () => {
    const sat = localDayNumber(at('2026-03-07T17:00:00Z'), NY);
    expect(localDayNumber(at('2026-03-08T04:59:00Z'), NY)).toBe(sat); // 23:59 EST Saturday
    expect(localDayNumber(at('2026-03-08T05:00:00Z'), NY)).toBe(sat + 1); // 00:00 EST Sunday
    expect(localDayNumber(at('2026-03-09T03:59:00Z'), NY)).toBe(sat + 1); // 23:59 EDT Sunday (23 h later)
    expect(localDayNumber(at('2026-11-02T04:59:00Z'), NY)).toBe(localDayNumber(at('2026-11-01T04:00:00Z'), NY)); // the 25-hour Sunday
  });
});

describe('fitsUnderCap', () => {
  const monday10 = at('2026-01-12T15:00:00Z'); // Mon 12 Jan, 10:00 EST

  it('allows the first and second message of a day, not the third', () => {
    expect(fitsUnderCap(monday10, [], NY, DEFAULT)).toBe(true);
    expect(fitsUnderCap(monday10, [at('2026-01-12T13:00:00Z')], NY, DEFAULT)).toBe(true);
    expect(fitsUnderCap(monday10, [at('2026-01-12T13:00:00Z'), at('2026-01-12T20:00:00Z')], NY, DEFAULT)).toBe(false);
  });

  it('allows one a day under the FCC preset', () => {
    expect(fitsUnderCap(monday10, [at('2026-01-12T13:00:00Z')], NY, FCC)).toBe(false);
    expect(fitsUnderCap(monday10, [at('2026-01-11T13:00:00Z')], NY, FCC)).toBe(true);
  });

  it('counts by the patient’s local day: last night’s late text is yesterday’s', () => {
    const sundayNightLocal = at('2026-01-12T03:30:00Z'); // Sun 22:30 EST, Monday in UTC
    expect(fitsUnderCap(monday10, [sundayNightLocal], NY, FCC)).toBe(true);
    expect(fitsUnderCap(monday10, [sundayNightLocal], 'UTC', FCC)).toBe(false);
  });

  it('keeps any 7 days within the weekly limit, past and future messages alike', () => {
    const daily = (fromDay: number, n: number) => Array.from({ length: n }, (_, i) => at(`2026-01-${String(fromDay + i).padStart(2, '0')}T15:00:00Z`));
    // One a day on the six days before: the seventh would make 7 in a week.
    expect(fitsUnderCap(monday10, daily(6, 6), NY, DEFAULT)).toBe(false);
    expect(fitsUnderCap(monday10, daily(7, 5), NY, DEFAULT)).toBe(true);
    // One a day on the six days after: placing one today tips the week that starts today.
    expect(fitsUnderCap(monday10, daily(13, 6), NY, DEFAULT)).toBe(false);
    // Three before and three after, seven days apart: each window holds at most 6.
    expect(fitsUnderCap(monday10, [...daily(3, 3), ...daily(20, 3)], NY, DEFAULT)).toBe(true);
    expect(fitsUnderCap(monday10, [...daily(9, 3)], NY, FCC)).toBe(false);
  });

  it('counts a week across a DST change by local days', () => {
    // Seven local days from Sun 8 Mar (23 h long): messages at 10:00 local each day.
    const tenLocal = ['2026-03-08T14:00:00Z', '2026-03-09T14:00:00Z', '2026-03-10T14:00:00Z'].map(at);
    expect(fitsUnderCap(at('2026-03-07T15:00:00Z'), tenLocal, NY, FCC)).toBe(false); // Sat 7 + the three = 4 in a week
    expect(fitsUnderCap(at('2026-03-04T15:00:00Z'), tenLocal, NY, FCC)).toBe(false); // Wed 4 to Tue 10 would hold 4
    expect(fitsUnderCap(at('2026-03-03T15:00:00Z'), tenLocal, NY, FCC)).toBe(true); // Tue 3 to Mon 9 holds 3
  });
});

describe('the time a counted SMS counts at (the day it goes or went)', () => {
  // Monday 27 October 2025, New York (EDT): a check-in meant for 23:50.
  const row = { status: 'scheduled', dueAt: at('2025-10-28T03:50:00Z'), sentAt: null, unconfirmedSince: null, updatedAt: at('2025-10-27T14:00:00Z') };

  it('a pending one at its due time: a retry held into the next morning counts on that morning', () => {
    expect(cappedTime(row)).toEqual(at('2025-10-28T03:50:00Z'));
    expect(cappedTime({ ...row, status: 'queued', dueAt: at('2025-10-28T12:00:00Z') })).toEqual(at('2025-10-28T12:00:00Z'));
  });

  it('a sent one when it went', () => {
    expect(cappedTime({ ...row, status: 'delivered', sentAt: at('2025-10-28T03:50:02Z') })).toEqual(at('2025-10-28T03:50:02Z'));
  });

  it('one being sent at its claim, not at the end of the claim\'s lease (past midnight here)', () => {
    expect(cappedTime({ ...row, status: 'sending', dueAt: at('2025-10-28T04:00:30Z'), updatedAt: at('2025-10-28T03:59:45Z') })).toEqual(at('2025-10-28T03:59:45Z'));
  });

  it('one whose call may have gone (no answer at 23:50, retried Tuesday 08:00) from that call on: it may have reached the patient on Monday', () => {
    const retried = { ...row, status: 'queued', dueAt: at('2025-10-28T12:00:00Z'), unconfirmedSince: at('2025-10-28T03:50:00Z') };
    expect(localDayNumber(cappedTime(retried), NY)).toBe(localDayNumber(at('2025-10-27T16:00:00Z'), NY));
  });
});
