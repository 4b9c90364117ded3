import { Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { QUEUES } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { DRIZZLE, type Db } from '@aftercare/database';
import { bullRoot, JobsModule } from '@aftercare/jobs';
import { OutboxWriter, serviceFoundation } from '@aftercare/messaging';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { RpcPayloadValidator } from '@aftercare/messaging';
import { SCHEDULING_PAYLOADS } from './scheduling.payloads.js';
import { AppointmentsService } from './appointments/appointments.service.js';
import { AvailabilityService } from './availability/availability.service.js';
import { ClinicSetupService } from './clinic/clinic-setup.service.js';
import { ClinicService } from './clinic/clinic.service.js';
import { DaySheetService } from './day-sheet/day-sheet.service.js';
import { seedDemoClinic } from './clinic/demo-clinic.seeder.js';
import { SCHEDULING_MIGRATIONS } from './database/migrations.js';
import { schedulingMessaging } from './database/schema.js';
import { SchedulingEventsController } from './events/scheduling-events.controller.js';
import { PatientsService } from './patients/patients.service.js';
import { QueueAdminController } from './queues/queue-admin.controller.js';
import { SchedulingController } from './scheduling.controller.js';
import { WaitlistOfferProcessor } from './waitlist/waitlist-offer.processor.js';
import { WaitlistOfferSource } from './waitlist/waitlist-offer.source.js';
import { WaitlistService } from './waitlist/waitlist.service.js';

@Injectable()
class DemoSeed implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DRIZZLE) private readonly db: Db,
    @Inject(OutboxWriter) private readonly outbox: OutboxWriter,
  ) {}
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedDemo) return;
    if (await seedDemoClinic(this.db, this.outbox)) new Logger('Seed').log('created the demo clinic');
  }
}

/** The queue of waitlist offers (their expiry) and what reads it. */
@Module({
  imports: [BullModule.registerQueue({ name: QUEUES.waitlistOffers })],
  providers: [WaitlistOfferSource],
  exports: [WaitlistOfferSource, BullModule],
})
class OfferQueueModule {}

/** Patients, clinic setup, availability, appointments, the day sheet and the waitlist. */
@Module({})
export class SchedulingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SchedulingModule,
      imports: [
        ...serviceFoundation(config, 'scheduling', SCHEDULING_MIGRATIONS, schedulingMessaging),
        bullRoot(config),
        OfferQueueModule,
        JobsModule.forService({ service: 'scheduling', config, sources: [WaitlistOfferSource], imports: [OfferQueueModule] }),
      ],
      controllers: [SchedulingController, SchedulingEventsController, QueueAdminController],
      providers: [
        ClinicService,
        ClinicSetupService,
        PatientsService,
        AvailabilityService,
        AppointmentsService,
        DaySheetService,
        WaitlistService,
        WaitlistOfferProcessor,
        DemoSeed,
        // Every request pattern's data is checked before its handler runs.
        { provide: APP_INTERCEPTOR, useValue: new RpcPayloadValidator(SCHEDULING_PAYLOADS) },
      ],
    };
  }
}
