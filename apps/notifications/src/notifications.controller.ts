import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PATTERNS, type ByIdData, type InboundSms, type ListMessagesData, type RpcRequest } from '@aftercare/contracts';
import { ConsentService } from './consent/consent.service.js';
import { DeliveryStatusService, type StatusCallback } from './delivery/delivery-status.service.js';
import { InboundSmsService } from './inbound/inbound-sms.service.js';
import { MessagesService } from './messages/messages.service.js';

const P = PATTERNS.notifications;

/** Request patterns from the gateway: message lists, webhooks' payloads. */
@Controller()
export class NotificationsController {
  constructor(
    private readonly messages: MessagesService,
    private readonly inbound: InboundSmsService,
    private readonly delivery: DeliveryStatusService,
    private readonly consent: ConsentService,
  ) {}

  @MessagePattern(P.smsOptOut)
  smsOptOut(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.consent.smsOptOut(ctx, data.id);
  }

  @MessagePattern(P.smsHoldRelease)
  smsHoldRelease(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.consent.releaseSmsHold(ctx, data.id);
  }

  @MessagePattern(P.messagesList)
  list(@Payload() { ctx, data }: RpcRequest<ListMessagesData>) {
    return this.messages.list(ctx, data?.patientId, data?.status, { limit: data?.limit, before: data?.before });
  }

  @MessagePattern(P.messagesRetry)
  retry(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.messages.retryFailed(ctx, data.id);
  }

  @MessagePattern(P.timeline)
  timeline(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.messages.timeline(ctx, data.id);
  }

  @MessagePattern(P.inboundSms)
  inboundSms(@Payload() { data }: RpcRequest<InboundSms>) {
    return this.inbound.receive(data);
  }

  @MessagePattern(P.deliveryStatus)
  deliveryStatus(@Payload() { data }: RpcRequest<StatusCallback>) {
    return this.delivery.update(data);
  }
}
