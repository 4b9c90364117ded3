import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, type BeforeApplicationShutdown, type NestMiddleware } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SHUTDOWN_DEADLINE_MS } from '@aftercare/ops';
import { AuditService } from '../audit/audit.service.js';

/** How long the requests under way may take to finish, within the process's shutdown deadline. */
const REQUESTS_FINISH_MS = SHUTDOWN_DEADLINE_MS - 2_000;

/**
 * Lets the gateway stop within its shutdown deadline. On SIGTERM Nest closes the HTTP server:
 * it stops listening and waits for every connection to end. Idle keep-alive connections are
 * closed then, but one whose request is still under way would stay open after its answer, for
 * the 65 s keep-alive (main.ts), and hold the exit. So, once stopping, every answer not yet sent
 * says `Connection: close` and its connection ends with it; the requests themselves finish.
 *
 * The audit log is written after each answer (AuditService): the entries of the requests that
 * finish while stopping are written before the database pool closes. So the server stops taking
 * connections here, the requests under way are waited for, and the audit log flushed, all
 * before Nest's later steps (the server's close, the pool's).
 */
@Injectable()
export class ConnectionDrain implements BeforeApplicationShutdown {
  private stopping = false;
  private readonly underWay = new Set<ServerResponse>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly audit: AuditService,
  ) {}

  track(res: ServerResponse): void {
    if (this.stopping) {
      res.shouldKeepAlive = false;
      return;
    }
    this.underWay.add(res);
    res.once('close', () => this.underWay.delete(res));
  }

  /** Runs before Nest closes the server (dispose), while the requests under way are still running. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const res of this.underWay) if (!res.headersSent) res.shouldKeepAlive = false;
    // No new connections, idle ones closed (Nest's close of the server later finds it closed).
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server?.listening) server.close();
    const finished = Promise.all([...this.underWay].map((res) => (res.writableFinished || res.destroyed ? null : once(res, 'close'))));
    await Promise.race([finished, sleep(REQUESTS_FINISH_MS, undefined, { ref: false })]);
    this.underWay.clear();
    await this.audit.flush();
  }
}

/** Nest builds a middleware apart from the providers: this one hands each answer to the one ConnectionDrain. */
@Injectable()
export class ConnectionDrainMiddleware implements NestMiddleware {
  constructor(private readonly drain: ConnectionDrain) {}

  use(_req: IncomingMessage, res: ServerResponse, next: () => void): void {
    this.drain.track(res);
    next();
  }
}
