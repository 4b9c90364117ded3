import { describe, expect, it } from '@jest/globals';
import { CallGate } from './call-gate.js';

const deferred = () => {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('CallGate', () => {
  it('lets at most `limit` calls run at once; the next starts when one ends, in the order they came', async () => {
    const gate = new CallGate(2);
    const calls = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const done = calls.map((d, i) => gate.run(async () => (started.push(i), d.promise)).then(() => 'answered', () => 'failed'));
    await turn();
    expect(started).toEqual([0, 1]);
    expect(gate.load).toEqual({ running: 2, waiting: 2 });
    calls[1]!.resolve();
    await turn();
    expect(started).toEqual([0, 1, 2]);
    calls[0]!.reject(new Error('provider down'));
    await turn();
    expect(started).toEqual([0, 1, 2, 3]);
    calls[2]!.resolve();
    calls[3]!.resolve();
    expect(await Promise.all(done)).toEqual(['failed', 'answered', 'answered', 'answered']);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('passes the call’s answer and error through unchanged', async () => {
    const gate = new CallGate(1);
    await expect(gate.run(async () => 'SM123')).resolves.toBe('SM123');
    await expect(gate.run(async () => Promise.reject(new Error('429')))).rejects.toThrow('429');
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses a limit below 1', () => {
    expect(() => new CallGate(0)).toThrow(RangeError);
  });
});
