import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { eventPattern, type EventEnvelope } from '@aftercare/contracts';
import { Inbox } from '@aftercare/messaging';
import type { MessageRow } from '../database/schema.js';
import { MessagesService } from '../messages/messages.service.js';
import { StaffAlertsService } from './staff-alerts.service.js';

/** followup raised an attention item for a clinician who wants e-mail alerts. */
@Controller()
export class StaffAlertsController {
  constructor(
    private readonly inbox: Inbox,
    private readonly alerts: StaffAlertsService,
    private readonly messages: MessagesService,
  ) {}

  @MessagePattern(eventPattern('notifications', 'follow-up.attention-raised'))
  async attentionRaised(@Payload() event: EventEnvelope<'follow-up.attention-raised'>) {
    // Looked up before the inbox transaction: no connection is held while scheduling answers.
    const to = await this.alerts.clinicianAddress(event);
    let created: MessageRow[] = [];
    return this.inbox.handleOnce(
      event,
      async (tx, e) => {
        created = await this.alerts.composeAttentionAlert(tx, e, to);
      },
      () => this.messages.scheduleJobs(created),
    );
  }
}
