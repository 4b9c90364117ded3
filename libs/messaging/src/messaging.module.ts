import { Global, Module, type DynamicModule } from '@nestjs/common';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig, redisEndpoint } from '@aftercare/config';
import { ActivityCounter } from './activity.js';
import { Inbox } from './inbox.js';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options.js';
import { OutboxRelay, OutboxWriter } from './outbox.js';
import { RedisPolicyCheck } from './redis-policy.js';
import { REDIS_COMMANDS, ServiceClient, TRANSPORT_CLIENT } from './service-client.js';

@Injectable()
class RedisCommandsCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS_COMMANDS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}

/**
 * The client for plain Redis commands. It connects on its first command, not when it is built: a
 * start-up that fails before then (the Redis settings check refusing an evicting policy) leaves no
 * connection behind that would keep reconnecting and hold the process open.
 */
function redisCommandsClient(config: AppConfig): Redis {
  return new Redis({ ...redisEndpoint(config.redis), maxRetriesPerRequest: 1, lazyConnect: true });
}

export function redisTransportOptions(config: AppConfig) {
  return {
    transport: Transport.REDIS as const,
    options: {
      ...redisEndpoint(config.redis),
      retryAttempts: Number.MAX_SAFE_INTEGER,
      retryDelay: 1_000,
      // A command issued as Redis went away (an in-flight reply, the unsubscribe of a request
      // that timed out) waits for the reconnection. ioredis's default rejects it after 20
      // retries, and the transport leaves that rejection unhandled: the process crashed ~20 s
      // into a Redis outage (test/faults/3-redis-down.fault-spec.ts). New requests do not queue
      // up meanwhile: ServiceClient refuses them while the transport is down.
      maxRetriesPerRequest: null,
      // Closing a connection that is not up (Redis away at shutdown) arms a timer that only the
      // socket's 'close' clears, and that has already happened: ioredis's default of 2 s then
      // keeps the process from exiting for 2 s. A connection that is up closes well within this.
      disconnectTimeout: 200,
    },
  };
}

@Global()
@Module({})
export class MessagingModule {
  /** Outbox, relay, inbox and a client to the other services, for one service. */
  static forService(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: options },
        {
          provide: TRANSPORT_CLIENT,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ClientProxyFactory.create(redisTransportOptions(config)),
        },
        {
          provide: REDIS_COMMANDS,
          inject: [APP_CONFIG],
          useFactory: redisCommandsClient,
        },
        RedisCommandsCloser,
        RedisPolicyCheck,
        ActivityCounter,
        OutboxWriter,
        OutboxRelay,
        Inbox,
        ServiceClient,
      ],
      exports: [TRANSPORT_CLIENT, ActivityCounter, OutboxWriter, OutboxRelay, Inbox, ServiceClient],
    };
  }

  /** Only a client to the services, and a Redis connection for plain commands (the gateway has no outbox). */
  static forClient(): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        {
          provide: TRANSPORT_CLIENT,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ClientProxyFactory.create(redisTransportOptions(config)),
        },
        {
          provide: REDIS_COMMANDS,
          inject: [APP_CONFIG],
          useFactory: redisCommandsClient,
        },
        RedisCommandsCloser,
        ServiceClient,
        RedisPolicyCheck,
      ],
      exports: [TRANSPORT_CLIENT, REDIS_COMMANDS, ServiceClient],
    };
  }
}
