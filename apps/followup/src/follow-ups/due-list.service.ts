import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type {
  FollowUpCountsData,
  FollowUpCountsResource,
  FollowUpItemDetailResource,
  FollowUpItemResource,
  FollowUpPage,
  ListFollowUpsData,
  PainDirection,
  RequestContext,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError, notFound } from '@aftercare/messaging';
import { carePlans, items, painScores, patients, type CarePlanRow, type ItemRow } from '../database/schema.js';
import { decodeCursor, dueListQuery, encodeCursor, PAGE, type DueListKey } from './due-list.query.js';
import { dueListCountsQuery, toCounts, type DueListCountsRow } from './due-list-counts.query.js';
import { ItemAudit } from './item-audit.js';
import { LocalDays } from './domain/local-days.js';

interface Score {
  score: number;
  answeredAt: Date;
}

/** The clinician's due list and one item with its history (read side). */
@Injectable()
export class DueListService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
    private readonly audit: ItemAudit,
  ) {}

  /**
   * A page `{ items, nextCursor }` when the caller pages (limit or cursor); otherwise the first
   * PAGE.unpaged items as an array, the answer of the first API (PRODUCT.md).
   */
  async list(ctx: RequestContext, query: ListFollowUpsData): Promise<FollowUpPage | FollowUpItemResource[]> {
    const paged = query.paged === true || query.limit !== undefined || query.cursor !== undefined;
    const limit = paged ? Math.min(Math.max(query.limit ?? PAGE.default, 1), PAGE.max) : PAGE.unpaged;
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    if (query.cursor && (!cursor || (cursor.phase === 'done') !== (query.state === 'done'))) {
      throw new DomainError('FOLLOW_UP.BAD_CURSOR', 'cursor is not a nextCursor of this list (keep the same filters between pages)', 400, 'cursor');
    }
    const now = this.clock.now();
    const { rows } = await this.db.execute<DueListKey>(
      dueListQuery({ clinicId: ctx.clinicId, clinicianId: query.clinicianId, kind: query.kind, state: query.state, now, limit, cursor }),
    );
    const page = rows.slice(0, limit);
    const resources = await this.resources(ctx, page.map((r) => r.id), now);
    const last = page[page.length - 1];
    const nextCursor = rows.length > limit && last ? encodeCursor({ phase: last.phase, at: last.key_at, id: last.id }) : null;
    return paged ? { items: resources, nextCursor } : resources;
  }

  /** How many open items the list holds per state, for its clinician and kind filters: the list's counts, not a page's. */
  async counts(ctx: RequestContext, query: FollowUpCountsData): Promise<FollowUpCountsResource> {
    const { rows } = await this.db.execute<DueListCountsRow>(
      dueListCountsQuery({ clinicId: ctx.clinicId, clinicianId: query.clinicianId, kind: query.kind, now: this.clock.now() }),
    );
    return toCounts(rows[0]);
  }

  async get(ctx: RequestContext, id: string, db: Executor = this.db): Promise<FollowUpItemDetailResource> {
    const [resource] = await this.resources(ctx, [id], this.clock.now(), db);
    if (!resource) throw notFound('Follow-up item', id);
    const scores = resource.carePlanId ? await this.scoresByPlan([resource.carePlanId], db) : new Map<string, Score[]>();
    return {
      ...resource,
      history: await this.audit.history(id, db),
      painScores: (scores.get(resource.carePlanId ?? '') ?? []).map((s) => ({ score: s.score, answeredAt: s.answeredAt.toISOString() })),
    };
  }

  /** The items of these ids, in this order, with their patient, plan and pain trend. */
  async resources(ctx: RequestContext, ids: string[], now: Date, db: Executor = this.db): Promise<FollowUpItemResource[]> {
    if (ids.length === 0) return [];
    const rows = await db
      .select({ item: items, patient: { firstName: patients.firstName, lastName: patients.lastName, timezone: patients.timezone }, plan: carePlans })
      .from(items)
      .innerJoin(patients, eq(patients.id, items.patientId))
      .leftJoin(carePlans, eq(carePlans.id, items.carePlanId))
      .where(and(eq(items.clinicId, ctx.clinicId), inArray(items.id, ids)));
    const scores = await this.scoresByPlan(rows.map((r) => r.item.carePlanId).filter((id): id is string => !!id), db);
    const byId = new Map(rows.map((r) => [r.item.id, r]));
    const days = new LocalDays(now);
    return ids.flatMap((id) => {
      const row = byId.get(id);
      if (!row) return [];
      const { item, patient, plan } = row;
      return [toResource(item, { name: `${patient.firstName} ${patient.lastName}`, timezone: patient.timezone }, plan, scores.get(item.carePlanId ?? '') ?? [], now, days)];
    });
  }

  private async scoresByPlan(planIds: string[], db: Executor): Promise<Map<string, Score[]>> {
    const result = new Map<string, Score[]>();
    if (planIds.length === 0) return result;
    const rows = await db
      .select({ carePlanId: painScores.carePlanId, score: painScores.score, answeredAt: painScores.answeredAt })
      .from(painScores)
      .where(inArray(painScores.carePlanId, [...new Set(planIds)]))
      .orderBy(asc(painScores.answeredAt));
    for (const row of rows) result.set(row.carePlanId!, [...(result.get(row.carePlanId!) ?? []), { score: row.score, answeredAt: row.answeredAt }]);
    return result;
  }
}

function toResource(item: ItemRow, patient: { name: string; timezone: string }, plan: CarePlanRow | null, scores: Score[], now: Date, days: LocalDays): FollowUpItemResource {
  const latest = scores[scores.length - 1];
  return {
    id: item.id,
    kind: item.kind,
    state: days.stateOf(item, patient.timezone),
    dueAt: item.dueAt.toISOString(),
    patient: { id: item.patientId, name: patient.name },
    // Only front-desk tasks (kept off this list) may lack a clinician.
    clinicianId: item.clinicianId ?? '',
    carePlanId: item.carePlanId,
    reason: item.reason,
    procedureDate: plan?.procedureCompletedAt.toISOString() ?? null,
    site: plan?.site ?? null,
    // Calendar days in the patient's zone, as the outcome series counts them (the day after is day 1).
    daysSinceProcedure: plan ? days.daysSince(plan.procedureCompletedAt, patient.timezone) : null,
    latestPainScore: latest?.score ?? null,
    latestPainScoreAt: latest?.answeredAt.toISOString() ?? null,
    painTrend: scores.map((s) => s.score),
    painDirection: painDirection(scores.map((s) => s.score)),
    completedAt: item.completedAt?.toISOString() ?? null,
    note: item.note,
    decision: item.decision ?? null,
    snoozedUntil: item.snoozedUntil && item.status === 'open' && item.snoozedUntil > now ? item.snoozedUntil.toISOString() : null,
    cause: item.cause,
    evidence: (item.evidence ?? []).map(({ messageId: _messageId, ...rest }) => rest),
    occurrences: item.occurrences,
    createdAt: item.createdAt.toISOString(),
    updatedAt: item.updatedAt?.toISOString() ?? null,
  };
}

/** The last answer against the one before it. */
export function painDirection(scores: number[]): PainDirection | null {
  if (scores.length < 2) return null;
  const [previous, latest] = scores.slice(-2) as [number, number];
  return latest > previous ? 'rising' : latest < previous ? 'falling' : 'steady';
}

