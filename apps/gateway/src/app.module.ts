import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ClockModule } from '@aftercare/clock';
import { ConfigModule, type AppConfig } from '@aftercare/config';
import { DatabaseModule, PG_POOL } from '@aftercare/database';
import { MessagingModule } from '@aftercare/messaging';
import { OpsModule } from '@aftercare/ops';
import { AdminQueuesModule } from './admin-queues/admin-queues.module.js';
import { AppointmentsModule } from './appointments/appointments.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CarePlansModule } from './care-plans/care-plans.module.js';
import { ClinicSetupModule } from './clinic-setup/clinic-setup.module.js';
import { ConnectionDrain, ConnectionDrainMiddleware } from './common/connection-drain.js';
import { ForwardingModule } from './common/forwarding.module.js';
import { HttpErrorFilter } from './common/http-error.filter.js';
import { createValidationPipe } from './common/validation/validation.pipe.js';
import { GATEWAY_MIGRATIONS } from './database/migrations.js';
import { DevClockModule } from './dev-clock/dev-clock.module.js';
import { FhirModule } from './fhir/fhir.module.js';
import { FollowUpsModule } from './follow-ups/follow-ups.module.js';
import { HealthModule } from './health/health.module.js';
import { LiveModule } from './live/live.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { GatewayOpsModule } from './ops/ops.module.js';
import { OutcomesModule } from './outcomes/outcomes.module.js';
import { PatientsModule } from './patients/patients.module.js';
import { ProtocolsModule } from './protocols/protocols.module.js';
import { TemplatesModule } from './templates/templates.module.js';
import { UsersModule } from './users/users.module.js';
import { WaitlistModule } from './waitlist/waitlist.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

@Module({})
export class GatewayModule implements NestModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forService({ url: config.databaseUrl, schema: 'gateway', migrations: GATEWAY_MIGRATIONS, applicationName: 'aftercare-gateway' }),
        ClockModule.forRoot({ virtual: config.virtualClock, poolToken: PG_POOL }),
        MessagingModule.forClient(),
        ForwardingModule,
        AuditModule,
        UsersModule,
        AuthModule,
        PatientsModule,
        AppointmentsModule,
        ClinicSetupModule,
        WaitlistModule,
        FollowUpsModule,
        CarePlansModule,
        OutcomesModule,
        FhirModule,
        ProtocolsModule,
        MessagesModule,
        LiveModule,
        TemplatesModule,
        AdminQueuesModule,
        WebhooksModule,
        DevClockModule.forRoot(config),
        HealthModule,
        OpsModule.forService('gateway'),
        GatewayOpsModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: () => createValidationPipe() },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        ConnectionDrain,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ConnectionDrainMiddleware).forRoutes('*');
  }
}
