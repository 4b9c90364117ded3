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
