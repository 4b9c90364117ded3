import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ClientProxyFactory, type ClientProxy } from '@nestjs/microservices';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import pg from 'pg';
import { firstValueFrom, timeout } from 'rxjs';
import twilio from 'twilio';
import { DEMO, PATTERNS, QUEUES, type Role } from '@aftercare/contracts';
import { loadConfig } from '@aftercare/config';
import { redisTransportOptions } from '@aftercare/messaging';
import { freePort, waitFor } from '@aftercare/testing';
import { Api, type ApiResponse, isoDuration, loginDemoUsers } from './support/api.js';
import { carePlansOf, nextMondayMorning, registerPatient } from './support/journey-steps.js';
import { TestSystem, TWILIO_FROM } from './support/test-system.js';

const run = promisify(execFile);
// Each check walks many routes; on a busy 2-core machine that can take longer than Jest's 5 s.
jest.setTimeout(60_000);

/**
 * Issue 8, "Security": who may call what, and only on their own clinic's data.
 *
 * 1. The route × role matrix: every route the gateway registers (read from the Nest app's router,
 *    not from a list kept by hand) is checked for anonymous callers and each role against the
 *    table below, written from PRODUCT.md ("Roles", "HTTP API"). A route missing from the table
 *    fails, so a new route has to be classified. The front desk never receives check-in answers.
 * 2. Clinic scoping: a second clinic with its own users gets 404 for the first clinic's ids.
 * 3. Message patterns refuse unknown fields and bad types over the Redis transport.
 * 4. Fuzz: arbitrary and near-valid bodies on every POST/PUT/PATCH route never get a 5xx.
 */

const ZONE = DEMO.clinicTimezone;
const [DR_CHEN, DR_OKAFOR] = DEMO.clinicians;
const PAT_PHONE = '+12125550811';
const OTHER_PHONE = '+12125550812';
/** The patient's own words to the clinic: for clinicians, never for the front desk. */
const FREE_TEXT = 'knee throbbing at night since tuesday';

// ---------------------------------------------------------------------------------------------
// The table: PRODUCT.md's roles. front_desk books and sees schedules and contact details but not
// check-in answers; clinician sees everything about patients and works the due list; admin
// everything plus configuration.
// ---------------------------------------------------------------------------------------------

type Access = 'public' | 'twilio' | readonly Role[];
const STAFF: readonly Role[] = ['front_desk', 'clinician', 'admin'];
const CLINICAL: readonly Role[] = ['clinician', 'admin'];
const ADMIN: readonly Role[] = ['admin'];

const MATRIX: Record<string, Access> = {
  // Sign-in and health need no token; Twilio's webhooks need Twilio's signature instead.
  'POST /api/auth/login': 'public',
  // Refresh takes the refresh token in its body; logout checks the bearer token's signature itself
  // (an expired access token may still sign out).
  'POST /api/auth/refresh': 'public',
  'POST /api/auth/logout': 'public',
  'GET /health': 'public',
  // For orchestrators and Prometheus: no patient data; METRICS_TOKEN, when set, closes /metrics.
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /metrics': 'public',
  'POST /webhooks/twilio/sms': 'twilio',
  'POST /webhooks/twilio/status': 'twilio',
  'GET /api/me': STAFF,

  // Patients: registration and contact details are the front desk's; the timeline (messages,
  // pain scores), outcomes and the FHIR export carry check-in answers: clinical only.
  'POST /api/patients': STAFF,
  'GET /api/patients': STAFF,
  'GET /api/patients/duplicates': STAFF,
  'GET /api/patients/:id': STAFF,
  'POST /api/patients/:id/sms-opt-out': STAFF,
  'POST /api/patients/:id/sms-hold/release': STAFF,
  'GET /api/patients/:id/timeline': CLINICAL,
  'GET /api/patients/:id/outcomes': CLINICAL,
  'GET /api/outcomes/summary': CLINICAL,
  'GET /api/fhir/Patient/:id': CLINICAL,
  'GET /api/fhir/Patient/:id/$everything': CLINICAL,

  // Booking and the schedule: everyone; completing a procedure is the clinician's.
  'GET /api/clinicians': STAFF,
  'GET /api/procedure-types': STAFF,
  'GET /api/availability': STAFF,
  'POST /api/appointments': STAFF,
  'GET /api/appointments': STAFF,
  'GET /api/appointments/:id': STAFF,
  'POST /api/appointments/:id/reschedule': STAFF,
  'POST /api/appointments/:id/cancel': STAFF,
  'POST /api/appointments/:id/check-in': STAFF,
  'POST /api/appointments/:id/no-show': STAFF,
  'POST /api/appointments/:id/complete': CLINICAL,
  'GET /api/day-sheet': STAFF,
  'POST /api/waitlist': STAFF,
  'GET /api/waitlist': STAFF,
  'POST /api/waitlist/:id/cancel': STAFF,
  'GET /api/booking-tasks': STAFF,
  'POST /api/booking-tasks/:id/complete': STAFF,

  // The due list, care plans, messages (their bodies are the patient's answers), live updates.
  'GET /api/follow-ups': CLINICAL,
  'GET /api/follow-ups/counts': CLINICAL,
  'GET /api/follow-ups/:id': CLINICAL,
  'POST /api/follow-ups/:id/complete': CLINICAL,
  'POST /api/follow-ups/:id/snooze': CLINICAL,
  'POST /api/follow-ups/:id/reassign': CLINICAL,
  'POST /api/follow-ups/:id/decision': CLINICAL,
  'GET /api/care-plans': CLINICAL,
  'GET /api/care-plans/:id': CLINICAL,
  'POST /api/care-plans/:id/pause': CLINICAL,
  'POST /api/care-plans/:id/resume': CLINICAL,
  'POST /api/care-plans/:id/cancel': CLINICAL,
  'GET /api/messages': CLINICAL,
  'GET /api/live': CLINICAL,
  'GET /api/protocols': CLINICAL,
  'GET /api/protocols/:code': CLINICAL,
  'GET /api/escalation-rules': CLINICAL,

  // Configuration: admin only. What the front desk needs to book (hours, closures, rooms) it reads.
  'GET /api/clinic': STAFF,
  'PATCH /api/clinic': ADMIN,
  'GET /api/clinic/closures': STAFF,
  'POST /api/clinic/closures': ADMIN,
  'DELETE /api/clinic/closures/:id': ADMIN,
  'GET /api/clinicians/:id': STAFF,
  'POST /api/clinicians': ADMIN,
  'PATCH /api/clinicians/:id': ADMIN,
  'GET /api/time-off': STAFF,
  'POST /api/time-off': ADMIN,
  'DELETE /api/time-off/:id': ADMIN,
  'GET /api/resources': STAFF,
  'POST /api/resources': ADMIN,
  'PATCH /api/resources/:id': ADMIN,
  'POST /api/procedure-types': ADMIN,
  'PATCH /api/procedure-types/:code': ADMIN,
  'POST /api/protocols': ADMIN,
  'POST /api/protocols/:code/versions': ADMIN,
  'PATCH /api/protocols/:code': ADMIN,
  'PUT /api/escalation-rules': ADMIN,
  'GET /api/templates': ADMIN,
  'POST /api/templates/preview': ADMIN,
  'PUT /api/templates/:kind/:language': ADMIN,
  'DELETE /api/templates/:kind/:language': ADMIN,
  'GET /api/users': ADMIN,
  'POST /api/users': ADMIN,
  'PATCH /api/users/:id': ADMIN,
  'POST /api/messages/:id/retry': ADMIN,
  'GET /api/admin/queues': ADMIN,
  'GET /api/audit-log': ADMIN,
  'POST /api/admin/queues/:name/retry-failed': ADMIN,
  'GET /api/admin/queues/:name/jobs': ADMIN,
  'GET /api/admin/queues/:name/jobs/:id': ADMIN,
  'POST /api/admin/queues/:name/jobs/:id/retry': ADMIN,
  'POST /api/admin/queues/:name/pause': ADMIN,
  'POST /api/admin/queues/:name/resume': ADMIN,
  'GET /api/dev/clock': ADMIN,
  'POST /api/dev/clock/advance': ADMIN,
};

