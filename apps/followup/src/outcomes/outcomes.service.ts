import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq, gte, inArray, isNotNull, lt, type SQL } from 'drizzle-orm';
import type {
  OutcomeSummaryData,
  OutcomeSummaryResource,
  PatientCareRecord,
  PatientOutcomesResource,
  RequestContext,
} from '@aftercare/contracts';
import { DRIZZLE, type Db } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { carePlans, items, painScores, steps, type CarePlanRow } from '../database/schema.js';
import {
  DEFAULT_OUTCOME_RULES,
  outcomeDefinitions,
  procedureOutcome,
  summarizeOutcomes,
  type PlanInput,
  type ScoreInput,
} from './domain/outcomes.calculator.js';

/** Ids per query: keeps `IN (...)` lists well under PostgreSQL's parameter limit. */
const CHUNK = 1000;

const toPlanInput = (p: CarePlanRow): PlanInput => ({
  id: p.id,
  patientId: p.patientId,
  appointmentId: p.appointmentId,
  clinicianId: p.clinicianId,
  procedureType: p.procedureType,
  protocolCode: p.protocolCode,
  protocolVersion: p.protocolVersion,
  status: p.status,
  procedureCompletedAt: p.procedureCompletedAt,
  site: p.site,
  timezone: p.timezone,
});

interface PlanFacts {
  /** patientId → procedureType → completion times (every plan of those patients). */
  procedures: Map<string, Map<string, Date[]>>;
  /** Plans whose repeat-injection booking task has been booked. */
  repeatBooked: Set<string>;
}

/**
 * Patient-reported outcomes read from followup's own tables: the pain scores (stored with
 * their time, source message and plan step when the check-in answer came in), the care plans
 * they belong to, and the repeat-injection tasks. The arithmetic is in outcomes.calculator.ts.
 */
@Injectable()
export class OutcomesService {
  constructor(@Inject(DRIZZLE) private readonly db: Db) {}

  async forPatient(ctx: RequestContext, patientId: string): Promise<PatientOutcomesResource> {
    const plans = await this.db
      .select()
      .from(carePlans)
      .where(and(eq(carePlans.clinicId, ctx.clinicId), eq(carePlans.patientId, patientId)))
      .orderBy(desc(carePlans.procedureCompletedAt), desc(carePlans.id));
    const scores = await this.scoresOf(ctx, [patientId]);
    const facts = await this.planFacts(ctx, [patientId], plans.map((p) => p.id));
    return {
      patientId,
      definitions: outcomeDefinitions(DEFAULT_OUTCOME_RULES),
      procedures: plans.map((p) => this.outcomeOf(p, scores, facts)),
      unassignedScores: scores
        .filter((s) => s.carePlanId === null)
        .map((s) => ({ id: s.id, score: s.score, answeredAt: s.answeredAt.toISOString(), messageId: s.messageId })),
    };
  }

  /** Procedures completed in [from, to), per clinician and protocol. */
  async summary(ctx: RequestContext, data: OutcomeSummaryData): Promise<OutcomeSummaryResource> {
    const from = data.from ? new Date(data.from) : null;
    const to = data.to ? new Date(data.to) : null;
    if (from && to && from >= to) throw new DomainError('OUTCOMES.EMPTY_PERIOD', 'to must be later than from', 400, 'to');
    const where: SQL[] = [eq(carePlans.clinicId, ctx.clinicId)];
    if (data.clinicianId) where.push(eq(carePlans.clinicianId, data.clinicianId));
    if (data.protocol) where.push(eq(carePlans.protocolCode, data.protocol));
    if (from) where.push(gte(carePlans.procedureCompletedAt, from));
    if (to) where.push(lt(carePlans.procedureCompletedAt, to));
    const plans = await this.db.select().from(carePlans).where(and(...where)).orderBy(asc(carePlans.procedureCompletedAt));
    const patientIds = [...new Set(plans.map((p) => p.patientId))];
    const scores = await this.scoresOf(ctx, patientIds);
    const facts = await this.planFacts(ctx, patientIds, plans.map((p) => p.id));
    const byPatient = new Map<string, ScoreInput[]>();
    for (const s of scores) byPatient.set(s.patientId, [...(byPatient.get(s.patientId) ?? []), s]);
    const outcomes = plans.map((p) => this.outcomeOf(p, byPatient.get(p.patientId) ?? [], facts));
    return {
      from: from?.toISOString() ?? null,
      to: to?.toISOString() ?? null,
      clinicianId: data.clinicianId ?? null,
      protocol: data.protocol ?? null,
      definitions: outcomeDefinitions(DEFAULT_OUTCOME_RULES),
      groups: summarizeOutcomes(outcomes),
    };
  }

