import { sql, type SQL } from 'drizzle-orm';
import type { FollowUpKind, FollowUpState } from '@aftercare/contracts';

/**
 * The due list's keyset pages (issue 5: one clinician's first page in well under 50 ms at a
 * million items). The order is urgency first:
 *
 *   phase 0  attention items that are due (list_at <= now), oldest first;
 *   phase 1  everything else — overdue items first because they are the oldest, then by due
 *            time; a snoozed attention item waits here until its snooze ends.
 *
 * list_at = GREATEST(due_at, snoozed_until) and list_rank (0 attention, 1 the rest, NULL off the
 * list) are generated columns, so each phase is one or two range scans of a partial index on
 * (clinic_id[, clinician_id], list_rank, list_at, id) that stop after `limit` rows. The cursor
 * carries the last row's (phase, list_at, id), list_at to the microsecond so that no row is
 * skipped or repeated between pages. Done items page newest completion first.
 */

export const PAGE = { default: 50, max: 200, unpaged: 500 } as const;

export interface DueListCursor {
  phase: 0 | 1 | 'done';
  /** list_at (open) or completed_at (done), to the microsecond. */
  at: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A sort time to the microsecond, in UTC: 2026-01-12T14:00:00.123456Z. */
const MICRO_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** Prints a timestamptz column to the microsecond (a JS Date keeps milliseconds only). */
const micro = (column: SQL) => sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function encodeCursor(cursor: DueListCursor): string {
  return Buffer.from(JSON.stringify([cursor.phase, cursor.at, cursor.id])).toString('base64url');
}

/** The cursor a client sent back, or null when it is not one of ours. */
export function decodeCursor(text: string): DueListCursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 3) return null;
    const [phase, at, id] = value as unknown[];
    if (phase !== 0 && phase !== 1 && phase !== 'done') return null;
    if (typeof at !== 'string' || !MICRO_ISO.test(at) || typeof id !== 'string' || !UUID.test(id)) return null;
    return { phase, at, id };
  } catch {
    return null;
  }
}

/**
 * A local day lasts at most 26 hours (25 across most DST changes; 26 in Antarctica/Troll, whose
 * clock moves by two), so in every zone today starts after now - 26 h and tomorrow starts at
 * or before now + 26 h (due-list.query.spec.ts checks every zone). An item outside that window
 * is overdue or upcoming whatever its patient's zone: only the items inside need the zone, the
 * join to patients and the local midnights.
 */
export const ZONE_MARGIN_HOURS = 26;

/** The bounds of the patient's (`p.timezone`) local today around `now`, and the window where the zone matters. */
export function localDaySql(now: string) {
  const margin = sql.raw(`interval '${ZONE_MARGIN_HOURS} hours'`);
  return {
    startOfToday: sql`(date_trunc('day', ${now}::timestamptz AT TIME ZONE p.timezone) AT TIME ZONE p.timezone)`,
    startOfTomorrow: sql`((date_trunc('day', ${now}::timestamptz AT TIME ZONE p.timezone) + interval '1 day') AT TIME ZONE p.timezone)`,
    windowStart: sql`${now}::timestamptz - ${margin}`,
    windowEnd: sql`${now}::timestamptz + ${margin}`,
  };
}

export interface DueListFilter {
  clinicId: string;
  clinicianId?: string;
  kind?: FollowUpKind;
  state?: FollowUpState | 'open';
  now: Date;
  limit: number;
  cursor: DueListCursor | null;
}

export type DueListKey = {
  id: string;
  phase: 0 | 1 | 'done';
  /** The sort time to the microsecond (goes into the next cursor). */
  key_at: string;
};

/** The page's ids in order (limit + 1 of them when there is a next page). */
export function dueListQuery(f: DueListFilter): SQL {
  if (f.state === 'done') return doneQuery(f);
  const n = f.limit + 1;
  const now = f.now.toISOString();
  const common: SQL[] = [sql`i.clinic_id = ${f.clinicId}`, sql`i.status = 'open'`];
  if (f.clinicianId) common.push(sql`i.clinician_id = ${f.clinicianId}`);
  if (f.kind) common.push(sql`i.kind = ${f.kind}`);
  // Today and overdue are days of the patient's zone: a range on list_at that the index serves,
  // then the exact test against the patient's local midnight.
  const needsZone = f.state === 'overdue' || f.state === 'today' || f.state === 'upcoming';
  const { startOfToday, startOfTomorrow, windowStart, windowEnd } = localDaySql(now);
  if (f.state === 'overdue') common.push(sql`i.list_at < ${now}::timestamptz`, sql`i.list_at < ${startOfToday}`);
  if (f.state === 'today') {
    common.push(
      sql`i.list_at >= ${windowStart}`,
      sql`i.list_at < ${windowEnd}`,
      sql`i.list_at >= ${startOfToday}`,
      sql`i.list_at < ${startOfTomorrow}`,
    );
  }
  if (f.state === 'upcoming') common.push(sql`i.list_at > ${now}::timestamptz`, sql`i.list_at >= ${startOfTomorrow}`);
  const from = needsZone ? sql`followup.follow_up_items i JOIN followup.patients p ON p.id = i.patient_id` : sql`followup.follow_up_items i`;

  const after = (phase: 0 | 1): SQL | null => {
    if (!f.cursor || f.cursor.phase !== phase) return null;
    return sql`(i.list_at, i.id) > (${f.cursor.at}::timestamptz, ${f.cursor.id}::uuid)`;
  };
  const branch = (phase: 0 | 1, own: SQL[]): SQL => {
    const cursorCondition = after(phase);
    const where = sql.join([...common, ...own, ...(cursorCondition ? [cursorCondition] : [])], sql` AND `);
    return sql`(SELECT i.id, ${sql.raw(String(phase))}::int AS phase, i.list_at, ${micro(sql`i.list_at`)} AS key_at
      FROM ${from} WHERE ${where} ORDER BY i.list_at, i.id LIMIT ${n})`;
  };

  const attention = f.kind === undefined || f.kind === 'attention';
  const others = f.kind !== 'attention';
  const afterPhase0 = f.cursor?.phase === 1;
  const branches: SQL[] = [];
  if (attention && !afterPhase0) branches.push(branch(0, [sql`i.list_rank = 0`, sql`i.list_at <= ${now}::timestamptz`]));
  if (attention) branches.push(branch(1, [sql`i.list_rank = 0`, sql`i.list_at > ${now}::timestamptz`]));
  if (others) branches.push(branch(1, [sql`i.list_rank = 1`]));
  return sql`SELECT id, phase, key_at FROM (${sql.join(branches, sql` UNION ALL `)}) page ORDER BY phase, list_at, id LIMIT ${n}`;
}

function doneQuery(f: DueListFilter): SQL {
  const where: SQL[] = [sql`i.clinic_id = ${f.clinicId}`, sql`i.status = 'done'`, sql`i.list_rank IS NOT NULL`, sql`i.completed_at IS NOT NULL`];
  if (f.clinicianId) where.push(sql`i.clinician_id = ${f.clinicianId}`);
  if (f.kind) where.push(sql`i.kind = ${f.kind}`);
  if (f.cursor?.phase === 'done') where.push(sql`(i.completed_at, i.id) < (${f.cursor.at}::timestamptz, ${f.cursor.id}::uuid)`);
  return sql`SELECT i.id, 'done' AS phase, ${micro(sql`i.completed_at`)} AS key_at FROM followup.follow_up_items i
    WHERE ${sql.join(where, sql` AND `)} ORDER BY i.completed_at DESC, i.id DESC LIMIT ${f.limit + 1}`;
}
