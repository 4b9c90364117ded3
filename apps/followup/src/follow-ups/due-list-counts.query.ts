import { sql, type SQL } from 'drizzle-orm';
import type { FollowUpCountsResource, FollowUpKind } from '@aftercare/contracts';
import { localDaySql } from './due-list.query.js';

/**
 * How many open items the due list holds in each state (GET /api/follow-ups/counts), with the
 * list's filters and its states: the same rows (status 'open', list_rank not null: the front
 * desk's calls and opt-outs stay off) and the same local days of the patient (localDaySql).
 *
 * One statement, two scans of the partial index the list pages on:
 *   far   every open item, index only (list_rank and list_at are in the index): all of them,
 *         the attention items, and those outside now ± 26 h, which are overdue or upcoming in
 *         every zone;
 *   near  the few items inside now ± 26 h, a range of the same index, joined to their patient
 *         for the exact test against the patient's local midnights.
 * So one clinician's counts read their open items' index entries (about 500 each at a million
 * items across 500 clinicians) and the rows and patients of the few dozen near now, whatever
 * the table's size. The whole clinic's counts read all its open entries (a parallel index-only
 * scan) and every item near now: they grow with the clinic.
 */

export interface DueListCountsFilter {
  clinicId: string;
  clinicianId?: string;
  kind?: FollowUpKind;
  now: Date;
}

/** count(*) comes back as bigint, which pg hands over as text. */
export type DueListCountsRow = Record<keyof FollowUpCountsResource, string | number>;

export function dueListCountsQuery(f: DueListCountsFilter): SQL {
  const now = f.now.toISOString();
  const { startOfToday, startOfTomorrow, windowStart, windowEnd } = localDaySql(now);
  const where: SQL[] = [sql`i.clinic_id = ${f.clinicId}`, sql`i.status = 'open'`, sql`i.list_rank IS NOT NULL`];
  if (f.clinicianId) where.push(sql`i.clinician_id = ${f.clinicianId}`);
  if (f.kind && f.clinicianId) {
    // On the clinician's index (… clinician_id, list_rank, list_at): the kind's rank narrows the
    // range. Among rows with a rank, rank 0 is exactly kind 'attention', so that kind needs no
    // look at the table; the other kinds share rank 1 and are told apart by the row.
    where.push(sql`i.list_rank = ${f.kind === 'attention' ? 0 : 1}`);
    if (f.kind !== 'attention') where.push(sql`i.kind = ${f.kind}`);
  } else if (f.kind) {
    // The clinic's kind index (clinic_id, kind, list_at) holds the rows of one kind: index only.
    where.push(sql`i.kind = ${f.kind}`);
  }
  const filtered = sql.join(where, sql` AND `);
  // With a kind, the kind says whether they are attention items; without, the rank (in the index).
  const attention = f.kind === undefined ? sql`count(*) FILTER (WHERE i.list_rank = 0)` : f.kind === 'attention' ? sql`count(*)` : sql`0::bigint`;
  return sql`SELECT far.open, far.attention, far.overdue + near.overdue AS overdue, near.today, far.upcoming + near.upcoming AS upcoming
    FROM (SELECT count(*) AS open, ${attention} AS attention,
                 count(*) FILTER (WHERE i.list_at < ${windowStart}) AS overdue,
                 count(*) FILTER (WHERE i.list_at >= ${windowEnd}) AS upcoming
            FROM followup.follow_up_items i WHERE ${filtered}) far,
         (SELECT count(*) FILTER (WHERE i.list_at < ${startOfToday}) AS overdue,
                 count(*) FILTER (WHERE i.list_at >= ${startOfToday} AND i.list_at < ${startOfTomorrow}) AS today,
                 count(*) FILTER (WHERE i.list_at >= ${startOfTomorrow}) AS upcoming
            FROM followup.follow_up_items i JOIN followup.patients p ON p.id = i.patient_id
           WHERE ${filtered} AND i.list_at >= ${windowStart} AND i.list_at < ${windowEnd}) near`;
}

/** The statement's one row as the resource (numbers, not bigint text). */
export function toCounts(row: DueListCountsRow | undefined): FollowUpCountsResource {
  const n = (value: string | number | undefined) => Number(value ?? 0);
  return { overdue: n(row?.overdue), today: n(row?.today), upcoming: n(row?.upcoming), attention: n(row?.attention), open: n(row?.open) };
}
