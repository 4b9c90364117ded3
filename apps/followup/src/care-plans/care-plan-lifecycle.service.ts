import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { and, eq, inArray, lte, ne, sql } from 'drizzle-orm';
import { JOBS, QUEUES, type CarePlanChangeData, type RequestContext } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { JobScheduler } from '@aftercare/jobs';
import { DomainError, notFound } from '@aftercare/messaging';
import { carePlanChanges, carePlans, items, steps, type CarePlanRow, type StepRow } from '../database/schema.js';
import { planResume, transition, type CarePlanAction } from './domain/care-plan.lifecycle.js';

/** Steps that have not fired yet: the ones a pause, a cancel or a new plan takes over. */
const REMAINING = ['scheduled', 'paused'] as const;

/**
 * The plan's follow-up visit steps that came due and have not booked yet as far as this
 * transaction sees, as the plan ends: their job may be booking right now (or died after booking,
 * or lost the answer; a pause may have stopped it halfway). They become 'cancelling': their job
 * asks scheduling for a visit booked under the step and cancels it, then the step takes the
 * plan's end. Pending like 'scheduled', so the reconciler keeps a job for each until that is done.
 */
export function dueVisitsToCancelling(tx: Executor, planId: string, now: Date): Promise<{ id: string; dueAt: Date }[]> {
  return tx
    .update(steps)
    .set({ status: 'cancelling' })
    .where(and(eq(steps.carePlanId, planId), eq(steps.kind, 'follow_up_visit'), inArray(steps.status, [...REMAINING]), lte(steps.dueAt, now)))
    .returning({ id: steps.id, dueAt: steps.dueAt });
}

/**
 * Pause, resume, cancel, and the takeover by a new procedure's plan (see
 * domain/care-plan.lifecycle.ts for the rules). Rows change first, in one transaction with the
 * change's record; jobs follow after the commit. A job that still wakes a step that is no longer
 * 'scheduled' does nothing (CarePlansService.runStep), and the reconciler only looks at
 * 'scheduled' steps, so a lost job removal or a crash between commit and jobs costs nothing.
 */
