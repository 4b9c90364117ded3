import { describe, expect, it } from '@jest/globals';
import { BatchedCalls } from './batched-calls.js';

/** A `run` whose batches the test lets finish one at a time; it records every batch it was given. */
function gatedRun(answer: (input: string) => string = (input) => input.toUpperCase()) {
  const batches: string[][] = [];
  const gates: { inputs: string[]; release: () => void; fail: (error: Error) => void }[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const run = (inputs: string[]) => {
    batches.push(inputs);
    running++;
    mostAtOnce = Math.max(mostAtOnce, running);
    return new Promise<string[]>((resolve, reject) =>
      gates.push({
        inputs,
        release: () => {
          running--;
          resolve(inputs.map(answer));
        },
        fail: (error) => {
          running--;
          reject(error);
        },
      }),
    );
  };
  /** Finishes the oldest running batch. */
  const release = () => gates.shift()!.release();
  return { run, batches, release, gates, mostAtOnce: () => mostAtOnce };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));
/** Past the batcher's own setImmediate, also one queued after the test's (a batch that just finished schedules the next). */
const settle = async () => {
  await tick();
  await tick();
};
/** Lets every running batch finish, again and again, until all `promises` are settled. */
async function drain(g: ReturnType<typeof gatedRun>, promises: Promise<unknown>[]): Promise<void> {
  let settled = false;
  void Promise.allSettled(promises).then(() => (settled = true));
  while (!settled) {
    await tick();
    while (g.gates.length) g.release();
  }
}

describe('BatchedCalls', () => {
  it('runs a lone call at once, as a batch of one', async () => {
    const g = gatedRun();
    const calls = new BatchedCalls({ run: g.run, maxBatch: 10, maxConcurrent: 2 });
    const answer = calls.call('a');
    await tick();
    expect(g.batches).toEqual([['a']]);
    g.release();
    await expect(answer).resolves.toBe('A');
  });

  it('puts the calls that come while batches run into the next batch; at most maxConcurrent at once, maxBatch each', async () => {
    const g = gatedRun();
    const calls = new BatchedCalls({ run: g.run, maxBatch: 3, maxConcurrent: 2 });
    const answers = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((x) => calls.call(x));
    await tick();
    expect(g.batches).toEqual([['a'], ['b']]); // room for two: each at once, alone
    g.release();
    await settle();
    expect(g.batches.at(-1)).toEqual(['c', 'd', 'e']); // the waiting ones together, maxBatch at most
    await drain(g, answers);
    expect(g.batches).toEqual([['a'], ['b'], ['c', 'd', 'e'], ['f', 'g']]);
    expect(g.mostAtOnce()).toBe(2);
    expect(await Promise.all(answers)).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
  });

  it('never puts two calls of one key in one batch, and keeps their order', async () => {
    const g = gatedRun();
    const calls = new BatchedCalls<string, string>({ run: g.run, maxBatch: 10, maxConcurrent: 1, keys: (x) => [x[0]!] });
    const answers = ['p1', 'q1', 'p2', 'r1', 'p3', 'q2'].map((x) => calls.call(x));
    await drain(g, answers);
    expect(g.batches).toEqual([['p1'], ['q1', 'p2', 'r1'], ['p3', 'q2']]);
    expect(await Promise.all(answers)).toEqual(['P1', 'Q1', 'P2', 'R1', 'P3', 'Q2']);
  });

  it('never runs two calls of one key at once: the later waits, others go by', async () => {
    const g = gatedRun();
    const calls = new BatchedCalls<string, string>({ run: g.run, maxBatch: 10, maxConcurrent: 2, keys: (x) => [x[0]!] });
    const answers = ['p1', 'p2', 's1'].map((x) => calls.call(x));
    await settle();
    expect(g.batches).toEqual([['p1'], ['s1']]); // p2 waits for p1 with a batch free to run
    g.release();
    await settle();
    expect(g.batches.at(-1)).toEqual(['p2']);
    await drain(g, answers);
    expect(await Promise.all(answers)).toEqual(['P1', 'P2', 'S1']);
  });

  it('tries a failed batch again call by call, so only the bad call fails', async () => {
    const batches: string[][] = [];
    const calls = new BatchedCalls<string, string>({
      run: async (inputs) => {
        batches.push(inputs);
        if (inputs.includes('bad')) throw new Error('bad input');
        return inputs.map((x) => x.toUpperCase());
      },
      maxBatch: 10,
      maxConcurrent: 1,
    });
    const answers = ['first', 'a', 'bad', 'c'].map((x) => calls.call(x));
    const settled = await Promise.allSettled(answers);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual(['FIRST', 'A', 'bad input', 'C']);
    expect(batches).toEqual([['first'], ['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('fails every call of a batch that answered the wrong number of results, without running it again', async () => {
    let runs = 0;
    const calls = new BatchedCalls<string, string>({
      run: async () => {
        runs++;
        return ['only one'];
      },
      maxBatch: 10,
      maxConcurrent: 1,
    });
    const settled = await Promise.allSettled([calls.call('first'), calls.call('a'), calls.call('b')]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected']); // the first ran alone
    expect(runs).toBe(2);
  });
});
