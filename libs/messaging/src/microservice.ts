import { pathToFileURL } from 'node:url';
import type { DynamicModule, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, logLevels, type AppConfig } from '@aftercare/config';
import { OpsHttpServer } from '@aftercare/ops';
import { RpcErrorFilter } from './errors.js';
import { redisTransportOptions } from './messaging.module.js';

/**
 * Starts a service as a microservice on the Redis transport (scheduling, followup, notifications),
 * with its operations port (health and metrics) once it listens.
 */
export async function bootstrapMicroservice(module: DynamicModule, config: AppConfig): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(module, {
    ...redisTransportOptions(config),
    logger: logLevels(config.logLevel),
    abortOnError: false,
  });
  app.useGlobalFilters(new RpcErrorFilter());
  app.enableShutdownHooks();
  await app.listen();
  try {
    await app.get(OpsHttpServer).start();
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

/** When `moduleUrl` is the file node was started with: load the config and start, or say why not. */
export function runIfEntry(moduleUrl: string, service: string, start: (config: AppConfig) => Promise<unknown>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  start(loadConfigOrExit(service)).catch((error: unknown) => {
    console.error(`[${service}] failed to start:`, error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
