import { AttentionService } from '../escalation/attention.service.js';
import { EscalationSettingsService } from '../escalation/escalation-settings.service.js';
import { DueListService } from './due-list.service.js';
import { FollowUpActionsService } from './follow-up-actions.service.js';
import { FollowUpsController } from './follow-ups.controller.js';
import { ItemAudit } from './item-audit.js';

/** The clinician's workspace (issue 5): the due list, its actions and audit, escalation rules. */
export const WORKSPACE_CONTROLLERS = [FollowUpsController];
export const WORKSPACE_PROVIDERS = [ItemAudit, DueListService, FollowUpActionsService, EscalationSettingsService, AttentionService];
