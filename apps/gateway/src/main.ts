import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfigOrExit, type AppConfig } from '@aftercare/config';
import { installAppLogger, logProcessWarningsAndCrashes } from '@aftercare/logging';
import { exitCleanlyOnSignals } from '@aftercare/ops';
import { GatewayModule } from './app.module.js';
import { hardenHttp } from './common/http-hardening.js';
import { requestIdMiddleware } from './common/request-id.middleware.js';
import { httpMetricsMiddleware } from './ops/http-metrics.middleware.js';
import { serveWebApp } from './web-app/web-app.js';

/**
 * Creates the gateway, listens on config.port (all interfaces) and returns the app. Its logger
 * (JSON lines on stdout) is in place before Nest's first line.
 */
export async function bootstrapGateway(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config), {
    logger: installAppLogger({ service: 'gateway', level: config.logLevel, format: config.logFormat }),
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
  keepConnectionsOpen(app);
  await app.listen(config.port, '0.0.0.0');
  new Logger('Gateway').log(`listening on port ${config.port}${config.virtualClock ? ' (virtual clock on)' : ''}`);
  return app;
}

/**
 * Node closes an idle keep-alive connection after 5 s. A client (a browser, a load balancer, a
 * test's fetch) that sends on such a connection just as the server closes it gets "other side
 * closed" instead of an answer: it happened in CI after a 5 s pause between two requests. Idle
 * connections stay open for 65 s, above the 60 s idle timeout of common load balancers, so the
 * proxy in front, not the gateway, closes first; headersTimeout must exceed it.
 */
function keepConnectionsOpen(app: INestApplication): void {
  const server = app.getHttpServer() as import('node:http').Server;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  logProcessWarningsAndCrashes();
  const config = loadConfigOrExit('gateway');
  bootstrapGateway(config)
    .then((app) => exitCleanlyOnSignals(app))
    .catch((error: unknown) => {
      new Logger('Bootstrap').fatal('failed to start', error);
      process.exit(1);
    });
}
