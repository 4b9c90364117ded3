import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { DEMO } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import type { Api } from './support/api.js';
import { advanceClockTo, bookAndFinish, carePlansOf, registerPatient, startOnMondayMorning } from './support/journey-steps.js';
import { TestSystem } from './support/test-system.js';

/**
 * The clinician's workspace over HTTP (issue 5, points 1–3): the clinic's escalation rules, an
 * attention item that gathers two worrying answers, the due list's pages and filters, snooze,
 * reassign, complete, and the repeat-injection decisions (reassess, then no repeat), each
 * visible in the item's history; an e-mail alert that names no patient.
 */

const PHONE = '+13125550173';
const ZONE = 'America/New_York';
const CLINICIAN = DEMO.clinicians[0];
const COLLEAGUE = DEMO.clinicians[1];

describe('the follow-up workspace, end to end', () => {
  const system = new TestSystem();
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;
  let patientId: string;
  let plan: { id: string; status: string; steps: { id: string; key: string; kind: string; dueAt: string; status: string }[] };

  const reply = (body: string) => system.inboundSms(PHONE, body);
  const advanceTo = (at: Date) => advanceClockTo(admin, at);
  const refreshPlan = async () => {
    plan = (await clinician.get(`/api/care-plans/${plan.id}`)).body;
  };
  const mine = (items: any[]) => items.filter((i) => i.patient.id === patientId);

  beforeAll(async () => {
    [frontDesk, clinician, admin] = await startOnMondayMorning(system, ZONE);
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  it('lets an admin set the clinic\'s escalation rules; clinicians read them; the front desk neither', async () => {
    expect((await clinician.get('/api/escalation-rules')).body).toMatchObject({ highScore: 8, riseBy: 3, missedInARow: 2, answerWindowHours: 48, freeText: true, emailAlerts: false });
    expect((await clinician.request<any>('PUT', '/api/escalation-rules', { emailAlerts: true })).status).toBe(403);
    expect((await frontDesk.get('/api/escalation-rules')).status).toBe(403);
    const bad = await admin.request<any>('PUT', '/api/escalation-rules', { riseBy: 'three' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('riseBy');
    const put = await admin.request<any>('PUT', '/api/escalation-rules', { emailAlerts: true, missedInARow: null });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ highScore: 8, riseBy: 3, missedInARow: null, answerWindowHours: 48, emailAlerts: true });
    const window = await admin.request<any>('PUT', '/api/escalation-rules', { answerWindowHours: 24 });
    expect(window.body).toMatchObject({ missedInARow: null, answerWindowHours: 24, emailAlerts: true });
    expect((await admin.request<any>('PUT', '/api/escalation-rules', { answerWindowHours: 48 })).status).toBe(200);
  });

  it('puts one attention item per cause on the due list, with the evidence of each worrying answer', async () => {
    patientId = await registerPatient(frontDesk, PHONE, { timezone: ZONE, firstName: 'Rosa', lastName: 'Mendes' });
    const appointment = await bookAndFinish(frontDesk, admin, patientId, CLINICIAN.id);
    expect((await clinician.post(`/api/appointments/${appointment.id}/complete`, { site: 'right knee' })).status).toBe(200);
    [plan] = await carePlansOf(clinician, patientId);
    const day1 = plan.steps.find((s) => s.key === 'checkin-day-1')!;
    await advanceTo(new Date(new Date(day1.dueAt).getTime() + 60_000));
    await reply('9');
    await waitFor(async () => mine((await clinician.get<any[]>('/api/follow-ups?kind=attention')).body).length > 0 || undefined, { what: 'the attention item' });
    await reply('10');
    const item = await waitFor(
      async () => {
        const page = (await clinician.get(`/api/follow-ups?clinicianId=${CLINICIAN.id}&kind=attention&limit=50`)).body;
        const found = mine(page.items).find((i) => i.cause === 'high_score');
        return found?.occurrences === 2 ? found : undefined;
      },
      { what: 'the second answer on the same item' },
    );
    expect(mine((await clinician.get<any[]>('/api/follow-ups?kind=attention')).body)).toHaveLength(1); // 9 then 10: no rise of 3
    expect(item).toMatchObject({
      kind: 'attention',
      state: 'today',
      patient: { id: patientId, name: 'Rosa Mendes' },
      clinicianId: CLINICIAN.id,
      reason: 'Pain 10/10 reported (threshold 8)',
      site: 'right knee',
      daysSinceProcedure: 1,
      latestPainScore: 10,
      painTrend: [9, 10],
      painDirection: 'rising',
    });
    expect(item.evidence.map((e: any) => e.score)).toEqual([10, 9]);

    // The alert went to the clinician's address, naming neither the patient nor a diagnosis.
    const alert = await waitFor(async () => system.smtp.mails.find((m) => m.to.includes(CLINICIAN.email) && m.text?.includes(item.id)), { what: 'the alert e-mail' });
    expect(alert.text).not.toMatch(/Rosa|Mendes|knee|10\/10/);
    expect(system.smtp.mails.filter((m) => m.text?.includes(item.id))).toHaveLength(1);
    expect((await frontDesk.get('/api/follow-ups')).status).toBe(403);
    expect((await frontDesk.get(`/api/follow-ups/${item.id}`)).status).toBe(403);
  }, 120_000);

  it('pages the list urgency first with a cursor, and filters by state', async () => {
    const first = await clinician.get(`/api/follow-ups?clinicianId=${CLINICIAN.id}&limit=1`);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.items[0].kind).toBe('attention');
    const seen = [...first.body.items];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const next = await clinician.get(`/api/follow-ups?clinicianId=${CLINICIAN.id}&limit=1&cursor=${cursor}`);
      expect(next.status).toBe(200);
      seen.push(...next.body.items);
      cursor = next.body.nextCursor;
    }
    const all = (await clinician.get<any[]>(`/api/follow-ups?clinicianId=${CLINICIAN.id}`)).body;
    expect(seen.map((i) => i.id)).toEqual(all.map((i) => i.id));
    expect((await clinician.get(`/api/follow-ups?clinicianId=${CLINICIAN.id}&cursor=abc&limit=5`)).status).toBe(400);
  });

  it('snoozes, reassigns and completes the item; every action is in its history', async () => {
    const [item] = mine((await clinician.get<any[]>('/api/follow-ups?kind=attention')).body);
    const localTomorrow = DateTime.fromJSDate(await admin.now(), { zone: ZONE }).plus({ days: 2 }).toISODate()!;
    const snoozed = await clinician.post(`/api/follow-ups/${item.id}/snooze`, { until: localTomorrow, note: 'called: ice, rest, call back Wednesday' });
    expect(snoozed.status).toBe(200);
    expect(snoozed.body).toMatchObject({ state: 'upcoming' });
    expect(mine((await clinician.get<any[]>('/api/follow-ups?state=today')).body)).toEqual([]);
    expect(mine((await clinician.get<any[]>('/api/follow-ups?state=upcoming')).body).map((i) => i.id)).toContain(item.id);
    expect((await clinician.post(`/api/follow-ups/${item.id}/snooze`, { until: '2020-01-01' })).status).toBe(400);

    const unknown = await clinician.post(`/api/follow-ups/${item.id}/reassign`, { clinicianId: '00000000-0000-4000-8000-000000000999' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('clinicianId');
    const moved = await clinician.post(`/api/follow-ups/${item.id}/reassign`, { clinicianId: COLLEAGUE.id, note: 'Dr. Okafor follows her knee' });
    expect(moved.status).toBe(200);
    expect(mine((await clinician.get<any[]>(`/api/follow-ups?clinicianId=${COLLEAGUE.id}`)).body).map((i) => i.id)).toEqual([item.id]);

    const done = await clinician.post(`/api/follow-ups/${item.id}/complete`, { note: 'pain settling' });
    expect(done.status).toBe(200);
    const detail = (await clinician.get(`/api/follow-ups/${item.id}`)).body;
    expect(detail).toMatchObject({ state: 'done', note: 'pain settling', clinicianId: COLLEAGUE.id });
    expect(detail.history.map((h: any) => [h.action, h.actorRole])).toEqual([
      ['raised', 'system'],
      ['evidence', 'system'],
      ['snoozed', 'clinician'],
      ['reassigned', 'clinician'],
      ['completed', 'clinician'],
    ]);
    expect(detail.history[3]).toMatchObject({ note: 'Dr. Okafor follows her knee', details: { from: CLINICIAN.id, to: COLLEAGUE.id } });
    expect(mine((await clinician.get<any[]>('/api/follow-ups?state=done')).body).map((i) => i.id)).toContain(item.id);
  });

  it('decides the repeat evaluation: reassess adds an evaluation step that comes due; then no repeat closes the plan', async () => {
    await refreshPlan();
    const evaluationStep = plan.steps.find((s) => s.kind === 'repeat_evaluation')!;
    await advanceTo(new Date(new Date(evaluationStep.dueAt).getTime() + 60_000));
    const evaluation = await waitFor(async () => mine((await clinician.get<any[]>('/api/follow-ups?kind=repeat_evaluation')).body)[0], { what: 'the evaluation' });
    expect(evaluation.painTrend).toEqual([9, 10]);

    expect((await clinician.post(`/api/follow-ups/${evaluation.id}/decision`, { decision: 'reassess' })).status).toBe(400);
    const reassess = await clinician.post(`/api/follow-ups/${evaluation.id}/decision`, { decision: 'reassess', reassessInWeeks: 2, note: 'slow but steady' });
    expect(reassess.status).toBe(200);
    expect(reassess.body.decision).toMatchObject({ decision: 'reassess', reassessInWeeks: 2, repeatInjection: false });
    await refreshPlan();
    const again = plan.steps.find((s) => s.key === `reassess:${evaluation.id}`)!;
    expect(again).toMatchObject({ kind: 'repeat_evaluation', status: 'scheduled', dueAt: reassess.body.decision.reassessAt });
    expect(DateTime.fromISO(again.dueAt, { zone: ZONE }).toFormat('HH:mm')).toBe('09:00');

    await advanceTo(new Date(new Date(again.dueAt).getTime() + 60_000));
    const second = await waitFor(async () => mine((await clinician.get<any[]>('/api/follow-ups?kind=repeat_evaluation')).body)[0], { what: 'the new evaluation' });
    expect(second.id).not.toBe(evaluation.id);
    const no = await clinician.post(`/api/follow-ups/${second.id}/decision`, { repeatInjection: false, note: 'no further injection' }); // the first API
    expect(no.status).toBe(200);
    expect(no.body.decision).toMatchObject({ decision: 'no_repeat' });
    await refreshPlan();
    expect(plan.status).toBe('completed');
    expect((await clinician.get(`/api/follow-ups/${second.id}`)).body.history.map((h: any) => h.action)).toEqual(['raised', 'decided']);
  }, 180_000);
});
