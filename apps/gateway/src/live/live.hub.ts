import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import { LIVE } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig, redisEndpoint } from '@aftercare/config';
import { KEEP_ALIVE_TEXT, eventText, parseLiveChanges, patientsFor, type StreamScope } from './live-events.js';

/** A comment line this often, so that proxies and browsers keep an idle stream open. */
const KEEP_ALIVE_MS = 15_000;
/** Without a message from notifications for this long (it publishes every LIVE.tickMs), it is not following. */
const SILENCE_MS = 5_000;
/** A stream still not live after this long is ended: the client tries again (and says it is not live). */
const READY_WAIT_MS = 15_000;
/** How often the listener key is refreshed (well within its TTL) and the silence looked for. */
const HOUSEKEEPING_MS = 1_000;
/** How often each stream's session is checked again: a signed-out user's stream ends within this. */
const SESSION_CHECK_MS = 5_000;
/** A client that reads nothing while this much waits for it is cut off, not buffered for. */
const MAX_BUFFERED_BYTES = 64 * 1024;

interface Stream extends StreamScope {
  res: ServerResponse;
  openedAt: number;
  ready: boolean;
  /** Whether the session that opened the stream may still read it. */
  stillAllowed: () => Promise<boolean>;
  checking: boolean;
}

/**
 * The open GET /api/live streams of this gateway process, and its one Redis subscriber, shared
 * by all of them. While a stream is open it keeps LIVE.listenersKey alive, so that notifications
 * follows its message history and publishes which patients' messages changed; each stream is
 * sent the changes of its clinic (and patient).
 *
 * A stream is told `ready` only once notifications is heard following: changes made before that
 * are in what the page loads when it gets `ready`, changes after come as events. When
 * notifications falls silent (stopped, Redis gone), the streams are ended; the clients reconnect
 * and reload once it is back, so a page that says "live" is live.
 */
@Injectable()
export class LiveHub implements OnModuleDestroy {
  private readonly logger = new Logger('LiveHub');
  private readonly streams = new Set<Stream>();
  /** GET/SET; a subscribed connection can do nothing else. */
  private readonly commands: Redis;
  private subscriber: Redis | null = null;
  private subscribing: Promise<unknown> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private lastHeardAt = -Infinity;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.commands = this.connect('aftercare-gateway-live');
  }

  /** Streams open now (for logs and tests). */
  get size(): number {
    return this.streams.size;
  }

  /** Takes over a response whose event-stream headers are sent; it is ended when the client goes. */
  open(res: ServerResponse, scope: StreamScope, stillAllowed: () => Promise<boolean>): void {
    if (res.destroyed || res.writableEnded) return;
    const stream: Stream = { ...scope, res, openedAt: performance.now(), ready: false, stillAllowed, checking: false };
    this.streams.add(stream);
    res.on('close', () => this.close(stream));
    if (this.streams.size === 1) this.startListening();
    if (this.following()) this.markReady(stream);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopTimers();
    for (const stream of this.streams) stream.res.end();
    this.streams.clear();
    this.subscriber?.disconnect();
    this.commands.disconnect();
  }

  private close(stream: Stream): void {
    if (!this.streams.delete(stream)) return;
    // The key is left to expire: another gateway may still have streams open.
    if (this.streams.size === 0) this.stopTimers();
  }

  private startListening(): void {
    this.subscribe();
    this.refreshListenerKey();
    this.timers = [
      setInterval(() => this.housekeeping(), HOUSEKEEPING_MS),
      setInterval(() => {
        for (const stream of this.streams) this.write(stream, KEEP_ALIVE_TEXT);
      }, KEEP_ALIVE_MS),
      setInterval(() => this.checkSessions(), SESSION_CHECK_MS),
    ];
    for (const timer of this.timers) timer.unref();
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /** One subscriber per process, subscribed once and kept (messages only flow while someone listens). */
  private subscribe(): void {
    if (this.subscribing) return;
    this.subscriber ??= this.connect('aftercare-gateway-live-subscriber');
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === LIVE.messagesChannel) this.received(text);
    });
    this.subscribing = this.subscriber.subscribe(LIVE.messagesChannel).catch((error: unknown) => {
      this.logger.warn(`cannot subscribe to live changes: ${error instanceof Error ? error.message : String(error)}`);
      // The next stream tries again (its wait for `ready` ends it if this one never gets there).
      this.subscriber?.removeAllListeners('message');
      this.subscribing = null;
    });
  }

  private received(text: string): void {
    const changes = parseLiveChanges(text);
    if (!changes) return;
    this.lastHeardAt = performance.now();
    for (const stream of this.streams) {
      // What changed before `ready` is in what the page loads when it gets it.
      if (!stream.ready) this.markReady(stream);
      else for (const patientId of patientsFor(stream, changes)) this.write(stream, eventText('messages', { patientId }));
    }
  }

  private housekeeping(): void {
    this.refreshListenerKey();
    if (this.following()) return;
    const now = performance.now();
    for (const stream of this.streams) {
      // Live no longer, or never live: the client reconnects, and reloads once it is live again.
      if (stream.ready || now - stream.openedAt > READY_WAIT_MS) stream.res.end();
    }
  }

  /**
   * Ends the streams whose session has ended. A check that cannot be made (the database is
   * unreachable) keeps the stream: its events are ids only, and the next check decides.
   */
  private checkSessions(): void {
    for (const stream of this.streams) {
      if (stream.checking) continue;
      stream.checking = true;
      stream
        .stillAllowed()
        .then((allowed) => {
          if (!allowed) stream.res.end();
        })
        .catch(() => undefined)
        .finally(() => (stream.checking = false));
    }
  }

  private refreshListenerKey(): void {
    this.commands.set(LIVE.listenersKey, '1', 'PX', LIVE.listenersTtlMs).catch((error: unknown) => {
      this.logger.warn(`cannot keep live changes on: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private following(): boolean {
    return performance.now() - this.lastHeardAt < SILENCE_MS;
  }

  private markReady(stream: Stream): void {
    stream.ready = true;
    this.write(stream, eventText('ready', stream.patientId ? { patientId: stream.patientId } : {}));
  }

  private write(stream: Stream, text: string): void {
    if (stream.res.writableLength > MAX_BUFFERED_BYTES) {
      stream.res.destroy();
      return;
    }
    stream.res.write(text);
  }

  private connect(name: string): Redis {
    const redis = new Redis({
      ...redisEndpoint(this.config.redis),
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectionName: name,
    });
    redis.on('error', () => undefined); // each failed command says so; silence ends the streams
    return redis;
  }
}
