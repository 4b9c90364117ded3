import { Module, type DynamicModule } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { QUEUES } from '@aftercare/contracts';
import type { AppConfig } from '@aftercare/config';
import { bullRoot, JobsModule } from '@aftercare/jobs';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { RpcPayloadValidator, serviceFoundation } from '@aftercare/messaging';
import { NOTIFICATIONS_MIGRATIONS } from './database/migrations.js';
import { notificationsMessaging } from './database/schema.js';
import { NOTIFICATIONS_PAYLOADS } from './notifications.payloads.js';
import { DeliveryStatusService } from './delivery/delivery-status.service.js';
import { FallbackService } from './delivery/fallback.service.js';
import { MessageSendProcessor } from './delivery/message-send.processor.js';
import { MessageSenderService } from './delivery/message-sender.service.js';
import { DeliveryReportCheckService } from './delivery/report-check.service.js';
import { DirectoryService } from './directory/directory.service.js';
import { NotificationsEventsController } from './events/notifications-events.controller.js';
import { InboundSmsService } from './inbound/inbound-sms.service.js';
import { LiveChangesModule } from './live/live.module.js';
import { AppointmentMessagesService } from './messages/appointment-messages.service.js';
import { MessageSource } from './messages/message.source.js';
import { MessageStatusMetrics } from './messages/message-status.metrics.js';
import { MessagesService } from './messages/messages.service.js';
import { NotificationsController } from './notifications.controller.js';
import { QueueAdminController } from './queues/queue-admin.controller.js';
import { StaffAlertsController } from './staff-alerts/staff-alerts.controller.js';
import { StaffAlertsService } from './staff-alerts/staff-alerts.service.js';
import { ProvidersModule } from './providers/providers.module.js';
import { ConsentService } from './consent/consent.service.js';
import { TemplatesController } from './templates/templates.controller.js';
import { TemplatesService } from './templates/templates.service.js';
import { WaitlistOffersService } from './waitlist/waitlist-offers.service.js';

@Module({
  imports: [BullModule.registerQueue({ name: QUEUES.outboundMessages })],
  providers: [MessageSource],
  exports: [MessageSource, BullModule],
})
class MessageQueueModule {}

/** Templates, reminders, SMS and email delivery, consent and opt-out, inbound replies. */
@Module({})
export class NotificationsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: NotificationsModule,
      imports: [
        ...serviceFoundation(config, 'notifications', NOTIFICATIONS_MIGRATIONS, notificationsMessaging),
        bullRoot(config),
        MessageQueueModule,
        ProvidersModule.forRoot(config),
        JobsModule.forService({ service: 'notifications', config, sources: [MessageSource], imports: [MessageQueueModule] }),
        LiveChangesModule,
      ],
      controllers: [NotificationsController, NotificationsEventsController, TemplatesController, StaffAlertsController, QueueAdminController],
      providers: [
        ConsentService,
        DirectoryService,
        TemplatesService,
        MessagesService,
        AppointmentMessagesService,
        MessageSenderService,
        MessageSendProcessor,
        DeliveryStatusService,
        DeliveryReportCheckService,
        FallbackService,
        InboundSmsService,
        WaitlistOffersService,
        StaffAlertsService,
        MessageStatusMetrics,
        // Every request pattern's data is checked before its handler runs.
        { provide: APP_INTERCEPTOR, useValue: new RpcPayloadValidator(NOTIFICATIONS_PAYLOADS) },
      ],
    };
  }
}
