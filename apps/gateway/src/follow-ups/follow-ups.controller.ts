import { Body, Controller, ForbiddenException, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  PATTERNS,
  type CompleteFollowUpData,
  type DecideData,
  type EscalationRulesResource,
  type FollowUpCountsData,
  type FollowUpCountsResource,
  type FollowUpItemDetailResource,
  type FollowUpItemResource,
  type FollowUpPage,
  type ListFollowUpsData,
  type PutEscalationRulesData,
  type ReassignFollowUpData,
  type RequestContext,
  type SnoozeFollowUpData,
} from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ADMIN_ONLY, ALL_STAFF, CLINICAL } from '../auth/roles.js';
import { IdParamDto } from '../common/id-param.dto.js';
import { Ctx } from '../common/request-context.js';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import {
  CompleteFollowUpItemDto,
  DecisionDto,
  FollowUpCountsQueryDto,
  ListFollowUpsQueryDto,
  PutEscalationRulesDto,
  ReassignFollowUpDto,
  SnoozeFollowUpDto,
} from './follow-ups.dto.js';

const P = PATTERNS.followup;

/** The clinician's due list: it shows pain scores and check-in answers, so clinical roles only. */
@Controller('api/follow-ups')
export class FollowUpsController {
  constructor(private readonly services: ServiceForwarder) {}

  /**
   * Urgency first. With `limit` or `cursor`: `{ items, nextCursor }`; without: the first 500 as an
   * array. The front desk may read the list's booking tasks (`kind=booking_task`: PRODUCT.md's
   * "sees what needs booking"), without the plan's pain scores; the rest of the list is clinical.
   */
  @Get()
  @Roles(...ALL_STAFF)
  async list(@Ctx() ctx: RequestContext, @Query() query: ListFollowUpsQueryDto): Promise<FollowUpPage | FollowUpItemResource[] | FrontDeskItem[] | { items: FrontDeskItem[]; nextCursor: string | null }> {
    const frontDesk = ctx.role === 'front_desk';
    if (frontDesk && query.kind !== 'booking_task') {
      throw new ForbiddenException(
        'The front_desk role may not read the whole due list (it shows check-in answers): ask for its booking tasks with kind=booking_task, or use GET /api/booking-tasks',
      );
    }
    const data: ListFollowUpsData = {};
    if (query.clinicianId) data.clinicianId = query.clinicianId;
    if (query.kind) data.kind = query.kind;
    if (query.state) data.state = query.state;
    if (query.limit !== undefined) data.limit = query.limit;
    if (query.cursor) data.cursor = query.cursor;
    const answer = await this.services.send<FollowUpPage | FollowUpItemResource[]>(P.itemsList, ctx, data);
    if (!frontDesk) return answer;
    return Array.isArray(answer) ? answer.map(forTheFrontDesk) : { ...answer, items: answer.items.map(forTheFrontDesk) };
  }

  /**
   * How many open items the list holds per state (overdue, today, upcoming) and attention, for
   * the list's clinician and kind filters: the whole list's numbers, where a page only has its
   * own. Declared before ':id' so that 'counts' is not taken for an id.
   */
  @Get('counts')
  @Roles(...CLINICAL)
  counts(@Ctx() ctx: RequestContext, @Query() query: FollowUpCountsQueryDto): Promise<FollowUpCountsResource> {
    const data: FollowUpCountsData = {};
    if (query.clinicianId) data.clinicianId = query.clinicianId;
    if (query.kind) data.kind = query.kind;
    return this.services.send(P.itemsCounts, ctx, data);
  }

  /** One item with its evidence, the plan's pain scores and the history of what was done. */
  @Get(':id')
  @Roles(...CLINICAL)
  get(@Ctx() ctx: RequestContext, @Param() params: IdParamDto): Promise<FollowUpItemDetailResource> {
    return this.services.send(P.itemsGet, ctx, { id: params.id });
  }

