import { describe, expect, it } from '@jest/globals';
import { Coalescer } from './coalescer.js';

/** A run that records its batches and answers each input doubled, when released. */
function recordingRun() {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const run = (inputs: number[]) =>
    new Promise<number[]>((resolve) => {
      batches.push(inputs);
      releases.push(() => resolve(inputs.map((n) => n * 2)));
    });
  return { batches, releases, run };
}
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('Coalescer', () => {
  it('puts the requests of one turn of the event loop into one batch, answering each its own', async () => {
    const { batches, releases, run } = recordingRun();
    const coalescer = new Coalescer(run, { maxBatch: 100, maxInFlight: 1 });
    const answers = Promise.all([1, 2, 3].map((n) => coalescer.submit(n)));
    await turn();
    expect(batches).toEqual([[1, 2, 3]]);
    releases[0]!();
    await expect(answers).resolves.toEqual([2, 4, 6]);
  });

  it('gathers what arrives while a batch is at the database into the next one', async () => {
    const { batches, releases, run } = recordingRun();
    const coalescer = new Coalescer(run, { maxBatch: 100, maxInFlight: 1 });
    const first = coalescer.submit(1);
    await turn();
    const later = [coalescer.submit(2), coalescer.submit(3)];
    await turn();
    await turn();
    expect(batches).toEqual([[1]]);
    expect(coalescer.queued).toBe(2);
    releases[0]!();
    await expect(first).resolves.toBe(2);
    await turn();
    expect(batches).toEqual([[1], [2, 3]]);
    releases[1]!();
    await expect(Promise.all(later)).resolves.toEqual([4, 6]);
  });

  it('splits at maxBatch and runs up to maxInFlight batches at once', async () => {
    const { batches, releases, run } = recordingRun();
    const coalescer = new Coalescer(run, { maxBatch: 2, maxInFlight: 2 });
    const all = Promise.all([1, 2, 3, 4, 5].map((n) => coalescer.submit(n)));
    await turn();
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    releases[0]!();
    await turn();
    await turn();
    expect(batches[2]).toEqual([5]);
    releases[1]!();
    releases[2]!();
    await expect(all).resolves.toEqual([2, 4, 6, 8, 10]);
  });

  it('rejects every request of a failed batch and goes on with the next', async () => {
    let calls = 0;
    const coalescer = new Coalescer<number, number>(
      async (inputs) => {
        calls++;
        if (calls === 1) throw new Error('database down');
        return inputs;
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const failed = [coalescer.submit(1), coalescer.submit(2)];
    for (const p of failed) await expect(p).rejects.toThrow('database down');
    await expect(coalescer.submit(3)).resolves.toBe(3);
  });

  it('treats a run that answers the wrong number of outputs as a failure of the batch', async () => {
    const coalescer = new Coalescer<number, number>(async () => [1], { maxBatch: 10, maxInFlight: 1 });
    const both = [coalescer.submit(1), coalescer.submit(2)];
    for (const p of both) await expect(p).rejects.toThrow('a batch of 2 got 1 answers');
  });
});
