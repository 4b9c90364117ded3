import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { loadConfigOrExit, type AppConfig } from '@aftercare/config';
import { redisTransportOptions, RpcErrorFilter } from '@aftercare/messaging';
import { FollowupModule } from './followup.module.js';
import { logLevels } from '@aftercare/config';

export async function bootstrapFollowup(config: AppConfig): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(FollowupModule.forRoot(config), {
    ...redisTransportOptions(config),
    logger: logLevels(config.logLevel),
  });
  app.useGlobalFilters(new RpcErrorFilter());
  app.enableShutdownHooks();
  await app.listen();
  return app;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await bootstrapFollowup(loadConfigOrExit('followup'));
}
