import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { BULLMQ_PREFIX, QUEUES } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import { Api, isoDuration, loginDemoUsers } from './support/api.js';
import { bookAndFinish, carePlansOf, nextMondayMorning, registerPatient } from './support/journey-steps.js';
import { TestSystem } from './support/test-system.js';

/**
 * Nothing lost, nothing twice (ARCHITECTURE.md, "Events and jobs"): an event produced while its
 * consumer is down arrives when it is back, once; jobs that Redis lost are re-created from the
 * rows in PostgreSQL, and every step still fires once.
 */
describe('nothing lost, nothing twice', () => {
  const system = new TestSystem({ RECONCILE_INTERVAL_MS: '500' });
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;

  beforeAll(async () => {
    await system.start();
    [frontDesk, clinician, admin] = await loginDemoUsers(system.baseUrl);
    const now = await admin.now();
    await admin.advance(isoDuration(nextMondayMorning(now, 'America/New_York').getTime() - now.getTime()));
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  it('concurrent bookings of one slot: the database lets exactly one through, the rest get 409', async () => {
    const patients = await Promise.all(Array.from({ length: 12 }, (_, i) => registerPatient(frontDesk, `+121255504${String(i).padStart(2, '0')}`)));
    const now = await admin.now();
    const from = encodeURIComponent(new Date(now.getTime() + 3 * 86_400_000).toISOString());
    const to = encodeURIComponent(new Date(now.getTime() + 10 * 86_400_000).toISOString());
    const clinicianId = '00000000-0000-4000-8000-000000000103';
    const slot = (await frontDesk.get(`/api/availability?clinicianId=${clinicianId}&procedureType=bmac_injection&from=${from}&to=${to}`)).body.slots[0];
    const answers = await Promise.all(
      patients.map((patientId) => frontDesk.post('/api/appointments', { patientId, clinicianId, procedureType: 'bmac_injection', startsAt: slot.startsAt })),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(patients.length - 1);
    const booked = (await frontDesk.get<any[]>(`/api/appointments?clinicianId=${clinicianId}`)).body.filter((a) => a.startsAt === slot.startsAt);
    expect(booked).toHaveLength(1);
    // Only the one booked patient hears about it.
    const winner = answers.find((a) => a.status === 201)!.body.patientId;
    await waitFor(async () => ((await clinician.get<any[]>(`/api/messages?patientId=${winner}`)).body.some((m) => m.kind === 'booking_confirmation') ? true : undefined), {
      timeoutMs: 15_000,
      what: 'the confirmation',
    });
    for (const patientId of patients.filter((p) => p !== winner)) {
      expect((await clinician.get<any[]>(`/api/messages?patientId=${patientId}`)).body).toEqual([]);
    }
  }, 60_000);

  it('a procedure completed while the follow-up service is down gets exactly one care plan once it is back', async () => {
    const patientId = await registerPatient(frontDesk, '+12125550301');
    const appointment = await bookAndFinish(frontDesk, admin, patientId);

    await system.processes.killService('followup');
    const completed = await clinician.post(`/api/appointments/${appointment.id}/complete`, { site: 'right hip' });
    expect(completed.status).toBe(200);
    // The service that owns care plans is down: the gateway says so instead of hanging.
    expect((await clinician.get(`/api/care-plans?patientId=${patientId}`)).status).toBe(503);

    system.processes.startService('followup');
    await system.processes.waitHealthy();
    const plans = await carePlansOf(clinician, patientId);
    expect(plans).toHaveLength(1);
    expect(plans[0].steps).toHaveLength(8);

    // Restart once more: a redelivered event (if any) must not make a second plan.
    await system.restart('followup');
    const again = await carePlansOf(clinician, patientId);
    expect(again).toHaveLength(1);
    expect(again[0].id).toBe(plans[0].id);
  }, 120_000);

  it('Redis flushed mid-plan: the reconciler re-creates the jobs as the steps come within its reach, and each step fires once', async () => {
    const phone = '+12125550302';
    const patientId = await registerPatient(frontDesk, phone);
    const appointment = await bookAndFinish(frontDesk, admin, patientId);
    expect((await clinician.post(`/api/appointments/${appointment.id}/complete`, {})).status).toBe(200);
    const [plan] = await carePlansOf(clinician, patientId);
    await admin.advance('P2D'); // aftercare and the day-1 check-in have gone out

    const steps = new Queue(QUEUES.carePlanSteps, { connection: { host: '127.0.0.1', port: system.redis.port }, prefix: BULLMQ_PREFIX });
    try {
      const remaining = (await clinician.get(`/api/care-plans/${plan.id}`)).body.steps.filter((s: { status: string }) => s.status === 'scheduled').length;
      expect(remaining).toBeGreaterThan(0);
      expect(await steps.getDelayedCount()).toBeGreaterThanOrEqual(remaining);

      await system.redis.flushAll();
      expect(await steps.getDelayedCount()).toBe(0);
      // The reconciler looks a few minutes ahead: when the next step comes within reach, it
      // notices that the row has no job and re-creates it from PostgreSQL, still ahead of its time.
      const next = (await clinician.get(`/api/care-plans/${plan.id}`)).body.steps
        .filter((s: { status: string }) => s.status === 'scheduled')
        .map((s: { dueAt: string }) => new Date(s.dueAt).getTime())
        .sort((a: number, b: number) => a - b)[0];
      await admin.advance(isoDuration(next - 60_000 - (await admin.now()).getTime()));
      await waitFor(async () => ((await steps.getDelayedCount()) >= 1 ? true : undefined), {
        timeoutMs: 20_000,
        what: "the next step's job re-created",
      });
    } finally {
      await steps.close();
    }

    await admin.advance('P45D');
    const finished = (await clinician.get(`/api/care-plans/${plan.id}`)).body;
    expect(finished.steps.filter((s: { status: string }) => s.status === 'scheduled')).toEqual([]);

    // Each aftercare and check-in message exactly once, and exactly what the provider received.
    const messages = (await clinician.get<any[]>(`/api/messages?patientId=${patientId}`)).body;
    const stepMessages = messages.filter((m) => m.kind === 'checkin' || m.kind === 'aftercare');
    expect(stepMessages).toHaveLength(6); // aftercare + 5 check-ins
    const sentSms = messages.filter((m) => m.channel === 'sms' && m.direction === 'outbound' && ['sent', 'delivered'].includes(m.status));
    expect(system.twilio.messages.filter((m) => m.to === phone)).toHaveLength(sentSms.length);
    const bodies = system.twilio.messages.filter((m) => m.to === phone).map((m) => m.body);
    expect(bodies.filter((b) => /0 \(none\)|from 0/.test(b)).length).toBe(5);
  }, 180_000);

  it('check-ins waiting for their answers survive the follow-up service killed and Redis flushed: each is missed once at its window\'s end, and two in a row raise one attention item', async () => {
    const patientId = await registerPatient(frontDesk, '+12125550303');
    const appointment = await bookAndFinish(frontDesk, admin, patientId);
    expect((await clinician.post(`/api/appointments/${appointment.id}/complete`, {})).status).toBe(200);
    const [plan] = await carePlansOf(clinician, patientId);
    const dueOf = (key: string) => new Date(plan.steps.find((s: { key: string }) => s.key === key).dueAt).getTime();
    const stepStatus = async (key: string) => (await clinician.get(`/api/care-plans/${plan.id}`)).body.steps.find((s: { key: string }) => s.key === key).status;
    const missedItems = async () =>
      (await clinician.get<any[]>(`/api/follow-ups?kind=attention&state=open`)).body.filter((i) => i.patient.id === patientId && /check-in/i.test(i.reason));

    await admin.advance(isoDuration(dueOf('checkin-day-1') + 60_000 - (await admin.now()).getTime()));
    expect(await stepStatus('checkin-day-1')).toBe('sent'); // waiting for its answer

    // The service that waits for the answers dies, and Redis loses every job: the rows are what is left.
    await system.processes.killService('followup');
    await system.redis.flushAll();
    system.processes.startService('followup');
    await system.processes.waitHealthy();

    // Past the day-3 check-in's answer window (48 hours): both went unanswered.
    await admin.advance(isoDuration(dueOf('checkin-day-3') + 48 * 3_600_000 + 60_000 - (await admin.now()).getTime()));
    expect(await stepStatus('checkin-day-1')).toBe('unanswered');
    expect(await stepStatus('checkin-day-3')).toBe('unanswered');
    const items = await missedItems();
    expect(items).toHaveLength(1);
    expect(items[0].reason).toMatch(/2 check-ins in a row/);
    expect(new Date(items[0].dueAt).getTime()).toBeLessThan(dueOf('checkin-week-2')); // raised at the window's end, not with week 2

    // A second restart changes nothing: each miss was counted once.
    await system.restart('followup');
    await admin.advance('PT1H');
    expect(await missedItems()).toEqual(items);
  }, 180_000);
});
