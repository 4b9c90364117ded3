import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from '@aftercare/config';
import { DevClockController } from './dev-clock.controller.js';
import { DevClockService } from './dev-clock.service.js';

@Module({})
export class DevClockModule {
  /**
   * In production the routes are not registered at all, so /api/dev/* answers 404 exactly as
   * any unknown path does (before authentication, like one), not 401 or 403.
   */
  static forRoot(config: AppConfig): DynamicModule {
    if (!config.virtualClock) return { module: DevClockModule };
    return { module: DevClockModule, controllers: [DevClockController], providers: [DevClockService] };
  }
}
