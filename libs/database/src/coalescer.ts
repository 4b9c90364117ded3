/**
 * Turns many concurrent single-row requests into few statements: everything submitted while the
 * event loop is busy (or while the previous batch is still at the database) goes in the next
 * batch, one statement for all of it — the "group commit" of a job worker with concurrency N.
 * Alone, a request waits for nothing but the current turn of the event loop.
 *
 * `run` answers the inputs of one batch in their order (one output per input). A batch that
 * fails rejects every request in it; nothing else is affected.
 */
export interface CoalescerOptions {
  /** At most this many inputs per statement. */
  maxBatch: number;
  /** At most this many statements at the database at once (each holds a pool connection). */
  maxInFlight: number;
}

interface Waiting<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

export class Coalescer<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (inputs: I[]) => Promise<O[]>,
    private readonly options: CoalescerOptions,
  ) {
    if (!(options.maxBatch >= 1) || !(options.maxInFlight >= 1)) throw new RangeError('maxBatch and maxInFlight must be at least 1');
  }

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: the jobs that arrived together go together.
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Requests not yet in a statement (for tests and metrics). */
  get queued(): number {
    return this.waiting.length;
  }

  private flush(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.execute(batch).finally(() => {
        this.inFlight--;
        this.flush();
      });
    }
  }

  private async execute(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const outputs = await this.run(batch.map((w) => w.input));
      if (outputs.length !== batch.length) throw new Error(`a batch of ${batch.length} got ${outputs.length} answers`);
      batch.forEach((w, i) => w.resolve(outputs[i]!));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
