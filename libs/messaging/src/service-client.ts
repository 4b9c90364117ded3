import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError, type Subscription } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { withoutLogContext } from '@aftercare/logging';
import { DomainError, isRpcErrorBody } from './errors.js';

export const TRANSPORT_CLIENT = Symbol('TRANSPORT_CLIENT');
/** A plain Redis connection for commands the transport does not expose (PUBSUB NUMSUB). */
export const REDIS_COMMANDS = Symbol('REDIS_COMMANDS');

/**
 * Request/response to another service over the Redis transport, with a deadline. While the
 * transport has lost Redis, a request fails at once (503) instead of waiting in the client's
 * offline queue: the caller hears "unavailable" in milliseconds, and no request is published
 * long after its caller gave up on it.
 */
@Injectable()
export class ServiceClient implements OnApplicationShutdown {
  /** The transport's last reported state (undefined until its first connection). */
  private transport: string | undefined;
  private readonly statusWatch: Subscription;

  constructor(
    @Inject(TRANSPORT_CLIENT) private readonly client: ClientProxy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.statusWatch = client.status.subscribe((status) => (this.transport = status));
  }

  private get transportDown(): boolean {
    return this.transport === 'reconnecting' || this.transport === 'disconnected';
  }

  async send<T>(pattern: string, data: unknown, timeoutMs = this.config.rpcTimeoutMs): Promise<T> {
    if (this.transportDown) throw transportUnavailable(pattern);
    try {
      // The transport connects on its first request: outside the caller's log context, or its
      // connections' own lines (reconnecting, say) would carry that one request's id for good.
      return await withoutLogContext(() => firstValueFrom(this.client.send<T>(pattern, data).pipe(timeout(timeoutMs))));
    } catch (error) {
      if (isRpcErrorBody(error)) {
        throw new DomainError(error.code, error.message, error.statusCode as DomainError['statusCode'], error.field);
      }
      if (error instanceof TimeoutError) {
        throw new DomainError('SERVICE.UNAVAILABLE', `No answer to ${pattern} within ${timeoutMs} ms; is the service running?`, 503);
      }
      // Redis went away while the request was under way (the transport rejects with its own text).
      if (this.transportDown) throw transportUnavailable(pattern);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.statusWatch.unsubscribe();
    await this.client.close();
  }
}

function transportUnavailable(pattern: string): DomainError {
  return new DomainError('SERVICE.UNAVAILABLE', `Redis, which carries ${pattern} to its service, is unreachable; try again shortly`, 503);
}
