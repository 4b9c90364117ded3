import { describe, expect, it } from '@jest/globals';
import { firstStartLatenessMs } from './job-metrics.js';

describe('how late a job started', () => {
  const added = 1_700_000_000_000;

  it('is its first start minus its due time (added + delay)', () => {
    expect(firstStartLatenessMs({ timestamp: added, opts: { delay: 60_000 }, processedOn: added + 60_250, attemptsStarted: 1 })).toBe(250);
    expect(firstStartLatenessMs({ timestamp: added, opts: {}, processedOn: added + 40, attemptsStarted: 1 })).toBe(40);
  });

  it('counts a job woken before its time (the virtual clock promotes jobs) as on time', () => {
    expect(firstStartLatenessMs({ timestamp: added, opts: { delay: 86_400_000 }, processedOn: added + 5_000, attemptsStarted: 1 })).toBe(0);
  });

  it('leaves out later starts (retries, sends put back to wait) and jobs not started', () => {
    expect(firstStartLatenessMs({ timestamp: added, opts: { delay: 1_000 }, processedOn: added + 9_000, attemptsStarted: 2 })).toBeNull();
    expect(firstStartLatenessMs({ timestamp: added, opts: { delay: 1_000 }, attemptsStarted: 0 })).toBeNull();
  });
});
