import 'reflect-metadata';
import type { INestMicroservice } from '@nestjs/common';
import type { AppConfig } from '@aftercare/config';
import { bootstrapMicroservice, runIfEntry } from '@aftercare/messaging';
import { SchedulingModule } from './scheduling.module.js';

export function bootstrapScheduling(config: AppConfig): Promise<INestMicroservice> {
  return bootstrapMicroservice('scheduling', SchedulingModule.forRoot(config), config);
}

runIfEntry(import.meta.url, 'scheduling', bootstrapScheduling);
