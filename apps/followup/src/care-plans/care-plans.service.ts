import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Pool } from 'pg';
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import {
  JOBS,
  PATTERNS,
  QUEUES,
  type BookInWindowData,
  type BookInWindowResult,
  type CarePlanPage,
  type CarePlanResource,
  type EventEnvelope,
  type ListCarePlansData,
  type RequestContext,
} from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock } from '@aftercare/clock';
import { CURSOR_PART, decodePageCursor, DRIZZLE, microInstant, pageSize, PreparedQuery, sliceToPage, type Db, type Executor, type PageSizes } from '@aftercare/database';
import { JobScheduler, RetryableError } from '@aftercare/jobs';
import { DomainError, KeyedTurns, notFound, OutboxWriter, ServiceClient } from '@aftercare/messaging';
import { BOOKING_TASK_REASONS, defaultVisitWindowEnd, FOLLOW_UP_VISIT } from '../booking-tasks/domain/booking-task.rules.js';
import { carePlanChanges, carePlans, steps, type CarePlanRow, type StepRow } from '../database/schema.js';
import { answerDueAt } from '../escalation/escalation.rules.js';
import { EscalationSettingsService } from '../escalation/escalation-settings.service.js';
import { FollowUpsService, VISIT_OF_ENDED_PLAN } from '../follow-ups/follow-ups.service.js';
import { PatientsService } from '../patients/patients.service.js';
import { protocolDefinition, ProtocolsService } from '../protocols/protocols.service.js';
import { BatchedCalls } from './batched-calls.js';
import { CarePlanLifecycleService } from './care-plan-lifecycle.service.js';
import { CarePlanStatements, type StartedPlan } from './care-plan-statements.js';
import { planCarePlan, type PlannedStep } from './domain/care-plan.planner.js';
import { selectProtocol } from './domain/protocol.selection.js';

/** A step row as a plan's start creates it (scheduled, of the plan's clinic and patient). */
export type ScheduledStep = Pick<StepRow, 'id' | 'key' | 'kind' | 'dueAt' | 'windowStart' | 'windowEnd'>;

export const toCarePlanResource = (plan: CarePlanRow, planSteps: StepRow[], changes?: (typeof carePlanChanges.$inferSelect)[]): CarePlanResource => ({
  id: plan.id,
  patientId: plan.patientId,
  appointmentId: plan.appointmentId,
  clinicianId: plan.clinicianId,
  protocol: plan.protocolCode,
  protocolVersion: plan.protocolVersion,
  status: plan.status,
  completedAt: plan.procedureCompletedAt.toISOString(),
  steps: planSteps.map((s) => ({ id: s.id, key: s.key, kind: s.kind, dueAt: s.dueAt.toISOString(), status: s.status, firedAt: s.firedAt?.toISOString() ?? null })),
  site: plan.site,
  condition: plan.condition,
  outcome: plan.outcome,
  statusReason: plan.statusReason,
  pausedAt: plan.pausedAt?.toISOString() ?? null,
  closedAt: plan.closedAt?.toISOString() ?? null,
  supersededBy: plan.supersededBy,
  ...(changes
    ? {
        changes: changes.map((c) => ({
          action: c.action,
          fromStatus: c.fromStatus as CarePlanRow['status'],
          toStatus: c.toStatus as CarePlanRow['status'],
          reason: c.reason,
          userId: c.userId,
          at: c.at.toISOString(),
          details: c.details ?? null,
        })),
      }
    : {}),
});

/** The care plans list: at most this many as an array; pages of 50 (up to 200) when paged. */
const CARE_PLAN_PAGES: PageSizes = { list: 200, default: 50, max: 200 };
/** A page's cursor: the creation time (to the microsecond) and id of its last plan. */
const CARE_PLAN_CURSOR = [CURSOR_PART.microInstant, CURSOR_PART.uuid];

/** A step's status once its plan has ended (cancelled, or superseded by a new procedure's plan; cancelling: a visit step on its way there). */
const ENDED_STEP: ReadonlySet<StepRow['status']> = new Set(['cancelled', 'superseded', 'cancelling']);

