import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { Logger, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfigOrExit, type AppConfig } from '@aftercare/config';
import { GatewayModule } from './app.module.js';
import { requestIdMiddleware } from './common/request-id.middleware.js';

/** Nest's levels for config.logLevel: each level includes the more severe ones. */
export function logLevelsFor(level: AppConfig['logLevel']): LogLevel[] {
  const order: LogLevel[][] = [['fatal', 'error'], ['warn'], ['log'], ['debug', 'verbose']];
  const upTo = { error: 0, warn: 1, log: 2, debug: 3 }[level];
  return order.slice(0, upTo + 1).flat();
}

/** Creates the gateway, listens on config.port (all interfaces) and returns the app. */
export async function bootstrapGateway(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config), {
    logger: logLevelsFor(config.logLevel),
    // Twilio signs the form exactly as sent; the signature check reads the raw body.
    rawBody: true,
    // Let the caller (a test, the entry point below) decide what a failed start means.
    abortOnError: false,
  });
  app.disable('x-powered-by');
  app.use(requestIdMiddleware);
  await app.listen(config.port, '0.0.0.0');
  new Logger('Gateway').log(`listening on port ${config.port}${config.virtualClock ? ' (virtual clock on)' : ''}`);
  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = loadConfigOrExit('gateway');
  bootstrapGateway(config)
    .then((app) => app.enableShutdownHooks())
    .catch((error: unknown) => {
      console.error('[gateway] failed to start:', error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
