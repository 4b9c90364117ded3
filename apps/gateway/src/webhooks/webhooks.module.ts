import { Module } from '@nestjs/common';
import { HeldWebhooks } from './held-webhooks.service.js';
import { TwilioSignatureGuard } from './twilio-signature.guard.js';
import { TwilioWebhooksController } from './twilio-webhooks.controller.js';

@Module({ controllers: [TwilioWebhooksController], providers: [TwilioSignatureGuard, HeldWebhooks] })
export class WebhooksModule {}
