import { describe, expect, it } from '@jest/globals';
import { assertEventLoopResponsive, LIVENESS_MAX_EVENT_LOOP_DELAY_MS } from './event-loop.monitor.js';

describe('liveness of the event loop', () => {
  it('is alive while the loop was held up no longer than the limit, and says by how much', () => {
    expect(assertEventLoopResponsive(12)).toEqual({ delayMs: 12 });
    expect(assertEventLoopResponsive(LIVENESS_MAX_EVENT_LOOP_DELAY_MS)).toEqual({ delayMs: LIVENESS_MAX_EVENT_LOOP_DELAY_MS });
  });

  it('is down once the loop stalled longer, naming the delay and the limit', () => {
    expect(() => assertEventLoopResponsive(7_500, 5_000)).toThrow('the event loop was held up 7500 ms (limit 5000 ms)');
  });
});
