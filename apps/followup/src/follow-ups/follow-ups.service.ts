import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq, inArray, isNotNull, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type {
  BookingTaskSource,
  CompleteFollowUpData,
  DecideData,
  EventEnvelope,
  FollowUpItemResource,
  FollowUpKind,
  FollowUpState,
  ListFollowUpsData,
  RequestContext,
  TimelineEntry,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError, notFound, OutboxWriter } from '@aftercare/messaging';
import { BOOKING_TASK_REASONS, repeatInjectionBookBy } from '../booking-tasks/domain/booking-task.rules.js';
import { carePlans, items, painScores, patients, steps, type CarePlanRow, type ItemRow } from '../database/schema.js';
import { DEFAULT_ESCALATION, evaluateAnswer, evaluateMissed, type EscalationFinding } from '../escalation/escalation.rules.js';

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

/** Urgency order of the due list: attention first, then by how overdue, then due time. */
const KIND_RANK: Record<FollowUpKind, number> = { attention: 0, repeat_evaluation: 1, follow_up_visit: 2, booking_task: 3 };

/** The clinician's due list: items raised by steps, escalation and decisions. */
@Injectable()
export class FollowUpsService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
    private readonly outbox: OutboxWriter,
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
    return inserted.length > 0;
  }

  private async raiseFindings(tx: Executor, plan: RaiseItem['plan'], findings: EscalationFinding[]): Promise<void> {
    for (const finding of findings) {
      await this.raise(tx, { plan, kind: 'attention', cause: finding.cause, reason: finding.reason, dueAt: this.clock.now() });
    }
  }

  /**
   * A new check-in went out: earlier ones still waiting are now unanswered; two in a row
   * raise an attention item.
   */
  async closeUnansweredCheckins(tx: Executor, plan: CarePlanRow, currentStepId: string): Promise<void> {
    await tx
      .update(steps)
      .set({ status: 'unanswered' })
      .where(and(eq(steps.carePlanId, plan.id), eq(steps.kind, 'checkin'), eq(steps.status, 'sent'), sql`${steps.id} <> ${currentStepId}`));
    const fired = await tx
      .select({ status: steps.status })
      .from(steps)
      .where(and(eq(steps.carePlanId, plan.id), eq(steps.kind, 'checkin'), isNotNull(steps.firedAt), sql`${steps.id} <> ${currentStepId}`))
      .orderBy(desc(steps.firedAt));
    let inARow = 0;
    for (const s of fired) {
      if (s.status !== 'unanswered') break;
      inARow++;
    }
    if (inARow === DEFAULT_ESCALATION.missedInARow) {
      await this.raiseFindings(tx, plan, evaluateMissed({ consecutiveUnanswered: inARow }, DEFAULT_ESCALATION));
    }
  }

  /** A pain score came back by SMS: store it against the open check-in and escalate at once. */
  async recordAnswer(tx: Executor, event: EventEnvelope<'checkin.answered'>): Promise<void> {
    const { patientId, messageId, score, answeredAt } = event.payload;
    const [open] = await tx
      .select()
      .from(steps)
      .where(and(eq(steps.patientId, patientId), eq(steps.kind, 'checkin'), eq(steps.status, 'sent')))
      .orderBy(desc(steps.firedAt))
      .limit(1);
    const [plan] = open
      ? await tx.select().from(carePlans).where(eq(carePlans.id, open.carePlanId))
      : await tx.select().from(carePlans).where(and(eq(carePlans.patientId, patientId), eq(carePlans.status, 'active'))).orderBy(desc(carePlans.createdAt)).limit(1);
    const [previous] = await tx
      .select({ score: painScores.score })
      .from(painScores)
      .where(eq(painScores.patientId, patientId))
      .orderBy(desc(painScores.answeredAt))
      .limit(1);
    const inserted = await tx
      .insert(painScores)
      .values({
        id: randomUUID(),
        clinicId: event.clinicId,
        patientId,
        carePlanId: plan?.id ?? null,
        stepId: open?.id ?? null,
        messageId,
        score,
        answeredAt: new Date(answeredAt),
      })
      .onConflictDoNothing()
      .returning({ id: painScores.id });
    if (inserted.length === 0) return;
    if (open) {
      await tx.update(steps).set({ status: 'answered', answeredAt: new Date(answeredAt), score }).where(eq(steps.id, open.id));
    }
    if (plan) await this.raiseFindings(tx, plan, evaluateAnswer({ score, previousScore: previous?.score ?? null }, DEFAULT_ESCALATION));
  }

  async list(ctx: RequestContext, query: ListFollowUpsData): Promise<FollowUpItemResource[]> {
    const now = this.clock.now();
    // Calls to make and opt-outs to confirm are the front desk's (GET /api/booking-tasks).
    const where: SQL[] = [eq(items.clinicId, ctx.clinicId), sql`${items.source} IS DISTINCT FROM 'call_patient' AND ${items.source} IS DISTINCT FROM 'confirm_opt_out'`];
    if (query.clinicianId) where.push(eq(items.clinicianId, query.clinicianId));
    if (query.kind) where.push(eq(items.kind, query.kind));
    where.push(eq(items.status, query.state === 'done' ? 'done' : 'open'));
    const rows = await this.db
      .select({ item: items, patient: patients, plan: carePlans })
      .from(items)
      .innerJoin(patients, eq(patients.id, items.patientId))
      .leftJoin(carePlans, eq(carePlans.id, items.carePlanId))
      .where(and(...where))
      .orderBy(asc(items.dueAt))
      .limit(500);
    const scores = await this.scoresByPlan(rows.map((r) => r.item.carePlanId).filter((id): id is string => !!id));
    const resources = rows.map(({ item, patient, plan }) =>
      this.toResource(item, { name: `${patient.firstName} ${patient.lastName}`, timezone: patient.timezone }, plan, scores.get(item.carePlanId ?? '') ?? [], now),
    );
    const filtered = query.state && query.state !== 'open' && query.state !== 'done' ? resources.filter((r) => r.state === query.state) : resources;
    return filtered.sort((a, b) => {
      if (a.state !== 'done' && b.state !== 'done') {
        const rank = (r: FollowUpItemResource) => (r.kind === 'attention' ? 0 : r.state === 'overdue' ? 1 : 2);
        if (rank(a) !== rank(b)) return rank(a) - rank(b);
      }
      if (a.dueAt !== b.dueAt) return a.dueAt < b.dueAt ? -1 : 1;
      return KIND_RANK[a.kind] - KIND_RANK[b.kind];
    });
  }

  async complete(ctx: RequestContext, data: CompleteFollowUpData): Promise<FollowUpItemResource> {
    const item = await this.getRow(ctx, data.id);
    if (item.kind === 'repeat_evaluation' && item.status === 'open') {
      throw new DomainError('FOLLOW_UP.DECISION_REQUIRED', 'A repeat-injection evaluation is closed by a decision: POST /api/follow-ups/:id/decision', 409);
    }
    if (item.status === 'open') {
      await this.db
        .update(items)
        .set({ status: 'done', note: data.note ?? null, completedAt: this.clock.now(), completedBy: ctx.userId })
        .where(and(eq(items.id, item.id), eq(items.status, 'open')));
    }
    return this.getResource(ctx, item.id);
  }

  async decide(ctx: RequestContext, data: DecideData): Promise<FollowUpItemResource> {
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const [item] = await tx.select().from(items).where(and(eq(items.id, data.id), eq(items.clinicId, ctx.clinicId))).for('update');
      if (!item) throw notFound('Follow-up item', data.id);
      if (item.kind !== 'repeat_evaluation') {
        throw new DomainError('FOLLOW_UP.NOT_AN_EVALUATION', 'Only a repeat_evaluation item takes a decision', 409, 'repeatInjection');
      }
      if (item.status !== 'open') throw new DomainError('FOLLOW_UP.ALREADY_DECIDED', 'This evaluation was already decided', 409);
      const decision = { repeatInjection: data.repeatInjection, note: data.note ?? null };
      await tx.update(items).set({ status: 'done', decision, note: data.note ?? null, completedAt: now, completedBy: ctx.userId }).where(eq(items.id, item.id));
      const [plan] = await tx.select().from(carePlans).where(eq(carePlans.id, item.carePlanId!));
      if (data.repeatInjection) {
        await this.raise(tx, {
          plan: plan!,
          kind: 'booking_task',
          cause: 'repeat_injection',
          reason: BOOKING_TASK_REASONS.repeat_injection,
          dueAt: DateTime.fromJSDate(now).plus({ days: 14 }).toJSDate(),
          // Another injection of the kind the plan follows up, with the plan's clinician.
          task: { source: 'repeat_injection', procedureType: plan!.procedureType, bookBy: repeatInjectionBookBy(now, plan!.timezone) },
        });
      } else {
        await tx.update(carePlans).set({ status: 'completed', outcome: 'no_repeat', closedAt: now }).where(eq(carePlans.id, plan!.id));
        await tx.update(steps).set({ status: 'cancelled' }).where(and(eq(steps.carePlanId, plan!.id), eq(steps.status, 'scheduled')));
      }
      await this.outbox.publish(
        tx,
        'evaluation.decided',
        { itemId: item.id, carePlanId: plan!.id, patientId: item.patientId, repeatInjection: data.repeatInjection, decidedBy: ctx.userId ?? 'system' },
        { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
      );
    });
    return this.getResource(ctx, data.id);
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
      ...patientItems.map((i) => ({ at: i.createdAt.toISOString(), type: 'follow_up_item' as const, data: { id: i.id, kind: i.kind, status: i.status, dueAt: i.dueAt.toISOString(), reason: i.reason } })),
    ];
  }

  private async getRow(ctx: RequestContext, id: string): Promise<ItemRow> {
    const [item] = await this.db.select().from(items).where(and(eq(items.id, id), eq(items.clinicId, ctx.clinicId)));
    if (!item) throw notFound('Follow-up item', id);
    return item;
  }

  private async getResource(ctx: RequestContext, id: string): Promise<FollowUpItemResource> {
    const [row] = await this.db
      .select({ item: items, patient: patients, plan: carePlans })
      .from(items)
      .innerJoin(patients, eq(patients.id, items.patientId))
      .leftJoin(carePlans, eq(carePlans.id, items.carePlanId))
      .where(and(eq(items.id, id), eq(items.clinicId, ctx.clinicId)));
    if (!row) throw notFound('Follow-up item', id);
    const scores = await this.scoresByPlan(row.item.carePlanId ? [row.item.carePlanId] : []);
    return this.toResource(row.item, { name: `${row.patient.firstName} ${row.patient.lastName}`, timezone: row.patient.timezone }, row.plan, scores.get(row.item.carePlanId ?? '') ?? [], this.clock.now());
  }

  private async scoresByPlan(planIds: string[]): Promise<Map<string, number[]>> {
    const result = new Map<string, number[]>();
    if (planIds.length === 0) return result;
    const rows = await this.db
      .select({ carePlanId: painScores.carePlanId, score: painScores.score })
      .from(painScores)
      .where(inArray(painScores.carePlanId, [...new Set(planIds)]))
      .orderBy(asc(painScores.answeredAt));
    for (const row of rows) result.set(row.carePlanId!, [...(result.get(row.carePlanId!) ?? []), row.score]);
    return result;
  }

  private toResource(
    item: ItemRow,
    patient: { name: string; timezone: string },
    plan: CarePlanRow | null,
    trend: number[],
    now: Date,
  ): FollowUpItemResource {
    return {
      id: item.id,
      kind: item.kind,
      state: stateOf(item, now, patient.timezone),
      dueAt: item.dueAt.toISOString(),
      patient: { id: item.patientId, name: patient.name },
      // Only front-desk tasks (kept off this list) may lack a clinician.
      clinicianId: item.clinicianId ?? '',
      carePlanId: item.carePlanId,
      reason: item.reason,
      procedureDate: plan?.procedureCompletedAt.toISOString() ?? null,
      site: plan?.site ?? null,
      daysSinceProcedure: plan ? Math.floor((now.getTime() - plan.procedureCompletedAt.getTime()) / 86_400_000) : null,
      latestPainScore: trend.length ? trend[trend.length - 1]! : null,
      painTrend: trend,
      completedAt: item.completedAt?.toISOString() ?? null,
      note: item.note,
      decision: item.decision ?? null,
    };
  }
}

/** overdue: due before today; today: due today; upcoming: later (local days of the patient). */
export function stateOf(item: Pick<ItemRow, 'status' | 'dueAt'>, now: Date, zone: string): FollowUpState {
  if (item.status === 'done') return 'done';
  const startOfToday = DateTime.fromJSDate(now, { zone }).startOf('day');
  const due = DateTime.fromJSDate(item.dueAt, { zone });
  if (due < startOfToday) return 'overdue';
  if (due < startOfToday.plus({ days: 1 })) return 'today';
  return 'upcoming';
}
