import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { GatewayRequest } from './http.js';
import { ValidationFailedException } from './validation/validation-failed.exception.js';

const MAX_LENGTH = 200;
const PRINTABLE = /^[\x21-\x7E]+$/;

/** The optional `Idempotency-Key` header, checked like any other input; null when absent. */
export function readIdempotencyKey(req: Pick<GatewayRequest, 'headers'>): string | null {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return null;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH || !PRINTABLE.test(value)) {
    throw new ValidationFailedException({
      field: 'Idempotency-Key',
      message: `Idempotency-Key must be 1 to ${MAX_LENGTH} printable characters without spaces, such as a UUID`,
    });
  }
  return value;
}

export const IdempotencyKey = createParamDecorator((_data: unknown, ctx: ExecutionContext): string | null =>
  readIdempotencyKey(ctx.switchToHttp().getRequest<GatewayRequest>()),
);
