import { Controller, Header, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  PATTERNS,
  type DeliveryStatusUpdate,
  type InboundSms,
  type InboundSmsReply,
  type RequestContext,
} from '@aftercare/contracts';
import { Public } from '../auth/auth.decorators.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { SystemCtx } from '../common/request-context.js';
import { FORWARD_TIMEOUT_MS, HeldWebhooks, STATUS_FORWARD_TIMEOUT_MS } from './held-webhooks.service.js';
import { CallbackMessageId, TwilioForm } from './twilio-form.decorator.js';
import { TwilioSignatureGuard } from './twilio-signature.guard.js';
import { InboundSmsForm, StatusCallbackForm } from './twilio-webhooks.dto.js';
import { twimlReply } from './twiml.js';

const P = PATTERNS.notifications;

/**
 * Twilio's calls: no user token, a Twilio signature instead. Each is handed to notifications;
 * one that notifications cannot take now is held and forwarded when it can (HeldWebhooks), as
 * Twilio would not send it again.
 */
@Controller('webhooks/twilio')
@Public()
@RateLimit('webhook')
@UseGuards(TwilioSignatureGuard)
export class TwilioWebhooksController {
  constructor(private readonly webhooks: HeldWebhooks) {}

  @Post('sms')
  @HttpCode(200)
  @Header('Content-Type', 'text/xml; charset=utf-8')
  async inboundSms(@SystemCtx() ctx: RequestContext, @TwilioForm() form: InboundSmsForm): Promise<string> {
    // The answer goes back in this response only if it comes before the forward gives up.
    const deadline = Date.now() + FORWARD_TIMEOUT_MS;
    const data: InboundSms = { messageSid: form.MessageSid, from: form.From, to: form.To, body: form.Body, replyBy: new Date(deadline).toISOString() };
    // Held: handled once notifications is back, when an answer can no longer go in this response.
    // One number's texts go one after the other, so a later one cannot overtake one being held.
    const { reply } = await this.webhooks.forward<InboundSmsReply>(P.inboundSms, form.MessageSid, ctx, data, { reply: null }, (at) => ({ ...data, heldSince: at.toISOString() }), {
      orderKey: form.From,
      deadline,
    });
    return twimlReply(reply);
  }

  /**
   * Recorded by notifications and acknowledged at once; applied after the answer (no provider
   * call on this path). Held by the gateway instead when notifications has not taken it within
   * STATUS_FORWARD_TIMEOUT_MS (down, or stalled). `messageId` is ours, put in the callback URL
   * when the SMS was sent.
   */
  @Post('status')
  @HttpCode(204)
  async statusCallback(@SystemCtx() ctx: RequestContext, @TwilioForm() form: StatusCallbackForm, @CallbackMessageId() messageId: string | null): Promise<void> {
    const data: DeliveryStatusUpdate & { messageId: string | null } = {
      messageSid: form.MessageSid,
      status: form.MessageStatus,
      errorCode: form.ErrorCode || null,
      messageId,
    };
    // Acknowledged within 2 s whatever notifications does: held if it has not taken the report by then.
    await this.webhooks.forward(P.deliveryStatus, `${form.MessageSid}:${form.MessageStatus}:${data.errorCode ?? ''}`, ctx, data, null, undefined, {
      deadline: Date.now() + STATUS_FORWARD_TIMEOUT_MS,
    });
  }
}
