import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, getTableName, inArray, lte, sql } from 'drizzle-orm';
import type { BookingTaskSource, EventEnvelope, FollowUpKind, RequestContext, TimelineEntry } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, NamedStatement, PreparedQuery, type Db, type Executor } from '@aftercare/database';
import { carePlans, items, painScores, steps, type AttentionEvidence, type CarePlanRow, type StepRow } from '../database/schema.js';
import { AttentionService } from '../escalation/attention.service.js';
import { EscalationSettingsService } from '../escalation/escalation-settings.service.js';
import { evaluateAnswer, evaluateMissed, type EscalationFinding, type EscalationRules } from '../escalation/escalation.rules.js';
import { ItemAudit, SYSTEM } from './item-audit.js';

interface RaiseItemBase {
  /** The plan the item belongs to; id null for an item outside any plan (a reschedule request). */
  plan: Pick<CarePlanRow, 'clinicId' | 'patientId'> & { id: string | null; clinicianId: string | null };
  stepId?: string | null;
  cause: string;
  reason: string;
  dueAt: Date;
  appointmentId?: string | null;
}

/** What the front desk needs of a booking task (BookingTaskResource). */
export interface BookingTaskFields {
  source: BookingTaskSource;
  /** What to book: a procedure type code; null for a call or an opt-out to confirm. */
  procedureType: string | null;
  bookBy: Date;
}

/** A booking task carries its booking fields; other kinds have none. */
export type RaiseItem = RaiseItemBase &
  ({ kind: Exclude<FollowUpKind, 'booking_task'>; task?: never } | { kind: 'booking_task'; task: BookingTaskFields });

const STEPS = `followup.${getTableName(steps)}`;

/** The note on a visit the care plan booked as it ended; the visit is cancelled. */
export const VISIT_OF_ENDED_PLAN = 'Cancelled: the care plan ended while this follow-up visit was being booked';

/**
 * A new check-in went out: the plan's earlier check-ins still waiting for an answer become
 * unanswered, and the plan's fired check-ins come back newest first as they are after that
 * (the SELECT sees the table from before the UPDATE in its WITH, so the rows it closed are
 * marked by the join): one round trip where there were two. The patient narrows the UPDATE to the open check-ins' index (patient_id, fired_at WHERE
 * sent): by the plan alone, PostgreSQL chose that index's whole range (every check-in waiting
 * for an answer, 100,000 in a busy hour) over the plan's eight steps, and each sent check-in took
 * ms. 'sent' is written into the text, not a parameter, so that a generic plan can use that
 * partial index. ($1 patient, $2 plan, $3 the new check-in's step.)
 */
/** A fired check-in of the plan, newest first, as a closing statement left it: `closed` if that statement closed it. */
interface FiredCheckin {
  status: string;
  closed: boolean;
}

/**
 * The next check-in went out ($3): the plan's earlier ones still waiting are unanswered. Answers
 * the plan's other fired check-ins as they are now (the UPDATE's rows are not visible to the
 * SELECT of the same statement, hence the join).
 */
const CLOSE_UNANSWERED = new NamedStatement<[string, string, string], FiredCheckin>(
  'followup.follow_ups.close_unanswered',
  `WITH closed AS (
     UPDATE ${STEPS} SET status = 'unanswered'
      WHERE patient_id = $1::uuid AND care_plan_id = $2::uuid AND kind = 'checkin' AND status = 'sent' AND id <> $3::uuid
      RETURNING id)
   SELECT CASE WHEN c.id IS NULL THEN s.status ELSE 'unanswered' END AS "status", c.id IS NOT NULL AS "closed"
     FROM ${STEPS} s LEFT JOIN closed c ON c.id = s.id
    WHERE s.care_plan_id = $2::uuid AND s.kind = 'checkin' AND s.fired_at IS NOT NULL AND s.id <> $3::uuid
    ORDER BY s.fired_at DESC`,
);

