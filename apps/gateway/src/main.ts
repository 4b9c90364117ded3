import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfigOrExit, logLevels, type AppConfig } from '@aftercare/config';
import { GatewayModule } from './app.module.js';
import { hardenHttp } from './common/http-hardening.js';
import { requestIdMiddleware } from './common/request-id.middleware.js';
import { httpMetricsMiddleware } from './ops/http-metrics.middleware.js';
import { serveWebApp } from './web-app/web-app.js';

/** Creates the gateway, listens on config.port (all interfaces) and returns the app. */
export async function bootstrapGateway(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config), {
    logger: logLevels(config.logLevel),
    // Twilio signs the form exactly as sent; the signature check reads the raw body.
    rawBody: true,
    // Let the caller (a test, the entry point below) decide what a failed start means.
    abortOnError: false,
  });
  app.disable('x-powered-by');
  hardenHttp(app, config);
  app.use(requestIdMiddleware);
  app.use(httpMetricsMiddleware);
  serveWebApp(app);
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