  @Post(':id/complete')
  @HttpCode(200)
  @Roles(...CLINICAL)
  complete(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: CompleteFollowUpItemDto): Promise<FollowUpItemDetailResource> {
    const data: CompleteFollowUpData = { id: params.id, note: body.note ?? null };
    if (body.seenOccurrences !== undefined) data.seenOccurrences = body.seenOccurrences;
    return this.services.send(P.itemsComplete, ctx, data);
  }

  @Post(':id/snooze')
  @HttpCode(200)
  @Roles(...CLINICAL)
  snooze(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: SnoozeFollowUpDto): Promise<FollowUpItemDetailResource> {
    const data: SnoozeFollowUpData = { id: params.id, until: body.until, note: body.note ?? null };
    return this.services.send(P.itemsSnooze, ctx, data);
  }

  @Post(':id/reassign')
  @HttpCode(200)
  @Roles(...CLINICAL)
  reassign(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: ReassignFollowUpDto): Promise<FollowUpItemDetailResource> {
    const data: ReassignFollowUpData = { id: params.id, clinicianId: body.clinicianId, note: body.note ?? null };
    return this.services.send(P.itemsReassign, ctx, data);
  }

  @Post(':id/decision')
  @HttpCode(200)
  @Roles(...CLINICAL)
  decide(@Ctx() ctx: RequestContext, @Param() params: IdParamDto, @Body() body: DecisionDto): Promise<FollowUpItemDetailResource> {
    const data: DecideData = { id: params.id, note: body.note ?? null };
    if (body.decision) data.decision = body.decision;
    if (body.repeatInjection !== undefined && body.repeatInjection !== null) data.repeatInjection = body.repeatInjection;
    if (body.bookBy) data.bookBy = body.bookBy;
    if (body.reassessInWeeks !== undefined && body.reassessInWeeks !== null) data.reassessInWeeks = body.reassessInWeeks;
    if (body.outcome) data.outcome = body.outcome;
    return this.services.send(P.itemsDecide, ctx, data);
  }
}

/** The clinic's escalation rules: clinicians read them, admins change them. */
@Controller('api/escalation-rules')
export class EscalationRulesController {
  constructor(private readonly services: ServiceForwarder) {}

  @Get()
  @Roles(...CLINICAL)
  get(@Ctx() ctx: RequestContext): Promise<EscalationRulesResource> {
    return this.services.send(P.escalationRulesGet, ctx, {});
  }

  @Put()
  @Roles(...ADMIN_ONLY)
  put(@Ctx() ctx: RequestContext, @Body() body: PutEscalationRulesDto): Promise<EscalationRulesResource> {
    const data: PutEscalationRulesData = {};
    if (body.highScore !== undefined) data.highScore = body.highScore;
    if (body.riseBy !== undefined) data.riseBy = body.riseBy;
    if (body.missedInARow !== undefined) data.missedInARow = body.missedInARow;
    if (body.answerWindowHours !== undefined) data.answerWindowHours = body.answerWindowHours;
    if (body.freeText !== undefined && body.freeText !== null) data.freeText = body.freeText;
    if (body.emailAlerts !== undefined && body.emailAlerts !== null) data.emailAlerts = body.emailAlerts;
    return this.services.send(P.escalationRulesPut, ctx, data);
  }
}

/**
 * The fields of a due-list item the front desk sees: the contract's item and when it was made and
 * done - what its own booking-task list shows. Named one by one, so a field added to the item
 * later (or a clinician's note, the plan's pain scores) is not shown to it unless added here.
 */
const FRONT_DESK_FIELDS = ['id', 'kind', 'state', 'dueAt', 'patient', 'clinicianId', 'carePlanId', 'reason', 'snoozedUntil', 'completedAt', 'createdAt', 'updatedAt'] as const;
type FrontDeskItem = Pick<FollowUpItemResource, (typeof FRONT_DESK_FIELDS)[number]>;

function forTheFrontDesk(item: FollowUpItemResource): FrontDeskItem {
  return Object.fromEntries(FRONT_DESK_FIELDS.map((field) => [field, item[field]])) as FrontDeskItem;
}
