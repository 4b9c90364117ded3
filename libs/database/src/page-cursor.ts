import { sql, type AnyColumn, type SQL } from 'drizzle-orm';

/**
 * Keyset pages of a list: a page is `{ items, nextCursor }`, and its cursor is the sort key of
 * its last row, as base64url JSON, which the client sends back unchanged (`?cursor=`) for the
 * rows after it. Rows added or removed between pages move nothing: each row is shown once.
 */

/** How a list answers: an array up to `list` rows (more is a 400 that says how to narrow or page), or pages of `default` (up to `max`). */
export interface PageSizes {
  list: number;
  default: number;
  max: number;
}

/** Whether the caller pages (a limit or a cursor given), and how many rows to answer. */
export function pageSize(data: { limit?: number; cursor?: string }, sizes: PageSizes): { paged: boolean; limit: number } {
  const paged = data.limit !== undefined || data.cursor !== undefined;
  return { paged, limit: paged ? Math.min(Math.max(data.limit ?? sizes.default, 1), sizes.max) : sizes.list };
}

export function encodePageCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The sort key in a cursor a client sent back, when it is one of ours (as many parts as `accepts`, each accepted); else null. */
export function decodePageCursor(text: string, accepts: readonly ((part: string) => boolean)[]): string[] | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== accepts.length) return null;
    return value.every((part, i) => typeof part === 'string' && accepts[i]!(part)) ? (value as string[]) : null;
  } catch {
    return null;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_US = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** What a cursor's parts may be: each a value PostgreSQL takes as it is (a date that does not exist, such as 30 February, is refused here, not by a failing cast). */
export const CURSOR_PART = {
  uuid: (part: string) => UUID.test(part),
  /** An instant to the millisecond, as `Date.toISOString()` writes it. */
  instant: (part: string) => ISO_MS.test(part) && exists(part),
  /** An instant to the microsecond, as microInstant() prints a column (a JS Date keeps milliseconds only). */
  microInstant: (part: string) => ISO_US.test(part) && exists(`${part.slice(0, 23)}Z`),
} as const;

/** Whether an instant written as `toISOString()` writes it exists: Date.parse takes 30 February, and rolls it over. */
function exists(isoMs: string): boolean {
  const at = Date.parse(isoMs);
  return !Number.isNaN(at) && new Date(at).toISOString() === isoMs;
}

/**
 * The rows of a page and the cursor of the next one (null on the last page, and for a caller that
 * does not page). `rows` were read with `limit + 1`: one more than fits says there are more - which,
 * for a caller that does not page, is the error `tooMany` makes (a 400 that says how to narrow or
 * page), never the first rows alone.
 */
export function sliceToPage<R>(rows: R[], size: { paged: boolean; limit: number }, keyOf: (row: R) => readonly string[], tooMany: () => Error): { page: R[]; nextCursor: string | null } {
  if (!size.paged && rows.length > size.limit) throw tooMany();
  const page = rows.slice(0, size.limit);
  const last = page[page.length - 1];
  return { page, nextCursor: size.paged && rows.length > size.limit && last !== undefined ? encodePageCursor(keyOf(last)) : null };
}

/** A timestamptz column printed to the microsecond in UTC, for a cursor (the column's own value, where a default of now() keeps microseconds). */
export function microInstant(column: AnyColumn): SQL<string> {
  return sql<string>`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
