import { Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { DRIZZLE, type Db } from '@aftercare/database';
import { JobsModule } from '@aftercare/jobs';
import { OutboxWriter, serviceFoundation } from '@aftercare/messaging';
import { AppointmentsService } from './appointments/appointments.service.js';
import { AvailabilityService } from './availability/availability.service.js';
import { ClinicService } from './clinic/clinic.service.js';
import { seedDemoClinic } from './clinic/demo-clinic.seeder.js';
import { SCHEDULING_MIGRATIONS } from './database/migrations.js';
import { schedulingMessaging } from './database/schema.js';
import { SchedulingEventsController } from './events/scheduling-events.controller.js';
import { PatientsService } from './patients/patients.service.js';
import { SchedulingController } from './scheduling.controller.js';

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

/** Patients, clinicians, procedure types, availability and appointments. */
@Module({})
export class SchedulingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SchedulingModule,
      imports: [
        ...serviceFoundation(config, 'scheduling', SCHEDULING_MIGRATIONS, schedulingMessaging),
        JobsModule.forService({ service: 'scheduling', config, sources: [] }),
      ],
      controllers: [SchedulingController, SchedulingEventsController],
      providers: [ClinicService, PatientsService, AvailabilityService, AppointmentsService, DemoSeed],
    };
  }
}
