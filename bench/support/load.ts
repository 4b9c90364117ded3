import os from 'node:os';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** One autocannon run, reduced to what the results table shows. */
export interface LoadRun {
  p50: number;
  p99: number;
  max: number;
  /** responses per second over the wall time of the run */
  rps: number;
  responses: number;
  seconds: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** the machine's 1-minute load average when the run ended (others' work shows here too) */
  load1: number;
}

function reduce(result: autocannon.Result, seconds: number): LoadRun {
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = (stat as { count?: number }).count ?? 0;
  const responses = Object.values(statuses).reduce((a, b) => a + b, 0);
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    rps: responses / seconds,
    responses,
    seconds,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    load1: os.loadavg()[0]!,
  };
}

/** GET `path` from `connections` clients, each sending the next request when the last answered, for `seconds`. */
export async function loadGet(baseUrl: string, path: string, options: { connections: number; seconds: number; token?: string }): Promise<LoadRun> {
  const t0 = performance.now();
  const result = await autocannon({
    url: `${baseUrl}${path}`,
    connections: options.connections,
    duration: options.seconds,
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
  });
  return reduce(result, (performance.now() - t0) / 1000);
}

/**
 * GETs the paths of the list in turn (cycling) from `connections` clients, each sending the next
 * request when the last answered, for `seconds`: one figure over many different requests (e.g.
 * the due list of 500 clinicians), where loadGet repeats one URL.
 */
export async function loadGetEach(
  baseUrl: string,
  paths: readonly string[],
  options: { connections: number; seconds: number; token?: string },
): Promise<LoadRun & { distinctPaths: number }> {
  if (paths.length === 0) throw new Error('loadGetEach needs at least one path');
  let next = 0;
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const t0 = performance.now();
  const result = await autocannon({
    url: baseUrl,
    connections: options.connections,
    duration: options.seconds,
    requests: [{ method: 'GET', path: paths[0]!, headers, setupRequest: (request) => ({ ...request, method: 'GET', path: paths[next++ % paths.length]!, headers }) }],
  });
  return { ...reduce(result, (performance.now() - t0) / 1000), distinctPaths: Math.min(next, paths.length) };
}

/**
 * POSTs `amount` bodies from `connections` clients, each request with the next body of the list
 * (autocannon builds one request ahead per connection, so up to `connections` bodies go unused).
 */
export async function loadPostEach(
  baseUrl: string,
  path: string,
  bodies: unknown[],
  options: { connections: number; amount: number; token: string; expectStatus: number },
): Promise<LoadRun & { bodiesUsed: number; unexpected: Record<string, number> }> {
  if (bodies.length < options.amount + options.connections) throw new Error(`need ${options.amount + options.connections} distinct bodies, have ${bodies.length}`);
  let next = 0;
  // Other answers than the expected one, by status and error code/message.
  const unexpected: Record<string, number> = {};
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${options.token}` };
  const t0 = performance.now();
  let lastResponseAt = t0;
  const result = await autocannon({
    url: baseUrl,
    connections: options.connections,
    amount: options.amount,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path,
        headers,
        setupRequest: (request) => ({ ...request, method: 'POST', path, headers, body: JSON.stringify(bodies[next++]) }),
        onResponse: (status, body) => {
          lastResponseAt = performance.now();
          if (status === options.expectStatus) return;
          let reason = String(body).slice(0, 160);
          try {
            const parsed = JSON.parse(String(body)) as { code?: string; message?: string };
            reason = [parsed.code, parsed.message].filter(Boolean).join(': ');
          } catch {
            /* not JSON */
          }
          const key = `${status} ${reason}`;
          unexpected[key] = (unexpected[key] ?? 0) + 1;
        },
      },
    ],
  });
  // autocannon notices that the last request has answered only on its next 1-second tick: time the run to the last answer instead.
  return { ...reduce(result, (lastResponseAt - t0) / 1000), bodiesUsed: next, unexpected };
}
