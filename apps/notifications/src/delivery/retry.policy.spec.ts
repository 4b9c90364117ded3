import { describe, expect, it } from '@jest/globals';
import { BACKOFF_CAP_MS, backoffDelayMs, backoffSchedule, MAX_SEND_ATTEMPTS, mayRetry } from './retry.policy.js';

const S = 1000;
const MIN = 60 * S;

describe('retry backoff', () => {
  it('doubles from 30 s, with half of each wait random (equal jitter), capped at 30 min', () => {
    expect(backoffSchedule()).toEqual([
      [15 * S, 30 * S],
      [30 * S, 60 * S],
      [1 * MIN, 2 * MIN],
      [2 * MIN, 4 * MIN],
      [4 * MIN, 8 * MIN],
      [8 * MIN, 16 * MIN],
      [15 * MIN, 30 * MIN],
    ]);
  });

  it('stays inside the bounds for any random draw, and never passes the cap', () => {
    for (let retry = 1; retry <= 20; retry++) {
      for (const random of [0, 0.25, 0.5, 0.999, 1, -1, 2]) {
        const delay = backoffDelayMs(retry, random);
        const nominal = Math.min(BACKOFF_CAP_MS, 30 * S * 2 ** (retry - 1));
        expect(delay).toBeGreaterThanOrEqual(nominal / 2);
        expect(delay).toBeLessThanOrEqual(nominal);
        expect(delay).toBeLessThanOrEqual(BACKOFF_CAP_MS);
      }
    }
  });

  it('spreads retries that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, (_, i) => backoffDelayMs(3, i / 50)));
    expect(delays.size).toBe(50);
  });

  it('allows 8 provider calls in all: the last one 30 to 61 minutes after the first', () => {
    expect(MAX_SEND_ATTEMPTS).toBe(8);
    expect(mayRetry(7)).toBe(true);
    expect(mayRetry(8)).toBe(false);
    const [least, most] = backoffSchedule().reduce(([a, b], [lo, hi]) => [a + lo, b + hi], [0, 0]);
    expect(least).toBe(30 * MIN + 45 * S);
    expect(most).toBe(61 * MIN + 30 * S);
  });
});