/** The statements of every step that comes due, built once (PreparedQuery). A step with its plan, in one round trip: every job of a step starts here. */
const STEP_WITH_PLAN = new PreparedQuery('followup.care_plans.step_with_plan', (db) =>
  db.select({ step: steps, plan: carePlans }).from(steps).leftJoin(carePlans, eq(carePlans.id, steps.carePlanId)).where(eq(steps.id, sql.placeholder('id'))),
);
const CLAIM_STEP = new PreparedQuery('followup.care_plans.claim_step', (db) =>
  db
    .update(steps)
    .set({ status: sql`${sql.placeholder('status')}`, firedAt: sql`${sql.placeholder('firedAt')}`, answerDueAt: sql`${sql.placeholder('answerDueAt')}` })
    .where(and(eq(steps.id, sql.placeholder('id')), eq(steps.status, 'scheduled')))
    .returning({ id: steps.id }),
);

/** Turns a completed procedure into a care plan, and runs each step when its job wakes it. */
@Injectable()
export class CarePlansService {
  private readonly logger = new Logger('CarePlans');
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectQueue(QUEUES.carePlanSteps) private readonly queue: Queue,
    private readonly clock: Clock,
    private readonly scheduler: JobScheduler,
    private readonly outbox: OutboxWriter,
    private readonly services: ServiceClient,
    private readonly patients: PatientsService,
    private readonly protocols: ProtocolsService,
    private readonly followUps: FollowUpsService,
    private readonly lifecycle: CarePlanLifecycleService,
    private readonly escalation: EscalationSettingsService,
  ) {}

  /**
   * drizzle's node-postgres database keeps its pool as $client; the statements of a plan's usual
   * start run on it directly (care-plan-statements.ts).
   */
  private statementsOnce: CarePlanStatements | null = null;
  private get statements(): CarePlanStatements {
    return (this.statementsOnce ??= new CarePlanStatements((this.db as unknown as { $client: Pool }).$client));
  }

  /**
   * `procedure.completed` in its usual case, in two statements and no transaction: the patient's
   * zone with the protocols of the type (LOOKUP), then the inbox row, the plan and its steps
   * together (START). Answers whether the event was new and the steps whose jobs to add once
   * that has committed; or null, with nothing written, for every other case (an unknown patient,
   * no protocol, a running plan to supersede), which the caller hands to createFromProcedure
   * inside the inbox's transaction.
   */
  async startFromProcedure(event: EventEnvelope<'procedure.completed'>): Promise<{ fresh: boolean; created: ScheduledStep[] } | null> {
    const p = event.payload;
    return this.inTurn(`${event.clinicId} ${p.patientId} ${p.procedureType}`, () => this.start(event));
  }

  /**
   * Completions of one patient's plan of a type go through look-up and start one after the other,
   * in the order they came (the relay sends them so, but followup may be handed several at once):
   * the later must find the earlier's plan to supersede it, and starts that run side by side
   * cannot see each other's. Other patients' completions pass by.
   */
  private readonly turns = new KeyedTurns();
  private inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.turns.run(key, work);
  }

  private async start(event: EventEnvelope<'procedure.completed'>): Promise<{ fresh: boolean; created: ScheduledStep[] } | null> {
    const p = event.payload;
    const candidates = await this.statements.lookup(p.patientId, event.clinicId, p.procedureType);
    if (candidates.length === 0) return null; // unknown patient: the transactional path says so, unless the event is a redelivery
    const chosen = selectProtocol(
      candidates.filter((c) => c.code !== null).map((c) => ({ ...c, code: c.code! })),
      { site: p.site, condition: p.condition ?? null },
    );
    if (!chosen?.definition || chosen.version === null) return null; // no protocol: logged there
    const protocol = protocolDefinition({ definition: chosen.definition, code: chosen.code, version: chosen.version, procedureType: p.procedureType }, chosen);
    const completedAt = new Date(p.completedAt);
    const timezone = chosen.timezone;
    const planId = randomUUID();
    const rows = this.stepRows(planCarePlan(protocol, { completedAt, timezone, quietHours: this.config.quietHours }));
    const outcome = await this.statements.start({
      event: { id: event.id, type: event.type },
      plan: newPlan(planId, event, protocol, timezone),
      steps: rows,
    });
    if (outcome.supersedes) return null;
    return { fresh: outcome.fresh, created: outcome.created ? rows : [] };
  }

  /**
   * Inside the inbox transaction: create the plan and its step rows, superseding the patient's
   * running plan of the type. Returns the rows whose jobs must be added once the transaction has
   * committed (rows first, then jobs). The cases startFromProcedure leaves, and the same result.
   */
  async createFromProcedure(tx: Executor, event: EventEnvelope<'procedure.completed'>): Promise<ScheduledStep[]> {
    const p = event.payload;
    const patient = await this.patients.get(p.patientId, tx);
    // Events from one producer arrive in order, so the patient is known; if not, fail so the
    // relay tries again later rather than planning in the wrong time zone.
    if (!patient) throw new Error(`patient ${p.patientId} is not known to followup yet`);
    const protocol = await this.protocols.forProcedure(tx, event.clinicId, p.procedureType, { site: p.site, condition: p.condition ?? null });
    if (!protocol) {
      this.logger.log(`no active protocol for ${p.procedureType} in clinic ${event.clinicId}: no care plan for appointment ${p.appointmentId}`);
      return [];
    }
    const planned = planCarePlan(protocol, { completedAt: new Date(p.completedAt), timezone: patient.timezone, quietHours: this.config.quietHours });
    const planId = randomUUID();
    const inserted = await tx
      .insert(carePlans)
      .values({ ...newPlan(planId, event, protocol, patient.timezone), status: 'active' })
      .onConflictDoNothing({ target: carePlans.appointmentId })
      .returning({ id: carePlans.id });
    if (inserted.length === 0) return []; // this procedure already has its plan
    // A new procedure of the same kind takes over the patient's running plan.
    await this.lifecycle.supersedeOlderPlans(tx, {
      id: planId,
      clinicId: event.clinicId,
      patientId: p.patientId,
      procedureType: p.procedureType,
      procedureCompletedAt: new Date(p.completedAt),
      appointmentId: p.appointmentId,
    });
    const rows = this.stepRows(planned);
    if (rows.length) {
      await tx
        .insert(steps)
        .values(rows.map((r) => ({ ...r, clinicId: event.clinicId, carePlanId: planId, patientId: p.patientId, status: 'scheduled' as const })));
    }
    return rows;
  }

  /** The planned steps as rows of their own (ids chosen here, so their jobs can be added without reading them back). */
  private stepRows(planned: PlannedStep[]): ScheduledStep[] {
    return planned.map((step) => ({
      id: randomUUID(),
      key: step.key,
      kind: step.kind,
      dueAt: step.dueAt,
      windowStart: step.window?.from ?? null,
      windowEnd: step.window?.to ?? null,
    }));
  }

  /**
   * The jobs of plans started at about the same time go to Redis in one addBulk (one MULTI
   * round trip for all; a job's id is its step's, so adding one twice adds it once). Alone, a
   * plan's jobs go at once.
   */
  private readonly jobBatches = new BatchedCalls<Pick<StepRow, 'id' | 'dueAt'>[], void>({
    run: async (plans) => {
      await this.scheduler.scheduleMany(
        this.queue,
        JOBS.carePlanStepDue,
        plans.flat().map((r) => ({ id: r.id, dueAt: r.dueAt })),
      );
      return plans.map(() => undefined);
    },
    maxBatch: 100,
    maxConcurrent: 2,
  });

  async scheduleJobs(rows: Pick<StepRow, 'id' | 'dueAt'>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.jobBatches.call(rows);
  }

  /**
   * The job handler: runs one step once. A step that is no longer scheduled is left alone, but for
   * a check-in waiting for its answer: `wakeAt` is when the job is to wake it again (the end of
   * its answer window), and the processor moves the job there.
   */
  async runStep(stepId: string): Promise<{ wakeAt: Date | null }> {
    const wakeAt = await this.runStepOnce(stepId);
    return { wakeAt: wakeAt ?? null };
  }

  private async runStepOnce(stepId: string): Promise<Date | null | void> {
    const [found] = await STEP_WITH_PLAN.execute(this.db, { id: stepId });
    const step = found?.step;
    if (!step) return;
    if (step.status !== 'scheduled') {
      // A visit step whose plan ended when it may have been booking: its visit is to cancel.
      if (step.status === 'cancelling' && found.plan) await this.cancelVisitOfEndedPlan(step, found.plan);
      // A check-in that went out, woken at the end of its answer window.
      else if (step.status === 'sent' && found.plan) return this.closeAtAnswerDeadline(step, found.plan);
      return;
    }
    // Woken early (a stale job): leave the row scheduled; the reconciler gives it a new alarm.
    if (step.dueAt > this.clock.now()) return;
    const plan = found.plan;
    // A pause moves the plan's steps to 'paused' in its own transaction, so this one read sees
    // both or neither; a step of a paused plan that still reads 'scheduled' is left alone, never
    // cancelled: resume gives it a new job.
    if (plan?.status === 'paused') return;
    if (!plan || plan.status !== 'active') {
      await this.db.update(steps).set({ status: 'cancelled' }).where(and(eq(steps.id, step.id), eq(steps.status, 'scheduled')));
      return;
    }
    switch (step.kind) {
      case 'aftercare':
      case 'checkin':
        return this.sendMessageStep(plan, step);
      case 'follow_up_visit':
        return this.bookFollowUpVisit(plan, step);
      case 'repeat_evaluation':
        return this.raiseEvaluation(plan, step);
    }
  }

  /** Claims the step and asks notifications for its message; a check-in's answer deadline, when it has one, is its job's next time. */
  private async sendMessageStep(plan: CarePlanRow, step: StepRow): Promise<Date | null> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      let wakeAt: Date | null = null;
      if (step.kind === 'checkin') {
        // A check-in waits for its answer until the end of the clinic's answer window: its job
        // wakes it again then (the row is pending as `sent` until answer_due_at).
        const rules = await this.escalation.rulesOf(plan.clinicId, tx);
        wakeAt = answerDueAt(now, rules);
        if (!(await this.claim(tx, step, 'sent', now, wakeAt))) return null;
        await this.followUps.closeUnansweredCheckins(tx, plan, step.id, rules);
      } else if (!(await this.claim(tx, step, 'done', now))) return null;
      await this.outbox.publish(
        tx,
        'care-plan.message-due',
        { stepId: step.id, carePlanId: plan.id, patientId: plan.patientId, kind: step.kind as 'aftercare' | 'checkin', dueAt: step.dueAt.toISOString() },
        { clinicId: plan.clinicId },
      );
      return wakeAt;
    });
  }

  /** Asks scheduling for the step's visit (book-in-window, idempotent on the step id); out of reach: the job is retried. */
  private async visitOf(plan: CarePlanRow, step: StepRow, existingOnly = false): Promise<BookInWindowResult> {
    const data: BookInWindowData = {
      patientId: plan.patientId,
      clinicianId: plan.clinicianId,
      procedureType: FOLLOW_UP_VISIT,
      windowStart: (step.windowStart ?? step.dueAt).toISOString(),
      windowEnd: (step.windowEnd ?? defaultVisitWindowEnd(step.dueAt, plan.timezone)).toISOString(),
      idempotencyKey: step.id,
      ...(existingOnly ? { existingOnly } : {}),
    };
    return this.askScheduling(PATTERNS.scheduling.appointmentsBookInWindow, step, data);
  }

  private async askScheduling<T>(pattern: string, step: StepRow, data: object): Promise<T> {
    const ctx: RequestContext = { clinicId: step.clinicId, userId: null, role: 'system', clinicianId: null, correlationId: step.id };
    try {
      return await this.services.send<T>(pattern, { ctx, data });
    } catch (error) {
      if (error instanceof DomainError && error.statusCode === 503) throw new RetryableError(error.message, error.code, { cause: error });
      throw error;
    }
  }

  private async bookFollowUpVisit(plan: CarePlanRow, step: StepRow): Promise<void> {
    // Idempotent on the step id: a retry after a crash finds the same appointment.
    const result = await this.visitOf(plan, step);
    const now = this.clock.now();
    const endedMeanwhile = await this.db.transaction(async (tx) => {
      if (!(await this.claim(tx, step, 'done', now))) return result.appointment ? this.recordIfPlanEnded(tx, plan, step, result.appointment) : false;
      if (result.appointment) {
        await this.followUps.raise(tx, {
          plan,
          stepId: step.id,
          kind: 'follow_up_visit',
          cause: 'follow_up_visit',
          reason: 'Follow-up visit booked by the care plan',
          dueAt: new Date(result.appointment.startsAt),
          appointmentId: result.appointment.id,
        });
      } else {
        const bookBy = step.windowEnd ?? defaultVisitWindowEnd(step.dueAt, plan.timezone);
        await this.followUps.raise(tx, {
          plan,
          stepId: step.id,
          kind: 'booking_task',
          cause: 'follow_up_visit',
          reason: BOOKING_TASK_REASONS.follow_up_visit,
          dueAt: bookBy,
          task: { source: 'follow_up_visit', procedureType: FOLLOW_UP_VISIT, bookBy },
        });
      }
      return false;
    });
    // The plan read when the job started is out of date now: it has ended since.
    if (endedMeanwhile) {
      const [ended] = await this.db.select().from(carePlans).where(eq(carePlans.id, plan.id));
      if (ended) await this.cancelVisitOfEndedPlan(step, ended);
    }
  }

  /**
   * The step left 'scheduled' while its visit was being booked. Its plan ended (the step reads
   * cancelling, cancelled or superseded): the visit it booked is recorded on it, to be cancelled
   * (true). Done: another run of the step recorded the same appointment (the booking is
   * idempotent on the step). Paused: the resumed step books again and finds this appointment.
   */
  private async recordIfPlanEnded(tx: Executor, plan: CarePlanRow, step: StepRow, appointment: { id: string; startsAt: string }): Promise<boolean> {
    const [current] = await tx.select({ status: steps.status }).from(steps).where(eq(steps.id, step.id));
    if (!current || !ENDED_STEP.has(current.status)) return false;
    await this.followUps.recordVisitOfEndedPlan(tx, plan, step.id, appointment);
    return true;
  }

  /**
   * Cancels the visit of a visit step whose plan ended while it may have been booking, then the
   * step takes its plan's end. The visit is the one recorded on the plan, else the one scheduling
   * booked under the step (the run that booked it died, lost scheduling's answer, or was paused
   * halfway): asked with existingOnly, which books nothing. Cancelling twice is harmless.
   * Scheduling out of reach: the job is retried; once its attempts are spent, the reconciler
   * retries it while the step is 'cancelling'.
   */
  private async cancelVisitOfEndedPlan(step: StepRow, plan: CarePlanRow): Promise<void> {
    let appointmentId = await this.followUps.visitOfEndedPlan(step.id);
    if (!appointmentId) {
      const { appointment } = await this.visitOf(plan, step, true);
      if (appointment && appointment.status !== 'cancelled') {
        await this.db.transaction((tx) => this.followUps.recordVisitOfEndedPlan(tx, plan, step.id, appointment));
        appointmentId = appointment.id;
      }
    }
    if (appointmentId) {
      try {
        await this.askScheduling(PATTERNS.scheduling.appointmentsCancel, step, { id: appointmentId, reason: VISIT_OF_ENDED_PLAN });
        this.logger.log(`step ${step.id}: its care plan ended while the follow-up visit was booked; appointment ${appointmentId} cancelled`);
      } catch (error) {
        // Completed, checked in or missed already: the visit happened (or not) as the clinic decided.
        if (!(error instanceof DomainError && error.statusCode === 409)) throw error;
      }
    }
    await this.db
      .update(steps)
      .set({ status: plan.status === 'superseded' ? 'superseded' : 'cancelled' })
      .where(and(eq(steps.id, step.id), eq(steps.status, 'cancelling')));
  }

  private async raiseEvaluation(plan: CarePlanRow, step: StepRow): Promise<void> {
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      if (!(await this.claim(tx, step, 'done', now))) return;
      await this.followUps.raise(tx, {
        plan,
        stepId: step.id,
        kind: 'repeat_evaluation',
        cause: 'repeat_evaluation',
        reason: 'Decide on a repeat injection',
        dueAt: step.dueAt,
      });
    });
  }

  /** Moves a step out of 'scheduled' once: false when another run got there first. */
  private async claim(tx: Executor, step: StepRow, status: 'sent' | 'done', now: Date, answerDueAt: Date | null = null): Promise<boolean> {
    const claimed = await CLAIM_STEP.execute(tx, { id: step.id, status, firedAt: now, answerDueAt });
    return claimed.length > 0;
  }

  /**
   * The job of a check-in that went out, at the end of its answer window: unanswered if no answer
   * came, and the missed-in-a-row rule applied. Woken early (the fire job run again): it waits for
   * the deadline.
   */
  private async closeAtAnswerDeadline(step: StepRow, plan: CarePlanRow): Promise<Date | null> {
    const now = this.clock.now();
    if (!step.answerDueAt) return null;
    if (step.answerDueAt > now) return step.answerDueAt;
    await this.db.transaction((tx) => this.followUps.closeCheckinAtAnswerDeadline(tx, plan, step.id, now));
    return null;
  }

  /**
   * Newest first, with their steps. A page `{ items, nextCursor }` when the caller pages (limit or
   * cursor); otherwise every match as an array - and when more than CARE_PLAN_PAGES.list match, a
   * 400 that says how to narrow or page, never the newest ones alone.
   */
  async list(ctx: RequestContext, data: ListCarePlansData = {}): Promise<CarePlanResource[] | CarePlanPage> {
    const size = pageSize(data, CARE_PLAN_PAGES);
    let before: SQL | undefined;
    if (data.cursor) {
      const key = decodePageCursor(data.cursor, CARE_PLAN_CURSOR);
      if (!key) throw new DomainError('CARE_PLAN.BAD_CURSOR', 'cursor is not a nextCursor of this list (keep the same patientId between pages)', 400, 'cursor');
      before = sql`(${carePlans.createdAt}, ${carePlans.id}) < (${key[0]}::timestamptz, ${key[1]}::uuid)`;
    }
    const rows = await this.db
      .select({ plan: carePlans, cursorAt: microInstant(carePlans.createdAt) })
      .from(carePlans)
      .where(and(eq(carePlans.clinicId, ctx.clinicId), data.patientId ? eq(carePlans.patientId, data.patientId) : undefined, before))
      .orderBy(desc(carePlans.createdAt), desc(carePlans.id))
      .limit(size.limit + 1);
    const tooMany = () =>
      data.patientId
        ? new DomainError('CARE_PLAN.TOO_MANY', `The patient has more than ${size.limit} care plans: page through them with limit and cursor`, 400, 'limit')
        : new DomainError('CARE_PLAN.TOO_MANY', `More than ${size.limit} care plans match: ask for one patient's (patientId), or page through them with limit and cursor`, 400, 'patientId');
    const { page, nextCursor } = sliceToPage(rows, size, (r) => [r.cursorAt, r.plan.id], tooMany);
    const plans = page.map((r) => r.plan);
    const allSteps = plans.length === 0 ? [] : await this.db.select().from(steps).where(inArray(steps.carePlanId, plans.map((p) => p.id))).orderBy(asc(steps.dueAt), asc(steps.key));
    const items = plans.map((plan) => toCarePlanResource(plan, allSteps.filter((s) => s.carePlanId === plan.id)));
    return size.paged ? { items, nextCursor } : items;
  }

  async get(ctx: RequestContext, id: string): Promise<CarePlanResource> {
    const [plan] = await this.db.select().from(carePlans).where(and(eq(carePlans.id, id), eq(carePlans.clinicId, ctx.clinicId)));
    if (!plan) throw notFound('Care plan', id);
    const planSteps = await this.db.select().from(steps).where(eq(steps.carePlanId, id)).orderBy(asc(steps.dueAt), asc(steps.key));
    const changes = await this.db.select().from(carePlanChanges).where(eq(carePlanChanges.carePlanId, id)).orderBy(asc(carePlanChanges.at));
    return toCarePlanResource(plan, planSteps, changes);
  }
}

/** A new plan's row for a completed procedure (both ways of creating one write the same). */
function newPlan(id: string, event: EventEnvelope<'procedure.completed'>, protocol: { code: string; version: number }, timezone: string): StartedPlan['plan'] {
  const p = event.payload;
  return {
    id,
    clinicId: event.clinicId,
    patientId: p.patientId,
    appointmentId: p.appointmentId,
    clinicianId: p.clinicianId,
    procedureType: p.procedureType,
    protocolCode: protocol.code,
    protocolVersion: protocol.version,
    procedureCompletedAt: new Date(p.completedAt),
    site: p.site,
    condition: p.condition ?? null,
    timezone,
  };
}
