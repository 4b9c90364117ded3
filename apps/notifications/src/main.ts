import 'reflect-metadata';
import type { INestMicroservice } from '@nestjs/common';
import type { AppConfig } from '@aftercare/config';
import { bootstrapMicroservice, runIfEntry } from '@aftercare/messaging';
import { NotificationsModule } from './notifications.module.js';

export function bootstrapNotifications(config: AppConfig): Promise<INestMicroservice> {
  return bootstrapMicroservice('notifications', NotificationsModule.forRoot(config), config);
}

runIfEntry(import.meta.url, 'notifications', bootstrapNotifications);
