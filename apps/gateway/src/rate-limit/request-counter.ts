/** What counting one request decided. */
export interface Hit {
  allowed: boolean;
  /** Requests left in the window after this one. */
  remaining: number;
  /** Milliseconds until the window ends and the count starts again. */
  resetMs: number;
}

/**
 * Requests per key in fixed windows (a window starts at a key's first request), in memory. No
 * I/O and no timers: old windows are swept while counting, at most once a window.
 */
export class RequestCounter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();
  private lastSweep = 0;

  constructor(private readonly windowMs: number) {}

  /** Counts a request of `key` at `now` (ms); refused ones count too, so hammering does not help. */
  hit(key: string, limit: number, now: number): Hit {
    this.sweep(now);
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= this.windowMs) {
      window = { startedAt: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    return { allowed: window.count <= limit, remaining: Math.max(0, limit - window.count), resetMs: window.startedAt + this.windowMs - now };
  }

  /** Keys being counted now (for tests). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [key, window] of this.windows) if (now - window.startedAt >= this.windowMs) this.windows.delete(key);
  }
}
