import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { loadConfigOrExit, type AppConfig } from '@aftercare/config';
import { redisTransportOptions, RpcErrorFilter } from '@aftercare/messaging';
import { NotificationsModule } from './notifications.module.js';
import { logLevels } from '@aftercare/config';

export async function bootstrapNotifications(config: AppConfig): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(NotificationsModule.forRoot(config), {
    ...redisTransportOptions(config),
    logger: logLevels(config.logLevel),
  });
  app.useGlobalFilters(new RpcErrorFilter());
  app.enableShutdownHooks();
  await app.listen();
  return app;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await bootstrapNotifications(loadConfigOrExit('notifications'));
}
