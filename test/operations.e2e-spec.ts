import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { BULLMQ_PREFIX, DEMO, PATTERNS, QUEUES } from '@aftercare/contracts';
import { metricValue, waitFor } from '@aftercare/testing';
import { Api, isoDuration } from './support/api.js';
import { advanceClockTo, bookAndFinish, carePlansOf, registerPatient, startOnMondayMorning } from './support/journey-steps.js';
import { TestSystem, type OpsService } from './support/test-system.js';

/**
 * What an operator sees (README, "Operations"): every service's liveness and readiness, and
 * Prometheus metrics that move with real work - the gateway's requests, each queue's depth and
 * lateness, messages by status, the reconciler's repairs - and readiness turning 503 while the
 * database is unreachable, with liveness staying 200. The services reach PostgreSQL through a
 * proxy the test cuts. And the logs (README, "Logs"): JSON lines, at debug level here, that
 * follow a request by its id from the gateway into the services, and a job by its id.
 */
const METRICS_TOKEN = 'operations-e2e-scrape-token';
const OPS_SERVICES: OpsService[] = ['scheduling', 'followup', 'notifications'];
const WAIT = { timeoutMs: 20_000, intervalMs: 200 };

/** A line of a service's output: `[service] {...}` as TestSystem keeps it (`[service#2]` for a replica). */
interface LogLine {
  service: string;
  text: string;
}
const splitLine = (line: string): LogLine => {
  const [, service = '', text = line] = /^\[([a-z]+)(?:#\d+)?\] (.*)$/s.exec(line) ?? [];
  return { service, text };
};
/** The JSON object a line holds, or null when it is no JSON object. */
const jsonOf = (text: string): Record<string, any> | null => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, any>) : null;
  } catch {
    return null;
  }
};

