import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { GatewayRequest } from '../common/http.js';
import { createValidationPipe } from '../common/validation/validation.pipe.js';

/**
 * Twilio's form body, validated into the parameter's class with unknown fields dropped (not
 * refused, unlike the API's bodies). A custom decorator so the global, stricter pipe skips it.
 */
export const TwilioForm = () =>
  createParamDecorator((_data: unknown, ctx: ExecutionContext): unknown => ctx.switchToHttp().getRequest<GatewayRequest>().body ?? {})(
    createValidationPipe({ forbidUnknownFields: false, validateCustomDecorators: true }),
  );

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Our message id from a status callback's URL (`?messageId=`), or null. Part of the signed URL,
 * so it cannot be forged; anything that is not an id is ignored rather than refused (Twilio
 * would only retry it).
 */
export const CallbackMessageId = createParamDecorator((_data: unknown, ctx: ExecutionContext): string | null => {
  const value = ctx.switchToHttp().getRequest<GatewayRequest>().query?.messageId;
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : null;
});
