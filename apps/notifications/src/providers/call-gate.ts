/**
 * At most `limit` calls at once; the others wait their turn, first come first served. The
 * notifications worker works on many messages at once (their database statements are shared),
 * but a provider takes only so many concurrent requests from one account — Twilio answers the
 * excess with 429 (error 20429) — so the provider calls among them pass through this gate.
 */
export class CallGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('a gate needs a limit of at least 1');
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await call();
    } finally {
      // Hand the place straight to the next in line (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Calls under way and calls waiting (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
