import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import type { ProcedureOutcome } from '@aftercare/contracts';
import { daysSinceProcedure, outcomeDefinitions, procedureOutcome, summarizeOutcomes, type PlanInput, type ScoreInput } from './outcomes.calculator.js';

const ZONE = 'America/New_York';
const local = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toJSDate();

const plan = (over: Partial<PlanInput> = {}): PlanInput => ({
  id: 'plan-1',
  patientId: 'patient-1',
  appointmentId: 'appt-1',
  clinicianId: 'clin-1',
  procedureType: 'bmac_injection',
  protocolCode: 'bmac-standard',
  protocolVersion: 1,
  status: 'active',
  procedureCompletedAt: local('2026-04-06T15:00'),
  site: 'left knee',
  timezone: ZONE,
  ...over,
});

let n = 0;
const score = (at: string, value: number, over: Partial<ScoreInput> = {}): ScoreInput => ({
  id: `score-${++n}`,
  score: value,
  answeredAt: local(at),
  carePlanId: 'plan-1',
  stepId: null,
  stepKey: null,
  messageId: `msg-${n}`,
  ...over,
});

const outcomeOf = (scores: ScoreInput[], over: { plan?: Partial<PlanInput>; sameTypeProcedures?: Date[]; repeatBooked?: boolean } = {}) =>
  procedureOutcome({ plan: plan(over.plan), patientScores: scores, sameTypeProcedures: over.sameTypeProcedures ?? [], repeatBooked: over.repeatBooked ?? false });

describe('daysSinceProcedure', () => {
  it('counts local calendar days: the procedure day is day 0, 10:00 the next morning is day 1', () => {
    const at = local('2026-04-06T15:00');
    expect(daysSinceProcedure(at, local('2026-04-06T20:00'), ZONE)).toBe(0);
    expect(daysSinceProcedure(at, local('2026-04-07T10:00'), ZONE)).toBe(1); // 19 hours later
    expect(daysSinceProcedure(at, local('2026-05-18T10:00'), ZONE)).toBe(42);
    expect(daysSinceProcedure(at, local('2026-04-05T10:00'), ZONE)).toBe(-1);
  });

  it('is not shifted by the spring DST change (a 23-hour day in between)', () => {
    // 2026-03-08: clocks go forward in New York. 13 days 23 h 45 min elapse, but it is day 14.
    const procedure = local('2026-03-01T23:30');
    const answer = local('2026-03-15T00:15');
    expect((answer.getTime() - procedure.getTime()) / 86_400_000).toBeLessThan(14);
    expect(daysSinceProcedure(procedure, answer, ZONE)).toBe(14);
  });

  it('is not shifted by the autumn DST change (a 25-hour day in between)', () => {
    // 2026-11-01: clocks go back. 8 days 15 min elapse, but it is day 7.
    const procedure = local('2026-10-25T00:30');
    const answer = local('2026-11-01T23:45');
    expect((answer.getTime() - procedure.getTime()) / 86_400_000).toBeGreaterThan(8);
    expect(daysSinceProcedure(procedure, answer, ZONE)).toBe(7);
  });

  it("counts in the patient's zone, not UTC's", () => {
    // 22:00 in New York is already the next day in UTC.
    const procedure = local('2026-04-06T09:00');
    expect(daysSinceProcedure(procedure, local('2026-04-06T22:00'), ZONE)).toBe(0);
    expect(daysSinceProcedure(procedure, local('2026-04-06T22:00'), 'UTC')).toBe(1);
  });
});

