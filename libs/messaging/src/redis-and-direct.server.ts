import { createHash, timingSafeEqual } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { IncomingRequestDeserializer, ServerTCP, type CustomTransportStrategy, type MessageHandler, type RedisOptions } from '@nestjs/microservices';
import { throwError } from 'rxjs';
import type { RpcErrorBody } from '@aftercare/contracts';
import { OncePerRequestServerRedis } from './once-per-request.server.js';

/** The field of a direct request that carries RPC_SECRET (taken off before the request is handled). */
export const RPC_SECRET_FIELD = 'rpcSecret';
/** The pattern an unauthenticated request is handled as: its answer says what to set. */
const REFUSED = 'aftercare.rpc.refused';
const REFUSAL: RpcErrorBody = {
  statusCode: 503,
  code: 'RPC.UNAUTHENTICATED',
  message: 'A service refused a direct request that did not carry its RPC_SECRET; set the same RPC_SECRET for every service',
};

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Takes the secret off each incoming request; one without the right one becomes a refusal. */
class SecretCheckingDeserializer extends IncomingRequestDeserializer {
  private readonly expected: Buffer;
  constructor(secret: string) {
    super();
    this.expected = digest(secret);
  }

  override deserialize(value: unknown, options?: Record<string, unknown>) {
    const packet = { ...(value as Record<string, unknown>) };
    const given = packet[RPC_SECRET_FIELD];
    delete packet[RPC_SECRET_FIELD];
    const ok = typeof given === 'string' && timingSafeEqual(digest(given), this.expected);
    return super.deserialize(ok ? packet : { id: packet.id, pattern: REFUSED, data: null }, options);
  }
}

/** A TCP listener that answers with another server's handlers (with their pipes, filters and hooks). */
class SharedHandlersServerTCP extends ServerTCP {
  private readonly refusedLogger = new Logger('DirectRpc');

  constructor(
    options: { host: string; port: number; secret: string | null },
    private readonly handlersOf: { getHandlerByPattern(pattern: string): MessageHandler | null },
  ) {
    super({ host: options.host, port: options.port, ...(options.secret ? { deserializer: new SecretCheckingDeserializer(options.secret) } : {}) });
  }

  override getHandlerByPattern(pattern: string): MessageHandler | null {
    if (pattern === REFUSED) {
      const refuse = (async () => {
        this.refusedLogger.warn('refused a direct request without the right RPC_SECRET');
        return throwError(() => REFUSAL);
      }) as unknown as MessageHandler;
      return refuse;
    }
    return this.handlersOf.getHandlerByPattern(pattern);
  }
}

/**
 * The Redis transport (each request run by one replica) and, beside it, a direct TCP listener
 * that answers the same requests with the same handlers. Callers use Redis; while they cannot
 * reach it, ServiceClient sends to the direct listeners instead, so that a Redis outage does not
 * stop the front desk from booking (libs/messaging/src/service-client.ts). A request sent
 * directly goes to one replica, so it needs no claim. With RPC_SECRET set, a direct request
 * without it is refused before any handler sees it.
 */
export class RedisAndDirectServer extends OncePerRequestServerRedis implements CustomTransportStrategy {
  private readonly direct: SharedHandlersServerTCP | null;
  private readonly directLogger = new Logger('DirectRpc');

  constructor(
    redisOptions: NonNullable<RedisOptions['options']>,
    private readonly directAddress: { host: string; port: number; secret: string | null } | null,
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
