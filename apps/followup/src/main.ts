import 'reflect-metadata';
import type { INestMicroservice } from '@nestjs/common';
import type { AppConfig } from '@aftercare/config';
import { bootstrapMicroservice, runIfEntry } from '@aftercare/messaging';
import { FollowupModule } from './followup.module.js';

export function bootstrapFollowup(config: AppConfig): Promise<INestMicroservice> {
  return bootstrapMicroservice('followup', FollowupModule.forRoot(config), config);
}

runIfEntry(import.meta.url, 'followup', bootstrapFollowup);