describe('procedureOutcome', () => {
  it('puts the plan’s scores in time order with their day, step and message', () => {
    const o = outcomeOf([
      score('2026-04-09T10:05', 5, { stepId: 'step-3', stepKey: 'checkin-day-3' }),
      score('2026-04-07T10:10', 7, { stepId: 'step-1', stepKey: 'checkin-day-1' }),
      score('2026-04-20T10:00', 4, { carePlanId: 'another-plan' }),
    ]);
    expect(o.scores.map((s) => [s.day, s.score, s.stepKey])).toEqual([
      [1, 7, 'checkin-day-1'],
      [3, 5, 'checkin-day-3'],
    ]);
    expect(o.scores[0]).toMatchObject({ messageId: expect.stringMatching(/^msg-/), answeredAt: local('2026-04-07T10:10').toISOString() });
    expect(o).toMatchObject({ procedureDate: local('2026-04-06T15:00').toISOString(), site: 'left knee', protocol: 'bmac-standard' });
  });

  it('takes the first score after the procedure as the baseline and the score nearest day 42 as week 6', () => {
    const o = outcomeOf([score('2026-04-07T10:00', 7), score('2026-04-09T10:00', 6), score('2026-05-16T10:00', 4), score('2026-05-19T10:00', 3)]);
    expect(o.baseline).toMatchObject({ day: 1, score: 7, source: 'post_procedure' });
    expect(o.week6).toMatchObject({ day: 43, score: 3 }); // 43 is nearer 42 than 40
    expect(o.improvement).toBe(4);
    expect(o.improved).toBe(true);
  });

  it('prefers a score from the 30 days before the procedure as the baseline', () => {
    const o = outcomeOf([
      score('2026-02-20T10:00', 9, { carePlanId: null }), // 45 days before: too old
      score('2026-03-30T10:00', 8, { carePlanId: 'older-plan' }), // 7 days before
      score('2026-04-07T10:00', 5),
      score('2026-05-18T10:00', 6),
    ]);
    expect(o.baseline).toMatchObject({ score: 8, day: -7, source: 'pre_procedure' });
    expect(o.scores.map((s) => s.score)).toEqual([5, 6]); // the series is the plan's own
    expect(o.improvement).toBe(2);
    expect(o.improved).toBe(true); // exactly 2 points counts
  });

  it('has no baseline when the first score comes after day 7, and then no verdict', () => {
    const o = outcomeOf([score('2026-04-20T10:00', 6), score('2026-05-18T10:00', 2)]);
    expect(o.baseline).toBeNull();
    expect(o.week6).toMatchObject({ day: 42 });
    expect(o.improvement).toBeNull();
    expect(o.improved).toBeNull();
  });

  it('looks for week 6 from day 35 to day 49 only; a 1-point drop is no improvement', () => {
    const outside = outcomeOf([score('2026-04-07T10:00', 6), score('2026-05-10T10:00', 1), score('2026-05-26T10:00', 1)]);
    expect(outside.scores.map((s) => s.day)).toEqual([1, 34, 50]);
    expect(outside.week6).toBeNull();
    const edge = outcomeOf([score('2026-04-07T10:00', 6), score('2026-05-11T10:00', 5)]);
    expect(edge.week6).toMatchObject({ day: 35 });
    expect(edge.improved).toBe(false);
  });

  it('on a tie takes the earlier score', () => {
    const o = outcomeOf([score('2026-04-07T10:00', 6), score('2026-05-17T10:00', 5), score('2026-05-19T10:00', 1)]);
    expect(o.week6).toMatchObject({ day: 41, score: 5 });
  });

  it('tells a re-injection by a later procedure of the same type or a booked repeat', () => {
    const at = local('2026-04-06T15:00');
    expect(outcomeOf([], { sameTypeProcedures: [local('2026-01-10T12:00')] })).toMatchObject({ reinjected: false, reinjectedBy: null });
    expect(outcomeOf([], { sameTypeProcedures: [at, local('2026-06-10T12:00')] })).toMatchObject({ reinjected: true, reinjectedBy: 'later_procedure' });
    expect(outcomeOf([], { repeatBooked: true })).toMatchObject({ reinjected: true, reinjectedBy: 'booked_repeat' });
  });
});

describe('summarizeOutcomes', () => {
  const o = (over: Partial<ProcedureOutcome>): ProcedureOutcome => ({
    ...outcomeOf([]),
    ...over,
  });
  const week6 = { id: 'w', score: 3, answeredAt: '', day: 42, stepId: null, stepKey: null, messageId: 'm' };
  const baseline = { ...week6, id: 'b', day: 1, source: 'post_procedure' as const };

  it('counts per clinician and protocol: week-6 scores, improvements of 2 or more, re-injections', () => {
    const groups = summarizeOutcomes([
      o({ carePlanId: 'a', patientId: 'p1', clinicianId: 'c1', baseline, week6, improvement: 4, improved: true }),
      o({ carePlanId: 'b', patientId: 'p2', clinicianId: 'c1', baseline, week6, improvement: 1, improved: false, reinjected: true }),
      o({ carePlanId: 'c', patientId: 'p2', clinicianId: 'c1', baseline: null, week6, improvement: null, improved: null }),
      o({ carePlanId: 'd', patientId: 'p3', clinicianId: 'c1', protocol: 'consultation-basic' }),
      o({ carePlanId: 'e', patientId: 'p4', clinicianId: 'c0' }),
    ]);
    expect(groups.map((g) => `${g.clinicianId}/${g.protocol}`)).toEqual(['c0/bmac-standard', 'c1/bmac-standard', 'c1/consultation-basic']);
    expect(groups[1]).toEqual({
      clinicianId: 'c1',
      protocol: 'bmac-standard',
      procedures: 3,
      patients: 2,
      withBaseline: 2,
      withWeek6Score: 3,
      evaluable: 2,
      improved: 1,
      improvedShare: 0.5,
      reinjected: 1,
    });
    expect(groups[0]).toMatchObject({ procedures: 1, evaluable: 0, improvedShare: null });
  });

  it('documents its definitions', () => {
    const d = outcomeDefinitions();
    expect(d.week6).toContain('day 35 to day 49');
    expect(d.baseline).toContain('30 days before');
  });
});
