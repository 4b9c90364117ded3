import { describe, expect, it } from '@jest/globals';
import { CURSOR_PART, decodePageCursor, encodePageCursor, pageSize, sliceToPage } from './page-cursor.js';

const SIZES = { list: 200, default: 50, max: 100 };
const ID = '0b0f3c1e-5d53-4c5e-9f0a-4b8f4a1c2d3e';

describe('keyset page cursors', () => {
  it('a list is an array unless the caller pages; a page size is kept within 1 and the maximum', () => {
    expect(pageSize({}, SIZES)).toEqual({ paged: false, limit: 200 });
    expect(pageSize({ limit: 10 }, SIZES)).toEqual({ paged: true, limit: 10 });
    expect(pageSize({ cursor: 'x' }, SIZES)).toEqual({ paged: true, limit: 50 });
    expect(pageSize({ limit: 1_000 }, SIZES)).toEqual({ paged: true, limit: 100 });
    expect(pageSize({ limit: 0 }, SIZES)).toEqual({ paged: true, limit: 1 });
  });

  it('a cursor carries the sort key of the page\'s last row back unchanged, in characters a URL takes as they are', () => {
    const key = ['2026-01-12T14:00:00.123456Z', ID];
    const cursor = encodePageCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageCursor(cursor, [CURSOR_PART.microInstant, CURSOR_PART.uuid])).toEqual(key);
  });

  it('refuses what is not one of ours: not base64 JSON, the wrong number of parts, a part of the wrong shape', () => {
    const shape = [CURSOR_PART.microInstant, CURSOR_PART.uuid];
    expect(decodePageCursor('bm90LWEtY3Vyc29y', shape)).toBeNull();
    expect(decodePageCursor(encodePageCursor([ID]), shape)).toBeNull();
    expect(decodePageCursor(encodePageCursor(['2026-01-12T14:00:00.123Z', ID]), shape)).toBeNull();
    expect(decodePageCursor(encodePageCursor(['2026-01-12T14:00:00.123456Z', 'not-an-id']), shape)).toBeNull();
    expect(decodePageCursor(encodePageCursor(['2026-01-12T14:00:00.123456Z', ID]), shape)).toEqual(['2026-01-12T14:00:00.123456Z', ID]);
    expect(decodePageCursor(encodePageCursor(['2026-13-45T99:00:00.000Z', ID]), [CURSOR_PART.instant, CURSOR_PART.uuid])).toBeNull();
    // Dates that do not exist, which Date.parse would roll over and PostgreSQL's cast would refuse with a 500.
    expect(decodePageCursor(encodePageCursor(['2026-02-30T00:00:00.000Z', ID]), [CURSOR_PART.instant, CURSOR_PART.uuid])).toBeNull();
    expect(decodePageCursor(encodePageCursor(['2026-02-30T00:00:00.000000Z', ID]), shape)).toBeNull();
    expect(decodePageCursor(encodePageCursor(['2024-02-29T23:59:59.999999Z', ID]), shape)).toEqual(['2024-02-29T23:59:59.999999Z', ID]);
  });

  it('a page of rows read with one more than fits: the cursor of its last row when there are more, none on the last page; unpaged, more than fit is the caller\'s error, never the first rows alone', () => {
    const rows = [1, 2, 3, 4];
    const key = (n: number) => [String(n)];
    const tooMany = () => new RangeError('narrow or page');
    expect(sliceToPage(rows, { paged: true, limit: 3 }, key, tooMany)).toEqual({ page: [1, 2, 3], nextCursor: encodePageCursor(['3']) });
    expect(sliceToPage(rows.slice(0, 3), { paged: true, limit: 3 }, key, tooMany)).toEqual({ page: [1, 2, 3], nextCursor: null });
    expect(sliceToPage(rows.slice(0, 3), { paged: false, limit: 3 }, key, tooMany)).toEqual({ page: [1, 2, 3], nextCursor: null });
    expect(() => sliceToPage(rows, { paged: false, limit: 3 }, key, tooMany)).toThrow('narrow or page');
  });
});
