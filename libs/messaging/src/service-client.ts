import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { withoutLogContext } from '@aftercare/logging';
import { DomainError, isRpcErrorBody } from './errors.js';

export const TRANSPORT_CLIENT = Symbol('TRANSPORT_CLIENT');
/** A plain Redis connection for commands the transport does not expose (PUBSUB NUMSUB). */
export const REDIS_COMMANDS = Symbol('REDIS_COMMANDS');

/** Request/response to another service over the Redis transport, with a deadline. */
@Injectable()
export class ServiceClient implements OnApplicationShutdown {
  constructor(
    @Inject(TRANSPORT_CLIENT) private readonly client: ClientProxy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async send<T>(pattern: string, data: unknown, timeoutMs = this.config.rpcTimeoutMs): Promise<T> {
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
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
