import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  PATTERNS,
  type ByIdData,
  type CompleteFollowUpData,
  type DecideData,
  type FollowUpCountsData,
  type ListFollowUpsData,
  type PutEscalationRulesData,
  type ReassignFollowUpData,
  type RpcRequest,
  type SnoozeFollowUpData,
} from '@aftercare/contracts';
import { EscalationSettingsService } from '../escalation/escalation-settings.service.js';
import { DueListService } from './due-list.service.js';
import { FollowUpActionsService } from './follow-up-actions.service.js';

const P = PATTERNS.followup;

/** The clinician's due list, its actions and the clinic's escalation rules (from the gateway). */
@Controller()
export class FollowUpsController {
  constructor(
    private readonly dueList: DueListService,
    private readonly actions: FollowUpActionsService,
    private readonly escalation: EscalationSettingsService,
  ) {}

  @MessagePattern(P.itemsList)
  items(@Payload() { ctx, data }: RpcRequest<ListFollowUpsData>) {
    return this.dueList.list(ctx, data ?? {});
  }

  @MessagePattern(P.itemsCounts)
  counts(@Payload() { ctx, data }: RpcRequest<FollowUpCountsData>) {
    return this.dueList.counts(ctx, data ?? {});
  }

  @MessagePattern(P.itemsGet)
  item(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.dueList.get(ctx, data.id);
  }

  @MessagePattern(P.itemsComplete)
  complete(@Payload() { ctx, data }: RpcRequest<CompleteFollowUpData>) {
    return this.actions.complete(ctx, data);
  }

  @MessagePattern(P.itemsSnooze)
  snooze(@Payload() { ctx, data }: RpcRequest<SnoozeFollowUpData>) {
    return this.actions.snooze(ctx, data);
  }

  @MessagePattern(P.itemsReassign)
  reassign(@Payload() { ctx, data }: RpcRequest<ReassignFollowUpData>) {
    return this.actions.reassign(ctx, data);
  }

  @MessagePattern(P.itemsDecide)
  decide(@Payload() { ctx, data }: RpcRequest<DecideData>) {
    return this.actions.decide(ctx, data);
  }

  @MessagePattern(P.escalationRulesGet)
  escalationRules(@Payload() { ctx }: RpcRequest<unknown>) {
    return this.escalation.get(ctx);
  }

  @MessagePattern(P.escalationRulesPut)
  putEscalationRules(@Payload() { ctx, data }: RpcRequest<PutEscalationRulesData>) {
    return this.escalation.put(ctx, data);
  }
}
