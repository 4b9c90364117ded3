import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { ServiceName } from '@aftercare/contracts';
import type { AppConfig } from '@aftercare/config';
import { DevClockParticipant } from './dev-clock.participant.js';
import { JobScheduler } from './job-scheduler.js';
import { QueueMonitor } from './queue.monitor.js';
import { Reconciler } from './reconciler.js';
import { SCHEDULED_SOURCES, type ScheduledSource } from './scheduled-source.js';
import { createServiceController } from './service.controller.js';
import { WorkerDrain } from './worker-drain.js';

/**
 * Scheduling infrastructure of one service: the job scheduler, the reconciler over its
 * scheduled sources, the health and virtual-clock patterns, the queues' metrics and readiness,
 * and the workers' drain on shutdown. `sources` are providers (classes
 * implementing ScheduledSource) from the service's own modules.
 */
@Module({})
export class JobsModule {
  static forService(options: {
    service: ServiceName;
    config: AppConfig;
    sources: Type<ScheduledSource>[];
    imports?: DynamicModule['imports'];
  }): DynamicModule {
    const providers: Provider[] = [
      JobScheduler,
      Reconciler,
      QueueMonitor,
      WorkerDrain,
      {
        provide: SCHEDULED_SOURCES,
        inject: options.sources,
        useFactory: (...sources: ScheduledSource[]) => sources,
      },
    ];
    if (options.config.virtualClock) providers.push(DevClockParticipant);
    return {
      module: JobsModule,
      imports: [ScheduleModule.forRoot(), DiscoveryModule, ...(options.imports ?? [])],
      controllers: [createServiceController(options.service)],
      providers,
      exports: [JobScheduler, Reconciler],
    };
  }
}
