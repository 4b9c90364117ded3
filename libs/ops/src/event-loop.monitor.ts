import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Longest the event loop may have been held up, lately, for the process to count as alive. */
export const LIVENESS_MAX_EVENT_LOOP_DELAY_MS = 5_000;
const WINDOW_MS = 10_000;

/**
 * How long the event loop was held up lately: the worst delay of the last full window and of
 * the one under way. A loop stuck for good cannot answer at all (the probe times out); this
 * catches one that keeps stalling for seconds between answers.
 */
@Injectable()
export class EventLoopMonitor implements OnApplicationShutdown {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private lastWindowMaxMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.lastWindowMaxMs = this.histogram.max / 1e6;
      this.histogram.reset();
    }, WINDOW_MS);
    this.timer.unref();
  }

  /** Milliseconds: the worst delay seen in the last 10 to 20 seconds. */
  recentMaxDelayMs(): number {
    return Math.round(Math.max(this.lastWindowMaxMs, this.histogram.max / 1e6));
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}

/** Throws (marking liveness down) when the loop was held up longer than the limit. */
export function assertEventLoopResponsive(delayMs: number, limitMs = LIVENESS_MAX_EVENT_LOOP_DELAY_MS): { delayMs: number } {
  if (delayMs > limitMs) throw new Error(`the event loop was held up ${delayMs} ms (limit ${limitMs} ms)`);
  return { delayMs };
}