  /** Care plans with their steps, items and pain scores of one patient, as stored. */
  async careRecord(ctx: RequestContext, patientId: string): Promise<PatientCareRecord> {
    const plans = await this.db
      .select()
      .from(carePlans)
      .where(and(eq(carePlans.clinicId, ctx.clinicId), eq(carePlans.patientId, patientId)))
      .orderBy(asc(carePlans.procedureCompletedAt), asc(carePlans.id));
    const planSteps = plans.length
      ? await this.db.select().from(steps).where(inArray(steps.carePlanId, plans.map((p) => p.id))).orderBy(asc(steps.dueAt), asc(steps.key))
      : [];
    const patientItems = await this.db
      .select()
      .from(items)
      .where(and(eq(items.clinicId, ctx.clinicId), eq(items.patientId, patientId)))
      .orderBy(asc(items.createdAt), asc(items.id));
    const scores = await this.scoresOf(ctx, [patientId]);
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    return {
      patientId,
      carePlans: plans.map((p) => ({
        id: p.id,
        appointmentId: p.appointmentId,
        clinicianId: p.clinicianId,
        procedureType: p.procedureType,
        protocol: p.protocolCode,
        protocolVersion: p.protocolVersion,
        status: p.status,
        procedureDate: p.procedureCompletedAt.toISOString(),
        site: p.site,
        outcome: p.outcome,
        createdAt: p.createdAt.toISOString(),
        closedAt: iso(p.closedAt),
        steps: planSteps
          .filter((s) => s.carePlanId === p.id)
          .map((s) => ({
            id: s.id,
            key: s.key,
            kind: s.kind,
            status: s.status,
            dueAt: s.dueAt.toISOString(),
            windowStart: iso(s.windowStart),
            windowEnd: iso(s.windowEnd),
            firedAt: iso(s.firedAt),
            answeredAt: iso(s.answeredAt),
          })),
      })),
      items: patientItems.map((i) => ({
        id: i.id,
        kind: i.kind,
        status: i.status,
        carePlanId: i.carePlanId,
        stepId: i.stepId,
        clinicianId: i.clinicianId,
        reason: i.reason,
        dueAt: i.dueAt.toISOString(),
        createdAt: i.createdAt.toISOString(),
        completedAt: iso(i.completedAt),
        note: i.note,
        decision: i.decision ? { repeatInjection: i.decision.repeatInjection, note: i.decision.note ?? null } : null,
        appointmentId: i.appointmentId,
        source: i.source,
        procedureType: i.procedureType,
        bookBy: iso(i.bookBy),
        bookedAppointmentId: i.bookedAppointmentId,
      })),
      painScores: scores.map((s) => ({
        id: s.id,
        score: s.score,
        answeredAt: s.answeredAt.toISOString(),
        carePlanId: s.carePlanId,
        stepId: s.stepId,
        messageId: s.messageId,
      })),
    };
  }

  private outcomeOf(plan: CarePlanRow, patientScores: readonly ScoreInput[], facts: PlanFacts) {
    const sameType = (facts.procedures.get(plan.patientId)?.get(plan.procedureType) ?? []).filter((at) => at.getTime() !== plan.procedureCompletedAt.getTime());
    return procedureOutcome({ plan: toPlanInput(plan), patientScores, sameTypeProcedures: sameType, repeatBooked: facts.repeatBooked.has(plan.id) });
  }

  /** Every pain score of these patients, oldest first, with the key of the step it answered. */
  private async scoresOf(ctx: RequestContext, patientIds: string[]): Promise<(ScoreInput & { patientId: string })[]> {
    const result: (ScoreInput & { patientId: string })[] = [];
    for (let i = 0; i < patientIds.length; i += CHUNK) {
      const rows = await this.db
        .select({ score: painScores, stepKey: steps.key })
        .from(painScores)
        .leftJoin(steps, eq(steps.id, painScores.stepId))
        .where(and(eq(painScores.clinicId, ctx.clinicId), inArray(painScores.patientId, patientIds.slice(i, i + CHUNK))))
        .orderBy(asc(painScores.answeredAt), asc(painScores.id));
      for (const { score: s, stepKey } of rows) {
        result.push({ id: s.id, patientId: s.patientId, score: s.score, answeredAt: s.answeredAt, carePlanId: s.carePlanId, stepId: s.stepId, stepKey: stepKey ?? null, messageId: s.messageId });
      }
    }
    return result;
  }

  private async planFacts(ctx: RequestContext, patientIds: string[], planIds: string[]): Promise<PlanFacts> {
    const procedures = new Map<string, Map<string, Date[]>>();
    for (let i = 0; i < patientIds.length; i += CHUNK) {
      const rows = await this.db
        .select({ patientId: carePlans.patientId, procedureType: carePlans.procedureType, at: carePlans.procedureCompletedAt })
        .from(carePlans)
        .where(and(eq(carePlans.clinicId, ctx.clinicId), inArray(carePlans.patientId, patientIds.slice(i, i + CHUNK))));
      for (const r of rows) {
        const byType = procedures.get(r.patientId) ?? new Map<string, Date[]>();
        byType.set(r.procedureType, [...(byType.get(r.procedureType) ?? []), r.at]);
        procedures.set(r.patientId, byType);
      }
    }
    const repeatBooked = new Set<string>();
    for (let i = 0; i < planIds.length; i += CHUNK) {
      const rows = await this.db
        .select({ carePlanId: items.carePlanId })
        .from(items)
        .where(
          and(
            eq(items.clinicId, ctx.clinicId),
            eq(items.kind, 'booking_task'),
            eq(items.source, 'repeat_injection'),
            isNotNull(items.bookedAppointmentId),
            inArray(items.carePlanId, planIds.slice(i, i + CHUNK)),
          ),
        );
      for (const r of rows) if (r.carePlanId) repeatBooked.add(r.carePlanId);
    }
    return { procedures, repeatBooked };
  }
}

