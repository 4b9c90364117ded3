import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import { KeyedTurns } from './keyed-turns.js';

describe('KeyedTurns', () => {
  it("runs one key's work in the order it came, while another key's passes by", async () => {
    const turns = new KeyedTurns();
    const log: string[] = [];
    const step = (name: string, ms: number) => async () => {
      log.push(`${name} start`);
      await sleep(ms);
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([turns.run('a', step('a1', 40)), turns.run('a', step('a2', 1)), turns.run('b', step('b1', 1))]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('a2 start')).toBeGreaterThan(log.indexOf('a1 end'));
    expect(log.indexOf('b1 end')).toBeLessThan(log.indexOf('a1 end'));
    expect(turns.size).toBe(0); // nothing kept once done
  });

  it('a failed turn fails alone: the next in line still runs', async () => {
    const turns = new KeyedTurns();
    const failed = turns.run('a', async () => {
      throw new Error('no');
    });
    const next = turns.run('a', async () => 'ran');
    await expect(failed).rejects.toThrow('no');
    await expect(next).resolves.toBe('ran');
  });
});
