import { ServerRedis, type CustomTransportStrategy } from '@nestjs/microservices';
import type { Redis } from 'ioredis';

/** How long a request's claim is kept: far longer than Redis takes to hand it to every replica. */
const CLAIM_TTL_MS = 60_000;
const CLAIM_PREFIX = 'aftercare:rpc:claimed:';

/**
 * Nest's Redis transport, with each request handled by one replica only. The transport
 * publishes a request on a channel every replica of the service is subscribed to, so with two
 * replicas each one ran it and answered, and the caller took whichever answer came first: a
 * booking made by one replica could come back as the other's 409, a new protocol as "exists"
 * (found by test/faults/6-two-replicas.fault-spec.ts). Here the replicas race for the request's
 * id (SET NX) before handling it; the others drop it without answering. Events without an id
 * (none are sent that way; the outbox relay asks for an acknowledgement) go to every replica,
 * as before.
 */
export class OncePerRequestServerRedis extends ServerRedis implements CustomTransportStrategy {
  override async handleMessage(channel: string, buffer: string, pub: Redis, pattern: string): Promise<unknown> {
    const id = requestIdOf(buffer);
    if (id !== undefined && (await this.pubClient.set(`${CLAIM_PREFIX}${id}`, '1', 'PX', CLAIM_TTL_MS, 'NX')) !== 'OK') return;
    return super.handleMessage(channel, buffer, pub, pattern);
  }
}

function requestIdOf(buffer: string): string | undefined {
  try {
    const id = (JSON.parse(buffer) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined; // Nest's own handling reports what it cannot read
  }
}
