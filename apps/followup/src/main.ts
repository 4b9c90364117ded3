import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { loadConfigOrExit, logLevels, type AppConfig } from '@aftercare/config';
import { redisTransportOptions, RpcErrorFilter } from '@aftercare/messaging';
import { FollowupModule } from './followup.module.js';

export async function bootstrapFollowup(config: AppConfig): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(FollowupModule.forRoot(config), {
    ...redisTransportOptions(config),
    logger: logLevels(config.logLevel),
    abortOnError: false,
  });
  app.useGlobalFilters(new RpcErrorFilter());
  app.enableShutdownHooks();
  await app.listen();
  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bootstrapFollowup(loadConfigOrExit('followup')).catch((error: unknown) => {
    console.error('[followup] failed to start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
