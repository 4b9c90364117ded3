import { describe, expect, it } from '@jest/globals';
import { ActionProblem, checkDecisionFields, chosenBookBy, decisionOf, parseMoment, reassessDueAt, snoozeEnd } from './item-actions.rules.js';

const NOW = new Date('2026-03-02T15:00:00Z'); // a Monday, 10:00 in New York
const NY = 'America/New_York';
const problemOf = (fn: () => unknown) => {
  try {
    fn();
    return null;
  } catch (error) {
    if (error instanceof ActionProblem) return error.field;
    throw error;
  }
};

describe('snoozeEnd', () => {
  it('reads a date as the start of that day in the patient\'s zone', () => {
    expect(snoozeEnd('2026-03-05', NOW, NY).toISOString()).toBe('2026-03-05T05:00:00.000Z');
    expect(snoozeEnd('2026-03-05', NOW, 'Europe/Berlin').toISOString()).toBe('2026-03-04T23:00:00.000Z');
  });

  it('keeps a date-time as given', () => {
    expect(snoozeEnd('2026-03-03T09:30:00-05:00', NOW, NY).toISOString()).toBe('2026-03-03T14:30:00.000Z');
  });

  it('refuses the past, now, and more than 180 days ahead, naming until', () => {
    expect(problemOf(() => snoozeEnd('2026-03-01', NOW, NY))).toBe('until');
    expect(problemOf(() => snoozeEnd(NOW.toISOString(), NOW, NY))).toBe('until');
    expect(problemOf(() => snoozeEnd('2026-12-01', NOW, NY))).toBe('until');
    expect(problemOf(() => parseMoment('soon', NY, 'until'))).toBe('until');
  });
});

describe('chosenBookBy', () => {
  it('takes a date as the end of that local day', () => {
    expect(chosenBookBy('2026-03-20', NOW, NY).toISOString()).toBe('2026-03-21T03:59:59.999Z');
  });
  it('refuses a past date or one more than a year ahead', () => {
    expect(problemOf(() => chosenBookBy('2026-03-01', NOW, NY))).toBe('bookBy');
    expect(problemOf(() => chosenBookBy('2027-06-01', NOW, NY))).toBe('bookBy');
  });
});

describe('reassessDueAt', () => {
  it('is N weeks later at 09:00 local, across the DST change', () => {
    // 2026-03-08 is the US spring-forward: 09:00 EDT is 13:00Z
    expect(reassessDueAt(NOW, 2, NY).toISOString()).toBe('2026-03-16T13:00:00.000Z');
    expect(reassessDueAt(NOW, 1, NY).toISOString()).toBe('2026-03-09T13:00:00.000Z');
  });
  it('takes 1 to 26 whole weeks', () => {
    for (const weeks of [0, 27, 2.5]) expect(problemOf(() => reassessDueAt(NOW, weeks, NY))).toBe('reassessInWeeks');
  });
});

describe('decisionOf', () => {
  it('maps the first API\'s boolean and prefers a named decision', () => {
    expect(decisionOf({ repeatInjection: true })).toBe('repeat');
    expect(decisionOf({ repeatInjection: false })).toBe('no_repeat');
    expect(decisionOf({ decision: 'reassess' })).toBe('reassess');
    expect(decisionOf({ decision: 'repeat', repeatInjection: true })).toBe('repeat');
  });
  it('refuses a contradiction or nothing at all', () => {
    expect(problemOf(() => decisionOf({ decision: 'reassess', repeatInjection: true }))).toBe('repeatInjection');
    expect(problemOf(() => decisionOf({}))).toBe('decision');
  });
});

describe('checkDecisionFields', () => {
  it('wants weeks for reassess and nothing that belongs to another decision', () => {
    expect(problemOf(() => checkDecisionFields('reassess', {}))).toBe('reassessInWeeks');
    expect(problemOf(() => checkDecisionFields('reassess', { reassessInWeeks: 4 }))).toBeNull();
    expect(problemOf(() => checkDecisionFields('repeat', { reassessInWeeks: 4 }))).toBe('reassessInWeeks');
    expect(problemOf(() => checkDecisionFields('no_repeat', { bookBy: '2026-04-01' }))).toBe('bookBy');
    expect(problemOf(() => checkDecisionFields('repeat', { outcome: 'improved' }))).toBe('outcome');
  });
});
