import { Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { DEMO, QUEUES } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { bullRoot, JobsModule } from '@aftercare/jobs';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { RpcPayloadValidator, serviceFoundation } from '@aftercare/messaging';
import { BookingTasksService } from './booking-tasks/booking-tasks.service.js';
import { CarePlanLifecycleController } from './care-plans/care-plan-lifecycle.controller.js';
import { CarePlanLifecycleService } from './care-plans/care-plan-lifecycle.service.js';
import { CarePlanStepProcessor } from './care-plans/care-plan-step.processor.js';
import { CarePlanStepSource } from './care-plans/care-plan-step.source.js';
import { CarePlansService } from './care-plans/care-plans.service.js';
import { FOLLOWUP_MIGRATIONS } from './database/migrations.js';
import { followupMessaging } from './database/schema.js';
import { FollowupEventsController } from './events/followup-events.controller.js';
import { FollowupController } from './followup.controller.js';
import { FOLLOWUP_PAYLOADS } from './followup.payloads.js';
import { FollowUpsService } from './follow-ups/follow-ups.service.js';
import { WORKSPACE_CONTROLLERS, WORKSPACE_PROVIDERS } from './follow-ups/workspace.providers.js';
import { OutcomesService } from './outcomes/outcomes.service.js';
import { PatientMessagesService } from './patient-messages/patient-messages.service.js';
import { PatientsService } from './patients/patients.service.js';
import { ProtocolsController } from './protocols/protocols.controller.js';
import { ProtocolsService } from './protocols/protocols.service.js';
import { QueueAdminController } from './queues/queue-admin.controller.js';

@Injectable()
class DemoProtocols implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly protocols: ProtocolsService,
  ) {}
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedDemo) return;
    const created = await this.protocols.seedDefaults(DEMO.clinicId);
    if (created) new Logger('Seed').log(`created ${created} default protocols for the demo clinic`);
  }
}

/** The queue of care-plan steps and what reads it (shared with the jobs infrastructure). */
@Module({
  imports: [BullModule.registerQueue({ name: QUEUES.carePlanSteps })],
  providers: [CarePlanStepSource],
  exports: [CarePlanStepSource, BullModule],
})
class StepQueueModule {}

/** Protocols, care plans, the due list and escalation. */
@Module({})
export class FollowupModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: FollowupModule,
      imports: [
        ...serviceFoundation(config, 'followup', FOLLOWUP_MIGRATIONS, followupMessaging),
        bullRoot(config),
        StepQueueModule,
        JobsModule.forService({ service: 'followup', config, sources: [CarePlanStepSource], imports: [StepQueueModule] }),
      ],
      controllers: [ProtocolsController, CarePlanLifecycleController, FollowupController, FollowupEventsController, ...WORKSPACE_CONTROLLERS, QueueAdminController],
      providers: [PatientMessagesService, PatientsService, ProtocolsService, CarePlanLifecycleService, CarePlansService, FollowUpsService, BookingTasksService, CarePlanStepProcessor, DemoProtocols, OutcomesService, ...WORKSPACE_PROVIDERS,
        // Every request pattern's data is checked before its handler runs.
        { provide: APP_INTERCEPTOR, useValue: new RpcPayloadValidator(FOLLOWUP_PAYLOADS) },
      ],
    };
  }
}
