import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '@aftercare/database';
import { holdTransaction, waitForLockWaiters } from '@aftercare/testing';
import { CarePlansService } from '../care-plans/care-plans.service.js';
import { carePlans as carePlans_, items, painScores, steps } from '../database/schema.js';
import { CarePlanStepSource } from '../care-plans/care-plan-step.source.js';
import { EscalationSettingsService } from '../escalation/escalation-settings.service.js';
import type { FollowupEventsController } from '../events/followup-events.controller.js';
import { envelopesOf, insertCarePlan, insertPatient, requestContext, useFollowupModule } from '../followup.spec-support.js';

/**
 * Check-ins that go unanswered, on a real PostgreSQL: when a check-in goes out, the plan's
 * earlier ones still waiting for an answer become unanswered, and as many in a row as the
 * clinic's rule says (PRODUCT.md's default: 2) put one attention item on the clinician's due list.
 * The whole followup module runs, compiled but not started: the test runs each step as its job would.
 */

const ZONE = 'Europe/Madrid';
const HOUR = 3_600_000;

jest.setTimeout(30_000);

describe('check-ins that go unanswered (followup, real PostgreSQL and Redis)', () => {
  const followup = useFollowupModule('aftercare_test_missed_checkins');
  let db: Db;
  let events: FollowupEventsController;
  let carePlans: CarePlansService;
  let settings: EscalationSettingsService;

  beforeAll(() => {
    ({ db, events } = followup);
    carePlans = followup.app.get(CarePlansService);
    settings = followup.app.get(EscalationSettingsService);
  });

  /** A patient of a clinic of its own with a running plan of `count` check-ins, all due (hours ago, oldest first). */
  async function planOfCheckins(count: number, rules?: { missedInARow?: number | null; answerWindowHours?: number | null }) {
    const clinicId = randomUUID();
    if (rules) await settings.put(requestContext(clinicId, 'admin'), rules);
    const patientId = await insertPatient(db, { clinicId, timezone: ZONE });
    const carePlanId = await insertCarePlan(db, { clinicId, patientId, clinicianId: randomUUID(), procedureCompletedAt: new Date(Date.now() - 30 * 24 * HOUR), timezone: ZONE });
    const ids = Array.from({ length: count }, () => randomUUID());
    await db.insert(steps).values(
      ids.map((id, i) => ({ id, clinicId, carePlanId, patientId, key: `checkin-${i + 1}`, kind: 'checkin' as const, dueAt: new Date(Date.now() - (count - i) * HOUR), status: 'scheduled' as const })),
    );
    return { clinicId, patientId, carePlanId, stepIds: ids };
  }

  const statuses = async (carePlanId: string) =>
    (await db.select({ status: steps.status }).from(steps).where(eq(steps.carePlanId, carePlanId)).orderBy(asc(steps.dueAt))).map((s) => s.status);
  const missedItems = async (carePlanId: string) =>
    db.select({ reason: items.reason, status: items.status }).from(items).where(and(eq(items.carePlanId, carePlanId), eq(items.cause, 'missed_checkins')));

  it('marks the earlier open check-in unanswered when the next goes out; two in a row raise one attention item, a third adds to it', async () => {
    const plan = await planOfCheckins(4);
    await carePlans.runStep(plan.stepIds[0]!);
    expect(await statuses(plan.carePlanId)).toEqual(['sent', 'scheduled', 'scheduled', 'scheduled']);
    await carePlans.runStep(plan.stepIds[1]!);
    expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'sent', 'scheduled', 'scheduled']);
    expect(await missedItems(plan.carePlanId)).toEqual([]); // one miss is not a pattern
    await carePlans.runStep(plan.stepIds[2]!);
    expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'unanswered', 'sent', 'scheduled']);
    expect(await missedItems(plan.carePlanId)).toEqual([{ reason: 'No answer to 2 check-ins in a row (threshold 2)', status: 'open' }]);
    await carePlans.runStep(plan.stepIds[3]!);
    expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'unanswered', 'unanswered', 'sent']);
    expect(await missedItems(plan.carePlanId)).toHaveLength(1); // the open item gathers the misses
    // A job that runs a step again changes nothing.
    await carePlans.runStep(plan.stepIds[3]!);
    expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'unanswered', 'unanswered', 'sent']);
  });

  it('counts only the misses since the last answer', async () => {
    const plan = await planOfCheckins(4);
    await carePlans.runStep(plan.stepIds[0]!);
    await carePlans.runStep(plan.stepIds[1]!);
    // The patient answers the second check-in by SMS.
    await events.checkinAnswered(envelopesOf(plan.clinicId)('checkin.answered', { patientId: plan.patientId, messageId: randomUUID(), score: 3, answeredAt: new Date().toISOString() }));
    await carePlans.runStep(plan.stepIds[2]!);
    expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'answered', 'sent', 'scheduled']);
    await carePlans.runStep(plan.stepIds[3]!);
    expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'answered', 'unanswered', 'sent']);
    expect(await missedItems(plan.carePlanId)).toEqual([]); // 1 in a row since the answer
  });

  it("follows the clinic's own rule: three in a row, or never", async () => {
    const three = await planOfCheckins(4, { missedInARow: 3 });
    for (const id of three.stepIds.slice(0, 3)) await carePlans.runStep(id);
    expect(await missedItems(three.carePlanId)).toEqual([]);
    await carePlans.runStep(three.stepIds[3]!);
    expect(await missedItems(three.carePlanId)).toEqual([{ reason: 'No answer to 3 check-ins in a row (threshold 3)', status: 'open' }]);

    const off = await planOfCheckins(4, { missedInARow: null });
    for (const id of off.stepIds) await carePlans.runStep(id);
    expect(await statuses(off.carePlanId)).toEqual(['unanswered', 'unanswered', 'unanswered', 'sent']);
    expect(await missedItems(off.carePlanId)).toEqual([]);
  });

  it('an answer that meets the next check-in going out is the next check-in\'s, and the closed one stays unanswered', async () => {
    const plan = await planOfCheckins(2);
    await carePlans.runStep(plan.stepIds[0]!);
    // Hold the next check-in's transaction open after it has closed the first check-in (its
    // outbox write waits for a lock on the outbox), and let the answer arrive meanwhile: the
    // answer reads the first check-in as still open, and its write waits for the closing one.
    const locker = await holdTransaction(db, (tx) => tx.execute(sql`LOCK TABLE followup.outbox IN EXCLUSIVE MODE`));
    const next = carePlans.runStep(plan.stepIds[1]!);
    await waitForLockWaiters(db, 1); // the next check-in: claimed, the first closed, its event waits
    const messageId = randomUUID();
    const answer = events.checkinAnswered(envelopesOf(plan.clinicId)('checkin.answered', { patientId: plan.patientId, messageId, score: 4, answeredAt: new Date().toISOString() }));
    await waitForLockWaiters(db, 2); // the answer waits for the first check-in's row
    await locker.release();
    await Promise.all([next, answer]);

    expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'answered']);
    const [score] = await db.select({ stepId: painScores.stepId, carePlanId: painScores.carePlanId, score: painScores.score }).from(painScores).where(eq(painScores.messageId, messageId));
    expect(score).toEqual({ stepId: plan.stepIds[1], carePlanId: plan.carePlanId, score: 4 });
  });

  describe("the clinic's answer window", () => {
    /** Time has passed: the check-in's answer window ended a minute ago. */
    const endWindow = (stepId: string) => db.update(steps).set({ answerDueAt: new Date(Date.now() - 60_000) }).where(eq(steps.id, stepId));
    const stepRow = async (stepId: string) => (await db.select().from(steps).where(eq(steps.id, stepId)))[0]!;
    const evidenceOf = async (carePlanId: string) =>
      (await db.select({ evidence: items.evidence }).from(items).where(and(eq(items.carePlanId, carePlanId), eq(items.cause, 'missed_checkins'))))[0]?.evidence ?? [];

    it('a check-in not answered within 48 hours is missed then, and the second miss in a row raises the attention item at once, not when the next check-in goes out', async () => {
      const plan = await planOfCheckins(3);
      const fired = await carePlans.runStep(plan.stepIds[0]!);
      const sent = await stepRow(plan.stepIds[0]!);
      expect(sent.answerDueAt!.getTime() - sent.firedAt!.getTime()).toBe(48 * HOUR);
      expect(fired).toEqual({ wakeAt: sent.answerDueAt }); // the job is moved to the window's end
      // Its job woken before the window ends changes nothing, and waits for the end.
      expect(await carePlans.runStep(plan.stepIds[0]!)).toEqual({ wakeAt: sent.answerDueAt });
      expect(await statuses(plan.carePlanId)).toEqual(['sent', 'scheduled', 'scheduled']);

      await endWindow(plan.stepIds[0]!);
      await carePlans.runStep(plan.stepIds[0]!);
      expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'scheduled', 'scheduled']);
      expect(await missedItems(plan.carePlanId)).toEqual([]);
      await carePlans.runStep(plan.stepIds[1]!);
      expect(await missedItems(plan.carePlanId)).toEqual([]); // still one miss: counted when it became one

      await endWindow(plan.stepIds[1]!);
      await carePlans.runStep(plan.stepIds[1]!);
      expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'unanswered', 'scheduled']);
      expect(await missedItems(plan.carePlanId)).toEqual([{ reason: 'No answer to 2 check-ins in a row (threshold 2)', status: 'open' }]);
      const evidence = await evidenceOf(plan.carePlanId);
      // The next check-in going out closes nothing new, and adds nothing to the item.
      await carePlans.runStep(plan.stepIds[2]!);
      expect(await evidenceOf(plan.carePlanId)).toEqual(evidence);
    });

    it('the last check-in of a plan counts too: it has no next one to close it', async () => {
      const plan = await planOfCheckins(2);
      await carePlans.runStep(plan.stepIds[0]!);
      await carePlans.runStep(plan.stepIds[1]!);
      expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'sent']);
      expect(await missedItems(plan.carePlanId)).toEqual([]);
      await endWindow(plan.stepIds[1]!);
      await carePlans.runStep(plan.stepIds[1]!);
      expect(await missedItems(plan.carePlanId)).toEqual([{ reason: 'No answer to 2 check-ins in a row (threshold 2)', status: 'open' }]);
    });

    it('an answer within the window: the job at its end changes nothing', async () => {
      const plan = await planOfCheckins(2, { missedInARow: 1 });
      await carePlans.runStep(plan.stepIds[0]!);
      await events.checkinAnswered(envelopesOf(plan.clinicId)('checkin.answered', { patientId: plan.patientId, messageId: randomUUID(), score: 2, answeredAt: new Date().toISOString() }));
      await endWindow(plan.stepIds[0]!);
      await carePlans.runStep(plan.stepIds[0]!);
      expect(await statuses(plan.carePlanId)).toEqual(['answered', 'scheduled']);
      expect(await missedItems(plan.carePlanId)).toEqual([]);
    });

    it("follows the clinic's window, and with the window off a check-in waits for the next one, as before", async () => {
      const day = await planOfCheckins(1, { answerWindowHours: 24 });
      await carePlans.runStep(day.stepIds[0]!);
      const sent = await stepRow(day.stepIds[0]!);
      expect(sent.answerDueAt!.getTime() - sent.firedAt!.getTime()).toBe(24 * HOUR);

      const off = await planOfCheckins(2, { answerWindowHours: null });
      await carePlans.runStep(off.stepIds[0]!);
      expect(await stepRow(off.stepIds[0]!)).toMatchObject({ status: 'sent', answerDueAt: null });
      await carePlans.runStep(off.stepIds[0]!);
      expect(await statuses(off.carePlanId)).toEqual(['sent', 'scheduled']);
      await carePlans.runStep(off.stepIds[1]!);
      expect(await statuses(off.carePlanId)).toEqual(['unanswered', 'sent']);
    });

    it('a plan that is paused, or has ended, when the window ends: the check-in is missed, and nobody is alerted', async () => {
      for (const status of ['paused', 'cancelled'] as const) {
        const plan = await planOfCheckins(1, { missedInARow: 1 });
        await carePlans.runStep(plan.stepIds[0]!);
        await db.update(carePlans_).set({ status }).where(eq(carePlans_.id, plan.carePlanId));
        await endWindow(plan.stepIds[0]!);
        await carePlans.runStep(plan.stepIds[0]!);
        expect(await statuses(plan.carePlanId)).toEqual(['unanswered']);
        expect(await missedItems(plan.carePlanId)).toEqual([]);
      }
    });

    it("the reconciler and the virtual clock see a check-in waiting for its answer at its window's end, and no longer once answered", async () => {
      const source = followup.app.get(CarePlanStepSource);
      const plan = await planOfCheckins(2);
      await carePlans.runStep(plan.stepIds[0]!);
      const sent = await stepRow(plan.stepIds[0]!);
      const waiting = async () => (await source.pendingRows(100_000, null)).filter((r) => (plan.stepIds as string[]).includes(r.id));
      expect(await waiting()).toEqual(expect.arrayContaining([{ id: sent.id, dueAt: sent.answerDueAt }]));
      expect(await source.isPending(sent.id)).toBe(true);
      await events.checkinAnswered(envelopesOf(plan.clinicId)('checkin.answered', { patientId: plan.patientId, messageId: randomUUID(), score: 5, answeredAt: new Date().toISOString() }));
      expect((await waiting()).map((r) => r.id)).toEqual([plan.stepIds[1]]);
      expect(await source.isPending(sent.id)).toBe(false);
    });

    it('an answer the patient sent within the window that reaches followup only after the window was closed (followup behind) still counts for its check-in', async () => {
      const plan = await planOfCheckins(1, { missedInARow: 1 });
      await carePlans.runStep(plan.stepIds[0]!);
      // Went out 10 minutes ago; its window ended a minute ago, and the job closed it.
      await db.update(steps).set({ firedAt: new Date(Date.now() - 10 * 60_000), answerDueAt: new Date(Date.now() - 60_000) }).where(eq(steps.id, plan.stepIds[0]!));
      await carePlans.runStep(plan.stepIds[0]!);
      expect(await statuses(plan.carePlanId)).toEqual(['unanswered']);
      expect(await missedItems(plan.carePlanId)).toHaveLength(1);

      // The answer was sent five minutes ago, inside the window, and arrives now.
      const messageId = randomUUID();
      await events.checkinAnswered(envelopesOf(plan.clinicId)('checkin.answered', { patientId: plan.patientId, messageId, score: 3, answeredAt: new Date(Date.now() - 5 * 60_000).toISOString() }));
      expect(await statuses(plan.carePlanId)).toEqual(['answered']);
      const [score] = await db.select({ stepId: painScores.stepId }).from(painScores).where(eq(painScores.messageId, messageId));
      expect(score).toEqual({ stepId: plan.stepIds[0] });
      // The item raised meanwhile stays for the clinician, who sees the answer in its pain trend.
      expect(await missedItems(plan.carePlanId)).toHaveLength(1);
    });

    it('a text the patient sent before the next check-in went out, handled after it (held while a service was down), answers the check-in that was out then', async () => {
      const plan = await planOfCheckins(2);
      await carePlans.runStep(plan.stepIds[0]!);
      await db.update(steps).set({ firedAt: new Date(Date.now() - 2 * HOUR) }).where(eq(steps.id, plan.stepIds[0]!));
      await carePlans.runStep(plan.stepIds[1]!); // out now: the first is closed
      expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'sent']);
      const messageId = randomUUID();
      await events.checkinAnswered(envelopesOf(plan.clinicId)('checkin.answered', { patientId: plan.patientId, messageId, score: 6, answeredAt: new Date(Date.now() - 60_000).toISOString() }));
      expect(await statuses(plan.carePlanId)).toEqual(['answered', 'sent']);
      const [score] = await db.select({ stepId: painScores.stepId }).from(painScores).where(eq(painScores.messageId, messageId));
      expect(score).toEqual({ stepId: plan.stepIds[0] });
    });

    it('a long window does not reopen a check-in the next one closed: a second text after the next was answered is kept with no check-in', async () => {
      const plan = await planOfCheckins(2, { answerWindowHours: 336 });
      await carePlans.runStep(plan.stepIds[0]!);
      await db.update(steps).set({ firedAt: new Date(Date.now() - 2 * HOUR) }).where(eq(steps.id, plan.stepIds[0]!));
      await carePlans.runStep(plan.stepIds[1]!);
      const answer = (score: number) =>
        events.checkinAnswered(envelopesOf(plan.clinicId)('checkin.answered', { patientId: plan.patientId, messageId: randomUUID(), score, answeredAt: new Date().toISOString() }));
      await answer(4);
      expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'answered']);
      await answer(5);
      expect(await statuses(plan.carePlanId)).toEqual(['unanswered', 'answered']);
      const kept = await db.select({ stepId: painScores.stepId, score: painScores.score }).from(painScores).where(eq(painScores.patientId, plan.patientId)).orderBy(asc(painScores.score));
      expect(kept).toEqual([
        { stepId: plan.stepIds[1], score: 4 },
        { stepId: null, score: 5 },
      ]);
    });

    it('an answer that meets the end of the window: the check-in is one or the other, never both', async () => {
      const plan = await planOfCheckins(1, { missedInARow: 1 });
      await carePlans.runStep(plan.stepIds[0]!);
      await endWindow(plan.stepIds[0]!);
      // Hold the closing transaction open after its UPDATE (its raise waits for the items table), and answer meanwhile.
      const locker = await holdTransaction(db, (tx) => tx.execute(sql`LOCK TABLE followup.follow_up_items IN EXCLUSIVE MODE`));
      const closing = carePlans.runStep(plan.stepIds[0]!);
      await waitForLockWaiters(db, 1);
      const messageId = randomUUID();
      const answer = events.checkinAnswered(envelopesOf(plan.clinicId)('checkin.answered', { patientId: plan.patientId, messageId, score: 4, answeredAt: new Date().toISOString() }));
      await waitForLockWaiters(db, 2);
      await locker.release();
      await Promise.all([closing, answer]);
      expect(await statuses(plan.carePlanId)).toEqual(['unanswered']);
      expect(await missedItems(plan.carePlanId)).toHaveLength(1);
      const [score] = await db.select({ stepId: painScores.stepId }).from(painScores).where(eq(painScores.messageId, messageId));
      expect(score).toEqual({ stepId: null }); // kept, and still read for escalation, but not the closed check-in's
    });
  });

  it("two admins changing different rules at once both keep their change", async () => {
    for (let i = 0; i < 10; i++) {
      const clinicId = randomUUID();
      await settings.put(requestContext(clinicId, 'admin'), { missedInARow: 2, highScore: 8 });
      await Promise.all([
        settings.put(requestContext(clinicId, 'admin'), { missedInARow: 4 }),
        settings.put(requestContext(clinicId, 'admin'), { highScore: 6 }),
      ]);
      expect(await settings.rulesOf(clinicId)).toMatchObject({ missedInARow: 4, highScore: 6 });
    }
  });
});
