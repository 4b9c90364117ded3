import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, OPS_PORT_DEFAULTS, type AppConfig, type OpsListenerService } from '@aftercare/config';
import { AppMetrics, METRICS_CONTENT_TYPE } from './metrics.js';
import { METRICS_UNAUTHORIZED_MESSAGE, metricsAccessAllowed } from './metrics-access.js';
import { OpsHealth } from './ops-health.service.js';
import { OPS_SERVICE } from './ops.tokens.js';

/**
 * The operations port of a service that has no HTTP port of its own (scheduling, followup,
 * notifications talk over the Redis transport): GET /health/live, /health/ready and /metrics,
 * nothing else. A plain Node server beside the Nest microservice, so the service's handlers stay
 * on the transport and nothing of the API can be reached here.
 */
@Injectable()
export class OpsHttpServer implements OnApplicationShutdown {
  private readonly logger = new Logger('Ops');
  private server: Server | null = null;

  constructor(
    private readonly health: OpsHealth,
    private readonly metrics: AppMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(OPS_SERVICE) private readonly service: string,
  ) {}

  /** Listens on the service's configured port (all interfaces); 0 turns it off. Returns the port. */
  async start(): Promise<number> {
    const { variable } = OPS_PORT_DEFAULTS[this.service as OpsListenerService] ?? { variable: 'OPS_PORT' };
    const port = this.config.ops.ports[this.service as OpsListenerService] ?? 0;
    if (port === 0) return 0;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new Error(error.code === 'EADDRINUSE' ? `${variable}: port ${port} is in use; choose another, or 0 to turn health and metrics off` : `${variable}: ${error.message}`)),
      );
      server.listen(port, '0.0.0.0', () => resolve());
    });
    this.server = server;
    const bound = (server.address() as AddressInfo).port;
    this.logger.log(`health and metrics on port ${bound}`);
    return bound;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://ops').pathname;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { statusCode: 405, error: 'Method Not Allowed', message: 'Only GET' });
      if (path === '/health/live') {
        const { httpStatus, body } = await this.health.live();
        return send(res, httpStatus, body);
      }
      if (path === '/health/ready') {
        const { httpStatus, body } = await this.health.ready();
        return send(res, httpStatus, body);
      }
      if (path === '/metrics') {
        if (!metricsAccessAllowed(req.headers.authorization, this.config.ops.metricsToken)) {
          return send(res, 401, { statusCode: 401, error: 'Unauthorized', message: METRICS_UNAUTHORIZED_MESSAGE });
        }
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
        res.end(await this.metrics.render());
        return;
      }
      send(res, 404, { statusCode: 404, error: 'Not Found', message: 'This port serves /health/live, /health/ready and /metrics' });
    } catch (error) {
      this.logger.error(`${path === '/metrics' ? 'metrics' : 'health'} failed: ${(error as Error).message}`);
      if (!res.headersSent) send(res, 500, { statusCode: 500, error: 'Internal Server Error', message: 'The check failed; see the service log' });
      else res.destroy();
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