describe('operations: health, metrics and logs', () => {
  const system = new TestSystem({ RECONCILE_INTERVAL_MS: '500', METRICS_TOKEN, LOG_LEVEL: 'debug', LOG_FORMAT: 'json' }, { databaseProxy: true });
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;

  const baseOf = (service: OpsService | 'gateway') => (service === 'gateway' ? system.baseUrl : system.opsUrl(service));

  async function get(service: OpsService | 'gateway', path: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${baseOf(service)}${path}`, { headers });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) };
  }

  /** The services' log lines so far, as JSON (lines that are none are left out). */
  const logEntries = () => system.logs.map(splitLine).map(({ service, text }) => ({ service, entry: jsonOf(text) })).filter((l) => l.entry !== null) as { service: string; entry: Record<string, any> }[];

  async function scrape(service: OpsService | 'gateway'): Promise<string> {
    const answer = await get(service, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(answer.status).toBe(200);
    return answer.text;
  }

  /** Waits until `value` of a service's metrics passes `check`, and returns that scrape. */
  async function metricsUntil(service: OpsService | 'gateway', what: string, check: (text: string) => boolean): Promise<string> {
    return waitFor(async () => {
      const text = await scrape(service);
      return check(text) ? text : undefined;
    }, { ...WAIT, what: `${service}: ${what}` });
  }

  beforeAll(async () => {
    [frontDesk, clinician, admin] = await startOnMondayMorning(system, 'America/New_York');
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  it('every service is live and ready: the gateway on its own port, the others on their operations ports', async () => {
    for (const service of ['gateway', ...OPS_SERVICES] as const) {
      const live = await get(service, '/health/live');
      expect({ service, status: live.status }).toEqual({ service, status: 200 });
      expect(live.json()).toMatchObject({ status: 'ok', details: { eventLoop: { status: 'up' } } });

      const ready = await get(service, '/health/ready');
      expect({ service, status: ready.status }).toEqual({ service, status: 200 });
      expect(ready.json()).toMatchObject({ status: 'ok', details: { database: { status: 'up' }, redis: { status: 'up' } } });
    }
    // The services that run workers are ready only while their queues keep up.
    expect((await get('followup', '/health/ready')).json().details.queues).toMatchObject({ status: 'up', [QUEUES.carePlanSteps]: { lagSeconds: expect.any(Number) } });
    expect((await get('notifications', '/health/ready')).json().details.queues).toMatchObject({ status: 'up', [QUEUES.outboundMessages]: { lagSeconds: expect.any(Number) } });
    expect((await get('scheduling', '/health/ready')).json().details.queues).toMatchObject({ status: 'up', [QUEUES.waitlistOffers]: { lagSeconds: expect.any(Number) } });
    // The older GET /health stays as it was.
    expect((await get('gateway', '/health')).json()).toMatchObject({ status: 'ok', checks: { database: 'ok', redis: 'ok', followup: 'ok' } });
    // An operations port serves nothing of the API.
    expect((await get('scheduling', '/api/patients')).status).toBe(404);
  });

  it('/metrics needs the METRICS_TOKEN bearer when one is set, and no user token', async () => {
    for (const service of ['gateway', ...OPS_SERVICES] as const) {
      expect({ service, status: (await get(service, '/metrics')).status }).toEqual({ service, status: 401 });
      expect({ service, status: (await get(service, '/metrics', { authorization: 'Bearer wrong-token-of-some-length' })).status }).toEqual({ service, status: 401 });
      const ok = await get(service, '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
      expect({ service, status: ok.status }).toEqual({ service, status: 200 });
      expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/);
      // Node's own metrics are there too.
      expect(metricValue(ok.text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    }
    // A staff member's token is not what opens it.
    const login = await new Api(system.baseUrl).post<{ accessToken: string }>('/api/auth/login', { email: 'admin@aftercare.local', password: DEMO.password });
    expect(login.status).toBe(200);
    expect((await get('gateway', '/metrics', { authorization: `Bearer ${login.body.accessToken}` })).status).toBe(401);
  });

  it('the numbers move with real work: requests, a message sent, queue depth, lateness, a reconciler repair', async () => {
    const [gateway0, notifications0, followup0] = await Promise.all([scrape('gateway'), scrape('notifications'), scrape('followup')]);
    const booked = (text: string) => metricValue(text, 'aftercare_http_requests_total', { method: 'POST', route: '/api/appointments', status: '201' });
    const sent = (text: string) =>
      metricValue(text, 'aftercare_messages', { direction: 'outbound', channel: 'sms', status: 'sent' }) + metricValue(text, 'aftercare_messages', { direction: 'outbound', channel: 'sms', status: 'delivered' });
    const lateness = (text: string, queue: string) => metricValue(text, 'aftercare_job_lateness_seconds_count', { queue });
    const recreated = (text: string) => metricValue(text, 'aftercare_reconciler_repairs_total', { queue: QUEUES.carePlanSteps, repair: 'recreated' });

    const phone = '+12125550771';
    const patientId = await registerPatient(frontDesk, phone);
    expect((await frontDesk.get(`/api/patients/${patientId}`)).status).toBe(200);
    const appointment = await bookAndFinish(frontDesk, admin, patientId);

    // Gateway: the booking counted under its route template, with its status; a read by id under ":id".
    const gateway1 = await scrape('gateway');
    expect(booked(gateway1)).toBe(booked(gateway0) + 1);
    expect(metricValue(gateway1, 'aftercare_http_requests_total', { method: 'GET', route: '/api/patients/:id', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(gateway1, 'aftercare_http_request_duration_seconds_count', { method: 'POST', route: '/api/appointments', status: '201' })).toBe(booked(gateway1));

    // Notifications: the confirmation went out through Twilio (the fake): counted as sent, its job's lateness observed.
    await waitFor(async () => (system.twilio.messages.some((m) => m.to === phone) ? true : undefined), { ...WAIT, what: 'the confirmation SMS' });
    const notifications1 = await metricsUntil('notifications', 'the confirmation counted as sent', (text) => sent(text) >= sent(notifications0) + 1);
    expect(lateness(notifications1, QUEUES.outboundMessages)).toBeGreaterThan(lateness(notifications0, QUEUES.outboundMessages));

    // Followup: the completed procedure's care plan waits in its queue as delayed jobs.
    expect((await clinician.post(`/api/appointments/${appointment.id}/complete`, { site: 'left knee' })).status).toBe(200);
    const [plan] = await carePlansOf(clinician, patientId);
    const scheduled = plan.steps.filter((s: { status: string }) => s.status === 'scheduled');
    const followup1 = await metricsUntil('followup', 'the care plan in its queue', (text) => metricValue(text, 'aftercare_queue_jobs', { queue: QUEUES.carePlanSteps, state: 'delayed' }) >= scheduled.length);
    expect(metricValue(followup1, 'aftercare_queue_jobs', { queue: QUEUES.carePlanSteps, state: 'failed' })).toBe(0);

    // A job Redis lost: the reconciler re-creates it once its step comes within reach, and counts the repair.
    const next = scheduled.map((s: { id: string; dueAt: string }) => ({ id: s.id, dueAt: new Date(s.dueAt) })).sort((a: { dueAt: Date }, b: { dueAt: Date }) => a.dueAt.getTime() - b.dueAt.getTime())[0];
    const steps = new Queue(QUEUES.carePlanSteps, { connection: { host: '127.0.0.1', port: system.redis.port }, prefix: BULLMQ_PREFIX });
    try {
      await steps.remove(next.id);
      expect(await steps.getJob(next.id)).toBeUndefined();
      await advanceClockTo(admin, new Date(next.dueAt.getTime() - 60_000));
      await metricsUntil('followup', 'the lost job re-created', (text) => recreated(text) >= recreated(followup0) + 1);
      expect(await steps.getJob(next.id)).toBeDefined();
    } finally {
      await steps.close();
    }

    // The step comes due and runs: its lateness is observed in followup's workers.
    await admin.advance(isoDuration(2 * 60_000));
    const followup2 = await metricsUntil('followup', 'the step run', (text) => lateness(text, QUEUES.carePlanSteps) > lateness(followup0, QUEUES.carePlanSteps));
    expect(metricValue(followup2, 'aftercare_job_lateness_seconds_bucket', { queue: QUEUES.carePlanSteps, le: '+Inf' })).toBe(lateness(followup2, QUEUES.carePlanSteps));

    // Nothing about the patient in any label: no id, name or number.
    for (const text of await Promise.all(['gateway', ...OPS_SERVICES].map((s) => scrape(s as OpsService | 'gateway')))) {
      for (const secret of [patientId, appointment.id, plan.id, next.id, phone, phone.slice(1), 'Patient 0771']) expect(text).not.toContain(secret);
    }
  }, 120_000);

  it("logs a request's id on the gateway's lines and on those of every service that worked for it, and a job's id on the job's", async () => {
    const requestId = randomUUID();
    const phone = '+12125550772';
    const created = await frontDesk.post('/api/patients', { firstName: 'Logged', lastName: 'Patient 0772', phone, timezone: 'America/New_York', preferredChannel: 'sms', smsConsent: true }, { 'x-request-id': requestId });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-request-id')).toBe(requestId);

    // The gateway's line for the request; scheduling's for the call it answered; notifications'
    // and followup's for the patient.registered event that call published (through the outbox).
    const ofRequest = await waitFor(() => {
      const lines = logEntries().filter(({ entry }) => entry.requestId === requestId || entry.correlationId === requestId);
      const services = new Set(lines.map((l) => l.service));
      return ['gateway', 'scheduling', 'notifications', 'followup'].every((s) => services.has(s)) ? lines : undefined;
    }, { ...WAIT, what: `log lines of request ${requestId} in every service` });
    const gateway = ofRequest.filter((l) => l.service === 'gateway').map((l) => l.entry);
    expect(gateway).toContainEqual(expect.objectContaining({ level: 'debug', service: 'gateway', context: 'HTTP', requestId, msg: expect.stringMatching(/^POST \/api\/patients 201 \d+ms$/) }));
    // The gateway says requestId, the services correlationId: the same id.
    expect(gateway.every((e) => e.correlationId === undefined)).toBe(true);
    const handled = (service: string, pattern: string) =>
      expect(ofRequest.filter((l) => l.service === service).map((l) => l.entry)).toContainEqual(
        expect.objectContaining({ level: 'debug', service, pid: expect.any(Number), context: 'Rpc', correlationId: requestId, msg: expect.stringMatching(new RegExp(`^${pattern.replace(/\./g, '\\.')} handled in \\d+ ms$`)) }),
      );
    handled('scheduling', PATTERNS.scheduling.patientsCreate);
    handled('notifications', 'notifications.event.patient.registered');
    handled('followup', 'followup.event.patient.registered');

    // A job: the booking's confirmation SMS, sent by notifications' worker, logs the job's id and queue.
    await bookAndFinish(frontDesk, admin, created.body.id);
    await waitFor(async () => (system.twilio.messages.some((m) => m.to === phone) ? true : undefined), { ...WAIT, what: 'the confirmation SMS' });
    const jobLine = await waitFor(
      () => logEntries().find(({ service, entry }) => service === 'notifications' && entry.queue === QUEUES.outboundMessages && entry.context === 'Job')?.entry,
      { ...WAIT, what: 'a message.send job logged with its id' },
    );
    expect(jobLine).toMatchObject({ jobId: expect.stringMatching(/^[0-9a-f-]{36}$/), msg: expect.stringMatching(/^message\.send done in \d+ ms \(attempt \d+\)$/) });
    // Not the patient's phone nor name, in any line about them.
    expect(system.logs.filter((line) => line.includes(phone.slice(2)) || line.includes('Logged'))).toEqual([]);
  }, 60_000);

  it('readiness turns 503 while the database is unreachable, liveness stays 200, and both recover', async () => {
    await system.databaseProxy!.stop();
    try {
      for (const service of ['gateway', ...OPS_SERVICES] as const) {
        const ready = await waitFor(async () => {
          const answer = await get(service, '/health/ready');
          return answer.status === 503 ? answer.json() : undefined;
        }, { ...WAIT, what: `${service} not ready without its database` });
        expect({ service, ready }).toMatchObject({ service, ready: { status: 'error', error: { database: { status: 'down' } }, details: { redis: { status: 'up' } } } });
        expect(Object.keys(ready.error)).toEqual(['database']);
        const live = await get(service, '/health/live');
        expect({ service, status: live.status }).toEqual({ service, status: 200 });
      }
    } finally {
      await system.databaseProxy!.start();
    }
    for (const service of ['gateway', ...OPS_SERVICES] as const) {
      await waitFor(async () => ((await get(service, '/health/ready')).status === 200 ? true : undefined), { ...WAIT, what: `${service} ready again` });
    }
    // And the system works again: a read through to a service and its database.
    expect((await clinician.get('/api/clinicians')).status).toBe(200);
  }, 120_000);

  it('every line every service wrote is one JSON object with time, level, service, pid and msg (database outage included)', () => {
    const lines = system.logs.map(splitLine);
    expect(lines.filter((l) => jsonOf(l.text) === null)).toEqual([]);
    for (const { service, text } of lines) {
      expect(jsonOf(text)).toMatchObject({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), level: expect.stringMatching(/^(trace|debug|info|warn|error|fatal)$/), service, pid: expect.any(Number), msg: expect.any(String) });
    }
    expect(new Set(lines.map((l) => l.service))).toEqual(new Set(['gateway', ...OPS_SERVICES]));
  });
});
