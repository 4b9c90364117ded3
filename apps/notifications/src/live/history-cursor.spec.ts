import { describe, expect, it } from '@jest/globals';
import { HistoryCursor } from './history-cursor.js';

describe('HistoryCursor', () => {
  it('follows from the newest entry it was started at, and not before it is started', () => {
    const cursor = new HistoryCursor();
    expect(cursor.following).toBe(false);
    expect(() => cursor.after).toThrow(/not following/);
    cursor.start(41);
    expect(cursor.following).toBe(true);
    expect(cursor.after).toBe(41);
  });

  it('moves past what a read found; a read of nothing leaves it where it was', () => {
    const cursor = new HistoryCursor();
    cursor.start(10);
    cursor.advance({ maxId: 14, missing: [], filled: [] }, 0);
    expect(cursor.after).toBe(14);
    cursor.advance({ maxId: null, missing: [], filled: [] }, 500);
    expect(cursor.after).toBe(14);
    expect(cursor.lateIds(500)).toEqual([]);
  });

  it('asks again for ids skipped over (a transaction that commits late) until they come', () => {
    const cursor = new HistoryCursor();
    cursor.start(10);
    // 11 and 13 were taken by transactions not committed yet: 12 and 14 were read.
    expect(cursor.missingCount(14, 2)).toBe(2);
    cursor.advance({ maxId: 14, missing: [11, 13], filled: [] }, 0);
    expect(cursor.after).toBe(14);
    expect(cursor.lateIds(500)).toEqual([11, 13]);
    cursor.advance({ maxId: null, missing: [], filled: [13] }, 500);
    expect(cursor.lateIds(1000)).toEqual([11]);
  });

  it('gives up on a skipped id after the wait (its transaction rolled back)', () => {
    const cursor = new HistoryCursor(10_000);
    cursor.start(0);
    cursor.advance({ maxId: 3, missing: [1], filled: [] }, 1_000);
    expect(cursor.lateIds(11_000)).toEqual([1]);
    expect(cursor.lateIds(11_001)).toEqual([]);
  });

  it('says nothing is worth looking for when none is missing, and remembers at most its limit', () => {
    const cursor = new HistoryCursor(10_000, 3);
    cursor.start(0);
    expect(cursor.missingCount(null, 0)).toBe(0);
    expect(cursor.missingCount(5, 5)).toBe(0);
    // More missing than it could remember: not worth the query.
    expect(cursor.missingCount(10, 5)).toBe(0);
    expect(cursor.missingCount(5, 3)).toBe(2);
    cursor.advance({ maxId: 10, missing: [1, 2, 3, 4], filled: [] }, 0);
    expect(cursor.lateIds(0)).toEqual([1, 2, 3]);
    expect(cursor.missingCount(12, 1)).toBe(0);
  });

  it('ignores "missing" ids outside what the read covered, and forgets everything when stopped', () => {
    const cursor = new HistoryCursor();
    cursor.start(10);
    cursor.advance({ maxId: 15, missing: [9, 10, 12, 15, 16], filled: [] }, 0);
    expect(cursor.lateIds(0)).toEqual([12]);
    cursor.stop();
    expect(cursor.following).toBe(false);
    cursor.start(20);
    expect(cursor.lateIds(0)).toEqual([]);
  });
});
