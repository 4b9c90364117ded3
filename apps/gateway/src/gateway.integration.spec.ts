import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import twilio from 'twilio';
import { DEMO } from '@aftercare/contracts';
import { loadConfig, type AppConfig } from '@aftercare/config';
import { createTestDatabase, freePort, PrivateRedis, waitFor, type TestDatabase } from '@aftercare/testing';
import { bootstrapGateway } from './main.js';
import { seedDemoUsers } from './users/demo-users.seeder.js';

/**
 * The gateway on its own, over real HTTP, against a fresh PostgreSQL database and a private
 * Redis on a spare port (so no other running system can answer its requests). No service runs, so only what the
 * gateway decides by itself is asserted: auth, roles, validation, signatures, the dev routes.
 */
const TWILIO_TOKEN = 'gateway-test-auth-token';
const redis = new PrivateRedis();
beforeAll(() => redis.start(), 30_000);
afterAll(() => redis.stop(), 30_000);

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

async function boot(db: TestDatabase, env: Record<string, string>): Promise<{ app: INestApplication; base: string; config: AppConfig }> {
  const port = await freePort();
  const config = loadConfig({
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    JWT_SECRET: 'integration-test-secret-integration-test-secret',
    LOG_LEVEL: 'error',
    ...env,
  });
  const app = await bootstrapGateway(config);
  return { app, base: `http://127.0.0.1:${port}`, config };
}