interface Route {
  method: string;
  path: string;
  key: string;
}

/**
 * Every route the gateway registers, read from its Express router after `app.init()`: the built
 * module the gateway process runs (dist/), started in a child process against the test's
 * database and Redis, so nothing can be added without this test seeing it.
 */
const ROUTES_SCRIPT = `
const { NestFactory } = await import('@nestjs/core');
const { GatewayModule } = await import(process.env.GATEWAY_MODULE);
const { loadConfig } = await import(process.env.CONFIG_MODULE);
const app = await NestFactory.create(GatewayModule.forRoot(loadConfig(process.env)), { logger: ['error'], abortOnError: false });
await app.init();
const routes = [];
for (const layer of app.getHttpAdapter().getInstance().router.stack) {
  if (!layer.route) continue;
  for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') routes.push([method.toUpperCase(), layer.route.path]);
}
await app.close();
process.stdout.write(JSON.stringify(routes));
process.exit(0);
`;

async function routesOfTheGateway(databaseUrl: string, redisUrl: string): Promise<Route[]> {
  const dist = path.resolve('dist');
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', ROUTES_SCRIPT], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      PORT: String(await freePort()),
      JWT_SECRET: 'test-secret-of-at-least-thirty-two-characters',
      LOG_LEVEL: 'error',
      GATEWAY_MODULE: pathToFileURL(path.join(dist, 'apps/gateway/src/app.module.js')).href,
      CONFIG_MODULE: pathToFileURL(path.join(dist, 'libs/config/src/index.js')).href,
    },
    maxBuffer: 10_000_000,
    timeout: 60_000,
  });
  return (JSON.parse(stdout) as [string, string][]).map(([method, p]) => ({ method, path: p, key: `${method} ${p}` }));
}

