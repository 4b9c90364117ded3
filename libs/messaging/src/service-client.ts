import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, ClientTCP } from '@nestjs/microservices';
import { EmptyError, firstValueFrom, Subject, takeUntil, timeout, TimeoutError, type Observable, type Subscription } from 'rxjs';
import { APP_CONFIG, type AppConfig, type OpsListenerService, type RpcPeer } from '@aftercare/config';
import { withoutLogContext } from '@aftercare/logging';
import { DomainError, isRpcErrorBody } from './errors.js';
import { RPC_SECRET_FIELD } from './redis-and-direct.server.js';
import { settledWithin } from './within.js';

export const TRANSPORT_CLIENT = Symbol('TRANSPORT_CLIENT');
/** A plain Redis connection for commands the transport does not expose (PUBSUB NUMSUB). */
export const REDIS_COMMANDS = Symbol('REDIS_COMMANDS');

/**
 * Request/response to another service over the Redis transport, with a deadline.
 *
 * While the transport has lost Redis, a request goes straight to the service's direct (TCP)
 * listener instead (config.rpc.peers: every replica's, tried in turn until one accepts the
 * connection), so that booking and the rest of the API keep working through a Redis outage.
 * With no direct listener to reach, it fails at once (503) instead of waiting in the client's
 * offline queue: the caller hears "unavailable" in milliseconds, and no request is published long
 * after its caller gave up on it. A request already published when Redis went away is answered
 * 503 at once (its answer could only have come through Redis) and not sent again: it may have run.
 */
@Injectable()
export class ServiceClient implements OnApplicationShutdown {
  /** The transport's last reported state (undefined until its first connection). */
  private transport: string | undefined;
  private readonly statusWatch: Subscription;
  /** Emits when the transport loses Redis: the requests under way on it end at once. */
  private readonly lost = new Subject<void>();
  /** One client per direct listener, made on first use. */
  private readonly direct = new Map<OpsListenerService, ClientTCP[]>();
  private nextPeer = 0;

  constructor(
    @Inject(TRANSPORT_CLIENT) private readonly client: ClientProxy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.statusWatch = client.status.subscribe((status) => {
      const wasDown = this.transportDown;
      this.transport = status;
      if (!wasDown && this.transportDown) this.lost.next();
    });
  }

  private get transportDown(): boolean {
    return this.transport === 'reconnecting' || this.transport === 'disconnected';
  }

  async send<T>(pattern: string, data: unknown, timeoutMs = this.config.rpcTimeoutMs): Promise<T> {
    if (this.transportDown) return this.sendDirect<T>(pattern, data, timeoutMs);
    // The transport connects on its first request: outside the caller's log context, or its
    // connections' own lines (reconnecting, say) would carry that one request's id for good.
    return this.request<T>(pattern, timeoutMs, () => withoutLogContext(() => this.client.send<T>(pattern, data).pipe(takeUntil(this.lost))), () => {
      // Redis went away while the request was under way (ended by `lost`, or the transport rejects with its own text).
      if (this.transportDown) throw transportUnavailable(pattern);
    });
  }

  /** Over TCP to the first of the service's direct listeners that accepts the connection. */
  private async sendDirect<T>(pattern: string, data: unknown, timeoutMs: number): Promise<T> {
    const service = serviceOfPattern(pattern) as OpsListenerService;
    const peers: readonly RpcPeer[] = Object.hasOwn(this.config.rpc.peers, service) ? this.config.rpc.peers[service] : [];
    if (peers.length === 0) throw transportUnavailable(pattern);
    let clients = this.direct.get(service);
    if (!clients) {
      const secret = this.config.rpc.secret;
      // With RPC_SECRET, every request carries it (the listener takes it off before handling).
      const serializer = secret ? { serialize: (packet: Record<string, unknown>) => ({ ...packet, [RPC_SECRET_FIELD]: secret }) } : undefined;
      clients = peers.map((peer) => new ClientTCP({ host: peer.host, port: peer.port, ...(serializer ? { serializer } : {}) }));
      this.direct.set(service, clients);
    }
    const deadline = Date.now() + timeoutMs;
    const first = this.nextPeer++;
    for (let tried = 0; tried < clients.length; tried++) {
      const client = clients[(first + tried) % clients.length]!;
      // Only a connection refused moves on to the next replica: a request that was sent may have run.
      if (!(await withoutLogContext(() => connects(client, Math.max(1, deadline - Date.now()))))) continue;
      return this.request<T>(pattern, Math.max(1, deadline - Date.now()), () => client.send<T>(pattern, data), () => {
        throw new DomainError('SERVICE.UNAVAILABLE', `The connection to ${service} closed before it answered ${pattern}; try again shortly`, 503);
      });
    }
    throw new DomainError('SERVICE.UNAVAILABLE', `Neither Redis nor ${service}'s direct listener (${peers.map((p) => `${p.host}:${p.port}`).join(', ')}) answers ${pattern}; is the service running? Try again shortly`, 503);
  }

  private async request<T>(pattern: string, timeoutMs: number, send: () => Observable<T>, onOtherError: (error: unknown) => void): Promise<T> {
    try {
      return await firstValueFrom(send().pipe(timeout(timeoutMs)));
    } catch (error) {
      if (isRpcErrorBody(error)) {
        throw new DomainError(error.code, error.message, error.statusCode as DomainError['statusCode'], error.field);
      }
      if (error instanceof TimeoutError) {
        throw new DomainError('SERVICE.UNAVAILABLE', `No answer to ${pattern} within ${timeoutMs} ms; is the service running?`, 503);
      }
      onOtherError(error);
      if (error instanceof EmptyError) throw transportUnavailable(pattern);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.statusWatch.unsubscribe();
    this.lost.complete();
    for (const clients of this.direct.values()) for (const client of clients) client.close();
    await this.client.close();
  }
}

function transportUnavailable(pattern: string): DomainError {
  return new DomainError('SERVICE.UNAVAILABLE', `Redis, which carries ${pattern} to its service, is unreachable; try again shortly`, 503);
}

/** Whether the client has, or makes within the time, a connection to its listener. */
function connects(client: ClientTCP, withinMs: number): Promise<boolean> {
  return settledWithin(client.connect().then(() => true), withinMs, false);
}

/** The service that answers a pattern: its first segment (`scheduling.patients.get` → scheduling). */
export const serviceOfPattern = (pattern: string): string => pattern.split('.')[0] ?? pattern;
