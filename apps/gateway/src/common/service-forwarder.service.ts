import { Inject, Injectable } from '@nestjs/common';
import type { RequestContext, RpcRequest } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { DomainError, ServiceClient, serviceOfPattern } from '@aftercare/messaging';

/** Extra time ServiceClient gets past our own deadline, so that ours is always the one to fire. */
const CLIENT_GRACE_MS = 1_000;

/**
 * Forwards one request to the service that owns it: `{ ctx, data }` over the Redis transport.
 * Errors the service answers with arrive as DomainErrors (mapped to HTTP by the error filter);
 * when the service does not answer in time the gateway says which one, so an operator knows
 * where to look. The deadline is the gateway's own, so it is never confused with a service
 * relaying that *another* service did not answer.
 */
@Injectable()
export class ServiceForwarder {
  constructor(
    private readonly client: ServiceClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async send<T>(pattern: string, ctx: RequestContext, data: unknown, timeoutMs = this.config.rpcTimeoutMs): Promise<T> {
    const request: RpcRequest = { ctx, data };
    const call = this.client.send<T>(pattern, request, timeoutMs + CLIENT_GRACE_MS);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(notAnswered(pattern, timeoutMs)), timeoutMs);
    });
    // The loser of the race still settles later; it must not become an unhandled rejection.
    call.catch(() => undefined);
    try {
      return await Promise.race([call, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export function notAnswered(pattern: string, timeoutMs: number): DomainError {
  const service = serviceOfPattern(pattern);
  return new DomainError(
    'SERVICE.UNAVAILABLE',
    `The ${service} service did not answer within ${timeoutMs} ms (${pattern}); it may be down or overloaded, try again shortly`,
    503,
  );
}