/** A request and its answer; event streams are read up to their headers and closed. */
async function send(base: string, method: string, path: string, options: { token?: string | null; json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const abort = new AbortController();
  const response = await fetch(base + path, { method, headers, body, signal: abort.signal });
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    abort.abort();
    return { status: response.status, body: null, headers: response.headers };
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* TwiML, HTML */
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** The guard's refusals: 401 without a (valid) token, 403 naming the role. A domain 403 has a code. */
const refusedByRole = (r: ApiResponse) => r.status === 403 && r.body?.code === undefined && /role may not/.test(String(r.body?.message));

/** A sample value for a path parameter: unknown ids, so nothing real is touched by the matrix. */
const sampleParam = (name: string): string => (name === 'id' ? randomUUID() : name === 'language' ? 'en' : name === 'code' ? 'no_such_code' : 'no-such-thing');
const fillParams = (path: string, value: (name: string) => string = sampleParam) => path.replace(/:(\w+)/g, (_, name: string) => value(name));

const q = encodeURIComponent;
const keysOf = (value: unknown, into: string[] = []): string[] => {
  if (Array.isArray(value)) value.forEach((v) => keysOf(v, into));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) into.push(k), keysOf(v, into);
  return into;
};
const listOf = (body: any): any[] => (Array.isArray(body) ? body : (body?.items ?? []));

/** The world the checks use; filled by beforeAll. */
interface World {
  pat: string;
  other: string;
  /** Pat's procedure, completed: the care plan comes from it. */
  done: { id: string; startsAt: string; endsAt: string };
  /** Pat's procedure next week, booked. */
  future: { id: string; startsAt: string; endsAt: string };
  freeSlot: string;
  plan: string;
  item: string;
  message: string;
  bookingTask: string;
  waitlistEntry: string;
  closure: string;
  timeOff: string;
  resource: string;
  frontDeskUserId: string;
}

const system = new TestSystem();
const w = {} as World;
let frontDesk: Api;
let clinician: Api;
let admin: Api;
let routes: Route[] = [];
const tokens: Record<Role, string> = { front_desk: '', clinician: '', admin: '' };

const tokenOf = async (email: string, password: string = DEMO.password) => {
  const r = await send(system.baseUrl, 'POST', '/api/auth/login', { json: { email, password } });
  if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.accessToken as string;
};

beforeAll(async () => {
  await system.start();
  routes = await routesOfTheGateway(system.database.url, system.redis.url);
  [frontDesk, clinician, admin] = await loginDemoUsers(system.baseUrl);
  tokens.front_desk = await tokenOf('frontdesk@aftercare.local');
  tokens.clinician = await tokenOf('clinician@aftercare.local');
  tokens.admin = await tokenOf('admin@aftercare.local');

  const advanceTo = async (at: Date) => {
    const now = await admin.now();
    if (at > now) await admin.advance(isoDuration(at.getTime() - now.getTime()));
  };
  const slots = async (clinicianId: string, from: Date, days: number) => {
    const to = DateTime.fromJSDate(from, { zone: ZONE }).plus({ days }).toJSDate();
    const r = await frontDesk.get(`/api/availability?clinicianId=${clinicianId}&procedureType=bmac_injection&from=${q(from.toISOString())}&to=${q(to.toISOString())}`);
    if (r.status !== 200 || r.body.slots.length === 0) throw new Error(`no slot: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.slots.map((s: { startsAt: string }) => s.startsAt) as string[];
  };
  const book = async (patientId: string, clinicianId: string, startsAt: string) => {
    const r = await frontDesk.post('/api/appointments', { patientId, clinicianId, procedureType: 'bmac_injection', startsAt });
    if (r.status !== 201) throw new Error(`book: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  await advanceTo(nextMondayMorning(await admin.now(), ZONE));
  const monday = new Date((await admin.now()).getTime() + 30 * 60_000);
  w.pat = await registerPatient(frontDesk, PAT_PHONE, { firstName: 'Pat', lastName: 'Scoped' });
  w.other = await registerPatient(frontDesk, OTHER_PHONE, { firstName: 'Quinn', lastName: 'Scoped' });
  w.done = await book(w.pat, DR_CHEN.id, (await slots(DR_CHEN.id, monday, 1))[0]!);
  const nextWeek = DateTime.fromJSDate(monday, { zone: ZONE }).plus({ days: 7 }).toJSDate();
  w.future = await book(w.pat, DR_CHEN.id, (await slots(DR_CHEN.id, nextWeek, 1))[0]!);
  w.freeSlot = (await slots(DR_OKAFOR.id, nextWeek, 1))[0]!;

  await advanceTo(new Date(new Date(w.done.endsAt).getTime() + 5 * 60_000));
  expect((await clinician.post(`/api/appointments/${w.done.id}/complete`, { site: 'left knee' })).status).toBe(200);
  const [plan] = await carePlansOf(clinician, w.pat);
  w.plan = plan.id;
  const checkin = plan.steps.find((s: { key: string }) => s.key === 'checkin-day-1');
  await advanceTo(new Date(new Date(checkin.dueAt).getTime() + 60_000));
  await waitFor(async () => listOf((await clinician.get(`/api/messages?patientId=${w.pat}`)).body).some((m) => m.kind === 'checkin' && m.status === 'sent') || undefined, {
    timeoutMs: 15_000,
    what: 'the day-1 check-in',
  });
  // A pain score of 9, the patient's own words, and R (a reschedule task for the front desk).
  for (const body of ['9', FREE_TEXT, 'R']) expect((await system.inboundSms(PAT_PHONE, body)).status).toBe(200);
  const [item] = await waitFor(
    async () => {
      const items = listOf((await clinician.get('/api/follow-ups?kind=attention')).body);
      return items.length >= 2 ? items : undefined;
    },
    { timeoutMs: 15_000, what: 'the attention items' },
  );
  w.item = item.id;
  const [task] = await waitFor(
    async () => {
      const tasks = listOf((await frontDesk.get('/api/booking-tasks')).body);
      return tasks.length ? tasks : undefined;
    },
    { timeoutMs: 15_000, what: 'the reschedule task' },
  );
  w.bookingTask = task.id;
  w.message = listOf((await clinician.get(`/api/messages?patientId=${w.pat}`)).body)[0].id;

  const day = (days: number) => DateTime.fromJSDate(nextWeek, { zone: ZONE }).plus({ days }).toISODate()!;
  const entry = await frontDesk.post('/api/waitlist', { patientId: w.other, procedureType: 'consultation', earliestDate: day(0), latestDate: day(14) });
  expect(entry.status).toBe(201);
  w.waitlistEntry = entry.body.id;
  const closure = await admin.post('/api/clinic/closures', { date: day(60), reason: 'Staff training' });
  expect(closure.status).toBe(201);
  w.closure = closure.body.id;
  const timeOff = await admin.post('/api/time-off', {
    clinicianId: DR_OKAFOR.id,
    startsAt: DateTime.fromISO(day(61), { zone: ZONE }).set({ hour: 9 }).toISO(),
    endsAt: DateTime.fromISO(day(61), { zone: ZONE }).set({ hour: 12 }).toISO(),
  });
  expect(timeOff.status).toBe(201);
  w.timeOff = timeOff.body.id;
  w.resource = listOf((await admin.get('/api/resources')).body)[0].id;
  w.frontDeskUserId = listOf((await admin.get('/api/users')).body).find((u) => u.email === 'frontdesk@aftercare.local').id;
}, 180_000);

afterAll(async () => {
  await system.stop();
}, 60_000);

describe('the route × role matrix, from the router itself', () => {
  it('finds the routes the gateway registers, and every one is in the table', () => {
    expect(routes.length).toBeGreaterThan(60);
    const unclassified = routes.map((r) => r.key).filter((key) => !(key in MATRIX));
    // A new route needs a line in MATRIX: who may use it, by PRODUCT.md.
    expect(unclassified).toEqual([]);
    const gone = Object.keys(MATRIX).filter((key) => !routes.some((r) => r.key === key));
    expect(gone).toEqual([]);
  });

  it('refuses anonymous callers everywhere but sign-in, health and the signed webhooks (401)', async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const access = MATRIX[route.key];
      if (access === 'public' || access === 'twilio') continue;
      const answer = await send(system.baseUrl, route.method, fillParams(route.path), { json: route.method === 'GET' || route.method === 'DELETE' ? undefined : {} });
      if (answer.status !== 401) wrong.push(`${route.key}: ${answer.status}`);
      // A made-up token is nobody either.
      const forged = await send(system.baseUrl, route.method, fillParams(route.path), { token: 'e30.e30.e30' });
      if (forged.status !== 401) wrong.push(`${route.key} with a forged token: ${forged.status}`);
    }
    expect(wrong).toEqual([]);
  }, 60_000);

  it.each(['front_desk', 'clinician', 'admin'] as const)('lets %s use exactly the routes PRODUCT.md gives the role, 403 elsewhere', async (role) => {
    const wrong: string[] = [];
    for (const route of routes) {
      const access = MATRIX[route.key];
      if (access === undefined || access === 'public' || access === 'twilio') continue;
      const answer = await send(system.baseUrl, route.method, fillParams(route.path), {
        token: tokens[role],
        json: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
      });
      const allowed = access.includes(role);
      if (allowed && (answer.status === 401 || refusedByRole(answer))) wrong.push(`${route.key}: refused (${answer.status} ${answer.body?.message})`);
      if (allowed && answer.status >= 500) wrong.push(`${route.key}: ${answer.status} for an unknown id or an empty body`);
      if (!allowed && !refusedByRole(answer)) wrong.push(`${route.key}: ${answer.status}, expected 403 for ${role}`);
    }
    expect(wrong).toEqual([]);
  }, 60_000);

  it('keeps the public routes open: sign-in, health, the web app and its files', async () => {
    expect((await send(system.baseUrl, 'POST', '/api/auth/login', { json: { email: 'frontdesk@aftercare.local', password: DEMO.password } })).status).toBe(200);
    for (const health of ['/health', '/health/live', '/health/ready']) expect([health, (await send(system.baseUrl, 'GET', health)).status]).toEqual([health, 200]);
    const page = await fetch(`${system.baseUrl}/due`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    expect((await fetch(system.baseUrl + asset!)).status).toBe(200);
  });

  it("accepts Twilio's webhooks only with Twilio's signature, whoever else signs in", async () => {
    const hooks = routes.filter((r) => MATRIX[r.key] === 'twilio');
    expect(hooks.map((r) => r.key).sort()).toEqual(['POST /webhooks/twilio/sms', 'POST /webhooks/twilio/status']);
    const forms: Record<string, Record<string, string>> = {
      '/webhooks/twilio/sms': { MessageSid: `SM${'0'.repeat(32)}`, AccountSid: system.twilio.accountSid, From: '+12125550899', To: TWILIO_FROM, Body: 'HELP' },
      '/webhooks/twilio/status': { MessageSid: `SM${'1'.repeat(32)}`, AccountSid: system.twilio.accountSid, MessageStatus: 'delivered' },
    };
    for (const hook of hooks) {
      const form = forms[hook.path]!;
      for (const token of [null, ...Object.values(tokens)]) {
        // No signature at all is a bad request (400), a wrong one a forgery (403): refused either way.
        const unsigned = await send(system.baseUrl, 'POST', hook.path, { token, form });
        expect([hook.key, unsigned.status]).toEqual([hook.key, 400]);
      }
      const forged = await send(system.baseUrl, 'POST', hook.path, { form, headers: { 'x-twilio-signature': 'c2lnbmVkIGJ5IG5vYm9keQ==' } });
      expect([hook.key, forged.status]).toEqual([hook.key, 403]);
      const signature = twilio.getExpectedTwilioSignature(system.twilio.authToken, system.baseUrl + hook.path, form);
      const signed = await send(system.baseUrl, 'POST', hook.path, { form, headers: { 'x-twilio-signature': signature } });
      expect([hook.key, signed.status < 300]).toEqual([hook.key, true]);
    }
  });

  /** The front desk's reads, with the ids of the patient who answered check-ins. */
  const FRONT_DESK_READS: Record<string, () => string> = {
    'GET /api/me': () => '/api/me',
    'GET /api/patients': () => '/api/patients?query=Scoped',
    'GET /api/patients/duplicates': () => `/api/patients/duplicates?phone=${q(PAT_PHONE)}`,
    'GET /api/patients/:id': () => `/api/patients/${w.pat}`,
    'GET /api/clinicians': () => '/api/clinicians',
    'GET /api/clinicians/:id': () => `/api/clinicians/${DR_CHEN.id}`,
    'GET /api/procedure-types': () => '/api/procedure-types',
    'GET /api/availability': () => `/api/availability?procedureType=bmac_injection&from=${q(w.future.startsAt)}&to=${q(DateTime.fromISO(w.future.startsAt).plus({ days: 2 }).toISO()!)}`,
    'GET /api/appointments': () => `/api/appointments?patientId=${w.pat}`,
    'GET /api/appointments/:id': () => `/api/appointments/${w.done.id}`,
    'GET /api/day-sheet': () => `/api/day-sheet?date=${DateTime.fromISO(w.done.startsAt, { zone: ZONE }).toISODate()}`,
    'GET /api/waitlist': () => '/api/waitlist',
    'GET /api/booking-tasks': () => '/api/booking-tasks',
    'GET /api/clinic': () => '/api/clinic',
    'GET /api/clinic/closures': () => '/api/clinic/closures',
    'GET /api/time-off': () => '/api/time-off',
    'GET /api/resources': () => '/api/resources',
  };

  it('never gives the front desk check-in answers: no pain score, no trend, not the words the patient wrote', async () => {
    const reads = routes.filter((r) => r.method === 'GET' && Array.isArray(MATRIX[r.key]) && (MATRIX[r.key] as readonly Role[]).includes('front_desk'));
    // Every route the front desk may read is looked at here.
    expect(reads.map((r) => r.key).filter((key) => !(key in FRONT_DESK_READS))).toEqual([]);
    const leaks: string[] = [];
    for (const route of reads) {
      const path = FRONT_DESK_READS[route.key]!();
      const answer = await send(system.baseUrl, 'GET', path, { token: tokens.front_desk });
      expect([path, answer.status]).toEqual([path, 200]);
      const keys = keysOf(answer.body).filter((k) => /pain|score|trend|answer|outcome/i.test(k));
      if (keys.length) leaks.push(`${route.key}: ${[...new Set(keys)].join(', ')}`);
      if (JSON.stringify(answer.body).includes(FREE_TEXT)) leaks.push(`${route.key}: the patient's words`);
    }
    expect(leaks).toEqual([]);
    // The clinician does see them (so the check above looks at data that is there).
    const timeline = await clinician.get(`/api/patients/${w.pat}/timeline`);
    expect(JSON.stringify(timeline.body)).toContain(FREE_TEXT);
    expect(keysOf(timeline.body).some((k) => /pain|score/i.test(k))).toBe(true);
  });

  it("lets the front desk read the due list's booking tasks (PRODUCT.md: it sees what needs booking), without pain scores; the rest of the list stays closed", async () => {
    for (const path of ['/api/follow-ups?kind=booking_task', '/api/follow-ups?kind=booking_task&limit=50']) {
      const answer = await send(system.baseUrl, 'GET', path, { token: tokens.front_desk });
      expect([path, answer.status]).toEqual([path, 200]);
      const items = listOf(answer.body);
      expect(items.map((i: { id: string }) => i.id)).toContain(w.bookingTask);
      expect(items.every((i: { kind: string }) => i.kind === 'booking_task')).toBe(true);
      expect(keysOf(answer.body).filter((k) => /pain|score|trend|answer|outcome/i.test(k))).toEqual([]);
      expect(JSON.stringify(answer.body)).not.toContain(FREE_TEXT);
      // Only the contract's item and its times: no clinician's note, no site of the procedure.
      for (const item of items) expect(Object.keys(item).sort()).toEqual(['carePlanId', 'clinicianId', 'completedAt', 'createdAt', 'dueAt', 'id', 'kind', 'patient', 'reason', 'snoozedUntil', 'state', 'updatedAt']);
    }
    // The clinician's view of the same items has the plan's pain fields (so the check above looks at data that is there).
    expect(keysOf((await clinician.get('/api/follow-ups?kind=booking_task')).body).some((k) => /pain/i.test(k))).toBe(true);
    for (const query of ['', '?kind=attention', '?kind=repeat_evaluation', '?state=open']) {
      const refused = await send(system.baseUrl, 'GET', `/api/follow-ups${query}`, { token: tokens.front_desk });
      expect([query, refusedByRole(refused)]).toEqual([query, true]);
      expect(refused.body.message).toContain('kind=booking_task');
    }
  });
});

describe('clinic scoping: another clinic sharing the deployment sees none of this one', () => {
  const CLINIC_B = randomUUID();
  const CLINICIAN_B = randomUUID();
  const B_PASSWORD = 'clinic-b-password-1';
  let adminB: Api;
  let frontDeskB: Api;
  let clinicianB: Api;
  let patientB: string;

  beforeAll(async () => {
    // Clinic B, as a second clinic's set-up would leave it: the clinic, a clinician, its types.
    const pool = new pg.Pool({ connectionString: system.database.url, max: 1 });
    try {
      const hours = JSON.stringify({ 1: [{ start: '08:00', end: '18:00' }], 2: [{ start: '08:00', end: '18:00' }], 3: [{ start: '08:00', end: '18:00' }], 4: [{ start: '08:00', end: '18:00' }], 5: [{ start: '08:00', end: '18:00' }] });
      await pool.query(`INSERT INTO scheduling.clinics (id, name, timezone, phone, opening_hours) VALUES ($1, 'Second Clinic', 'America/Chicago', '+13125550100', $2)`, [CLINIC_B, hours]);
      await pool.query(`INSERT INTO scheduling.clinicians (id, clinic_id, name, weekly_hours) VALUES ($1, $2, 'Dr. Second', $3)`, [CLINICIAN_B, CLINIC_B, hours]);
      await pool.query(
        `INSERT INTO scheduling.procedure_types (clinic_id, code, name, duration_minutes) SELECT $1, code, name, duration_minutes FROM scheduling.procedure_types WHERE clinic_id = $2`,
        [CLINIC_B, DEMO.clinicId],
      );
      // Its users: made by an admin, then moved to clinic B (there is no API to make a clinic).
      for (const [email, role] of [
        ['admin@second.test', 'admin'],
        ['frontdesk@second.test', 'front_desk'],
        ['clinician@second.test', 'clinician'],
      ] as const) {
        const made = await admin.post('/api/users', { email, name: `Second ${role}`, role, password: B_PASSWORD });
        expect(made.status).toBe(201);
        await pool.query(`UPDATE gateway.users SET clinic_id = $1, clinician_id = $2 WHERE id = $3`, [CLINIC_B, role === 'clinician' ? CLINICIAN_B : null, made.body.id]);
      }
    } finally {
      await pool.end();
    }
    [adminB, frontDeskB, clinicianB] = await Promise.all([
      Api.login(system.baseUrl, 'admin@second.test', B_PASSWORD),
      Api.login(system.baseUrl, 'frontdesk@second.test', B_PASSWORD),
      Api.login(system.baseUrl, 'clinician@second.test', B_PASSWORD),
    ]);
    // Clinic B works on its own: its front desk registers and reads its own patient.
    const made = await frontDeskB.post('/api/patients', { firstName: 'Bea', lastName: 'Second', phone: '+13125550177', timezone: 'America/Chicago', preferredChannel: 'sms', smsConsent: true });
    expect(made.status).toBe(201);
    patientB = made.body.id;
    expect((await frontDeskB.get(`/api/patients/${patientB}`)).status).toBe(200);
  }, 60_000);

  /** Clinic A as its clients see it: nothing below may change it. */
  const snapshot = async () => {
    const [appointments, items, plan, messages, tasks, waitlist, patient, clinicianA] = await Promise.all([
      frontDesk.get(`/api/appointments?patientId=${w.pat}`),
      clinician.get('/api/follow-ups?state=open'),
      clinician.get(`/api/care-plans/${w.plan}`),
      clinician.get(`/api/messages?patientId=${w.pat}`),
      frontDesk.get('/api/booking-tasks'),
      frontDesk.get('/api/waitlist'),
      frontDesk.get(`/api/patients/${w.pat}`),
      frontDesk.get(`/api/clinicians/${DR_CHEN.id}`),
    ]);
    return {
      appointments: listOf(appointments.body).map((a) => `${a.id} ${a.startsAt} ${a.status}`).sort(),
      items: listOf(items.body).map((i) => `${i.id} ${i.state} ${i.clinicianId}`).sort(),
      plan: `${plan.body.status} ${plan.body.steps.map((s: any) => s.status).join(',')}`,
      messages: listOf(messages.body).map((m) => `${m.id} ${m.status}`).sort(),
      tasks: listOf(tasks.body).map((t) => `${t.id} ${t.state ?? t.status}`).sort(),
      waitlist: listOf(waitlist.body).map((e) => `${e.id} ${e.status}`).sort(),
      patient: `${patient.body.smsOptedOut} ${patient.body.smsHold ?? ''}`,
      clinician: JSON.stringify(clinicianA.body),
    };
  };

  type Who = 'adminB' | 'frontDeskB' | 'clinicianB';
  const ACROSS: [Who, string, string, (() => unknown)?][] = [
    ['frontDeskB', 'GET', '/api/patients/{pat}'],
    ['clinicianB', 'GET', '/api/patients/{pat}/timeline'],
    ['clinicianB', 'GET', '/api/patients/{pat}/outcomes'],
    ['clinicianB', 'GET', '/api/fhir/Patient/{pat}'],
    ['clinicianB', 'GET', '/api/fhir/Patient/{pat}/$everything'],
    ['frontDeskB', 'POST', '/api/patients/{pat}/sms-opt-out', () => ({})],
    ['frontDeskB', 'POST', '/api/patients/{pat}/sms-hold/release', () => ({})],
    ['frontDeskB', 'GET', '/api/appointments/{future}'],
    ['frontDeskB', 'POST', '/api/appointments/{future}/reschedule', () => ({ startsAt: w.freeSlot })],
    ['frontDeskB', 'POST', '/api/appointments/{future}/cancel', () => ({ reason: 'not ours' })],
    ['frontDeskB', 'POST', '/api/appointments/{future}/check-in', () => ({})],
    ['frontDeskB', 'POST', '/api/appointments/{future}/no-show', () => ({})],
    ['clinicianB', 'POST', '/api/appointments/{future}/complete', () => ({ site: 'left knee' })],
    ['frontDeskB', 'POST', '/api/appointments', () => ({ patientId: w.pat, clinicianId: CLINICIAN_B, procedureType: 'bmac_injection', startsAt: w.freeSlot })],
    ['frontDeskB', 'POST', '/api/waitlist', () => ({ patientId: w.pat, procedureType: 'consultation', earliestDate: w.freeSlot.slice(0, 10), latestDate: w.freeSlot.slice(0, 10) })],
    ['frontDeskB', 'POST', '/api/waitlist/{waitlistEntry}/cancel', () => ({})],
    ['frontDeskB', 'POST', '/api/booking-tasks/{bookingTask}/complete', () => ({})],
    ['clinicianB', 'GET', '/api/follow-ups/{item}'],
    ['clinicianB', 'POST', '/api/follow-ups/{item}/complete', () => ({ note: 'not ours' })],
    ['clinicianB', 'POST', '/api/follow-ups/{item}/snooze', () => ({ until: w.freeSlot })],
    ['clinicianB', 'POST', '/api/follow-ups/{item}/reassign', () => ({ clinicianId: CLINICIAN_B })],
    ['clinicianB', 'POST', '/api/follow-ups/{item}/decision', () => ({ decision: 'no_repeat' })],
    ['clinicianB', 'GET', '/api/care-plans/{plan}'],
    ['clinicianB', 'POST', '/api/care-plans/{plan}/pause', () => ({ reason: 'not ours' })],
    ['clinicianB', 'POST', '/api/care-plans/{plan}/resume', () => ({})],
    ['clinicianB', 'POST', '/api/care-plans/{plan}/cancel', () => ({ reason: 'not ours' })],
    ['adminB', 'POST', '/api/messages/{message}/retry', () => ({})],
    ['frontDeskB', 'GET', `/api/clinicians/${DR_CHEN.id}`],
    ['adminB', 'PATCH', `/api/clinicians/${DR_CHEN.id}`, () => ({ name: 'Dr. Renamed' })],
    ['adminB', 'DELETE', '/api/clinic/closures/{closure}'],
    ['adminB', 'DELETE', '/api/time-off/{timeOff}'],
    ['adminB', 'PATCH', '/api/resources/{resource}', () => ({ name: 'Renamed room' })],
    ['adminB', 'PATCH', '/api/users/{frontDeskUserId}', () => ({ disabled: true })],
  ];
  const fill = (path: string) => path.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = (w as unknown as Record<string, unknown>)[key];
    return typeof value === 'object' && value !== null ? (value as { id: string }).id : String(value);
  });

  it("answers 404 for the other clinic's patient, appointment, follow-up item, care plan, message and setup ids, and changes nothing", async () => {
    const before = await snapshot();
    const as: Record<Who, Api> = { adminB, frontDeskB, clinicianB };
    const wrong: string[] = [];
    for (const [who, method, path, body] of ACROSS) {
      for (const caller of [who, 'adminB'] as const) {
        const answer = await as[caller].request<any>(method, fill(path), body?.());
        // A 404 of the thing asked for, not of clinic B missing something of its own.
        const right = answer.status === 404 && /\.NOT_FOUND$/.test(answer.body?.code ?? '') && !/^CLINIC\./.test(answer.body?.code ?? '');
        if (!right) wrong.push(`${caller} ${method} ${path}: ${answer.status} ${answer.body?.code ?? ''} ${answer.body?.message ?? ''}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it("keeps the shared queues to the admins of the clinic that runs the deployment: another clinic's admin can neither read nor pause them", async () => {
    expect((await admin.get('/api/me')).body.operator).toBe(true); // the demo clinic runs this deployment
    expect((await adminB.get('/api/me')).body.operator).toBe(false);
    const name = encodeURIComponent(QUEUES.outboundMessages);
    for (const [method, path] of [
      ['GET', '/api/admin/queues'],
      ['GET', `/api/admin/queues/${name}/jobs?state=failed`],
      ['POST', `/api/admin/queues/${name}/pause`],
      ['POST', `/api/admin/queues/${name}/retry-failed`],
    ] as const) {
      const answer = await adminB.request<any>(method, path, method === 'POST' ? {} : undefined);
      expect([path, answer.status]).toEqual([path, 403]);
      expect(answer.body.message).toContain('OPERATOR_CLINIC_ID');
    }
    const queues = (await admin.get<any[]>('/api/admin/queues')).body;
    expect(queues.find((q) => q.name === QUEUES.outboundMessages)).toMatchObject({ paused: false });
    // Its own failed messages stay open to it.
    expect((await adminB.get('/api/messages?status=failed')).status).toBe(200);
  });

  it("keeps the deployment's audit entries (requests nobody was signed in for, of no clinic) to the operator clinic's admins", async () => {
    const requestId = randomUUID();
    // Anonymous, with one of clinic A's patient ids in the path: refused, audited under no clinic.
    expect((await fetch(`${system.baseUrl}/api/patients/${w.pat}`, { headers: { 'X-Request-Id': requestId } })).status).toBe(401);
    const entry = await waitFor(
      async () => ((await admin.get('/api/audit-log?limit=500')).body.items as { requestId: string; clinicId: string | null }[]).find((e) => e.requestId === requestId),
      { timeoutMs: 15_000, what: 'the refused request in the audit log' },
    );
    expect(entry.clinicId).toBeNull();
    const theirs = (await adminB.get('/api/audit-log?limit=500')).body.items as { requestId: string; clinicId: string | null }[];
    expect(theirs.length).toBeGreaterThan(0); // clinic B's own entries are there
    expect(theirs.filter((e) => e.clinicId !== CLINIC_B)).toEqual([]);
  });

  it("lists none of the other clinic's data", async () => {
    const lists: [Api, string][] = [
      [frontDeskB, '/api/patients?query=Scoped'],
      [frontDeskB, `/api/patients/duplicates?phone=${q(PAT_PHONE)}`],
      [frontDeskB, `/api/appointments?patientId=${w.pat}`],
      [frontDeskB, `/api/appointments?clinicianId=${DR_CHEN.id}`],
      [frontDeskB, '/api/booking-tasks'],
      [frontDeskB, '/api/waitlist'],
      [clinicianB, '/api/follow-ups?state=open'],
      [clinicianB, `/api/care-plans?patientId=${w.pat}`],
      [clinicianB, `/api/messages?patientId=${w.pat}`],
      [clinicianB, '/api/messages'],
      [adminB, '/api/clinic/closures'],
      [adminB, '/api/time-off'],
    ];
    const leaks: string[] = [];
    const theirs = [w.pat, w.other, w.done.id, w.future.id, w.plan, w.item, w.message, w.bookingTask, w.waitlistEntry, w.closure, w.timeOff];
    for (const [api, path] of lists) {
      const answer = await api.get(path);
      if (answer.status !== 200 && answer.status !== 404) leaks.push(`${path}: ${answer.status}`);
      const text = JSON.stringify(answer.body);
      if (answer.status === 200 && theirs.some((id) => text.includes(id))) leaks.push(`${path} lists clinic A's data`);
    }
    // Their clinicians, users and resources are not ours either.
    const clinicians = listOf((await frontDeskB.get('/api/clinicians')).body).map((c) => c.id);
    expect(clinicians).toEqual([CLINICIAN_B]);
    const users = listOf((await adminB.get('/api/users')).body).map((u) => u.email).sort();
    expect(users).toEqual(['admin@second.test', 'clinician@second.test', 'frontdesk@second.test']);
    expect(JSON.stringify((await adminB.get('/api/resources')).body)).not.toContain(w.resource);
    expect(leaks).toEqual([]);
  });

  it("answers clinic A's staff 404 for clinic B's patient too", async () => {
    expect((await frontDesk.get(`/api/patients/${patientB}`)).status).toBe(404);
    expect((await clinician.get(`/api/patients/${patientB}/timeline`)).status).toBe(404);
  });
});

describe('message patterns validate their payloads', () => {
  let client: ClientProxy;
  beforeAll(async () => {
    const config = loadConfig({ REDIS_URL: system.redis.url, DATABASE_URL: system.database.url, LOG_LEVEL: 'error' });
    client = ClientProxyFactory.create(redisTransportOptions(config));
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
  });

  const ctx = () => ({ clinicId: DEMO.clinicId, userId: DEMO.users[1].id, role: 'front_desk', clinicianId: null, correlationId: randomUUID() });
  const rpc = async (pattern: string, payload: unknown): Promise<{ ok: unknown } | { error: any }> => {
    try {
      return { ok: await firstValueFrom(client.send(pattern, payload).pipe(timeout(10_000))) };
    } catch (error) {
      return { error };
    }
  };

  it.each<[string, string, () => unknown, string]>([
    ['an unknown field', PATTERNS.scheduling.appointmentsCancel, () => ({ ctx: ctx(), data: { id: w.future.id, reason: 'x', notifyPatient: false } }), 'notifyPatient'],
    ['an id that is a number', PATTERNS.scheduling.appointmentsCancel, () => ({ ctx: ctx(), data: { id: 42 } }), 'id'],
    ['startsAt that is not a date-time', PATTERNS.scheduling.appointmentsReschedule, () => ({ ctx: ctx(), data: { id: w.future.id, startsAt: 'next tuesday' } }), 'startsAt'],
    ['smsConsent as a string', PATTERNS.scheduling.patientsCreate, () => ({ ctx: ctx(), data: { firstName: 'A', lastName: 'B', phone: '+12125550866', timezone: 'America/New_York', preferredChannel: 'sms', smsConsent: 'yes' } }), 'smsConsent'],
    ['a note that is an object', PATTERNS.followup.itemsComplete, () => ({ ctx: { ...ctx(), role: 'clinician' }, data: { id: w.item, note: { text: 'x' } } }), 'note'],
    ['a role nobody has', PATTERNS.followup.itemsComplete, () => ({ ctx: { ...ctx(), role: 'owner' }, data: { id: w.item } }), 'ctx.role'],
    ['no clinic in the context', PATTERNS.notifications.messagesList, () => ({ ctx: { ...ctx(), clinicId: undefined }, data: { patientId: w.pat } }), 'ctx.clinicId'],
    ['a field beside ctx and data', PATTERNS.notifications.smsOptOut, () => ({ ctx: ctx(), data: { id: w.pat }, sudo: true }), 'sudo'],
    ['a limit that is a string', PATTERNS.notifications.messagesList, () => ({ ctx: ctx(), data: { limit: '10' } }), 'data.limit'],
  ])('%s (%s) is refused with a 400 naming the field, and nothing changes', async (_why, pattern, payload, field) => {
    const answer = await rpc(pattern, payload());
    expect(answer).toMatchObject({ error: { statusCode: 400, code: 'REQUEST.INVALID', field: expect.stringContaining(field.replace(/^data\./, '')) } });
    expect((answer as { error: any }).error.message).toEqual(expect.stringContaining(field.replace(/^(data|ctx)\./, '')));
    const future = await frontDesk.get(`/api/appointments/${w.future.id}`);
    expect(future.body.status).toBe('booked');
    expect((await frontDesk.get(`/api/patients/${w.pat}`)).body.smsOptedOut).toBe(false);
  });

  it('still answers a well-formed request', async () => {
    const answer = await rpc(PATTERNS.scheduling.appointmentsGet, { ctx: ctx(), data: { id: w.future.id } });
    expect(answer).toMatchObject({ ok: { id: w.future.id, status: 'booked' } });
  });
});

describe('fuzzing every POST/PUT/PATCH body never gets a 5xx', () => {
  const SEED = Number(process.env.FUZZ_SEED ?? 20_260_808);
  const RUNS = Number(process.env.FUZZ_RUNS ?? 30);

  /** A valid body per route, to mutate; routes not here get arbitrary bodies only. */
  const VALID: Record<string, () => Record<string, unknown>> = {
    'POST /api/auth/login': () => ({ email: 'nobody@fuzz.test', password: 'not-a-real-password' }),
    'POST /api/patients': () => ({ firstName: 'Fuzz', lastName: 'Case', phone: '+12125550855', email: 'fuzz@example.com', timezone: 'America/New_York', preferredChannel: 'both', smsConsent: true }),
    'POST /api/appointments': () => ({ patientId: w.other, clinicianId: DR_OKAFOR.id, procedureType: 'consultation', startsAt: w.freeSlot, notes: 'fuzz' }),
    'POST /api/appointments/:id/reschedule': () => ({ startsAt: w.freeSlot }),
    'POST /api/appointments/:id/cancel': () => ({ reason: 'fuzz' }),
    'POST /api/appointments/:id/complete': () => ({ notes: 'fuzz', site: 'left knee' }),
    'POST /api/follow-ups/:id/complete': () => ({ note: 'fuzz', seenOccurrences: 1 }),
    'POST /api/follow-ups/:id/snooze': () => ({ until: w.freeSlot, note: 'fuzz' }),
    'POST /api/follow-ups/:id/reassign': () => ({ clinicianId: DR_OKAFOR.id, note: 'fuzz' }),
    'POST /api/follow-ups/:id/decision': () => ({ decision: 'reassess', reassessInWeeks: 4, note: 'fuzz' }),
    'PUT /api/escalation-rules': () => ({ highScore: 8, riseBy: 3, missedInARow: 2, answerWindowHours: 48, freeText: true, emailAlerts: false }),
    'POST /api/care-plans/:id/pause': () => ({ reason: 'fuzz' }),
    'POST /api/care-plans/:id/resume': () => ({ reason: 'fuzz' }),
    'POST /api/care-plans/:id/cancel': () => ({ reason: 'fuzz' }),
    'POST /api/waitlist': () => ({ patientId: w.other, procedureType: 'consultation', earliestDate: w.freeSlot.slice(0, 10), latestDate: w.freeSlot.slice(0, 10), notes: 'fuzz' }),
    'PATCH /api/clinic': () => ({ gridMinutes: 15, openingHours: { '1': [{ start: '08:00', end: '18:00' }] } }),
    'POST /api/clinic/closures': () => ({ date: '2031-01-02', reason: 'fuzz' }),
    'POST /api/clinicians': () => ({ name: 'Dr. Fuzz', email: 'drfuzz@example.com', weeklyHours: { '2': [{ start: '09:00', end: '12:00' }] } }),
    'PATCH /api/clinicians/:id': () => ({ name: 'Dr. Fuzz', active: true }),
    'POST /api/time-off': () => ({ clinicianId: DR_OKAFOR.id, startsAt: '2031-01-03T09:00:00-05:00', endsAt: '2031-01-03T10:00:00-05:00', reason: 'fuzz' }),
    'POST /api/resources': () => ({ kind: 'room', category: 'consultation_room', name: 'Fuzz room', features: ['ultrasound'] }),
    'PATCH /api/resources/:id': () => ({ name: 'Fuzz room', features: [], active: true }),
    'POST /api/procedure-types': () => ({ code: 'fuzz_visit', name: 'Fuzz visit', durationMinutes: 30, bufferAfterMinutes: 0, requires: [{ category: 'consultation_room' }] }),
    'PATCH /api/procedure-types/:code': () => ({ name: 'Consultation', durationMinutes: 30 }),
    'POST /api/protocols': () => ({ code: 'fuzz-protocol', name: 'Fuzz', procedureType: 'consultation', steps: [{ key: 'aftercare', kind: 'aftercare', offset: 'PT2H' }] }),
    'POST /api/protocols/:code/versions': () => ({ steps: [{ key: 'aftercare', kind: 'aftercare', offset: 'PT2H' }], note: 'fuzz' }),
    'PATCH /api/protocols/:code': () => ({ active: true }),
    'POST /api/templates/preview': () => ({ kind: 'reminder', language: 'en', smsBody: 'Hi {{firstName}}', values: { firstName: 'Fuzz' } }),
    'PUT /api/templates/:kind/:language': () => ({ smsBody: 'Hi {{firstName}}, see you soon. Reply STOP to opt out.' }),
    'POST /api/users': () => ({ email: 'fuzz@example.com', name: 'Fuzz', role: 'front_desk', password: 'fuzz-password-123' }),
    'PATCH /api/users/:id': () => ({ name: 'Fuzz' }),
    'POST /api/admin/queues/:name/retry-failed': () => ({}),
  };
  /** Real targets, so a body that passes validation reaches the service's rules. */
  const paramsFor = (route: Route) => (name: string): string => {
    if (name === 'code') return route.path.includes('protocols') ? 'bmac-standard' : 'consultation';
    if (name === 'kind') return 'reminder';
    if (name === 'language') return 'en';
    if (name === 'name') return 'care-plan-steps';
    if (route.path.startsWith('/api/appointments')) return w.future.id;
    if (route.path.startsWith('/api/follow-ups')) return w.item;
    if (route.path.startsWith('/api/care-plans')) return w.plan;
    if (route.path.startsWith('/api/patients')) return w.other;
    if (route.path.startsWith('/api/waitlist')) return w.waitlistEntry;
    if (route.path.startsWith('/api/booking-tasks')) return w.bookingTask;
    if (route.path.startsWith('/api/messages')) return w.message;
    if (route.path.startsWith('/api/clinicians')) return DR_OKAFOR.id;
    if (route.path.startsWith('/api/resources')) return w.resource;
    return randomUUID();
  };

  const json = fc.jsonValue({ maxDepth: 3 });
  const nasty = fc.oneof(json, fc.constantFrom<unknown>('', ' ', '\u0000', 'x'.repeat(5000), -1, 0, 1e308, -0.5, true, null, [], {}, '2030-02-30', '9999-12-31T00:00:00Z', 'P99999D', '00000000-0000-0000-0000-000000000000'));
  const arbitraryBody = fc.oneof(fc.dictionary(fc.string({ maxLength: 12 }), nasty, { maxKeys: 5 }), json);
  const mutation = (valid: Record<string, unknown>) => {
    const keys = Object.keys(valid);
    return fc.oneof(
      keys.length ? fc.tuple(fc.constantFrom(...keys), nasty).map(([k, v]) => ({ ...valid, [k]: v })) : fc.constant(valid),
      keys.length ? fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(valid).filter(([key]) => key !== k))) : fc.constant({}),
      fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), nasty).map(([k, v]) => ({ ...valid, [k]: v })),
    );
  };

  it('arbitrary and near-valid bodies on every write route get an answer below 500', async () => {
    // Twilio's webhooks take forms, not JSON; unclassified routes fail the matrix test above.
    const writes = routes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method) && MATRIX[r.key] !== undefined && MATRIX[r.key] !== 'twilio');
    expect(writes.length).toBeGreaterThan(40);
    const failures: string[] = [];
    /** Routes where some body got past the gateway's validation to the service's rules. */
    const pastValidation = new Set<string>();
    for (const route of writes) {
      // The clock is not moved by fuzzing: a valid advance would run weeks of jobs.
      const valid = route.key === 'POST /api/dev/clock/advance' ? undefined : VALID[route.key];
      const bodies = valid ? fc.oneof(arbitraryBody, mutation(valid())) : arbitraryBody;
      const path = fillParams(route.path, paramsFor(route));
      const access = MATRIX[route.key]!;
      const token = access === 'public' || access === 'twilio' ? null : tokens[access.includes('clinician') ? 'clinician' : 'admin'];
      const result = await fc.check(
        fc.asyncProperty(bodies, async (body) => {
          const answer = await send(system.baseUrl, route.method, path, { token, json: body });
          if (answer.status !== 400) pastValidation.add(route.key);
          return answer.status < 500;
        }),
        { seed: SEED, numRuns: route.key === 'POST /api/dev/clock/advance' ? 10 : RUNS },
      );
      if (result.failed) failures.push(`${route.key}: ${JSON.stringify(result.counterexample?.[0])} (seed ${SEED}, path ${result.counterexamplePath})`);
    }
    expect(failures).toEqual([]);
    // The near-valid bodies do reach the services, so their rules are fuzzed too, not only the DTOs.
    expect(pastValidation.size).toBeGreaterThan(writes.length / 2);
  }, 240_000);
});
