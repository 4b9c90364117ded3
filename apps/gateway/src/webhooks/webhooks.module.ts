import { Module } from '@nestjs/common';
import { TwilioSignatureGuard } from './twilio-signature.guard.js';
import { TwilioWebhooksController } from './twilio-webhooks.controller.js';

@Module({ controllers: [TwilioWebhooksController], providers: [TwilioSignatureGuard] })
export class WebhooksModule {}
