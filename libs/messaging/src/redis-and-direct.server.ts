import { Logger } from '@nestjs/common';
import { ServerTCP, type CustomTransportStrategy, type MessageHandler, type RedisOptions } from '@nestjs/microservices';
import { OncePerRequestServerRedis } from './once-per-request.server.js';

/** A TCP listener that answers with another server's handlers (with their pipes, filters and hooks). */
class SharedHandlersServerTCP extends ServerTCP {
  constructor(
    options: { host: string; port: number },
    private readonly handlersOf: { getHandlerByPattern(pattern: string): MessageHandler | null },
  ) {
    super(options);
  }

  override getHandlerByPattern(pattern: string): MessageHandler | null {
    return this.handlersOf.getHandlerByPattern(pattern);
  }
}

/**
 * The Redis transport (each request run by one replica) and, beside it, a direct TCP listener
 * that answers the same requests with the same handlers. Callers use Redis; while they cannot
 * reach it, ServiceClient sends to the direct listeners instead, so that a Redis outage does not
 * stop the front desk from booking (libs/messaging/src/service-client.ts). A request sent
 * directly goes to one replica, so it needs no claim.
 */
export class RedisAndDirectServer extends OncePerRequestServerRedis implements CustomTransportStrategy {
  private readonly direct: SharedHandlersServerTCP | null;
  private readonly directLogger = new Logger('DirectRpc');

  constructor(
    redisOptions: NonNullable<RedisOptions['options']>,
    private readonly directAddress: { host: string; port: number } | null,
  ) {
    super(redisOptions);
    this.direct = directAddress ? new SharedHandlersServerTCP(directAddress, this) : null;
  }

  override async listen(callback: (error?: unknown, ...rest: unknown[]) => void): Promise<void> {
    await super.listen((error?: unknown, ...rest: unknown[]) => {
      if (error || !this.direct) return callback(error, ...rest);
      this.direct.listen((directError?: unknown) => {
        if (directError) {
          const { host, port } = this.directAddress!;
          return callback(new Error(`cannot listen for direct requests on ${host}:${port} (${(directError as Error).message}); set another port with the service's *_RPC_PORT, or 0 to turn the listener off`));
        }
        this.directLogger.log(`answering direct requests on ${this.directAddress!.host}:${this.directAddress!.port}`);
        callback();
      });
    });
  }

  override async close(): Promise<void> {
    this.direct?.close();
    await super.close();
  }
}
