import { SetMetadata, type ExecutionContext } from '@nestjs/common';

/**
 * How a route is rate-limited. `standard`: the default, per signed-in user (per IP address
 * before sign-in) over all standard routes together. `sign-in`: login and refresh, per IP
 * address and route, much lower. `webhook`: Twilio's callbacks, not limited while their
 * signatures are checked (a burst of delivery reports after a batch of reminders is normal, and
 * Twilio does not send a refused status callback again), per IP address like `standard` when not.
 */
export type RateLimitKind = 'standard' | 'sign-in' | 'webhook';

export const RATE_LIMIT_KEY = 'aftercare:rate-limit';

export const RateLimit = (kind: RateLimitKind) => SetMetadata(RATE_LIMIT_KEY, kind);

/** The route's kind (method first, then controller), `standard` when it declares none. */
export function rateLimitOf(context: ExecutionContext): RateLimitKind {
  return (
    (Reflect.getMetadata(RATE_LIMIT_KEY, context.getHandler()) as RateLimitKind | undefined) ??
    (Reflect.getMetadata(RATE_LIMIT_KEY, context.getClass()) as RateLimitKind | undefined) ??
    'standard'
  );
}
