import { describe, expect, it } from '@jest/globals';
import {
  BOOKING_TASK_REASONS,
  isUuid,
  rebookBookBy,
  rebookCause,
  REBOOK_WITHIN_DAYS,
  REPEAT_INJECTION_BOOK_WITHIN_DAYS,
  repeatInjectionBookBy,
  repeatInjectionDueAt,
  defaultVisitWindowEnd,
} from './booking-task.rules.js';

const NY = 'America/New_York';

describe('repeatInjectionBookBy', () => {
  it('gives four weeks from the decision', () => {
    expect(REPEAT_INJECTION_BOOK_WITHIN_DAYS).toBe(28);
    expect(repeatInjectionBookBy(new Date('2025-01-06T15:00:00Z'), NY).toISOString()).toBe('2025-02-03T15:00:00.000Z');
  });

  it('counts calendar days in the patient zone, so the local time survives a DST change', () => {
    // 10:00 in New York on 2025-03-01 (EST) is 10:00 on 2025-03-29 (EDT): one hour less in UTC.
    expect(repeatInjectionBookBy(new Date('2025-03-01T15:00:00Z'), NY).toISOString()).toBe('2025-03-29T14:00:00.000Z');
  });
});

describe('repeatInjectionDueAt', () => {
  it('is the book-by date when it is sooner than two weeks', () => {
    const decided = new Date('2025-01-06T15:00:00Z');
    const bookBy = new Date('2025-01-10T15:00:00Z');
    expect(repeatInjectionDueAt(decided, bookBy, NY)).toBe(bookBy);
  });

  it('is two calendar weeks after the decision in the patient zone otherwise, at the same local time across DST', () => {
    // Decided at 10:00 EST on 2027-03-08; two weeks later is 10:00 EDT on 2027-03-22, not 11:00.
    const decided = new Date('2027-03-08T15:00:00Z');
    expect(repeatInjectionDueAt(decided, repeatInjectionBookBy(decided, NY), NY).toISOString()).toBe('2027-03-22T14:00:00.000Z');
    // Late evening stays on its local day: 23:30 EST on 2027-03-08 is 23:30 EDT on 2027-03-22.
    const late = new Date('2027-03-09T04:30:00Z');
    expect(repeatInjectionDueAt(late, repeatInjectionBookBy(late, NY), NY).toISOString()).toBe('2027-03-23T03:30:00.000Z');
  });
});

describe('defaultVisitWindowEnd', () => {
  it('is two calendar days after the visit came due in the patient zone, across either DST change', () => {
    // 10:00 EST on Saturday 2027-03-13 → 10:00 EDT on Monday 2027-03-15 (47 hours later).
    expect(defaultVisitWindowEnd(new Date('2027-03-13T15:00:00Z'), NY).toISOString()).toBe('2027-03-15T14:00:00.000Z');
    // 10:00 EDT on Saturday 2027-11-06 → 10:00 EST on Monday 2027-11-08 (49 hours later).
    expect(defaultVisitWindowEnd(new Date('2027-11-06T14:00:00Z'), NY).toISOString()).toBe('2027-11-08T15:00:00.000Z');
  });
});

describe('rebookBookBy', () => {
  const at = new Date('2025-05-10T14:00:00Z');

  it('keeps the original window end while it is still ahead', () => {
    const windowEnd = new Date('2025-05-12T03:59:59Z');
    expect(rebookBookBy(windowEnd, at, NY)).toBe(windowEnd);
  });

  it('gives a week once the window has passed, or when there is none', () => {
    expect(REBOOK_WITHIN_DAYS).toBe(7);
    const week = '2025-05-17T14:00:00.000Z';
    expect(rebookBookBy(new Date('2025-05-09T03:59:59Z'), at, NY).toISOString()).toBe(week);
    expect(rebookBookBy(at, at, NY).toISOString()).toBe(week); // ends right now: passed
    expect(rebookBookBy(null, at, NY).toISOString()).toBe(week);
  });
});

describe('rebookCause', () => {
  it('is one key per appointment change', () => {
    expect(rebookCause(0)).toBe('rebook:0');
    expect(rebookCause(3)).not.toBe(rebookCause(4));
  });
});

describe('BOOKING_TASK_REASONS', () => {
  it('say what to book in words for the front desk: no scores, answers or raw timestamps', () => {
    const texts = [BOOKING_TASK_REASONS.follow_up_visit, BOOKING_TASK_REASONS.repeat_injection, BOOKING_TASK_REASONS.reschedule_request, ...Object.values(BOOKING_TASK_REASONS.rebook)];
    for (const text of texts) {
      expect(text).not.toMatch(/\d/);
      expect(text).not.toMatch(/pain|score|answer|check-in/i);
    }
    expect(BOOKING_TASK_REASONS.rebook).toEqual({
      cancelled: 'Follow-up visit was cancelled — book a new one',
      no_show: 'Patient missed the follow-up visit — book a new one',
    });
    // The journey suite finds the tasks by these words.
    expect(BOOKING_TASK_REASONS.repeat_injection).toMatch(/repeat injection/i);
    expect(BOOKING_TASK_REASONS.reschedule_request).toMatch(/reschedule/i);
  });
});

describe('isUuid', () => {
  it('accepts what PostgreSQL takes as a uuid and nothing else', () => {
    expect(isUuid('7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f')).toBe(true);
    expect(isUuid('7D3F0C1E-8A4B-4C2D-9E5F-0A1B2C3D4E5F')).toBe(true);
    for (const bad of ['', 'task-1', '7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5', null, undefined, 42]) expect(isUuid(bad)).toBe(false);
  });
});
