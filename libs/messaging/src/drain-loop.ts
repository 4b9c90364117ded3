import { withoutLogContext } from '@aftercare/logging';

/**
 * A drain that runs now and then and on demand, one pass at a time: a `kick` during a pass makes
 * exactly one more pass after it, and a pass that fails is logged and retried at the next tick.
 * The outbox relay and the delivery-report applier both work this way.
 */
export class DrainLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly drain: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Passes every `intervalMs` (the timer does not keep the process alive), and one now. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** No more passes; resolves when the running one has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // A pass works for everyone: not in the context (the ids) of whichever request kicked it.
    this.running = withoutLogContext(() => this.drain())
      .catch((error) => this.onError(error))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves once no pass is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}
