import { describe, expect, it } from '@jest/globals';
import { DrainLoop } from './drain-loop.js';

/** A drain whose passes the test lets finish one at a time. */
function gatedDrain() {
  const gates: (() => void)[] = [];
  let passes = 0;
  const drain = () => {
    passes++;
    return new Promise<void>((resolve) => gates.push(resolve));
  };
  return { drain, passes: () => passes, release: () => gates.shift()?.() };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DrainLoop', () => {
  it('runs one pass at a time; kicks during a pass make exactly one more pass', async () => {
    const d = gatedDrain();
    const loop = new DrainLoop(d.drain, () => undefined);
    loop.kick();
    loop.kick();
    loop.kick();
    expect(d.passes()).toBe(1);
    d.release();
    await tick();
    expect(d.passes()).toBe(2);
    d.release();
    await loop.idle();
    expect(d.passes()).toBe(2);
  });

  it('reports a failed pass and keeps working', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const loop = new DrainLoop(async () => {
      calls++;
      if (calls === 1) throw new Error('database away');
    }, (e) => errors.push(e));
    loop.kick();
    await loop.idle();
    loop.kick();
    await loop.idle();
    expect([calls, errors.map((e) => (e as Error).message)]).toEqual([2, ['database away']]);
  });

  it('after stop, waits for the running pass and starts no other', async () => {
    const d = gatedDrain();
    const loop = new DrainLoop(d.drain, () => undefined);
    loop.start(60_000);
    loop.kick();
    const stopped = loop.stop();
    d.release();
    await stopped;
    loop.kick();
    await tick();
    expect([d.passes(), loop.isStopped]).toEqual([1, true]);
  });
});
