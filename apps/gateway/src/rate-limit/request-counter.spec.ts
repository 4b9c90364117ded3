import { describe, expect, it } from '@jest/globals';
import { RequestCounter } from './request-counter.js';

describe('RequestCounter', () => {
  it('lets `limit` requests through in a window and refuses the next, saying when the window ends', () => {
    const counter = new RequestCounter(60_000);
    for (let i = 0; i < 3; i++) expect(counter.hit('user:a', 3, 1_000 + i).allowed).toBe(true);
    expect(counter.hit('user:a', 3, 11_000)).toEqual({ allowed: false, remaining: 0, resetMs: 50_000 });
  });

  it('counts each key on its own', () => {
    const counter = new RequestCounter(60_000);
    expect(counter.hit('user:a', 1, 0).allowed).toBe(true);
    expect(counter.hit('user:a', 1, 1).allowed).toBe(false);
    expect(counter.hit('user:b', 1, 2).allowed).toBe(true);
  });

  it('starts again once the window has passed, and forgets windows that have', () => {
    const counter = new RequestCounter(60_000);
    counter.hit('user:a', 1, 0);
    counter.hit('ip:1.2.3.4', 1, 0);
    expect(counter.hit('user:a', 1, 59_999).allowed).toBe(false);
    expect(counter.hit('user:a', 1, 60_000)).toMatchObject({ allowed: true, remaining: 0, resetMs: 60_000 });
    expect(counter.size).toBe(1);
  });
});
