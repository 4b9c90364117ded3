import { describe, expect, it } from '@jest/globals';
import { advanceProblem, describeDuration, describeSpan, parseDuration, QUICK_ADVANCES } from './durations';

describe('parseDuration', () => {
  it('reads ISO 8601 durations, forgiving case and spaces', () => {
    expect(parseDuration('P1D')).toEqual({ iso: 'P1D', parts: { days: 1 }, ms: 86_400_000 });
    expect(parseDuration(' pt2h ')).toEqual({ iso: 'PT2H', parts: { hours: 2 }, ms: 7_200_000 });
    expect(parseDuration('P2W')!.ms).toBe(14 * 86_400_000);
    expect(parseDuration('P1DT12H')!.ms).toBe(36 * 3_600_000);
    expect(parseDuration('PT90M')!.ms).toBe(90 * 60_000);
    expect(parseDuration('P1M')!.ms).toBe(30 * 86_400_000);
  });

  it('refuses what is not one', () => {
    for (const text of ['', 'P', 'PT', '1D', 'P1H', 'P1DT', 'P-1D', 'one day']) expect(parseDuration(text)).toBeNull();
  });
});

describe('advanceProblem', () => {
  it('lets a positive duration of at most 400 days through', () => {
    for (const { by } of QUICK_ADVANCES) expect(advanceProblem(by)).toBeNull();
    expect(advanceProblem('P400D')).toBeNull();
  });

  it('says what to write instead', () => {
    expect(advanceProblem('')).toMatch(/P1D/);
    expect(advanceProblem('2 days')).toMatch(/not an ISO 8601 duration/);
    expect(advanceProblem('PT0H')).toMatch(/longer than zero/);
    expect(advanceProblem('P401D')).toMatch(/400 days/);
  });
});

describe('words', () => {
  it('says a duration and a span in words', () => {
    expect(describeDuration(parseDuration('P1DT2H')!)).toBe('1 day 2 hours');
    expect(describeDuration(parseDuration('P2W')!)).toBe('2 weeks');
    expect(describeSpan(3 * 86_400_000 + 4 * 3_600_000 + 20_000)).toBe('3 days 4 hours');
    expect(describeSpan(61_000)).toBe('1 minute');
    expect(describeSpan(10_000)).toBe('less than a minute');
  });

  it('offers an hour, a day and a week', () => {
    expect(QUICK_ADVANCES.map((q) => [q.label, parseDuration(q.by)!.ms])).toEqual([
      ['+1 hour', 3_600_000],
      ['+1 day', 86_400_000],
      ['+1 week', 7 * 86_400_000],
    ]);
  });
});
