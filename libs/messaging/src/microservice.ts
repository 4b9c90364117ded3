import { pathToFileURL } from 'node:url';
import { Logger, type DynamicModule, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit, type AppConfig } from '@aftercare/config';
import type { ServiceName } from '@aftercare/contracts';
import { installAppLogger, logProcessWarningsAndCrashes } from '@aftercare/logging';
import { exitCleanlyOnSignals, OpsHttpServer } from '@aftercare/ops';
import { RpcErrorFilter } from './errors.js';
import { redisTransportOptions } from './messaging.module.js';
import { RedisAndDirectServer } from './redis-and-direct.server.js';
import { rpcLogContext } from './rpc-log-context.js';

/**
 * Starts a service as a microservice on the Redis transport and its direct listener (scheduling,
 * followup, notifications), with its operations port (health and metrics) once it listens. Its
 * logger (JSON lines on stdout) is in place before Nest's first line; each request and event is
 * handled in its correlation id's log context.
 */
export async function bootstrapMicroservice(service: ServiceName, module: DynamicModule, config: AppConfig): Promise<INestMicroservice> {
  const logger = installAppLogger({ service, level: config.logLevel, format: config.logFormat });
  const app = await NestFactory.createMicroservice(module, {
    // Nest's Redis transport, each request handled by one replica of the service only; and the
    // same requests directly over TCP, for callers while Redis is unreachable.
    strategy: new RedisAndDirectServer(redisTransportOptions(config).options, directAddress(service, config)),
    logger,
    abortOnError: false,
  });
  app.registerPreRequestHook(rpcLogContext);
  app.useGlobalFilters(new RpcErrorFilter());
  exitCleanlyOnSignals(app);
  await app.listen();
  try {
    await app.get(OpsHttpServer).start();
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

function directAddress(service: ServiceName, config: AppConfig): { host: string; port: number; secret: string | null } | null {
  if (service === 'gateway') return null;
  const port = config.rpc.ports[service];
  return port === 0 ? null : { host: config.rpc.host, port, secret: config.rpc.secret };
}

/** When `moduleUrl` is the file node was started with: load the config and start, or say why not. */
export function runIfEntry(moduleUrl: string, service: string, start: (config: AppConfig) => Promise<unknown>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  logProcessWarningsAndCrashes();
  start(loadConfigOrExit(service)).catch((error: unknown) => {
    new Logger('Bootstrap').fatal('failed to start', error);
    process.exit(1);
  });
}
