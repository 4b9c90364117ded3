import type { DynamicModule } from '@nestjs/common';
import type { ServiceName } from '@aftercare/contracts';
import { ClockModule } from '@aftercare/clock';
import { ConfigModule, type AppConfig } from '@aftercare/config';
import { DatabaseModule, PG_POOL, type Migration } from '@aftercare/database';
import { OpsModule } from '@aftercare/ops';
import { MessagingModule } from './messaging.module.js';
import type { MessagingTables } from './outbox.tables.js';

/**
 * What every event-driven service stands on: its validated config, its own schema (migrated
 * before anything starts), the clock, its outbox, inbox and client to the other services, and
 * its health and metrics.
 */
export function serviceFoundation(config: AppConfig, service: ServiceName, migrations: readonly Migration[], tables: MessagingTables): DynamicModule[] {
  return [
    ConfigModule.forRoot(config),
    DatabaseModule.forService({ url: config.databaseUrl, schema: service, migrations, applicationName: `aftercare-${service}` }),
    ClockModule.forRoot({ virtual: config.virtualClock, poolToken: PG_POOL }),
    MessagingModule.forService({ service, tables }),
    OpsModule.forService(service),
  ];
}