@Injectable()
export class CarePlanLifecycleService {
  private readonly logger = new Logger('CarePlanLifecycle');
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QUEUES.carePlanSteps) private readonly queue: Queue,
    private readonly clock: Clock,
    private readonly scheduler: JobScheduler,
  ) {}

  /** Stops the plan's steps from firing until it is resumed. */
  async pause(ctx: RequestContext, data: CarePlanChangeData): Promise<void> {
    const now = this.clock.now();
    const pausedIds = await this.db.transaction(async (tx) => {
      const plan = await this.lockPlan(tx, ctx, data.id, 'pause');
      const paused = await this.moveSteps(tx, plan.id, ['scheduled'], 'paused');
      await tx.update(carePlans).set({ status: 'paused', pausedAt: now, statusReason: data.reason }).where(eq(carePlans.id, plan.id));
      await this.record(tx, ctx, plan, 'pause', data.reason, now, { paused: paused.length });
      return paused;
    });
    await this.removeJobs(pausedIds);
  }

  /**
   * Pending steps go on at their own times; those that came due while paused are skipped (patient
   * messages) or due now (the clinic's work). Rows first, then their jobs.
   */
  async resume(ctx: RequestContext, data: CarePlanChangeData): Promise<void> {
    const now = this.clock.now();
    const rescheduled = await this.db.transaction(async (tx) => {
      const plan = await this.lockPlan(tx, ctx, data.id, 'resume');
      const paused = await tx.select().from(steps).where(and(eq(steps.carePlanId, plan.id), eq(steps.status, 'paused')));
      const decisions = planResume(paused, { resumedAt: now, timezone: plan.timezone, quietHours: this.config.quietHours });
      const out: { id: string; dueAt: Date }[] = [];
      for (const d of decisions) {
        if (d.action === 'skip') {
          await tx.update(steps).set({ status: 'skipped' }).where(and(eq(steps.id, d.id), eq(steps.status, 'paused')));
        } else {
          await tx
            .update(steps)
            .set({ status: 'scheduled', dueAt: d.dueAt, windowStart: d.windowStart, windowEnd: d.windowEnd })
            .where(and(eq(steps.id, d.id), eq(steps.status, 'paused')));
          out.push({ id: d.id, dueAt: d.dueAt });
        }
      }
      await tx.update(carePlans).set({ status: 'active', pausedAt: null, statusReason: data.reason }).where(eq(carePlans.id, plan.id));
      await this.record(tx, ctx, plan, 'resume', data.reason, now, {
        pausedAt: plan.pausedAt?.toISOString() ?? null,
        rescheduled: out.length,
        skipped: decisions.length - out.length,
      });
      return out;
    });
    // A job left from before the pause (its removal failed, or it completed as a no-op and is
    // kept) would make the add below a no-op for that id: clear it first. One that is running
    // right now cannot be removed; it finds nothing to do, and the reconciler re-adds the alarm.
    await this.removeJobs(rescheduled.map((s) => s.id));
    await this.scheduler.scheduleMany(this.queue, JOBS.carePlanStepDue, rescheduled);
  }

  /** Ends the plan: the remaining steps are cancelled and the clinic's open items of it closed. */
  async cancel(ctx: RequestContext, data: CarePlanChangeData): Promise<void> {
    const now = this.clock.now();
    const { cancelledIds, cancelling } = await this.db.transaction(async (tx) => {
      const plan = await this.lockPlan(tx, ctx, data.id, 'cancel');
      const cancelling = await dueVisitsToCancelling(tx, plan.id, now);
      const cancelled = await this.moveSteps(tx, plan.id, REMAINING, 'cancelled');
      await tx
        .update(carePlans)
        .set({ status: 'cancelled', outcome: 'cancelled', closedAt: now, pausedAt: null, statusReason: data.reason })
        .where(eq(carePlans.id, plan.id));
      const closed = await this.closeItems(tx, plan.id, `Closed: the care plan was cancelled${data.reason ? ` (${data.reason})` : ''}`, ctx.userId, now);
      await this.record(tx, ctx, plan, 'cancel', data.reason, now, { cancelledSteps: cancelled.length + cancelling.length, closedItems: closed });
      return { cancelledIds: cancelled, cancelling };
    });
    await this.removeJobs([...cancelledIds, ...cancelling.map((s) => s.id)]);
    await this.scheduler.scheduleMany(this.queue, JOBS.carePlanStepDue, cancelling);
  }

  /**
   * Inside the transaction that creates `newPlan`: the patient's running plans for the same
   * procedure type, from an earlier procedure, close as superseded by it. Plans of other
   * procedure types (a consultation, the follow-up visit the plan itself booked) run on: they
   * are not a new treatment. The old steps' jobs are left to wake up and do nothing (their rows
   * are no longer 'scheduled'), which cannot race with this transaction.
   */
  async supersedeOlderPlans(tx: Executor, newPlan: Pick<CarePlanRow, 'id' | 'clinicId' | 'patientId' | 'procedureType' | 'procedureCompletedAt' | 'appointmentId'>): Promise<string[]> {
    const now = this.clock.now();
    const older = await tx
      .select()
      .from(carePlans)
      .where(
        and(
          eq(carePlans.patientId, newPlan.patientId),
          eq(carePlans.clinicId, newPlan.clinicId),
          eq(carePlans.procedureType, newPlan.procedureType),
          inArray(carePlans.status, ['active', 'paused']),
          ne(carePlans.id, newPlan.id),
          lte(carePlans.procedureCompletedAt, newPlan.procedureCompletedAt),
        ),
      )
      .for('update');
    const system: RequestContext = { clinicId: newPlan.clinicId, userId: null, role: 'system', clinicianId: null, correlationId: newPlan.id };
    for (const plan of older) {
      const reason = `A new procedure started care plan ${newPlan.id}`;
      // A due visit step's job is re-created by the reconciler (it is pending): none is added here.
      const cancelling = await dueVisitsToCancelling(tx, plan.id, now);
      const superseded = await this.moveSteps(tx, plan.id, REMAINING, 'superseded');
      await tx
        .update(carePlans)
        .set({ status: 'superseded', outcome: `superseded_by:${newPlan.id}`, supersededBy: newPlan.id, closedAt: now, pausedAt: null, statusReason: reason })
        .where(eq(carePlans.id, plan.id));
      const closed = await this.closeItems(tx, plan.id, `Closed: a new procedure started care plan ${newPlan.id}`, null, now);
      await this.record(tx, system, plan, 'supersede', reason, now, {
        supersededBy: newPlan.id,
        appointmentId: newPlan.appointmentId,
        supersededSteps: superseded.length + cancelling.length,
        closedItems: closed,
      });
    }
    return older.map((p) => p.id);
  }

  /** The plan's steps in one of the `from` statuses take status `to`; returns their ids (their jobs are the caller's). */
  private async moveSteps(tx: Executor, planId: string, from: readonly StepRow['status'][], to: StepRow['status']): Promise<string[]> {
    const moved = await tx
      .update(steps)
      .set({ status: to })
      .where(and(eq(steps.carePlanId, planId), inArray(steps.status, [...from])))
      .returning({ id: steps.id });
    return moved.map((s) => s.id);
  }

  /**
   * The clinic's open items of a plan that ends: the visit to hold, the evaluation to decide, the
   * booking to make. Attention items stay open: a worrying answer still needs a clinician's look
   * whatever becomes of the plan.
   */
  private async closeItems(tx: Executor, planId: string, note: string, userId: string | null, now: Date): Promise<number> {
    const closed = await tx
      .update(items)
      .set({ status: 'done', note: sql`COALESCE(${items.note} || E'\\n', '') || ${note}`, completedAt: now, completedBy: userId })
      .where(and(eq(items.carePlanId, planId), eq(items.status, 'open'), ne(items.kind, 'attention')))
      .returning({ id: items.id });
    return closed.length;
  }

  private async lockPlan(tx: Executor, ctx: RequestContext, id: string, action: CarePlanAction): Promise<CarePlanRow> {
    const [plan] = await tx.select().from(carePlans).where(and(eq(carePlans.id, id), eq(carePlans.clinicId, ctx.clinicId))).for('update');
    if (!plan) throw notFound('Care plan', id);
    if (!transition(plan.status, action)) {
      throw new DomainError(`CARE_PLAN.CANNOT_${action.toUpperCase()}`, `A ${plan.status} care plan cannot be ${action === 'pause' ? 'paused' : action === 'resume' ? 'resumed' : 'cancelled'}`, 409);
    }
    return plan;
  }

  private async record(
    tx: Executor,
    ctx: RequestContext,
    plan: CarePlanRow,
    action: CarePlanAction,
    reason: string | null,
    at: Date,
    details: Record<string, unknown>,
  ): Promise<void> {
    await tx.insert(carePlanChanges).values({
      id: randomUUID(),
      clinicId: plan.clinicId,
      carePlanId: plan.id,
      action,
      fromStatus: plan.status,
      toStatus: transition(plan.status, action)!,
      reason,
      userId: ctx.userId,
      at,
      details,
    });
  }

  /** Best effort: a job that cannot be removed (running) finds its step no longer scheduled. */
  private async removeJobs(ids: string[]): Promise<void> {
    for (const id of ids) {
      await this.queue.remove(id).catch((error: unknown) => this.logger.warn(`could not remove the job of step ${id}: ${(error as Error).message}`));
    }
  }
}
