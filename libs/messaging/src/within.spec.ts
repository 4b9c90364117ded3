import { describe, expect, it } from '@jest/globals';
import { settledWithin } from './within.js';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('settledWithin', () => {
  it('gives the answer that comes in time, and the fallback for one that is late or fails', async () => {
    expect(await settledWithin(after(5, 'answer'), 200, 'fallback')).toBe('answer');
    expect(await settledWithin(after(200, 'answer'), 20, 'fallback')).toBe('fallback');
    expect(await settledWithin(Promise.reject(new Error('refused')), 200, 'fallback')).toBe('fallback');
  });
});
