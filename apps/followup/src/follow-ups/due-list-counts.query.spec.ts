import { describe, expect, it } from '@jest/globals';
import { PgDialect } from 'drizzle-orm/pg-core';
import { dueListCountsQuery, toCounts } from './due-list-counts.query.js';

const CLINIC = '7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f';
const CLINICIAN = '0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d';
const now = new Date('2026-03-08T15:00:00Z');
const render = (filter: Parameters<typeof dueListCountsQuery>[0]) => new PgDialect().sqlToQuery(dueListCountsQuery(filter));

describe('the due list counts statement', () => {
  it('turns the row (bigint counts as text) into numbers; no row is all zeros', () => {
    expect(toCounts({ overdue: '3', today: '1', upcoming: '12', attention: '2', open: '16' })).toEqual({ overdue: 3, today: 1, upcoming: 12, attention: 2, open: 16 });
    expect(toCounts(undefined)).toEqual({ overdue: 0, today: 0, upcoming: 0, attention: 0, open: 0 });
  });

  it('keeps to the partial index the list pages on, and passes every value as a parameter', () => {
    const { sql, params } = render({ clinicId: CLINIC, clinicianId: CLINICIAN, kind: 'repeat_evaluation', now });
    expect(sql.match(/i\.status = 'open' AND i\.list_rank IS NOT NULL/g)).toHaveLength(2);
    expect(params).toEqual(expect.arrayContaining([CLINIC, CLINICIAN, 'repeat_evaluation', now.toISOString()]));
    expect(sql).not.toContain(CLINIC);
  });

  it('reads only indexed columns outside the ±26 h window: the rank for a clinician, the kind index for the clinic', () => {
    // A clinician's attention items are rank 0: no look at the row's kind.
    expect(render({ clinicId: CLINIC, clinicianId: CLINICIAN, kind: 'attention', now }).sql).not.toContain('i.kind');
    // The clinic's items of one kind: the kind index (clinic_id, kind, list_at) has no rank.
    expect(render({ clinicId: CLINIC, kind: 'booking_task', now }).sql).not.toMatch(/list_rank = /);
  });
});
