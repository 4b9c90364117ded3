import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { DEMO } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import { Api } from './support/api.js';
import { advanceClockTo, bookAndFinish, carePlansOf, startOnMondayMorning } from './support/journey-steps.js';
import { TestSystem } from './support/test-system.js';

/**
 * Issue 8, point 6: no patient data in Redis, in logs or in error messages. A patient registered
 * with canary values (a name, a phone number, an e-mail address and words no one else uses)
 * goes through the journey — booking, completion with notes, check-ins answered by SMS through
 * the signed webhook, free text, Twilio failing the sends, requests refused as invalid with the
 * canaries in them — and then every key and value in Redis (all types) and every log line of
 * every service (debug level) are searched for the canaries. Also checks that the audit log
 * followed the patient by id.
 */

const letters = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + randomInt(26))).join('');
const TAG = letters(10);
const FIRST = `Canarya${TAG.slice(0, 5)}`;
const LAST = `Canaryb${TAG.slice(5)}`;
const NATIONAL = `31255501${String(randomInt(100)).padStart(2, '0')}`;
const PHONE = `+1${NATIONAL}`;
const EMAIL = `canary.${TAG}@example.com`;
const NOTES = `canary notes ${TAG}n`;
const FREE_TEXT = `my knee feels like ${TAG}t today`;
const INVALID = `canary invalid ${TAG}v`;

/** Every string that must appear nowhere outside PostgreSQL and the patient's own messages. */
const CANARIES = [FIRST, LAST, PHONE, NATIONAL, EMAIL, `canary.${TAG}`, NOTES, `${TAG}n`, FREE_TEXT, `${TAG}t`, INVALID, `${TAG}v`, TAG];

