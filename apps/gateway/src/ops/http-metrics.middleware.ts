import type { ServerResponse } from 'node:http';
import { Counter, Histogram } from 'prom-client';
import { processMetrics } from '@aftercare/ops';
import type { GatewayRequest } from '../common/http.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** What a request is counted as: method, route template (never the URL: it carries ids and queries) and status. */
export function requestLabels(req: Pick<GatewayRequest, 'method' | 'route'>, statusCode: number): { method: string; route: string; status: string } {
  return {
    method: METHODS.has(req.method) ? req.method : 'OTHER',
    // Pages of the web app, its assets and 404s have no route: one series for them all.
    route: req.route?.path ?? '(no route)',
    status: String(statusCode),
  };
}

const requests = new Counter({
  name: 'aftercare_http_requests_total',
  help: 'HTTP requests the gateway answered, by method, route template and status',
  labelNames: ['method', 'route', 'status'],
  registers: [processMetrics],
});

const duration = new Histogram({
  name: 'aftercare_http_request_duration_seconds',
  help: 'Time to answer HTTP requests, by method, route template and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [processMetrics],
});

/** Counts and times every answer once it has gone out (the route is known by then). */
export function httpMetricsMiddleware(req: GatewayRequest, res: ServerResponse, next: () => void): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const labels = requestLabels(req, res.statusCode);
    requests.inc(labels);
    duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
  });
  next();
}
