import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkerHost } from '@nestjs/bullmq';
import type { Worker } from 'bullmq';

/**
 * On shutdown, the service's BullMQ workers stop taking jobs and finish the ones they hold while
 * PostgreSQL and Redis are still open. @nestjs/bullmq closes them in onApplicationShutdown, in
 * module order, after the global modules' (the database pool is closed first): a job under way
 * could not record what it did, and the still-running worker would take new jobs meanwhile.
 * beforeApplicationShutdown runs before any of that. Closing again later is a no-op.
 */
@Injectable()
export class WorkerDrain implements BeforeApplicationShutdown {
  constructor(private readonly discovery: DiscoveryService) {}

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers().map((worker) => worker.close()));
  }

  private workers(): Worker[] {
    return this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is WorkerHost => instance instanceof WorkerHost)
      .flatMap((host) => {
        try {
          return [host.worker];
        } catch {
          return []; // never started (a failed boot)
        }
      });
  }
}
