import { describe, expect, it } from '@jest/globals';
import { answerDueAt, DEFAULT_ESCALATION, DEFAULT_RULES, evaluateAnswer, evaluateMissed, MAX_ANSWER_WINDOW_HOURS, rulesProblem } from './escalation.rules.js';

describe('DEFAULT_ESCALATION', () => {
  it('holds the PRODUCT.md defaults', () => {
    expect(DEFAULT_ESCALATION).toEqual({ highScore: 8, riseBy: 3, missedInARow: 2, answerWindowHours: 48 });
  });
});

describe('evaluateAnswer', () => {
  it('finds nothing in a low, steady or falling score', () => {
    expect(evaluateAnswer({ score: 3, previousScore: null }, DEFAULT_ESCALATION)).toEqual([]);
    expect(evaluateAnswer({ score: 5, previousScore: 3 }, DEFAULT_ESCALATION)).toEqual([]); // rise of 2
    expect(evaluateAnswer({ score: 2, previousScore: 7 }, DEFAULT_ESCALATION)).toEqual([]);
    expect(evaluateAnswer({ score: 7, previousScore: 7 }, DEFAULT_ESCALATION)).toEqual([]);
  });

  it('escalates a score at or above the threshold (8)', () => {
    expect(evaluateAnswer({ score: 7, previousScore: null }, DEFAULT_ESCALATION)).toEqual([]);
    expect(evaluateAnswer({ score: 8, previousScore: null }, DEFAULT_ESCALATION)).toEqual([
      { cause: 'high_score', reason: 'Pain 8/10 reported (threshold 8)' },
    ]);
    expect(evaluateAnswer({ score: 9, previousScore: 9 }, DEFAULT_ESCALATION)).toEqual([
      { cause: 'high_score', reason: 'Pain 9/10 reported (threshold 8)' },
    ]);
  });

  it('escalates a rise of 3 or more since the previous answer', () => {
    expect(evaluateAnswer({ score: 5, previousScore: 2 }, DEFAULT_ESCALATION)).toEqual([
      {
        cause: 'score_rise',
        reason: 'Pain rose by 3 since the previous answer, from 2/10 to 5/10 (threshold 3)',
      },
    ]);
  });

  it('reports both causes when both apply', () => {
    const findings = evaluateAnswer({ score: 9, previousScore: 3 }, DEFAULT_ESCALATION);
    expect(findings.map((f) => f.cause)).toEqual(['high_score', 'score_rise']);
  });

  it('does not treat the first answer as a rise', () => {
    expect(evaluateAnswer({ score: 6, previousScore: null }, DEFAULT_ESCALATION)).toEqual([]);
  });

  it('follows a configured threshold', () => {
    const cfg = { highScore: 6, riseBy: 2, missedInARow: 3, answerWindowHours: 48 };
    expect(evaluateAnswer({ score: 6, previousScore: 4 }, cfg).map((f) => f.reason)).toEqual([
      'Pain 6/10 reported (threshold 6)',
      'Pain rose by 2 since the previous answer, from 4/10 to 6/10 (threshold 2)',
    ]);
  });

  it('refuses scores outside 0–10', () => {
    expect(() => evaluateAnswer({ score: 11, previousScore: null }, DEFAULT_ESCALATION)).toThrow(RangeError);
    expect(() => evaluateAnswer({ score: 2.5, previousScore: null }, DEFAULT_ESCALATION)).toThrow(/score/);
    expect(() => evaluateAnswer({ score: 2, previousScore: -1 }, DEFAULT_ESCALATION)).toThrow(/previousScore/);
  });
});

