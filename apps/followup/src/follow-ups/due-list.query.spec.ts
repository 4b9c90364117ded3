import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor } from './due-list.query.js';

const ID = '7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f';

describe('the due list cursor', () => {
  it('round-trips the phase, the microsecond sort time and the id', () => {
    for (const phase of [0, 1, 'done'] as const) {
      const cursor = { phase, at: '2026-01-12T14:00:00.123456Z', id: ID };
      expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    }
  });

  it('is url-safe', () => {
    expect(encodeCursor({ phase: 1, at: '2026-01-12T14:00:00.123456Z', id: ID })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('refuses anything else', () => {
    const bad = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(decodeCursor('nonsense')).toBeNull();
    expect(decodeCursor(bad([2, '2026-01-12T14:00:00.123456Z', ID]))).toBeNull();
    expect(decodeCursor(bad([1, "2026-01-12'; DROP TABLE x", ID]))).toBeNull();
    expect(decodeCursor(bad([1, '2026-01-12T14:00:00.123456Z', 'x']))).toBeNull();
    expect(decodeCursor(bad({ phase: 1 }))).toBeNull();
  });
});
