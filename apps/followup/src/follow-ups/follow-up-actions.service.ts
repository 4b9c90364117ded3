import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { and, inArray, eq } from 'drizzle-orm';
import {
  JOBS,
  PATTERNS,
  QUEUES,
  type ClinicianDetailResource,
  type CompleteFollowUpData,
  type DecideData,
  type FollowUpDecision,
  type FollowUpItemDetailResource,
  type ItemActionKind,
  type ReassignFollowUpData,
  type RequestContext,
  type SnoozeFollowUpData,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { JobScheduler } from '@aftercare/jobs';
import { DomainError, notFound, OutboxWriter, ServiceClient } from '@aftercare/messaging';
import { BOOKING_TASK_REASONS, repeatInjectionBookBy, repeatInjectionDueAt } from '../booking-tasks/domain/booking-task.rules.js';
import { carePlans, items, patients, steps, type CarePlanRow, type ItemRow, type StepRow } from '../database/schema.js';
import { ActionProblem, checkDecisionFields, chosenBookBy, decisionOf, reassessDueAt, snoozeEnd } from './domain/item-actions.rules.js';
import { DueListService } from './due-list.service.js';
import { FollowUpsService } from './follow-ups.service.js';
import { ItemAudit } from './item-audit.js';
import { dueVisitsToCancelling } from '../care-plans/care-plan-lifecycle.service.js';

/** A repeat decision books another injection of this type (PRODUCT.md, step 5). */
export const REPEAT_PROCEDURE_TYPE = 'bmac_injection';
/** A plan that has ended takes no new evaluation step. */
const ENDED_PLAN = new Set(['completed', 'cancelled', 'superseded']);

/**
 * What a clinician does with a due-list item: complete, snooze, reassign, decide. Each action
 * changes the item and writes its audit row in one transaction; a new care-plan step gets its
 * job only after that commit (rows before jobs).
 */
@Injectable()
export class FollowUpActionsService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    @InjectQueue(QUEUES.carePlanSteps) private readonly stepQueue: Queue,
    private readonly clock: Clock,
    private readonly scheduler: JobScheduler,
    private readonly outbox: OutboxWriter,
    private readonly services: ServiceClient,
    private readonly followUps: FollowUpsService,
    private readonly dueList: DueListService,
    private readonly audit: ItemAudit,
  ) {}

  async complete(ctx: RequestContext, data: CompleteFollowUpData): Promise<FollowUpItemDetailResource> {
    await this.db.transaction(async (tx) => {
      const item = await this.lockOpen(tx, ctx, data.id, { allowDone: true });
      if (item.status === 'done') return; // completing twice changes nothing
      if (item.kind === 'repeat_evaluation') {
        throw new DomainError('FOLLOW_UP.DECISION_REQUIRED', 'A repeat-injection evaluation is closed by a decision: POST /api/follow-ups/:id/decision', 409);
      }
      // Evidence that came after the clinician read the item (a worse answer, another missed
      // check-in) is not closed unseen: the clinician reads it, then completes the item again.
      if (data.seenOccurrences !== undefined && item.occurrences > data.seenOccurrences) {
        const since = item.occurrences - data.seenOccurrences;
        throw new DomainError(
          'FOLLOW_UP.NEW_EVIDENCE',
          `This item was raised again since you opened it (${since} more time${since === 1 ? '' : 's'}, ${item.occurrences} in all): read the new evidence, then complete it`,
          409,
          'seenOccurrences',
        );
      }
      await tx.update(items).set({ status: 'done', note: data.note ?? null, completedAt: this.clock.now(), completedBy: ctx.userId, updatedAt: this.clock.now() }).where(eq(items.id, item.id));
      await this.recordAction(tx, ctx, item, 'completed', data.note);
    });
    return this.dueList.get(ctx, data.id);
  }

  /** Off today and overdue until `until`; a new finding for an attention item ends the snooze early. */
  async snooze(ctx: RequestContext, data: SnoozeFollowUpData): Promise<FollowUpItemDetailResource> {
    await this.db.transaction(async (tx) => {
      const item = await this.lockOpen(tx, ctx, data.id);
      const zone = await this.zoneOf(tx, item);
      const until = this.rule(() => snoozeEnd(data.until, this.clock.now(), zone));
      await tx.update(items).set({ snoozedUntil: until, updatedAt: this.clock.now() }).where(eq(items.id, item.id));
      await this.recordAction(tx, ctx, item, 'snoozed', data.note, { until: until.toISOString(), previous: item.snoozedUntil?.toISOString() ?? null });
    });
    return this.dueList.get(ctx, data.id);
  }

  /** To another active clinician of the clinic (scheduling owns clinicians: asked, not copied). */
  async reassign(ctx: RequestContext, data: ReassignFollowUpData): Promise<FollowUpItemDetailResource> {
    // Asked before the transaction: no connection is held while scheduling answers.
    const clinician = await this.activeClinician(ctx, data.clinicianId);
    await this.db.transaction(async (tx) => {
      const item = await this.lockOpen(tx, ctx, data.id);
      if (item.clinicianId === clinician.id) return; // already theirs
      await tx.update(items).set({ clinicianId: clinician.id, updatedAt: this.clock.now() }).where(eq(items.id, item.id));
      await this.recordAction(tx, ctx, item, 'reassigned', data.note, { from: item.clinicianId, to: clinician.id });
    });
    return this.dueList.get(ctx, data.id);
  }

  /**
   * A repeat-injection evaluation: `repeat` puts a booking task on the front desk's list,
   * `no_repeat` closes the plan with its outcome, `reassess` adds a new evaluation step to the
   * plan N weeks on (its job is added after commit).
   */
  async decide(ctx: RequestContext, data: DecideData): Promise<FollowUpItemDetailResource> {
    const now = this.clock.now();
    let newStep: StepRow | null = null;
    let cancelling: { id: string; dueAt: Date }[] = [];
    await this.db.transaction(async (tx) => {
      const [item] = await tx.select().from(items).where(and(eq(items.id, data.id), eq(items.clinicId, ctx.clinicId))).for('update');
      if (!item) throw notFound('Follow-up item', data.id);
      if (item.kind !== 'repeat_evaluation' || !item.carePlanId) {
        throw new DomainError('FOLLOW_UP.NOT_AN_EVALUATION', 'Only a repeat_evaluation item takes a decision', 409, data.decision ? 'decision' : 'repeatInjection');
      }
      if (item.status !== 'open') throw new DomainError('FOLLOW_UP.ALREADY_DECIDED', 'This evaluation was already decided', 409);
      const kind = this.rule(() => decisionOf(data));
      this.rule(() => checkDecisionFields(kind, data));
      const [plan] = await tx.select().from(carePlans).where(eq(carePlans.id, item.carePlanId)).for('update');
      if (!plan) throw notFound('Care plan', item.carePlanId);
      const decision: FollowUpDecision = { decision: kind, repeatInjection: kind === 'repeat', note: data.note ?? null };

      if (kind === 'repeat') {
        const bookBy = data.bookBy ? this.rule(() => chosenBookBy(data.bookBy!, now, plan.timezone)) : repeatInjectionBookBy(now, plan.timezone);
        decision.bookBy = bookBy.toISOString();
        await this.followUps.raise(tx, {
          plan,
          kind: 'booking_task',
          cause: 'repeat_injection',
          reason: BOOKING_TASK_REASONS.repeat_injection,
          dueAt: repeatInjectionDueAt(now, bookBy, plan.timezone),
          // Another injection with the plan's clinician.
          task: { source: 'repeat_injection', procedureType: REPEAT_PROCEDURE_TYPE, bookBy },
        });
      } else if (kind === 'no_repeat') {
        if (data.outcome) decision.outcome = data.outcome;
        cancelling = await this.closePlan(tx, plan, now);
      } else {
        if (ENDED_PLAN.has(plan.status)) {
          throw new DomainError('CARE_PLAN.ENDED', `The care plan is ${plan.status}: it takes no new evaluation`, 409, 'decision');
        }
        const dueAt = this.rule(() => reassessDueAt(now, data.reassessInWeeks!, plan.timezone));
        decision.reassessAt = dueAt.toISOString();
        decision.reassessInWeeks = data.reassessInWeeks!;
        [newStep] = await tx
          .insert(steps)
          .values({
            id: randomUUID(),
            clinicId: plan.clinicId,
            carePlanId: plan.id,
            patientId: plan.patientId,
            // One step per decided evaluation: a retried request finds it.
            key: `reassess:${item.id}`,
            kind: 'repeat_evaluation',
            dueAt,
            // A paused plan's new step waits with the others; resuming schedules it.
            status: plan.status === 'paused' ? 'paused' : 'scheduled',
          })
          .returning();
      }
      await tx.update(items).set({ status: 'done', decision, note: data.note ?? null, completedAt: now, completedBy: ctx.userId, updatedAt: now }).where(eq(items.id, item.id));
      await this.recordAction(tx, ctx, item, 'decided', data.note, { decision: kind, bookBy: decision.bookBy, reassessAt: decision.reassessAt, outcome: decision.outcome });
      await this.outbox.publish(
        tx,
        'evaluation.decided',
        { itemId: item.id, carePlanId: plan.id, patientId: item.patientId, repeatInjection: kind === 'repeat', decidedBy: ctx.userId ?? 'system', decision: kind },
        { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
      );
    });
    // Rows first, then the job; if this fails, the reconciler finds the step without one.
    if (newStep && (newStep as StepRow).status === 'scheduled') await this.scheduler.schedule(this.stepQueue, JOBS.carePlanStepDue, (newStep as StepRow).id, (newStep as StepRow).dueAt);
    // A job left from the step's own run is re-created by the reconciler (the step is pending).
    await this.scheduler.scheduleMany(this.stepQueue, JOBS.carePlanStepDue, cancelling);
    return this.dueList.get(ctx, data.id);
  }

  /** No repeat: the plan is complete, and its steps still waiting will not run. */
  private async closePlan(tx: Executor, plan: CarePlanRow, now: Date): Promise<{ id: string; dueAt: Date }[]> {
    if (!ENDED_PLAN.has(plan.status)) {
      await tx.update(carePlans).set({ status: 'completed', outcome: 'no_repeat', closedAt: now }).where(eq(carePlans.id, plan.id));
    }
    // A due visit step may be booking right now: it cancels what it booked, then ends (as on cancel).
    const cancelling = await dueVisitsToCancelling(tx, plan.id, now);
    // Paused steps too: a paused plan that is closed has nothing left to resume.
    await tx.update(steps).set({ status: 'cancelled' }).where(and(eq(steps.carePlanId, plan.id), inArray(steps.status, ['scheduled', 'paused'])));
    return cancelling;
  }

  /** The user's action on the item, recorded in the transaction that makes it (item_actions). */
  private recordAction(tx: Executor, ctx: RequestContext, item: ItemRow, action: ItemActionKind, note: string | null | undefined, details?: Record<string, unknown>): Promise<void> {
    return this.audit.record(tx, { clinicId: ctx.clinicId, itemId: item.id, action, actor: ctx, note: note ?? null, details });
  }

  private async lockOpen(tx: Executor, ctx: RequestContext, id: string, opts: { allowDone?: boolean } = {}): Promise<ItemRow> {
    const [item] = await tx.select().from(items).where(and(eq(items.id, id), eq(items.clinicId, ctx.clinicId))).for('update');
    // Calls and opt-outs are the front desk's (POST /api/booking-tasks/:id/complete).
    if (!item || item.source === 'call_patient' || item.source === 'confirm_opt_out') throw notFound('Follow-up item', id);
    if (item.status !== 'open' && !opts.allowDone) throw new DomainError('FOLLOW_UP.ALREADY_DONE', 'This item is already done', 409);
    return item;
  }

  private async activeClinician(ctx: RequestContext, id: string): Promise<ClinicianDetailResource> {
    let clinician: ClinicianDetailResource;
    try {
      clinician = await this.services.send<ClinicianDetailResource>(PATTERNS.scheduling.cliniciansGet, { ctx, data: { id } });
    } catch (error) {
      if (error instanceof DomainError && error.statusCode === 404) {
        throw new DomainError('FOLLOW_UP.UNKNOWN_CLINICIAN', `clinicianId: no clinician ${id} in this clinic`, 400, 'clinicianId');
      }
      throw error;
    }
    if (!clinician.active) throw new DomainError('FOLLOW_UP.CLINICIAN_INACTIVE', 'clinicianId: that clinician is no longer active', 409, 'clinicianId');
    return clinician;
  }

  private async zoneOf(tx: Executor, item: ItemRow): Promise<string> {
    const [row] = await tx.select({ timezone: patients.timezone }).from(patients).where(eq(patients.id, item.patientId));
    return row?.timezone ?? 'UTC';
  }

  /** Runs a plain rule; its ActionProblem becomes a 400 naming the field. */
  private rule<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof ActionProblem) throw new DomainError('FOLLOW_UP.INVALID_ACTION', error.message, 400, error.field);
      throw error;
    }
  }
}