/** Every key and value of the Redis server, of every type, as text to search. */
async function dumpRedis(url: string): Promise<{ keys: number; text: string }> {
  const redis = new Redis(url);
  const parts: string[] = [];
  let keys = 0;
  try {
    let cursor = '0';
    do {
      const [next, batch] = await redis.scanBuffer(cursor, 'COUNT', 1000);
      cursor = next.toString();
      for (const keyBuffer of batch) {
        keys++;
        const key = keyBuffer.toString('utf8');
        parts.push(key);
        const type = await redis.type(key);
        const values: Buffer[] = [];
        if (type === 'string') values.push((await redis.getBuffer(key)) ?? Buffer.alloc(0));
        else if (type === 'hash') values.push(...Object.entries(await redis.hgetallBuffer(key)).flatMap(([field, value]) => [Buffer.from(field), value]));
        else if (type === 'list') values.push(...(await redis.lrangeBuffer(key, 0, -1)));
        else if (type === 'set') values.push(...(await redis.smembersBuffer(key)));
        else if (type === 'zset') values.push(...(await redis.zrangeBuffer(key, '0', '-1')));
        else if (type === 'stream') {
          for (const [id, fields] of (await redis.xrange(key, '-', '+')) as [string, string[]][]) values.push(Buffer.from(id), ...fields.map((f) => Buffer.from(f)));
        } else if (type !== 'none') parts.push(`(unread type ${type})`);
        for (const value of values) parts.push(value.toString('utf8'));
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return { keys, text: parts.join('\n') };
}

function leaksIn(text: string): string[] {
  const lower = text.toLowerCase();
  return CANARIES.filter((canary) => lower.includes(canary.toLowerCase()));
}

describe('no patient data in Redis, logs or error messages', () => {
  // Debug level: every log line any service can write is searched.
  const system = new TestSystem({ LOG_LEVEL: 'debug' });
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;
  let patientId: string;
  let appointmentId: string;
  /** Error answers the API gave during the journey, searched too. */
  const errorAnswers: string[] = [];

  const expectRedisClean = async (when: string) => {
    const { keys, text } = await dumpRedis(system.redis.url);
    expect(keys).toBeGreaterThan(0);
    expect({ when, leaks: leaksIn(text) }).toEqual({ when, leaks: [] });
  };
  const reply = async (body: string) => {
    const answer = await system.inboundSms(PHONE, body);
    expect(answer.status).toBe(200);
  };

  beforeAll(async () => {
    [frontDesk, clinician, admin] = await startOnMondayMorning(system, 'America/Chicago');
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  it('registers the canary patient and books, completes and plans the procedure', async () => {
    const created = await frontDesk.post('/api/patients', {
      firstName: FIRST,
      lastName: LAST,
      phone: PHONE,
      email: EMAIL,
      timezone: 'America/Chicago',
      preferredChannel: 'both',
      smsConsent: true,
    });
    expect(created.status).toBe(201);
    patientId = created.body.id;
    const booked = await bookAndFinish(frontDesk, admin, patientId, DEMO.clinicians[0].id);
    appointmentId = booked.id;
    await system.twilio.waitForMessages(1, { to: PHONE, timeoutMs: 15_000 });
    const completed = await clinician.post(`/api/appointments/${appointmentId}/complete`, { site: 'left knee', notes: NOTES });
    expect(completed.status).toBe(200);
    await carePlansOf(clinician, patientId);
    // Reads that bring patient data through the gateway (search by name included).
    expect((await frontDesk.get(`/api/patients?query=${encodeURIComponent(LAST)}`)).status).toBe(200);
    expect((await clinician.get(`/api/patients/${patientId}/timeline`)).status).toBe(200);
    await expectRedisClean('after booking and completion');
  }, 90_000);

  it('Twilio failing the aftercare SMS with the phone number in its error: retried, nothing leaks', async () => {
    const plan = (await carePlansOf(clinician, patientId))[0];
    const aftercare = plan.steps.find((s: { kind: string }) => s.kind === 'aftercare');
    system.twilio.failNext(1, { status: 500, message: `Internal error sending to ${PHONE}` }, { to: PHONE });
    system.twilio.failNext(1, { status: 429, code: 20429, message: `Too many requests for ${PHONE}` }, { to: PHONE });
    await advanceClockTo(admin, new Date(new Date(aftercare.dueAt).getTime() + 60_000));
    await waitFor(() => system.twilio.pendingFaults === 0 || undefined, { timeoutMs: 30_000, what: 'both provider failures to be hit' });
    // Mid-retry: the failed job's reason and stack are in Redis now, if anywhere.
    await expectRedisClean('while the aftercare SMS waits for its retry');
    await advanceClockTo(admin, new Date(new Date(aftercare.dueAt).getTime() + 30 * 60_000));
    const aftercareSms = await waitFor(
      async () => (await clinician.get<any[]>(`/api/messages?patientId=${patientId}`)).body.find((m) => m.kind === 'aftercare' && m.channel === 'sms' && m.status === 'sent'),
      { timeoutMs: 20_000, what: 'the aftercare SMS to go out after its retries' },
    );
    expect(aftercareSms.attempts ?? 3).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('check-ins answered by SMS, with a pain score and free text', async () => {
    const plan = (await carePlansOf(clinician, patientId))[0];
    const checkins = plan.steps.filter((s: { kind: string }) => s.kind === 'checkin').sort((a: { dueAt: string }, b: { dueAt: string }) => a.dueAt.localeCompare(b.dueAt));
    await advanceClockTo(admin, new Date(new Date(checkins[0].dueAt).getTime() + 60_000));
    await reply('4');
    await advanceClockTo(admin, new Date(new Date(checkins[1].dueAt).getTime() + 60_000));
    await reply('9');
    await reply(FREE_TEXT);
    const attention = await waitFor(
      async () => {
        const items = (await clinician.get<any[]>(`/api/follow-ups?kind=attention`)).body.filter((i) => i.patient.id === patientId);
        return items.length >= 2 ? items : undefined;
      },
      { timeoutMs: 20_000, what: 'attention items for the high score and the free text' },
    );
    expect(attention.length).toBeGreaterThanOrEqual(2);
    await expectRedisClean('after the check-in answers');
  }, 90_000);

  // Values only: an unknown field is named back to its sender (the API's contract), whatever its name.
  it('requests refused as invalid never echo the canaries back', async () => {
    const answers = [
      await frontDesk.post('/api/patients', { firstName: INVALID, lastName: LAST, phone: `${INVALID} ${PHONE}`, timezone: 'America/Chicago', preferredChannel: 'sms', smsConsent: true }),
      await frontDesk.post('/api/patients', { firstName: FIRST, lastName: LAST, phone: PHONE, email: `${INVALID}@`, timezone: 'America/Chicago', preferredChannel: 'sms', smsConsent: true }),
      await frontDesk.post('/api/patients', { firstName: FIRST, lastName: LAST, phone: PHONE, timezone: `Mars/${INVALID}`, preferredChannel: 'sms', smsConsent: true, notes: INVALID }),
      await clinician.post(`/api/appointments/${appointmentId}/complete`, { notes: `${INVALID} `.repeat(400) }),
      await clinician.post(`/api/appointments/${appointmentId}/reschedule`, { startsAt: INVALID }),
      await frontDesk.get(`/api/patients/${encodeURIComponent(INVALID)}`),
      await frontDesk.get(`/api/appointments?patientId=${encodeURIComponent(EMAIL)}`),
    ];
    for (const answer of answers) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      errorAnswers.push(JSON.stringify(answer.body));
    }
    // Bad JSON with a canary in it: the parser's message quotes the text it choked on.
    const badJson = await fetch(`${system.baseUrl}/api/patients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: (await tokenOf(frontDesk)) },
      body: `{"firstName": ${FIRST}, "phone": "${PHONE}"`,
    });
    expect(badJson.status).toBe(400);
    errorAnswers.push(await badJson.text());
    // A forged webhook with the patient's number and words in it.
    const forged = await system.twilio.sendInboundSms(`${system.baseUrl}/webhooks/twilio/sms`, { from: PHONE, to: '+15005550006', body: FREE_TEXT }, { sign: { authToken: 'not-the-token' } });
    expect(forged.status).toBe(403);
    errorAnswers.push(forged.body);
    expect(errorAnswers.filter((answer) => leaksIn(answer).length > 0)).toEqual([]);
  });

  it('the audit log followed the patient by id: registration, reads, the completion and a refused read', async () => {
    const refused = await frontDesk.get(`/api/messages?patientId=${patientId}`);
    expect(refused.status).toBe(403);
    const requestId = refused.headers.get('x-request-id');
    const entries = await waitFor(
      async () => {
        const page = await admin.get(`/api/audit-log?patientId=${patientId}&limit=500`);
        return page.body.items.some((e: { requestId: string }) => e.requestId === requestId) ? page.body.items : undefined;
      },
      { timeoutMs: 10_000, what: 'the refused read in the audit log' },
    );
    const [frontDeskUser, clinicianUser] = [DEMO.users.find((u) => u.role === 'front_desk')!, DEMO.users.find((u) => u.role === 'clinician')!];
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: frontDeskUser.id, action: 'create', recordType: 'patient', recordId: patientId, outcome: 201 }),
        expect.objectContaining({ userId: frontDeskUser.id, action: 'create', recordType: 'appointment', recordId: appointmentId, outcome: 201 }),
        expect.objectContaining({ userId: clinicianUser.id, action: 'update', recordType: 'appointment', recordId: appointmentId, route: '/api/appointments/:id/complete', outcome: 200 }),
        expect.objectContaining({ userId: clinicianUser.id, action: 'read', recordType: 'patient', route: '/api/patients/:id/timeline', outcome: 200 }),
        expect.objectContaining({ userId: clinicianUser.id, action: 'read', recordType: 'message', outcome: 200 }),
        expect.objectContaining({ userId: frontDeskUser.id, action: 'deny', recordType: 'message', outcome: 403, requestId }),
      ]),
    );
    expect(leaksIn(JSON.stringify(entries))).toEqual([]);
  });

  it('finally: no canary in any Redis key or value, nor in any log line of any service', async () => {
    await admin.advance('PT1S'); // every outbox delivered, every due job run
    await expectRedisClean('at the end');
    expect(system.logs.length).toBeGreaterThan(100); // debug level: the services did talk
    const leaking = system.logs.filter((line) => leaksIn(line).length > 0);
    expect(leaking).toEqual([]);
  });
});

/** The Authorization header an Api sends (the fetch above bypasses Api on purpose). */
async function tokenOf(api: Api): Promise<string> {
  return `Bearer ${(api as unknown as { token: string }).token}`;
}
