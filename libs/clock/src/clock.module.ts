import { Global, Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { Clock, SystemClock } from './clock.js';
import { VirtualClock } from './virtual-clock.js';


/** Keeps a virtual clock's cached offset fresh even when a coordinator's sync was missed. */
@Injectable()
class VirtualClockRefresher implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('VirtualClock');
  private timer: NodeJS.Timeout | null = null;
  constructor(@Inject(Clock) private readonly clock: Clock) {}

  async onModuleInit(): Promise<void> {
    if (!(this.clock instanceof VirtualClock)) return;
    const offset = await this.clock.refresh();
    this.logger.log(`virtual clock on: now is ${this.clock.now().toISOString()} (offset ${offset} ms)`);
    const clock = this.clock;
    this.timer = setInterval(() => clock.refresh().catch(() => undefined), 5_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

@Global()
@Module({})
export class ClockModule {
  /** `poolToken` is the provider of a pg Pool (the virtual clock reads its offset with it). */
  static forRoot(options: { virtual: boolean; poolToken: string | symbol }): DynamicModule {
    return {
      module: ClockModule,
      providers: [
        {
          provide: Clock,
          inject: [options.poolToken],
          useFactory: (pool: Pool) => (options.virtual ? new VirtualClock(pool) : new SystemClock()),
        },
        VirtualClockRefresher,
      ],
      exports: [Clock],
    };
  }
}
