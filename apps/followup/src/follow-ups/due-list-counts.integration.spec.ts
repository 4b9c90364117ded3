import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DateTime } from 'luxon';
import { ManualClock } from '@aftercare/clock';
import type { FollowUpCountsData, FollowUpItemResource, FollowUpKind, FollowUpState } from '@aftercare/contracts';
import type { Db } from '@aftercare/database';
import { items } from '../database/schema.js';
import { insertPatient, requestContext, useFollowupModule } from '../followup.spec-support.js';
import { DueListService } from './due-list.service.js';
import { ItemAudit } from './item-audit.js';

/**
 * The due list's counts against the list itself on a real PostgreSQL: for every filter, each
 * count is the length of the list with that state, and the states the items show agree. The
 * clock is fixed (a ManualClock per "now"), so local midnights can be aimed at: items sit on
 * either side of each patient's midnights and of the now ± 26 h window, in zones far apart
 * (+14, -11, +5:45, Lord Howe's half-hour DST, Troll's two-hour one), on DST days.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KINDS: FollowUpKind[] = ['follow_up_visit', 'repeat_evaluation', 'attention', 'booking_task'];
const ZONES = ['America/New_York', 'Pacific/Honolulu', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Antarctica/Troll', 'Europe/London'];
const STATES = ['overdue', 'today', 'upcoming', 'open'] as const;

jest.setTimeout(60_000);

describe('the due list\'s counts (followup, real PostgreSQL)', () => {
  const followup = useFollowupModule('aftercare_test_due_list_counts');
  let db: Db;
  let audit: ItemAudit;

  beforeAll(() => {
    db = followup.db;
    audit = followup.app.get(ItemAudit);
  });

  const serviceAt = (now: Date) => new DueListService(db, new ManualClock(now), audit);

  let serial = 0;
  async function givenItem(
    clinicId: string,
    patientId: string,
    listAt: Date,
    opts: { kind: FollowUpKind; clinicianId: string | null; snoozed?: boolean; done?: boolean; call?: boolean },
  ) {
    const n = ++serial;
    // A snoozed item was due two days earlier; it sits on the list at the end of its snooze.
    const dueAt = opts.snoozed ? new Date(listAt.getTime() - 2 * DAY) : listAt;
    const booking = opts.kind === 'booking_task';
    await db.insert(items).values({
      id: randomUUID(),
      clinicId,
      patientId,
      clinicianId: opts.clinicianId,
      kind: opts.kind,
      cause: `cause-${n}`,
      reason: opts.kind,
      dueAt,
      snoozedUntil: opts.snoozed ? listAt : null,
      status: opts.done ? 'done' : 'open',
      completedAt: opts.done ? listAt : null,
      ...(booking ? { source: opts.call ? ('call_patient' as const) : ('follow_up_visit' as const), procedureType: opts.call ? null : 'follow_up_visit', bookBy: dueAt } : {}),
      createdAt: new Date(dueAt.getTime() - DAY),
    });
  }

  /** Counts and lists at `now`, for `filter`: each count is what the list shows. Returns the counts. */
  async function expectCountsOfTheList(clinicId: string, now: Date, filter: FollowUpCountsData) {
    const service = serviceAt(now);
    const ctx = requestContext(clinicId, 'clinician');
    const counts = await service.counts(ctx, filter);
    const lists = Object.fromEntries(
      await Promise.all(STATES.map(async (state) => [state, (await service.list(ctx, { ...filter, state })) as FollowUpItemResource[]] as const)),
    ) as Record<(typeof STATES)[number], FollowUpItemResource[]>;
    expect(lists.open.length).toBeLessThan(500); // the unpaged list's cap: these are whole lists
    const label = { now: now.toISOString(), ...filter };
    expect({ ...label, ...counts }).toEqual({
      ...label,
      overdue: lists.overdue.length,
      today: lists.today.length,
      upcoming: lists.upcoming.length,
      open: lists.open.length,
      attention: lists.open.filter((i) => i.kind === 'attention').length,
    });
    // The items' own states (worked out in JS, per patient zone) agree with the SQL's.
    for (const state of ['overdue', 'today', 'upcoming'] as const) expect(lists[state].filter((i) => i.state !== state)).toEqual([]);
    const byState = (state: FollowUpState) => lists.open.filter((i) => i.state === state).length;
    expect([byState('overdue'), byState('today'), byState('upcoming')]).toEqual([counts.overdue, counts.today, counts.upcoming]);
    expect(counts.overdue + counts.today + counts.upcoming).toBe(counts.open);
    return counts;
  }

  it.each([
    ['a spring-forward day in New York (23 hours)', '2026-03-08T15:00:00Z'],
    ['a fall-back night in New York (01:30, the first one)', '2026-11-01T05:30:00Z'],
    ['the day Troll\'s clock goes back two hours (26 hours)', '2026-10-25T00:30:00Z'],
    ['ten minutes before midnight UTC', '2026-06-15T23:50:00Z'],
  ])('equal the list for every filter on %s', async (_what, iso) => {
    const now = new Date(iso);
    const clinicId = randomUUID();
    const clinicians = [randomUUID(), randomUUID()];
    let k = 0;
    for (const zone of ZONES) {
      const patientId = await insertPatient(db, { clinicId, timezone: zone });
      const today = DateTime.fromJSDate(now, { zone }).startOf('day');
      const midnights = [-1, 0, 1, 2].map((d) => today.plus({ days: d }).startOf('day').toMillis());
      const times = [
        ...midnights.flatMap((m) => [m - 1, m, m + 1]),
        ...[0, 1, 25 * HOUR, 26 * HOUR - 1, 26 * HOUR, 26 * HOUR + 1, 27 * HOUR, 3 * DAY, 30 * DAY].flatMap((d) => [now.getTime() - d, now.getTime() + d]),
      ];
      for (const at of times) {
        const kind = KINDS[k % KINDS.length]!;
        await givenItem(clinicId, patientId, new Date(at), { kind, clinicianId: clinicians[k % 2]!, snoozed: k % 5 === 0 });
        if (k % 7 === 0) await givenItem(clinicId, patientId, new Date(at), { kind, clinicianId: clinicians[k % 2]!, done: true });
        if (k % 11 === 0) await givenItem(clinicId, patientId, new Date(at), { kind: 'booking_task', clinicianId: null, call: true });
        k++;
      }
    }

    const all = await expectCountsOfTheList(clinicId, now, {});
    expect(all.overdue).toBeGreaterThan(0);
    expect(all.today).toBeGreaterThan(0);
    expect(all.upcoming).toBeGreaterThan(0);
    expect(all.attention).toBeGreaterThan(0);
    for (const clinicianId of [...clinicians, randomUUID()]) {
      await expectCountsOfTheList(clinicId, now, { clinicianId });
      for (const kind of KINDS) await expectCountsOfTheList(clinicId, now, { clinicianId, kind });
    }
    for (const kind of KINDS) await expectCountsOfTheList(clinicId, now, { kind });
  });

  it('counts an item due this evening in Honolulu as today there, though it is tomorrow in New York', async () => {
    const now = new Date('2026-06-15T02:00:00Z'); // 22:00 on the 14th in New York, 16:00 in Honolulu
    const clinicId = randomUUID();
    const clinicianId = randomUUID();
    const at = new Date('2026-06-15T05:00:00Z'); // 01:00 on the 15th in New York, 19:00 on the 14th in Honolulu
    const newYork = await insertPatient(db, { clinicId, timezone: 'America/New_York' });
    const honolulu = await insertPatient(db, { clinicId, timezone: 'Pacific/Honolulu' });
    await givenItem(clinicId, newYork, at, { kind: 'follow_up_visit', clinicianId });
    await givenItem(clinicId, honolulu, at, { kind: 'follow_up_visit', clinicianId });
    await givenItem(clinicId, honolulu, new Date('2026-06-14T03:00:00Z'), { kind: 'attention', clinicianId }); // 17:00 on the 13th there

    const counts = await expectCountsOfTheList(clinicId, now, { clinicianId });
    expect(counts).toEqual({ overdue: 1, today: 1, upcoming: 1, attention: 1, open: 3 });
    expect(await serviceAt(now).counts(requestContext(clinicId, 'clinician'), { clinicianId, kind: 'attention' })).toEqual({
      overdue: 1,
      today: 0,
      upcoming: 0,
      attention: 1,
      open: 1,
    });
  });
});
