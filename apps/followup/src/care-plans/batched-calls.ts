/**
 * Calls that arrive while earlier ones are still running go out together, as one (a group
 * commit). At a few completions a second each call runs alone, at once; under load the calls
 * that queue up behind the running ones share one statement (or one addBulk), one round trip
 * and one commit. Measured (bench/care-plans.bench.ts, BENCH_PROFILE=1): with one statement
 * per completion, followup spent about 30 % of its busy time in socket writes (each statement a
 * write to PostgreSQL and a wake-up of its backend) and PostgreSQL committed once per plan;
 * batched, with 64 completions in flight, followup's CPU per plan fell from ~0.8 to ~0.45 ms,
 * PostgreSQL's from ~0.6 to ~0.25 ms, and socket writes to about a tenth of followup's busy time.
 *
 * - A call that finds nothing queued and fewer than `maxConcurrent` batches running runs at
 *   once, alone. Otherwise it waits: the calls that wait meet at the end of the event loop's
 *   turn (setImmediate; one read of the transport's socket holds many messages) and go as the
 *   next batch, up to `maxBatch`, as soon as a running batch is done.
 * - `keys`: two calls that share a key never go in one batch nor run at once (the later waits
 *   until the earlier is done), for work whose outcome depends on what an earlier call wrote
 *   (two starts of one patient's plan: the second must see the first to supersede it).
 * - A batch that fails is tried again call by call, so one bad call fails only itself (`run`
 *   must be all-or-nothing or idempotent: one statement, or jobs added by their ids).
 */
export interface BatchedCallsOptions<In, Out> {
  /** Runs a batch; answers one result per input, in order. */
  run: (inputs: In[]) => Promise<Out[]>;
  maxBatch: number;
  maxConcurrent: number;
  keys?: (input: In) => string[];
}

interface Waiting<In, Out> {
  input: In;
  resolve: (out: Out) => void;
  reject: (error: unknown) => void;
}

export class BatchedCalls<In, Out> {
  private waiting: Waiting<In, Out>[] = [];
  private running = 0;
  /** keys of the calls in running batches */
  private readonly busy = new Set<string>();
  private scheduled = false;

  constructor(private readonly options: BatchedCallsOptions<In, Out>) {}

  call(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      const waiting = { input, resolve, reject };
      const keys = this.options.keys?.(input) ?? [];
      // Nothing queued and room to run: at once, alone (at a few calls a second, always).
      if (this.waiting.length === 0 && this.running < this.options.maxConcurrent && !keys.some((k) => this.busy.has(k))) {
        this.start([waiting], keys);
        return;
      }
      this.waiting.push(waiting);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.maxConcurrent && this.waiting.length > 0) {
      const { batch, keys } = this.take();
      if (batch.length === 0) return; // all wait for running calls of their keys
      this.start(batch, keys);
    }
  }

  private start(batch: Waiting<In, Out>[], keys: string[]): void {
    this.running++;
    for (const k of keys) this.busy.add(k);
    void this.runBatch(batch).finally(() => {
      this.running--;
      for (const k of keys) this.busy.delete(k);
      if (this.waiting.length > 0) this.schedule();
    });
  }

  /**
   * The next batch: waiting calls in order, skipping those with a key of a call already in the
   * batch, of a running one, or of a skipped one (so calls of one key keep their order).
   */
  private take(): { batch: Waiting<In, Out>[]; keys: string[] } {
    const batch: Waiting<In, Out>[] = [];
    const rest: Waiting<In, Out>[] = [];
    const taken = new Set<string>();
    const held = new Set<string>();
    for (const w of this.waiting) {
      const keys = this.options.keys?.(w.input) ?? [];
      if (batch.length >= this.options.maxBatch || keys.some((k) => taken.has(k) || held.has(k) || this.busy.has(k))) {
        for (const k of keys) held.add(k);
        rest.push(w);
        continue;
      }
      for (const k of keys) taken.add(k);
      batch.push(w);
    }
    this.waiting = rest;
    return { batch, keys: [...taken] };
  }

  private async runBatch(batch: Waiting<In, Out>[]): Promise<void> {
    let outs: Out[];
    try {
      outs = await this.options.run(batch.map((w) => w.input));
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      // Safe to run again: a statement commits or rolls back as a whole, and a job is added by its id once.
      await Promise.all(
        batch.map(async (w) => {
          try {
            const [out] = await this.options.run([w.input]);
            w.resolve(out!);
          } catch (single) {
            w.reject(single);
          }
        }),
      );
      return;
    }
    // Done, but not answered one by one: a bug, never to be run again.
    if (outs.length !== batch.length) {
      const error = new Error(`a batch of ${batch.length} answered ${outs.length} results`);
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => w.resolve(outs[i]!));
  }
}