describe('evaluateMissed', () => {
  it('finds nothing below the threshold', () => {
    expect(evaluateMissed({ consecutiveUnanswered: 0 }, DEFAULT_ESCALATION)).toEqual([]);
    expect(evaluateMissed({ consecutiveUnanswered: 1 }, DEFAULT_ESCALATION)).toEqual([]);
  });

  it('escalates two unanswered check-ins in a row, and more', () => {
    expect(evaluateMissed({ consecutiveUnanswered: 2 }, DEFAULT_ESCALATION)).toEqual([
      { cause: 'missed_checkins', reason: 'No answer to 2 check-ins in a row (threshold 2)' },
    ]);
    expect(evaluateMissed({ consecutiveUnanswered: 3 }, DEFAULT_ESCALATION)).toEqual([
      { cause: 'missed_checkins', reason: 'No answer to 3 check-ins in a row (threshold 2)' },
    ]);
  });

  it('follows a configured threshold and refuses a bad count', () => {
    expect(evaluateMissed({ consecutiveUnanswered: 2 }, { ...DEFAULT_ESCALATION, missedInARow: 3 })).toEqual([]);
    expect(() => evaluateMissed({ consecutiveUnanswered: -1 }, DEFAULT_ESCALATION)).toThrow(RangeError);
  });
});

describe('rules turned off and checked', () => {
  it('a null threshold turns its rule off', () => {
    const off = { highScore: null, riseBy: null, missedInARow: null, answerWindowHours: null };
    expect(evaluateAnswer({ score: 10, previousScore: 0 }, off)).toEqual([]);
    expect(evaluateMissed({ consecutiveUnanswered: 5 }, off)).toEqual([]);
    expect(evaluateAnswer({ score: 10, previousScore: 0 }, { ...off, riseBy: 3 }).map((f) => f.cause)).toEqual(['score_rise']);
  });

  it('the defaults are PRODUCT.md\'s, with free text to the clinician and no e-mail', () => {
    expect(DEFAULT_RULES).toEqual({ highScore: 8, riseBy: 3, missedInARow: 2, answerWindowHours: 48, freeText: true, emailAlerts: false });
  });

  it('names the field of a threshold out of range', () => {
    expect(rulesProblem(DEFAULT_ESCALATION)).toBeNull();
    expect(rulesProblem({ highScore: null, riseBy: null, missedInARow: null, answerWindowHours: null })).toBeNull();
    expect(rulesProblem({ ...DEFAULT_ESCALATION, highScore: 11 })).toMatchObject({ field: 'highScore' });
    expect(rulesProblem({ ...DEFAULT_ESCALATION, riseBy: 0 })).toMatchObject({ field: 'riseBy' });
    expect(rulesProblem({ ...DEFAULT_ESCALATION, missedInARow: 1.5 })).toMatchObject({ field: 'missedInARow' });
    expect(rulesProblem({ ...DEFAULT_ESCALATION, answerWindowHours: 0 })).toMatchObject({ field: 'answerWindowHours' });
    expect(rulesProblem({ ...DEFAULT_ESCALATION, answerWindowHours: MAX_ANSWER_WINDOW_HOURS + 1 })).toMatchObject({ field: 'answerWindowHours', message: expect.stringContaining('1 to 336') });
    expect(rulesProblem({ ...DEFAULT_ESCALATION, answerWindowHours: MAX_ANSWER_WINDOW_HOURS })).toBeNull();
  });
});

describe('answerDueAt', () => {
  const firedAt = new Date('2027-03-13T15:00:00Z'); // Saturday 10:00 in New York, the night before DST starts

  it('is the clinic\'s window after the check-in went out, in elapsed hours (48 h stays 48 h across a DST change)', () => {
    expect(answerDueAt(firedAt, DEFAULT_ESCALATION)).toEqual(new Date('2027-03-15T15:00:00Z')); // Monday 11:00 New York time
    expect(answerDueAt(firedAt, { answerWindowHours: 1 })).toEqual(new Date('2027-03-13T16:00:00Z'));
  });

  it('is none with the window off: the check-in waits for the next one', () => {
    expect(answerDueAt(firedAt, { answerWindowHours: null })).toBeNull();
  });
});
