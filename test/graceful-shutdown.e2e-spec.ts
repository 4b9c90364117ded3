import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { DateTime } from 'luxon';
import pg from 'pg';
import { BULLMQ_PREFIX, DEMO, QUEUES } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import type { Api } from './support/api.js';
import { registerPatient, startOnMondayMorning } from './support/journey-steps.js';
import { TestSystem } from './support/test-system.js';

/**
 * Issue 8, Operations 5: SIGTERM (a deploy, `docker compose stop`, a scale-down) lets a service
 * finish what it is doing and take nothing new, then exit 0 — nothing sent twice, nothing lost.
 */

const ZONE = 'America/New_York';
/** Under the shutdown deadline (10 s), well over the time a SIGTERM takes to arrive. */
const SLOW_ANSWER_MS = 4_000;

describe('graceful shutdown', () => {
  // One send at a time: while the slow one is with the provider, the others wait in the queue,
  // not started. LOG_LEVEL log: the test waits for the gateway's "advancing the virtual clock".
  const system = new TestSystem({ MESSAGE_SEND_CONCURRENCY: '1', PROVIDER_CONCURRENCY: '1', LOG_LEVEL: 'log' });
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;
  let outbound: Queue;
  let db: pg.Pool;

  beforeAll(async () => {
    [frontDesk, clinician, admin] = await startOnMondayMorning(system, ZONE);
    outbound = new Queue(QUEUES.outboundMessages, { connection: { host: '127.0.0.1', port: system.redis.port }, prefix: BULLMQ_PREFIX });
    db = new pg.Pool({ connectionString: system.database.url, max: 1 });
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await outbound?.close();
    await system.stop();
  }, 60_000);

  /** Books a procedure three or more days ahead: its confirmation goes now, its reminders days later. */
  const book = async (patientId: string) => {
    const now = DateTime.fromJSDate(await admin.now());
    const range = `from=${encodeURIComponent(now.plus({ days: 3 }).toISO()!)}&to=${encodeURIComponent(now.plus({ days: 10 }).toISO()!)}`;
    const clinicianId = DEMO.clinicians[1].id;
    const slots = await frontDesk.get(`/api/availability?clinicianId=${clinicianId}&procedureType=bmac_injection&${range}`);
    // Each patient takes a different slot of the first free ones.
    const taken = (await frontDesk.get<any[]>(`/api/appointments?clinicianId=${clinicianId}`)).body.map((a) => a.startsAt);
    const slot = slots.body.slots.find((s: { startsAt: string }) => !taken.includes(s.startsAt));
    const booked = await frontDesk.post('/api/appointments', { patientId, clinicianId, procedureType: 'bmac_injection', startsAt: slot.startsAt });
    if (booked.status !== 201) throw new Error(`book: ${booked.status} ${JSON.stringify(booked.body)}`);
  };
  const confirmationOf = async (patientId: string) =>
    (await clinician.get<any[]>(`/api/messages?patientId=${patientId}`)).body.find((m) => m.kind === 'booking_confirmation');
  const smsTo = (phone: string) => system.twilio.messages.filter((m) => m.to === phone);

  it('notifications: the send under way at SIGTERM completes once, exit 0; sends not started go out once after the restart', async () => {
    const [inFlight, waitingA, waitingB] = ['+12125550901', '+12125550902', '+12125550903'];
    const [first, second, third] = await Promise.all([inFlight, waitingA, waitingB].map((phone) => registerPatient(frontDesk, phone)));
    system.twilio.delayNext(1, SLOW_ANSWER_MS, { to: inFlight });
    const requestsBefore = system.twilio.requestCount;
    await book(first!);
    await waitFor(() => system.twilio.requestCount > requestsBefore || undefined, { timeoutMs: 15_000, what: 'the first confirmation to reach the provider' });
    await book(second!);
    await book(third!);
    // Both are rows and jobs, waiting behind the one send under way.
    await waitFor(async () => ((await confirmationOf(second!)) && (await confirmationOf(third!)) && (await outbound.getWaitingCount()) >= 2) || undefined, {
      timeoutMs: 15_000,
      what: 'the other two confirmations to wait in the queue',
    });
    expect(smsTo(inFlight)).toHaveLength(0);

    const started = performance.now();
    const exitCode = await system.processes.stopService('notifications');
    expect(exitCode).toBe(0);
    expect(performance.now() - started).toBeLessThan(10_000);
    // It waited for the provider's answer rather than leaving the send to a retry.
    expect(performance.now() - started).toBeGreaterThan(SLOW_ANSWER_MS / 2);
    expect(smsTo(inFlight)).toHaveLength(1);
    expect(smsTo(waitingA)).toHaveLength(0);
    expect(smsTo(waitingB)).toHaveLength(0);
    expect(await outbound.getWaitingCount()).toBe(2);
    expect(await outbound.getActiveCount()).toBe(0);
    // Recorded before the exit, not left for a restart to find out: the service is still down.
    const { rows } = await db.query<{ patient_id: string; status: string }>('SELECT patient_id, status FROM notifications.messages WHERE kind = $1', ['booking_confirmation']);
    const statusOf = (patientId: string) => rows.filter((r) => r.patient_id === patientId).map((r) => r.status);
    const notStarted = expect.stringMatching(/^(scheduled|queued)$/);
    expect([statusOf(first!), statusOf(second!), statusOf(third!)]).toEqual([['sent'], [notStarted], [notStarted]]);

    system.processes.startService('notifications');
    await system.processes.waitHealthy();
    const sent = await waitFor(
      async () => {
        const rows = await Promise.all([first!, second!, third!].map(confirmationOf));
        return rows.every((m) => m?.status === 'sent') ? rows : undefined;
      },
      { timeoutMs: 20_000, what: 'all three confirmations to be sent' },
    );
    expect(sent.map((m) => m.attempts)).toEqual([1, 1, 1]);
    await waitFor(async () => ((await outbound.getWaitingCount()) + (await outbound.getActiveCount()) === 0) || undefined, { timeoutMs: 10_000, what: 'the queue to drain' });
    for (const phone of [inFlight, waitingA, waitingB]) expect(smsTo(phone)).toHaveLength(1);
  }, 90_000);

  it('gateway: a slow request under way at SIGTERM is answered, new connections are refused, exit 0', async () => {
    const phone = '+12125550904';
    const patientId = await registerPatient(frontDesk, phone);
    system.twilio.delayNext(1, SLOW_ANSWER_MS, { to: phone });
    const requestsBefore = system.twilio.requestCount;
    await book(patientId);
    await waitFor(() => system.twilio.requestCount > requestsBefore || undefined, { timeoutMs: 15_000, what: 'the confirmation to reach the provider' });
    // A clock advance waits for the queues to be quiet: for the slow send to be answered.
    const logged = system.logs.length;
    const requestId = randomUUID();
    const advance = admin.post('/api/dev/clock/advance', { by: 'PT1M' }, { 'x-request-id': requestId });
    await waitFor(() => system.logs.slice(logged).some((line) => line.includes('advancing the virtual clock')) || undefined, { timeoutMs: 5_000, what: 'the advance to start' });

    const stopped = system.processes.stopService('gateway');
    await waitFor(async () => ((await connectionRefused(system.port)) ? true : undefined), { timeoutMs: 5_000, what: 'the gateway to refuse new connections' });
    expect(smsTo(phone)).toHaveLength(0); // the slow request is still under way
    const answer = await advance;
    expect(answer.status).toBe(200);
    expect(await stopped).toBe(0);
    expect(smsTo(phone)).toHaveLength(1);
    // Its audit entry, written after the answer, is in the table: flushed before the pool closed.
    const audited = await db.query('SELECT status_code FROM gateway.audit_log WHERE correlation_id = $1', [requestId]);
    expect(audited.rows).toEqual([{ status_code: 200 }]);

    system.processes.startService('gateway');
    await system.processes.waitHealthy();
  }, 90_000);
});

/** Whether a new TCP connection to the port is refused (nothing listens any more). */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