/** A check-in ($1) whose answer window ended by $3: unanswered, if it still waits. Answers the plan's fired check-ins. */
const CLOSE_AT_ANSWER_DEADLINE = new NamedStatement<[string, string, Date], FiredCheckin>(
  'followup.follow_ups.close_at_answer_deadline',
  `WITH closed AS (
     UPDATE ${STEPS} SET status = 'unanswered'
      WHERE id = $1::uuid AND care_plan_id = $2::uuid AND kind = 'checkin' AND status = 'sent' AND answer_due_at <= $3::timestamptz
      RETURNING id)
   SELECT CASE WHEN c.id IS NULL THEN s.status ELSE 'unanswered' END AS "status", c.id IS NOT NULL AS "closed"
     FROM ${STEPS} s LEFT JOIN closed c ON c.id = s.id
    WHERE s.care_plan_id = $2::uuid AND s.kind = 'checkin' AND s.fired_at IS NOT NULL
    ORDER BY s.fired_at DESC`,
);

/**
 * Raises the due list's items (from steps, escalation and decisions) and records check-in
 * answers. The list itself: DueListService; what clinicians do with items: FollowUpActionsService.
 */
@Injectable()
export class FollowUpsService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
    private readonly settings: EscalationSettingsService,
    private readonly attention: AttentionService,
    private readonly audit: ItemAudit,
  ) {}

  /** Raises an item once (a step's item, or one open attention item per cause); true if it is new. */
  async raise(tx: Executor, item: RaiseItem): Promise<boolean> {
    const inserted = await tx
      .insert(items)
      .values({
        id: randomUUID(),
        clinicId: item.plan.clinicId,
        patientId: item.plan.patientId,
        carePlanId: item.plan.id,
        stepId: item.stepId ?? null,
        clinicianId: item.plan.clinicianId,
        kind: item.kind,
        cause: item.cause,
        reason: item.reason,
        dueAt: item.dueAt,
        status: 'open',
        appointmentId: item.appointmentId ?? null,
        source: item.task?.source ?? null,
        procedureType: item.task?.procedureType ?? null,
        bookBy: item.task?.bookBy ?? null,
        createdAt: this.clock.now(),
      })
      .onConflictDoNothing()
      .returning({ id: items.id });
    const [created] = inserted;
    if (created) {
      await this.audit.record(tx, { clinicId: item.plan.clinicId, itemId: created.id, action: 'raised', actor: SYSTEM, details: { cause: item.cause, stepId: item.stepId ?? null } });
    }
    return inserted.length > 0;
  }

  /**
   * A follow-up visit the care plan booked as the plan ended (cancelled or superseded while the
   * booking was under way): recorded on the ended plan as a closed item, so that the visit's
   * cancellation is known as this plan's (no rebook task for another plan), and so that a retry
   * of the step's job finds the appointment still to cancel.
   */
  async recordVisitOfEndedPlan(tx: Executor, plan: CarePlanRow, stepId: string, appointment: { id: string; startsAt: string }): Promise<void> {
    await this.raise(tx, {
      plan,
      stepId,
      kind: 'follow_up_visit',
      cause: 'follow_up_visit',
      reason: 'Follow-up visit booked by the care plan',
      dueAt: new Date(appointment.startsAt),
      appointmentId: appointment.id,
    });
    const now = this.clock.now();
    const [closed] = await tx
      .update(items)
      .set({ status: 'done', note: VISIT_OF_ENDED_PLAN, completedAt: now })
      .where(and(eq(items.stepId, stepId), eq(items.kind, 'follow_up_visit'), eq(items.status, 'open')))
      .returning({ id: items.id });
    if (closed) await this.audit.record(tx, { clinicId: plan.clinicId, itemId: closed.id, action: 'completed', actor: SYSTEM, details: { note: VISIT_OF_ENDED_PLAN } });
  }

  /**
   * The appointment of the step's visit item, if any. A visit step whose plan ended before it
   * was done has one only from recordVisitOfEndedPlan (a step that booked normally is done).
   */
  async visitOfEndedPlan(stepId: string): Promise<string | null> {
    const [item] = await this.db.select({ appointmentId: items.appointmentId }).from(items).where(and(eq(items.stepId, stepId), eq(items.kind, 'follow_up_visit')));
    return item?.appointmentId ?? null;
  }

  /** Escalation findings under the clinic's rules: one open attention item per cause. */
  private async raiseFindings(
    tx: Executor,
    plan: CarePlanRow,
    findings: EscalationFinding[],
    rules: EscalationRules,
    facts: Omit<AttentionEvidence, 'at' | 'reason'> = {},
  ): Promise<void> {
    if (findings.length === 0) return;
    await this.attention.raise(tx, plan, findings, rules, facts);
  }

  /**
   * A new check-in went out: earlier ones still waiting are now unanswered (their answer window
   * ends here at the latest); as many in a row as the clinic's rule says raise an attention item.
   * `rules`: the clinic's, as the caller has read them.
   */
  async closeUnansweredCheckins(tx: Executor, plan: CarePlanRow, currentStepId: string, rules: EscalationRules): Promise<void> {
    const fired = await CLOSE_UNANSWERED.execute(tx, [plan.patientId, plan.id, currentStepId]);
    await this.raiseMissed(tx, plan, fired, rules);
  }

  /**
   * A check-in's answer window has ended (its job woke at `answer_due_at`): if it still waits, it
   * is unanswered now, and the missed-in-a-row rule applies at once. Of a plan that is not
   * running (paused, or ended since the check-in went out) the check-in is closed all the same,
   * and nobody is alerted.
   */
  async closeCheckinAtAnswerDeadline(tx: Executor, plan: CarePlanRow, stepId: string, now: Date): Promise<void> {
    const fired = await CLOSE_AT_ANSWER_DEADLINE.execute(tx, [stepId, plan.id, now]);
    if (plan.status !== 'active') return;
    await this.raiseMissed(tx, plan, fired, null);
  }

  /**
   * The missed-in-a-row rule over the plan's fired check-ins (newest first), when a statement has
   * just closed one of them: a miss is counted once, when it becomes one.
   */
  private async raiseMissed(tx: Executor, plan: CarePlanRow, fired: FiredCheckin[], rules: EscalationRules | null): Promise<void> {
    if (!fired.some((s) => s.closed)) return;
    let inARow = 0;
    for (const s of fired) {
      if (s.status !== 'unanswered') break;
      inARow++;
    }
    if (inARow === 0) return; // no rule counts from 0 (missedInARow is 1 to 10, or off)
    // At the threshold and every miss after it: the open item gathers them (one per cause).
    const clinicRules = rules ?? (await this.settings.rulesOf(plan.clinicId, tx));
    await this.raiseFindings(tx, plan, evaluateMissed({ consecutiveUnanswered: inARow }, clinicRules), clinicRules);
  }

  /** A pain score came back by SMS: store it against the open check-in and escalate at once. */
  async recordAnswer(tx: Executor, event: EventEnvelope<'checkin.answered'>): Promise<void> {
    const { patientId, messageId, score, answeredAt } = event.payload;
    const at = new Date(answeredAt);
    const [previous] = await tx
      .select({ score: painScores.score })
      .from(painScores)
      .where(eq(painScores.patientId, patientId))
      .orderBy(desc(painScores.answeredAt))
      .limit(1);
    // The score first: a second event for the same message waits here for the first to commit,
    // then finds it and changes nothing.
    const [recorded] = await tx
      .insert(painScores)
      .values({ id: randomUUID(), clinicId: event.clinicId, patientId, carePlanId: null, stepId: null, messageId, score, answeredAt: at })
      .onConflictDoNothing()
      .returning({ id: painScores.id });
    if (!recorded) return;
    const open = await this.answerCheckinOf(tx, patientId, at, score);
    const [plan] = open
      ? await tx.select().from(carePlans).where(eq(carePlans.id, open.carePlanId))
      : await tx.select().from(carePlans).where(and(eq(carePlans.patientId, patientId), eq(carePlans.status, 'active'))).orderBy(desc(carePlans.createdAt)).limit(1);
    if (!plan) return;
    await tx.update(painScores).set({ carePlanId: plan.id, stepId: open?.id ?? null }).where(eq(painScores.id, recorded.id));
    const previousScore = previous?.score ?? null;
    const rules = await this.settings.rulesOf(plan.clinicId, tx);
    await this.raiseFindings(tx, plan, evaluateAnswer({ score, previousScore }, rules), rules, { score, previousScore, messageId });
  }

  /**
   * Marks answered the check-in the patient answered - the one that was out when they sent the
   * text (the newest check-in that went out by `answeredAt`), if it was still waiting then: `sent`,
   * or closed since but not before `answeredAt` (its window ended later, or the next check-in
   * went out later: a text held while a service was down, or handled just after the deadline) -
   * and returns it; else undefined (the score is kept with no check-in). A closing that runs
   * between the read and the write makes the write (only of the status read) wait, change
   * nothing, and read again.
   */
  private async answerCheckinOf(tx: Executor, patientId: string, answeredAt: Date, score: number): Promise<StepRow | undefined> {
    for (;;) {
      const [current] = await tx
        .select()
        .from(steps)
        // Written as text, not parameters, so that the partial index care_plan_steps_fired_checkins serves it.
        .where(and(eq(steps.patientId, patientId), sql`${steps.kind} = 'checkin' AND ${steps.firedAt} IS NOT NULL`, lte(steps.firedAt, answeredAt)))
        .orderBy(desc(steps.firedAt))
        .limit(1);
      if (!current) return undefined;
      const waiting = current.status === 'sent' || (current.status === 'unanswered' && (current.answerDueAt === null || current.answerDueAt >= answeredAt));
      if (!waiting) return undefined;
      const marked = await tx
        .update(steps)
        .set({ status: 'answered', answeredAt, score })
        .where(and(eq(steps.id, current.id), eq(steps.status, current.status)))
        .returning({ id: steps.id });
      if (marked.length > 0) return current;
    }
  }

  /** Followup's part of a patient's timeline: steps, pain scores, items. */
  async timeline(ctx: RequestContext, patientId: string): Promise<TimelineEntry[]> {
    const plans = await this.db.select({ id: carePlans.id }).from(carePlans).where(and(eq(carePlans.clinicId, ctx.clinicId), eq(carePlans.patientId, patientId)));
    const planSteps = plans.length ? await this.db.select().from(steps).where(inArray(steps.carePlanId, plans.map((p) => p.id))) : [];
    const scores = await this.db.select().from(painScores).where(and(eq(painScores.clinicId, ctx.clinicId), eq(painScores.patientId, patientId)));
    const patientItems = await this.db.select().from(items).where(and(eq(items.clinicId, ctx.clinicId), eq(items.patientId, patientId)));
    return [
      ...planSteps.map((s) => ({ at: (s.firedAt ?? s.dueAt).toISOString(), type: 'care_plan_step' as const, data: { id: s.id, carePlanId: s.carePlanId, key: s.key, kind: s.kind, dueAt: s.dueAt.toISOString(), status: s.status } })),
      ...scores.map((p) => ({ at: p.answeredAt.toISOString(), type: 'pain_score' as const, data: { score: p.score, answeredAt: p.answeredAt.toISOString(), stepId: p.stepId, messageId: p.messageId } })),
      ...patientItems.map((i) => ({
        at: i.createdAt.toISOString(),
        type: 'follow_up_item' as const,
        data: { id: i.id, kind: i.kind, status: i.status, dueAt: i.dueAt.toISOString(), reason: i.reason, occurrences: i.occurrences },
      })),
    ];
  }
}
