import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { and, eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import {
  PATTERNS,
  QUEUES,
  type ClinicianDetailResource,
  type EventEnvelope,
  type EventType,
  type FollowUpItemResource,
  type FollowUpPage,
  type ListFollowUpsData,
  type RequestContext,
} from '@aftercare/contracts';
import type { Db } from '@aftercare/database';
import { carePlans, followupMessaging, itemActions, items, steps } from '../database/schema.js';
import type { FollowupEventsController } from '../events/followup-events.controller.js';
import { byId, envelopesOf, FakeScheduling, insertCarePlan, insertPatient, requestContext, useFollowupModule } from '../followup.spec-support.js';
import { FollowUpsController } from './follow-ups.controller.js';

/**
 * The clinician's due list, its actions and escalation on a real PostgreSQL with the whole
 * followup module, called the way the transport would; scheduling is a fake that knows three
 * clinicians (one inactive).
 */

const CLINIC = randomUUID();
const CLINICIAN = randomUUID();
const COLLEAGUE = randomUUID();
const RETIRED = randomUUID();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const clinicians = new Map<string, ClinicianDetailResource>([
  [CLINICIAN, { id: CLINICIAN, name: 'Dr One', email: 'one@example.com', weeklyHours: {}, active: true }],
  [COLLEAGUE, { id: COLLEAGUE, name: 'Dr Two', email: null, weeklyHours: {}, active: true }],
  [RETIRED, { id: RETIRED, name: 'Dr Three', email: null, weeklyHours: {}, active: false }],
]);
const scheduling = new FakeScheduling({ [PATTERNS.scheduling.cliniciansGet]: byId(clinicians, 'CLINICIAN.NOT_FOUND', 'Clinician') });
const envelope = envelopesOf(CLINIC);

const clinician: RequestContext = requestContext(CLINIC, 'clinician', { clinicianId: CLINICIAN, correlationId: 'test' });
const admin: RequestContext = { ...clinician, userId: randomUUID(), role: 'admin', clinicianId: null };

jest.setTimeout(30_000);

describe('the due list (followup, real PostgreSQL)', () => {
  const followup = useFollowupModule('aftercare_test_due_list', scheduling);
  let db: Db;
  let events: FollowupEventsController;
  let api: FollowUpsController;

  beforeAll(() => {
    ({ db, events } = followup);
    api = followup.app.get(FollowUpsController);
  });

  /** A patient in `zone` with an active plan of a procedure done `daysAgo` days ago. */
  async function givenPatient(opts: { zone?: string; daysAgo?: number; clinicianId?: string } = {}) {
    const zone = opts.zone ?? 'America/New_York';
    const patientId = await insertPatient(db, { clinicId: CLINIC, timezone: zone });
    const planId = await insertCarePlan(db, {
      clinicId: CLINIC,
      patientId,
      clinicianId: opts.clinicianId ?? CLINICIAN,
      // daysAgo calendar days in the patient's zone (the due list counts local days: 42 × 24 h
      // across the autumn DST change is 41 local days late in the evening).
      procedureCompletedAt: DateTime.now().setZone(zone).minus({ days: opts.daysAgo ?? 42 }).toJSDate(),
      timezone: zone,
    });
    return { patientId, planId };
  }

  async function givenItem(kind: FollowUpItemResource['kind'], dueAt: Date, opts: { clinicianId?: string; zone?: string } = {}) {
    const { patientId, planId } = await givenPatient(opts);
    const id = randomUUID();
    await db.insert(items).values({
      id,
      clinicId: CLINIC,
      patientId,
      carePlanId: planId,
      clinicianId: opts.clinicianId ?? CLINICIAN,
      kind,
      cause: kind === 'attention' ? 'high_score' : kind,
      reason: kind,
      dueAt,
      status: 'open',
      ...(kind === 'booking_task' ? { source: 'follow_up_visit' as const, procedureType: 'follow_up_visit', bookBy: dueAt } : {}),
      createdAt: new Date(),
    });
    return { id, patientId, planId };
  }

  const page = async (ctx: RequestContext, data: ListFollowUpsData) => (await api.items({ ctx, data: { ...data, paged: true } })) as FollowUpPage;
  const answer = (patientId: string, score: number) =>
    events.checkinAnswered(envelope('checkin.answered', { patientId, messageId: randomUUID(), score, answeredAt: new Date().toISOString() }));
  const outboxOf = (type: EventType) => db.select().from(followupMessaging.outbox).where(eq(followupMessaging.outbox.eventType, type));

  it('sorts urgency first (due attention, then the most overdue, then by due time) and pages with a cursor', async () => {
    const who = randomUUID();
    const now = Date.now();
    const upcoming = await givenItem('follow_up_visit', new Date(now + 5 * DAY), { clinicianId: who });
    const overdueLong = await givenItem('repeat_evaluation', new Date(now - 6 * DAY), { clinicianId: who });
    const attentionNew = await givenItem('attention', new Date(now - HOUR), { clinicianId: who });
    const overdueShort = await givenItem('booking_task', new Date(now - 2 * DAY), { clinicianId: who });
    const attentionOld = await givenItem('attention', new Date(now - 3 * DAY), { clinicianId: who });
    const expected = [attentionOld, attentionNew, overdueLong, overdueShort, upcoming].map((i) => i.id);

    const all = (await api.items({ ctx: clinician, data: { clinicianId: who } })) as FollowUpItemResource[];
    expect(Array.isArray(all)).toBe(true); // the first API: an array when nobody asks for pages
    expect(all.map((i) => i.id)).toEqual(expected);
    expect(all[2]).toMatchObject({ state: 'overdue', patient: { name: 'Ana Lima' }, site: 'left knee', daysSinceProcedure: 42 });

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const p = await page(clinician, { clinicianId: who, limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...p.items.map((x) => x.id));
      if (!p.nextCursor) break;
      cursor = p.nextCursor;
    }
    expect(seen).toEqual(expected);

    expect((await page(clinician, { clinicianId: who, state: 'overdue' })).items.map((i) => i.id)).toEqual([attentionOld, overdueLong, overdueShort].map((i) => i.id));
    expect((await page(clinician, { clinicianId: who, state: 'upcoming' })).items.map((i) => i.id)).toEqual([upcoming.id]);
    expect((await page(clinician, { clinicianId: who, kind: 'attention' })).items.map((i) => i.id)).toEqual([attentionOld.id, attentionNew.id]);
    await expect(page(clinician, { clinicianId: who, cursor: 'bm9wZQ' })).rejects.toMatchObject({ code: 'FOLLOW_UP.BAD_CURSOR', field: 'cursor' });
  });

  it('computes today in the patient\'s zone', async () => {
    const who = randomUUID();
    // 30 minutes from now is "today" unless the patient's midnight falls in between; pick zones
    // whose local time now is far from midnight.
    const zone = ['Pacific/Kiritimati', 'America/New_York', 'Asia/Tokyo', 'Europe/London'].find((z) => {
      const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: z, hour: '2-digit', hourCycle: 'h23' }).format(new Date()));
      return hour >= 1 && hour <= 22;
    })!;
    const soon = await givenItem('follow_up_visit', new Date(Date.now() + 30 * 60_000), { clinicianId: who, zone });
    const today = await page(clinician, { clinicianId: who, state: 'today' });
    expect(today.items.map((i) => [i.id, i.state])).toEqual([[soon.id, 'today']]);
  });

  it('one open attention item per cause gathers the evidence of every worrying answer; the clinic\'s rules decide', async () => {
    const { patientId } = await givenPatient();
    await answer(patientId, 2);
    await answer(patientId, 9); // high and a rise of 7
    await answer(patientId, 9);
    await answer(patientId, 10);
    const rows = await db.select().from(items).where(and(eq(items.patientId, patientId), eq(items.kind, 'attention')));
    expect(rows.map((r) => r.cause).sort()).toEqual(['high_score', 'score_rise']);
    const high = rows.find((r) => r.cause === 'high_score')!;
    expect(high.occurrences).toBe(3);
    expect(high.reason).toBe('Pain 10/10 reported (threshold 8)');
    expect(high.evidence!.map((e) => e.score)).toEqual([10, 9, 9]);
    const detail = await api.item({ ctx: clinician, data: { id: high.id } });
    expect(detail.history.map((h) => h.action)).toEqual(['raised', 'evidence', 'evidence']);
    expect(detail).toMatchObject({ latestPainScore: 10, painTrend: [2, 9, 9, 10], painDirection: 'rising', occurrences: 3 });
    expect(detail.painScores).toHaveLength(4);
    // No alert: the clinic has not asked for e-mail.
    expect((await outboxOf('follow-up.attention-raised')).filter((r) => (r.envelope as EventEnvelope<'follow-up.attention-raised'>).payload.itemId === high.id)).toEqual([]);

    // The admin turns the score rule off and e-mail alerts on.
    const rules = await api.putEscalationRules({ ctx: admin, data: { highScore: null, emailAlerts: true } });
    expect(rules).toMatchObject({ highScore: null, riseBy: 3, missedInARow: 2, freeText: true, emailAlerts: true, updatedBy: admin.userId });
    const other = await givenPatient();
    await answer(other.patientId, 3);
    await answer(other.patientId, 9);
    const raised = await db.select().from(items).where(eq(items.patientId, other.patientId));
    expect(raised.map((r) => r.cause)).toEqual(['score_rise']);
    const alerts = (await outboxOf('follow-up.attention-raised')).map((r) => (r.envelope as EventEnvelope<'follow-up.attention-raised'>).payload);
    expect(alerts).toContainEqual({ itemId: raised[0]!.id, clinicianId: CLINICIAN, cause: 'score_rise' });
    await expect(api.putEscalationRules({ ctx: admin, data: { riseBy: 0 } })).rejects.toMatchObject({ field: 'riseBy' });
    await api.putEscalationRules({ ctx: admin, data: { highScore: 8, emailAlerts: false } });
    expect(await api.escalationRules({ ctx: clinician, data: {} })).toMatchObject({ highScore: 8, emailAlerts: false });
  });

  it('with the free-text rule off, a patient\'s words go to the front desk as a call', async () => {
    await api.putEscalationRules({ ctx: admin, data: { freeText: false } });
    try {
      const { patientId } = await givenPatient();
      await events.patientWrote(envelope('patient.wrote', { patientId, messageId: randomUUID(), text: 'knee is hot', at: new Date().toISOString(), asksToStop: false, clinicianId: null }));
      const rows = await db.select().from(items).where(eq(items.patientId, patientId));
      expect(rows.map((r) => [r.kind, r.source])).toEqual([['booking_task', 'call_patient']]);
    } finally {
      await api.putEscalationRules({ ctx: admin, data: { freeText: true } });
    }
  });

  it('snooze takes an item off today and overdue until then; new evidence brings it back', async () => {
    const who = randomUUID();
    const { patientId } = await givenPatient({ clinicianId: who });
    await answer(patientId, 9);
    const [item] = await db.select().from(items).where(eq(items.patientId, patientId));
    const until = new Date(Date.now() + 3 * DAY).toISOString();
    const snoozed = await api.snooze({ ctx: clinician, data: { id: item!.id, until, note: 'spoke to her, ice and rest' } });
    expect(snoozed).toMatchObject({ state: 'upcoming', snoozedUntil: until });
    expect((await page(clinician, { clinicianId: who, state: 'today' })).items).toEqual([]);
    expect((await page(clinician, { clinicianId: who, state: 'upcoming' })).items.map((i) => i.id)).toEqual([item!.id]);
    await expect(api.snooze({ ctx: clinician, data: { id: item!.id, until: '2020-01-01' } })).rejects.toMatchObject({ field: 'until', statusCode: 400 });

    await answer(patientId, 9);
    const back = await api.item({ ctx: clinician, data: { id: item!.id } });
    expect(back).toMatchObject({ snoozedUntil: null, state: 'today', occurrences: 2 });
    expect(back.history.map((h) => [h.action, h.actorId])).toEqual([
      ['raised', null],
      ['snoozed', clinician.userId],
      ['evidence', null],
    ]);
    expect(back.history[1]).toMatchObject({ note: 'spoke to her, ice and rest', details: { until } });
  });

  it('completing an attention item raised again since the clinician read it is refused (409): the new evidence is read first, never closed unseen', async () => {
    const { patientId } = await givenPatient();
    await answer(patientId, 9);
    const [item] = await db.select().from(items).where(and(eq(items.patientId, patientId), eq(items.cause, 'high_score')));
    const read = await api.item({ ctx: clinician, data: { id: item!.id } });
    expect(read.occurrences).toBe(1);
    await answer(patientId, 10); // while the clinician writes the note

    await expect(api.complete({ ctx: clinician, data: { id: item!.id, note: 'settled', seenOccurrences: read.occurrences } })).rejects.toMatchObject({
      code: 'FOLLOW_UP.NEW_EVIDENCE',
      statusCode: 409,
      field: 'seenOccurrences',
      message: expect.stringContaining('raised again since you opened it (1 more time, 2 in all)'),
    });
    const unchanged = await api.item({ ctx: clinician, data: { id: item!.id } });
    expect(unchanged).toMatchObject({ state: 'today', occurrences: 2, completedAt: null });
    expect(unchanged.history.map((h) => h.action)).toEqual(['raised', 'evidence']);
    // Read again (2 raises, the 10 first), it completes; without the count it is not checked.
    expect(unchanged.evidence.map((e) => e.score)).toEqual([10, 9]);
    expect(await api.complete({ ctx: clinician, data: { id: item!.id, note: 'called her: settled', seenOccurrences: unchanged.occurrences } })).toMatchObject({ state: 'done' });
  });

  it('reassigns to an active clinician only, and completes with a note', async () => {
    const { id } = await givenItem('follow_up_visit', new Date());
    await expect(api.reassign({ ctx: clinician, data: { id, clinicianId: RETIRED } })).rejects.toMatchObject({ code: 'FOLLOW_UP.CLINICIAN_INACTIVE', field: 'clinicianId' });
    await expect(api.reassign({ ctx: clinician, data: { id, clinicianId: randomUUID() } })).rejects.toMatchObject({ statusCode: 400, field: 'clinicianId' });
    const moved = await api.reassign({ ctx: clinician, data: { id, clinicianId: COLLEAGUE, note: 'covering' } });
    expect(moved.clinicianId).toBe(COLLEAGUE);
    expect((await page(clinician, { clinicianId: COLLEAGUE })).items.map((i) => i.id)).toContain(id);
    const done = await api.complete({ ctx: admin, data: { id, note: 'visit held' } });
    expect(done).toMatchObject({ state: 'done', note: 'visit held' });
    expect(done.history.map((h) => [h.action, h.actorRole, h.details])).toEqual([
      ['reassigned', 'clinician', { from: CLINICIAN, to: COLLEAGUE }],
      ['completed', 'admin', {}],
    ]);
    expect((await page(clinician, { clinicianId: COLLEAGUE, state: 'done' })).items.map((i) => i.id)).toContain(id);
    await expect(api.snooze({ ctx: clinician, data: { id, until: '2099-01-01' } })).rejects.toMatchObject({ code: 'FOLLOW_UP.ALREADY_DONE' });
    // The audit is append-only.
    const refused = await db.update(itemActions).set({ note: 'edited' }).where(eq(itemActions.itemId, id)).then(() => null, (error: Error) => error);
    expect(String((refused as Error & { cause?: unknown })?.cause)).toMatch(/append-only/);
  });

  it('decides a repeat evaluation: reassess adds a step with its job; no_repeat closes the plan; repeat books by the chosen date', async () => {
    const reassess = await givenItem('repeat_evaluation', new Date());
    const decided = await api.decide({ ctx: clinician, data: { id: reassess.id, decision: 'reassess', reassessInWeeks: 4, note: 'slow progress' } });
    expect(decided.decision).toMatchObject({ decision: 'reassess', repeatInjection: false, reassessInWeeks: 4 });
    const [step] = await db.select().from(steps).where(eq(steps.carePlanId, reassess.planId));
    expect(step).toMatchObject({ kind: 'repeat_evaluation', status: 'scheduled', key: `reassess:${reassess.id}` });
    expect(step!.dueAt.toISOString()).toBe(decided.decision!.reassessAt);
    const job = await followup.app.get<Queue>(getQueueToken(QUEUES.carePlanSteps)).getJob(step!.id);
    expect(job?.data).toEqual({ id: step!.id });
    await expect(api.decide({ ctx: clinician, data: { id: reassess.id, decision: 'no_repeat' } })).rejects.toMatchObject({ code: 'FOLLOW_UP.ALREADY_DECIDED' });

    const close = await givenItem('repeat_evaluation', new Date());
    await api.decide({ ctx: clinician, data: { id: close.id, repeatInjection: false } }); // the first API
    const [plan] = await db.select().from(carePlans).where(eq(carePlans.id, close.planId));
    expect(plan).toMatchObject({ status: 'completed', outcome: 'no_repeat' });

    const repeat = await givenItem('repeat_evaluation', new Date());
    const bookBy = new Date(Date.now() + 60 * DAY).toISOString().slice(0, 10);
    const yes = await api.decide({ ctx: clinician, data: { id: repeat.id, decision: 'repeat', bookBy } });
    expect(yes.decision).toMatchObject({ decision: 'repeat', repeatInjection: true });
    expect(yes.history.map((h) => h.action)).toEqual(['decided']);
    const [task] = await db.select().from(items).where(and(eq(items.patientId, repeat.patientId), eq(items.kind, 'booking_task')));
    expect(task).toMatchObject({ source: 'repeat_injection', procedureType: 'bmac_injection', clinicianId: CLINICIAN });
    expect(task!.bookBy!.toISOString()).toBe(yes.decision!.bookBy);

    const attention = await givenItem('attention', new Date());
    await expect(api.decide({ ctx: clinician, data: { id: attention.id, decision: 'repeat' } })).rejects.toMatchObject({ code: 'FOLLOW_UP.NOT_AN_EVALUATION' });
    const evaluation = await givenItem('repeat_evaluation', new Date());
    await expect(api.decide({ ctx: clinician, data: { id: evaluation.id, decision: 'reassess' } })).rejects.toMatchObject({ field: 'reassessInWeeks' });
    await expect(api.complete({ ctx: clinician, data: { id: evaluation.id } })).rejects.toMatchObject({ code: 'FOLLOW_UP.DECISION_REQUIRED' });
  });
});
