import { describe, expect, it } from '@jest/globals';
import { dueAtOfDelayedScore, oldestDueAgeMs } from './queue-lag.js';

describe("a queue's lag: the oldest due job that has not started", () => {
  const now = 1_700_000_000_000;

  it('is 0 for an empty queue, or one whose delayed jobs are all still ahead', () => {
    expect(oldestDueAgeMs(now, null, [])).toBe(0);
    expect(oldestDueAgeMs(now, now + 60_000, [])).toBe(0);
  });

  it('counts a delayed job whose time has passed with no worker to move it on', () => {
    expect(oldestDueAgeMs(now, now - 90_000, [])).toBe(90_000);
  });

  it('counts waiting jobs from their due time, the oldest winning', () => {
    const waiting = [
      { timestamp: now - 10_000, opts: {}, attemptsStarted: 0 },
      { timestamp: now - 600_000, opts: { delay: 300_000 }, attemptsStarted: 0 }, // due 300 s ago
    ];
    expect(oldestDueAgeMs(now, now - 5_000, waiting)).toBe(300_000);
  });

  it('leaves out waiting jobs that started before (their new due time is not kept) and jobs woken early', () => {
    const waiting = [
      { timestamp: now - 3_600_000, opts: {}, attemptsStarted: 2 },
      { timestamp: now - 1_000, opts: { delay: 86_400_000 }, attemptsStarted: 0 }, // promoted by the virtual clock
    ];
    expect(oldestDueAgeMs(now, null, waiting)).toBe(0);
  });

  it("reads a delayed job's due time from BullMQ's score (due ms × 0x1000 + a tie counter)", () => {
    expect(dueAtOfDelayedScore(now * 0x1000)).toBe(now);
    expect(dueAtOfDelayedScore(now * 0x1000 + 4095)).toBe(now);
  });
});
