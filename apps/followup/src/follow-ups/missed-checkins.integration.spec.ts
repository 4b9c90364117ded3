import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '@aftercare/database';
import { holdTransaction, waitForLockWaiters } from '@aftercare/testing';
import { CarePlansService } from '../care-plans/care-plans.service.js';
import { items, painScores, steps } from '../database/schema.js';
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
  async function planOfCheckins(count: number, rules?: { missedInARow: number | null }) {
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