function call(base: string, method: string, path: string, options: { token?: string; json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  if (options.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  return fetch(base + path, { method, headers, body }).then(async (res) => {
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* TwiML or empty */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  });
}

const validPatient = {
  firstName: 'Ana',
  lastName: 'Lima',
  phone: '+12125550123',
  email: 'ana@example.com',
  timezone: 'America/New_York',
  preferredChannel: 'sms',
  smsConsent: true,
};

describe('gateway over HTTP in production mode (no virtual clock, Twilio signatures on)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let base: string;
  let adminToken: string;
  let frontDeskToken: string;

  beforeAll(async () => {
    db = await createTestDatabase('aftercare_test_gw');
    ({ app, base } = await boot(db, { NODE_ENV: 'production', TWILIO_AUTH_TOKEN: TWILIO_TOKEN }));
    // Production seeds no demo users; the test puts them in itself (and checks it is idempotent).
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      expect(await seedDemoUsers(drizzle({ client: pool }))).toBe(DEMO.users.length);
      expect(await seedDemoUsers(drizzle({ client: pool }))).toBe(0);
    } finally {
      await pool.end();
    }
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  }, 30_000);

  const login = async (email: string, password: string = DEMO.password) => call(base, 'POST', '/api/auth/login', { json: { email, password } });

  it('logs the seeded admin in and answers the token and the user', async () => {
    const res = await login('Admin@Aftercare.local');
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: DEMO.users[0].id, email: 'admin@aftercare.local', name: DEMO.users[0].name, role: 'admin' });
    expect(res.body.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    adminToken = res.body.accessToken;
    frontDeskToken = (await login('frontdesk@aftercare.local')).body.accessToken;

    const me = await call(base, 'GET', '/api/me', { token: adminToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'admin', clinicId: DEMO.clinicId });
  });

  it('answers 401 with the same message for a wrong password and an unknown e-mail', async () => {
    const wrong = await login('admin@aftercare.local', 'not-the-password');
    const unknown = await login('nobody@aftercare.local');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Email or password is incorrect' });
    expect(unknown.body.message).toBe(wrong.body.message);
  });

  it('refuses an /api request without a token, or with a bad one, with 401', async () => {
    const none = await call(base, 'GET', '/api/patients');
    expect(none.status).toBe(401);
    expect(none.body.message).toMatch(/Bearer/);
    const forged = await call(base, 'GET', '/api/patients', { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' });
    expect(forged.status).toBe(401);
  });

  it('refuses an expired token with 401, though it is signed with the right key', async () => {
    const jwt = new JwtService({ secret: 'integration-test-secret-integration-test-secret' });
    const admin = DEMO.users.find((u) => u.role === 'admin')!;
    // A token needs an open session: the one of a real sign-in.
    const { sid } = jwt.decode<{ sid: string }>((await login('admin@aftercare.local')).body.accessToken);
    const claims = { sub: admin.id, sid, role: 'admin', clinicId: DEMO.clinicId, clinicianId: null };
    const fresh = await jwt.signAsync(claims, { expiresIn: 60 });
    expect((await call(base, 'GET', '/api/me', { token: fresh })).status).toBe(200);
    const expired = await jwt.signAsync({ ...claims, exp: Math.floor(Date.now() / 1000) - 5 });
    const answer = await call(base, 'GET', '/api/me', { token: expired });
    expect(answer.status).toBe(401);
  });

  it('keeps the due list from the front desk (403) and lets a clinician through the guard', async () => {
    const res = await call(base, 'GET', '/api/follow-ups', { token: frontDeskToken });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    expect(res.body.message).toMatch(/front_desk/);
    for (const path of ['/api/care-plans', '/api/messages', `/api/patients/${DEMO.clinicId}/timeline`]) {
      expect((await call(base, 'GET', path, { token: frontDeskToken })).status).toBe(403);
    }
    const complete = await call(base, 'POST', `/api/appointments/${DEMO.clinicId}/complete`, { token: frontDeskToken, json: {} });
    expect(complete.status).toBe(403);
  });

  it('lets the front desk reach its booking tasks and checks their query (400 naming the field)', async () => {
    // No service runs here: a request that passes the guard and the validation would wait for
    // followup, so only refusals are asserted; a 400 shows the guard let the front desk through.
    const badState = await call(base, 'GET', '/api/booking-tasks?state=overdue', { token: frontDeskToken });
    expect(badState.body).toMatchObject({ statusCode: 400, field: 'state', message: 'state must be one of open, done' });
    const badPatient = await call(base, 'GET', '/api/booking-tasks?patientId=42', { token: frontDeskToken });
    expect(badPatient.body).toMatchObject({ statusCode: 400, field: 'patientId' });
    const unknown = await call(base, 'GET', '/api/booking-tasks?kind=booking_task', { token: frontDeskToken });
    expect(unknown.body).toMatchObject({ statusCode: 400, field: 'kind' });
    expect((await call(base, 'GET', '/api/booking-tasks')).status).toBe(401);
  });

  it.each([
    ['a bad phone', { ...validPatient, phone: '555-0100' }, 'phone', /phone must be an E\.164 phone number such as \+12125550100/],
    ['a bad time zone', { ...validPatient, timezone: 'Mars/Olympus_Mons' }, 'timezone', /timezone must be an IANA time zone/],
    ['a bad e-mail', { ...validPatient, email: 'ana-at-example' }, 'email', /email must be an e-mail address/],
    ['an unknown field', { ...validPatient, nickname: 'Annie' }, 'nickname', /nickname is not a field of this request/],
    ['a missing field', { ...validPatient, smsConsent: undefined }, 'smsConsent', /smsConsent is required/],
  ])('answers 400 naming the field for POST /api/patients with %s', async (_what, body, field, message) => {
    const res = await call(base, 'POST', '/api/patients', { token: frontDeskToken, json: body });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', field });
    expect(res.body.message).toMatch(message);
    // Never echoes the submitted value back (it may be patient data).
    expect(JSON.stringify(res.body)).not.toContain('Olympus');
  });

  it('answers 400 for a malformed id, a bad query value, a bad Idempotency-Key and bad JSON', async () => {
    const badId = await call(base, 'GET', '/api/appointments/not-a-uuid', { token: frontDeskToken });
    expect(badId.body).toMatchObject({ statusCode: 400, field: 'id' });
    const badState = await call(base, 'GET', '/api/follow-ups?state=someday', { token: adminToken });
    expect(badState.body).toMatchObject({ statusCode: 400, field: 'state' });
    const badKey = await call(base, 'POST', '/api/appointments', {
      token: frontDeskToken,
      headers: { 'Idempotency-Key': 'x'.repeat(201) },
      json: { patientId: DEMO.clinicId, clinicianId: DEMO.clinicians[0].id, procedureType: 'bmac_injection', startsAt: '2030-01-07T10:00:00-05:00' },
    });
    expect(badKey.body).toMatchObject({ statusCode: 400, field: 'Idempotency-Key' });
    const bodyOnCheckIn = await call(base, 'POST', `/api/appointments/${DEMO.clinicId}/check-in`, { token: frontDeskToken, json: { at: 'now' } });
    expect(bodyOnCheckIn.body).toMatchObject({ statusCode: 400, field: 'at' });
    const badJson = await fetch(`${base}/api/patients`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${frontDeskToken}`, 'Content-Type': 'application/json' },
      body: '{"firstName": ',
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ statusCode: 400, message: 'The request body is not valid JSON' });
  });

  it('audits changing requests by route pattern, user and status, without bodies', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // Entries are written once the answer has gone out, so wait for them rather than assume.
      const rows = await waitFor(
        async () => {
          const { rows } = await client.query(
            `SELECT user_id, method, route, status_code FROM gateway.audit_log WHERE route = '/api/patients' AND status_code = 400`,
          );
          return rows.length >= 5 ? rows : null;
        },
        { what: 'audit entries of the refused POST /api/patients' },
      );
      expect(rows[0]).toEqual({ user_id: DEMO.users[1].id, method: 'POST', route: '/api/patients', status_code: 400 });
      const denied = await client.query(`SELECT status_code FROM gateway.audit_log WHERE route = '/api/appointments/:id/complete'`);
      expect(denied.rows).toEqual([{ status_code: 403 }]);
    } finally {
      await client.end();
    }
  });

  it('refuses Twilio webhooks without an X-Twilio-Signature (400) or with a wrong one (403)', async () => {
    const form = { MessageSid: 'SM0123', From: '+12125550123', To: '+12125550100', Body: 'C' };
    const unsigned = await call(base, 'POST', '/webhooks/twilio/sms', { form });
    expect(unsigned.status).toBe(400);
    const wrongKey = twilio.getExpectedTwilioSignature('another-token', `${base}/webhooks/twilio/sms`, form);
    const forged = await call(base, 'POST', '/webhooks/twilio/sms', { form, headers: { 'X-Twilio-Signature': wrongKey } });
    expect(forged.status).toBe(403);
    const status = await call(base, 'POST', '/webhooks/twilio/status', { form: { MessageSid: 'SM0123', MessageStatus: 'delivered' } });
    expect(status.status).toBe(400);
    const statusForm = { MessageSid: 'SM0123', MessageStatus: 'delivered' };
    const forgedStatus = await call(base, 'POST', '/webhooks/twilio/status', {
      form: statusForm,
      headers: { 'X-Twilio-Signature': twilio.getExpectedTwilioSignature('another-token', `${base}/webhooks/twilio/status`, statusForm) },
    });
    expect(forgedStatus.status).toBe(403);
  });

  it('checks presence of the fields of a correctly signed webhook (400 naming the field)', async () => {
    const form = { MessageSid: 'SM0123', From: '+12125550123', To: '+12125550100', AccountSid: 'AC123' };
    const signature = twilio.getExpectedTwilioSignature(TWILIO_TOKEN, `${base}/webhooks/twilio/sms`, form);
    const res = await call(base, 'POST', '/webhooks/twilio/sms', { form, headers: { 'X-Twilio-Signature': signature } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field: 'Body' });
  });

  it('keeps an idle connection open for 65 s, longer than a load balancer in front (no reset mid-request after 5 s)', async () => {
    const res = await fetch(`${base}/health/live`);
    await res.arrayBuffer();
    expect(res.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('has no /api/dev routes in production: 404, even without a token', async () => {
    expect((await call(base, 'GET', '/api/dev/clock', { token: adminToken })).status).toBe(404);
    expect((await call(base, 'GET', '/api/dev/clock')).status).toBe(404);
    expect((await call(base, 'POST', '/api/dev/clock/advance', { token: adminToken, json: { by: 'P1D' } })).status).toBe(404);
  });

  it('reports database and Redis health (the services are not running here)', async () => {
    const res = await call(base, 'GET', '/health');
    expect([200, 503]).toContain(res.status);
    expect(res.body.checks).toMatchObject({ database: 'ok', redis: 'ok' });
  });
});

describe('gateway over HTTP with the virtual clock', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase('aftercare_test_gw');
    ({ app, base } = await boot(db, { VIRTUAL_CLOCK: 'true' }));
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  }, 30_000);

  it('shows the clock to an admin only and validates the advance duration', async () => {
    const token = async (email: string) => (await call(base, 'POST', '/api/auth/login', { json: { email, password: DEMO.password } })).body.accessToken as string;
    const admin = await token('admin@aftercare.local');
    const clinician = await token('clinician@aftercare.local');

    const clock = await call(base, 'GET', '/api/dev/clock', { token: admin });
    expect(clock.status).toBe(200);
    expect(clock.body).toEqual({ now: expect.any(String), offsetMs: 0 });
    expect((await call(base, 'GET', '/api/dev/clock', { token: clinician })).status).toBe(403);

    for (const by of ['P401D', '-P1D', 'PT0S', 'fortnight']) {
      const res = await call(base, 'POST', '/api/dev/clock/advance', { token: admin, json: { by } });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ field: 'by' });
    }
  });
});
