import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { BULLMQ_PREFIX, DEMO, QUEUES } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import { Api, isoDuration, loginDemoUsers } from './support/api.js';
import { bookAndFinish, carePlansOf, nextMondayMorning, registerPatient } from './support/journey-steps.js';
import { TestSystem, TWILIO_FROM } from './support/test-system.js';

/**
 * Protocols and the care plan's lifecycle over HTTP (issue 5, point 5): an admin edits a protocol
 * (a new version; the running plan keeps its own), a clinician pauses, resumes and cancels
 * plans, and a new procedure supersedes the old plan. The follow-up service is restarted while a
 * plan is paused and Redis is flushed after it resumes: nothing is lost, nothing sent twice, and
 * nothing sent while paused.
 */
describe('protocols and the care plan lifecycle, end to end', () => {
  const system = new TestSystem({ RECONCILE_INTERVAL_MS: '500' });
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;
  const PHONE_A = '+12125550411';
  const PHONE_B = '+12125550412';
  let patientA: string;
  let patientB: string;
  let planA: any;

  const messagesOf = async (patientId: string) => (await clinician.get<any[]>(`/api/messages?patientId=${patientId}`)).body;
  const stepMessages = async (patientId: string) => (await messagesOf(patientId)).filter((m) => m.direction === 'outbound' && (m.kind === 'checkin' || m.kind === 'aftercare'));
  const plan = async (id: string) => (await clinician.get(`/api/care-plans/${id}`)).body;
  const advanceTo = async (at: Date) => {
    const now = await admin.now();
    if (at > now) await admin.advance(isoDuration(at.getTime() - now.getTime()));
  };
  const stepOf = (p: any, key: string) => p.steps.find((s: any) => s.key === key);

  beforeAll(async () => {
    await system.start();
    [frontDesk, clinician, admin] = await loginDemoUsers(system.baseUrl);
    await advanceTo(nextMondayMorning(await admin.now(), 'America/New_York'));
    patientA = await registerPatient(frontDesk, PHONE_A, { email: 'patient.a@example.com', preferredChannel: 'both' });
    patientB = await registerPatient(frontDesk, PHONE_B);
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  it('lists the seeded protocol to clinicians and admins; only admins write; bad definitions get 400 naming the field', async () => {
    const list = await clinician.get<any[]>('/api/protocols');
    expect(list.status).toBe(200);
    expect(list.body.find((p) => p.code === 'bmac-standard')).toMatchObject({ procedureType: 'bmac_injection', version: 1, active: true, site: null });
    const one = await clinician.get('/api/protocols/bmac-standard');
    expect(one.body.versions).toHaveLength(1);
    expect(one.body.steps.find((s: any) => s.key === 'follow-up-visit')).toMatchObject({ window: { fromDays: 12, toDays: 16 }, bookAheadDays: 5 });
    expect((await frontDesk.get('/api/protocols')).status).toBe(403);

    const good = { code: 'bmac-shoulder', name: 'Shoulder', procedureType: 'bmac_injection', site: 'shoulder', steps: [{ key: 'c1', kind: 'checkin', offset: 'P1D', at: '10:00' }] };
    expect((await clinician.post('/api/protocols', good)).status).toBe(403);
    const bad: [unknown, string][] = [
      [{ ...good, steps: [{ key: 'c1', kind: 'phone_call', offset: 'P1D' }] }, 'steps.0.kind'],
      [{ ...good, steps: [{ key: 'c1', kind: 'checkin', offset: { days: -1 } }] }, 'steps.0.offset'],
      [{ ...good, steps: [{ key: 'c1', kind: 'checkin', offset: 'P1M' }] }, 'steps.0.offset'],
      [{ ...good, steps: [{ key: 'c1', kind: 'checkin', offset: 'P1D', at: '25:00' }] }, 'steps.0.at'],
      [{ ...good, steps: [{ key: 'c1', kind: 'checkin', offset: 'P1D' }, { key: 'c1', kind: 'checkin', offset: 'P2D' }] }, 'steps.1.key'],
      [{ ...good, steps: [{ key: 'c1', kind: 'checkin', offset: 'P1D', window: { fromDays: 1, toDays: 2 } }] }, 'steps.0.window'],
      [{ ...good, steps: [{ key: 'c1', kind: 'checkin', offset: 'P1D', channels: ['sms'] }] }, 'steps.0.channels'],
      [{ ...good, steps: [] }, 'steps'],
      [{ ...good, procedureType: 'massage' }, 'procedureType'],
    ];
    for (const [body, field] of bad) {
      const answer = await admin.post('/api/protocols', body);
      expect({ status: answer.status, field: answer.body.field }).toEqual({ status: 400, field });
    }
    const created = await admin.post('/api/protocols', good);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'bmac-shoulder', version: 1, site: 'shoulder', steps: [{ key: 'c1', kind: 'checkin', offset: { days: 1 }, at: '10:00' }] });
    expect((await admin.post('/api/protocols', good)).status).toBe(409);
    expect((await admin.request('PATCH', '/api/protocols/bmac-shoulder', { active: false })).body).toMatchObject({ active: false });
  }, 60_000);

  it('a running plan keeps the protocol version it started with; a new plan takes the edited one', async () => {
    const appointment = await bookAndFinish(frontDesk, admin, patientA);
    expect((await clinician.post(`/api/appointments/${appointment.id}/complete`, { site: 'left knee' })).status).toBe(200);
    [planA] = await carePlansOf(clinician, patientA);
    expect(planA).toMatchObject({ protocol: 'bmac-standard', protocolVersion: 1, status: 'active' });

    const current = (await admin.get('/api/protocols/bmac-standard')).body;
    const edited = await admin.post('/api/protocols/bmac-standard/versions', {
      steps: current.steps.map((s: any) => (s.key === 'checkin-day-3' ? { key: 'checkin-day-2', kind: 'checkin', offset: 'P2D', at: '11:00' } : s)),
      note: 'day-2 check-in instead of day 3',
    });
    expect(edited.status).toBe(201);
    expect(edited.body).toMatchObject({ version: 2 });
    expect(edited.body.versions.map((v: any) => v.version)).toEqual([2, 1]);

    const still = await plan(planA.id);
    expect(still.protocolVersion).toBe(1);
    expect(still.steps.map((s: any) => [s.key, s.dueAt])).toEqual(planA.steps.map((s: any) => [s.key, s.dueAt]));
    expect(still.steps.map((s: any) => s.key)).toContain('checkin-day-3');
  }, 60_000);

  it('pausing stops the steps, through a restart of the follow-up service; resuming skips what came due and sends the rest once, after a Redis flush', async () => {
    await advanceTo(new Date(new Date(stepOf(planA, 'aftercare').dueAt).getTime() + 60_000));
    expect((await stepMessages(patientA)).map((m) => m.kind)).toEqual(expect.arrayContaining(['aftercare']));

    expect((await clinician.post(`/api/care-plans/${planA.id}/pause`, {})).status).toBe(400); // a reason is required
    expect((await frontDesk.post(`/api/care-plans/${planA.id}/pause`, { reason: 'x' })).status).toBe(403);
    const paused = await clinician.post(`/api/care-plans/${planA.id}/pause`, { reason: 'admitted to hospital' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: 'paused', statusReason: 'admitted to hospital' });
    expect((await clinician.post(`/api/care-plans/${planA.id}/pause`, { reason: 'again' })).status).toBe(409);

    await system.restart('followup');
    const before = (await stepMessages(patientA)).length;
    const smsBefore = system.twilio.messages.filter((m) => m.to === PHONE_A).length;
    await advanceTo(new Date(new Date(stepOf(planA, 'checkin-day-3').dueAt).getTime() + 60_000));
    expect(await stepMessages(patientA)).toHaveLength(before);
    expect(system.twilio.messages.filter((m) => m.to === PHONE_A)).toHaveLength(smsBefore);

    const resumed = await clinician.post(`/api/care-plans/${planA.id}/resume`, { reason: 'home again' });
    expect(resumed.status).toBe(200);
    expect(stepOf(resumed.body, 'checkin-day-1').status).toBe('skipped');
    expect(stepOf(resumed.body, 'checkin-day-3').status).toBe('skipped');
    expect(stepOf(resumed.body, 'checkin-week-2')).toMatchObject({ status: 'scheduled', dueAt: stepOf(planA, 'checkin-week-2').dueAt });
    expect(resumed.body.changes.map((c: any) => c.action)).toEqual(['pause', 'resume']);

    // Redis loses every job: the reconciler gives the resumed steps their alarms back as they
    // come within its reach (it looks minutes ahead), still ahead of their time.
    const next = Math.min(...resumed.body.steps.filter((s: any) => s.status === 'scheduled').map((s: any) => new Date(s.dueAt).getTime()));
    const queue = new Queue(QUEUES.carePlanSteps, { connection: { host: '127.0.0.1', port: system.redis.port }, prefix: BULLMQ_PREFIX });
    try {
      await system.redis.flushAll();
      await advanceTo(new Date(next - 60_000));
      await waitFor(async () => ((await queue.getDelayedCount()) >= 1 ? true : undefined), { timeoutMs: 20_000, what: "the next resumed step's job re-created" });
    } finally {
      await queue.close();
    }
  }, 120_000);

  it('an SMS opt-out sends the next check-in by e-mail (which asks the patient to call: e-mail has no reply path)', async () => {
    const stop = await system.twilio.sendInboundSms(`${system.baseUrl}/webhooks/twilio/sms`, { from: PHONE_A, to: TWILIO_FROM, body: 'STOP' });
    expect(stop.status).toBe(200);
    await waitFor(async () => ((await frontDesk.get(`/api/patients/${patientA}`)).body.smsOptedOut ? true : undefined), { timeoutMs: 15_000, what: 'the opt-out' });
    const weekTwo = stepOf(planA, 'checkin-week-2');
    await advanceTo(new Date(new Date(weekTwo.dueAt).getTime() + 60_000));
    const sent = (await stepMessages(patientA)).filter((m) => m.kind === 'checkin' && m.sendAt === weekTwo.dueAt);
    expect(sent.map((m) => m.channel)).toEqual(['email']);
    expect(sent[0].body).toMatch(/call us/i);
    expect(sent[0].status).toBe('sent');
  }, 60_000);

  it('a new plan uses the new version; cancelling it sends nothing more', async () => {
    const appointment = await bookAndFinish(frontDesk, admin, patientB);
    expect((await clinician.post(`/api/appointments/${appointment.id}/complete`, {})).status).toBe(200);
    const [planB] = await carePlansOf(clinician, patientB);
    expect(planB).toMatchObject({ protocol: 'bmac-standard', protocolVersion: 2 });
    expect(planB.steps.map((s: any) => s.key)).toContain('checkin-day-2');

    const cancelled = await clinician.post(`/api/care-plans/${planB.id}/cancel`, { reason: 'treatment abroad' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', outcome: 'cancelled', statusReason: 'treatment abroad' });
    expect(cancelled.body.steps.every((s: any) => s.status === 'cancelled')).toBe(true);
    expect((await clinician.post(`/api/care-plans/${planB.id}/resume`, {})).status).toBe(409);
    await admin.advance('P3D');
    expect(await stepMessages(patientB)).toEqual([]);
    expect(system.twilio.messages.filter((m) => m.to === PHONE_B && /0 \(none\)/.test(m.body))).toEqual([]);
  }, 90_000);

  it('a new procedure supersedes the old plan: its remaining steps never fire, and every step fired at most once', async () => {
    const appointment = await bookAndFinish(frontDesk, admin, patientA, DEMO.clinicians[2].id);
    expect((await clinician.post(`/api/appointments/${appointment.id}/complete`, { site: 'left knee' })).status).toBe(200);
    const plans = await carePlansOf(clinician, patientA, 2);
    const fresh = plans.find((p) => p.id !== planA.id);
    expect(fresh).toMatchObject({ status: 'active', protocolVersion: 2 });
    const old = await plan(planA.id);
    expect(old).toMatchObject({ status: 'superseded', supersededBy: fresh.id, outcome: `superseded_by:${fresh.id}` });
    expect(old.steps.filter((s: any) => s.status === 'scheduled' || s.status === 'paused')).toEqual([]);
    expect(old.changes.at(-1)).toMatchObject({ action: 'supersede', userId: null });

    await admin.advance('P45D');
    const after = await plan(planA.id);
    expect(after.steps.map((s: any) => s.status)).toEqual(old.steps.map((s: any) => s.status));
    // Each message step of either plan went out once per channel, none for a skipped or superseded step.
    const messages = await stepMessages(patientA);
    const perStep = new Map<string, number>();
    for (const m of messages) perStep.set(`${m.sendAt}:${m.channel}`, (perStep.get(`${m.sendAt}:${m.channel}`) ?? 0) + 1);
    expect([...perStep.values()].every((n) => n === 1)).toBe(true);
    const oldSendTimes = new Set(old.steps.filter((s: any) => ['skipped', 'superseded'].includes(s.status)).map((s: any) => s.dueAt));
    expect(messages.filter((m) => oldSendTimes.has(m.sendAt) && !fresh.steps.some((s: any) => s.dueAt === m.sendAt))).toEqual([]);
    const finished = await plan(fresh.id);
    expect(finished.steps.filter((s: any) => s.status === 'scheduled')).toEqual([]);
  }, 180_000);
});
