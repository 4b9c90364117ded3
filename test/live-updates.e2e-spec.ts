import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { firstValueFrom } from 'rxjs';
import { DEMO, LIVE, type LiveStats } from '@aftercare/contracts';
import { waitFor, type TwilioFakeMessage } from '@aftercare/testing';
import { EventStreamParser, type StreamEvent } from '../apps/web/src/event-stream.js';
import type { Api } from './support/api.js';
import { registerPatient, startOnMondayMorning } from './support/journey-steps.js';
import { TestSystem } from './support/test-system.js';

/**
 * Live updates of patients' messages (issue 6): GET /api/live streams, fed by notifications'
 * publisher through Redis, with all four services. The stream is read the way the web app reads
 * it: fetch with the Authorization header, parsed by the web app's own event-stream parser.
 */

const NY = DEMO.clinicTimezone;
const CLINICIAN = DEMO.clinicians[2];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One open GET /api/live, read in the background, its events kept in order. */
class LiveStream {
  readonly events: StreamEvent[] = [];
  /** The server ended it (or the test closed it). */
  ended = false;

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {}

  static async open(baseUrl: string, token: string, patientId?: string): Promise<LiveStream> {
    const controller = new AbortController();
    const response = await fetch(`${baseUrl}/api/live${patientId ? `?patientId=${patientId}` : ''}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    if (response.status !== 200) throw new Error(`GET /api/live: ${response.status} ${await response.text()}`);
    const stream = new LiveStream(response, controller);
    void stream.read();
    return stream;
  }

  private async read(): Promise<void> {
    const parser = new EventStreamParser((event) => this.events.push(event));
    const decoder = new TextDecoder();
    const reader = this.response.body!.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(decoder.decode(value, { stream: true }));
      }
    } catch {
      /* closed by the test */
    } finally {
      this.ended = true;
    }
  }

  /** The patient ids of the `messages` events so far. */
  get changedPatients(): string[] {
    return this.events.filter((e) => e.event === 'messages').map((e) => (JSON.parse(e.data) as { patientId: string }).patientId);
  }

  ready(timeoutMs = 10_000): Promise<true> {
    return waitFor(() => this.events.some((e) => e.event === 'ready'), { timeoutMs, what: 'the stream to be ready' });
  }

  /** Waits for a `messages` event about `patientId` after the first `from` events. */
  changeOf(patientId: string, from: number, timeoutMs = 5_000): Promise<StreamEvent> {
    return waitFor(
      () => this.events.slice(from).find((e) => e.event === 'messages' && (JSON.parse(e.data) as { patientId: string }).patientId === patientId),
      { timeoutMs, what: `a messages event for patient ${patientId}` },
    );
  }

  close(): void {
    this.controller.abort();
  }
}

describe('live updates of messages, end to end', () => {
  const system = new TestSystem();
  let frontDesk: Api;
  let admin: Api;
  let clinicianToken: string;
  let frontDeskToken: string;
  /** Reads the listener key, and subscribes to the channel like a gateway. */
  let redis: Redis;
  let subscriber: Redis;
  let transport: ClientProxy;
  const published: string[] = [];
  const streams: LiveStream[] = [];
  let phoneSeq = 0;
  /** Every patient this file registers: nobody else's messages change here. */
  const patients: string[] = [];
  const nextPhone = () => `+1646555${String(3100 + phoneSeq++).padStart(4, '0')}`;

  const stats = () => firstValueFrom(transport.send<LiveStats>(LIVE.statsPattern, {}));
  const open = async (token: string, patientId?: string) => {
    const stream = await LiveStream.open(system.baseUrl, token, patientId);
    streams.push(stream);
    return stream;
  };

  async function login(email: string): Promise<string> {
    const response = await fetch(`${system.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: DEMO.password }),
    });
    return ((await response.json()) as { accessToken: string }).accessToken;
  }

  async function messagesOf(patientId: string): Promise<{ kind: string; channel: string; status: string }[]> {
    const response = await fetch(`${system.baseUrl}/api/messages?patientId=${patientId}`, { headers: { authorization: `Bearer ${clinicianToken}` } });
    return (await response.json()) as { kind: string; channel: string; status: string }[];
  }

  /** A patient whose booking confirmation SMS has gone out (status `sent`, waiting for its delivery report). */
  async function patientWithConfirmationSent(): Promise<{ id: string; phone: string; sms: TwilioFakeMessage }> {
    const phone = nextPhone();
    const id = await registerPatient(frontDesk, phone, { firstName: 'Ines', lastName: `Okafor${phoneSeq}` });
    patients.push(id);
    const now = DateTime.fromJSDate(await admin.now());
    const q = (d: DateTime) => encodeURIComponent(d.toISO()!);
    const slots = await frontDesk.get(`/api/availability?clinicianId=${CLINICIAN.id}&procedureType=consultation&from=${q(now.plus({ days: 3 }))}&to=${q(now.plus({ days: 10 }))}`);
    const booked = await frontDesk.post('/api/appointments', { patientId: id, clinicianId: CLINICIAN.id, procedureType: 'consultation', startsAt: slots.body.slots[0].startsAt });
    if (booked.status !== 201) throw new Error(`book: ${booked.status} ${JSON.stringify(booked.body)}`);
    const [sms] = await system.twilio.waitForMessages(1, { to: phone, timeoutMs: 20_000 });
    await waitFor(async () => (await messagesOf(id)).some((m) => m.kind === 'booking_confirmation' && m.channel === 'sms' && m.status === 'sent'), {
      timeoutMs: 20_000,
      what: 'the confirmation to be sent',
    });
    return { id, phone, sms: sms! };
  }

  beforeAll(async () => {
    [frontDesk, , admin] = await startOnMondayMorning(system, NY);
    [clinicianToken, frontDeskToken] = await Promise.all([login('clinician@aftercare.local'), login('frontdesk@aftercare.local')]);
    redis = new Redis(system.redis.url);
    subscriber = new Redis(system.redis.url);
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === LIVE.messagesChannel) published.push(text);
    });
    await subscriber.subscribe(LIVE.messagesChannel);
    transport = ClientProxyFactory.create({ transport: Transport.REDIS, options: { host: '127.0.0.1', port: system.redis.port } });
    await transport.connect();
  }, 120_000);

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await transport?.close();
    subscriber?.disconnect();
    redis?.disconnect();
    await system.stop();
  }, 60_000);

  it('reads no message history while no stream is open, however much is sent', async () => {
    const before = await stats();
    expect(before).toMatchObject({ following: false, reads: 0, published: 0 });
    // Messages change meanwhile: a booking's confirmation goes out.
    await patientWithConfirmationSent();
    // Several ticks later (each one a GET of the key), still nothing read.
    await waitFor(async () => (await stats()).ticks >= before.ticks + 4, { timeoutMs: 10_000, what: 'four more ticks' });
    expect(await redis.get(LIVE.listenersKey)).toBeNull();
    expect(await stats()).toMatchObject({ following: false, reads: 0, published: 0 });
    expect(published).toEqual([]);
  }, 60_000);

  it('refuses the front desk (403), a bad patientId (400 naming it) and no token (401)', async () => {
    const asFrontDesk = await fetch(`${system.baseUrl}/api/live`, { headers: { authorization: `Bearer ${frontDeskToken}` } });
    expect(asFrontDesk.status).toBe(403);
    await asFrontDesk.text();
    const bad = await fetch(`${system.baseUrl}/api/live?patientId=not-a-uuid`, { headers: { authorization: `Bearer ${clinicianToken}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/patientId/);
    const unknownField = await fetch(`${system.baseUrl}/api/live?patient=x`, { headers: { authorization: `Bearer ${clinicianToken}` } });
    expect(unknownField.status).toBe(400);
    await unknownField.text();
    const anonymous = await fetch(`${system.baseUrl}/api/live`);
    expect(anonymous.status).toBe(401);
    await anonymous.text();
  });

  describe('with streams open', () => {
    let p: { id: string; phone: string; sms: TwilioFakeMessage };
    let q: { id: string; phone: string; sms: TwilioFakeMessage };
    let ofP: LiveStream;
    let ofQ: LiveStream;
    let ofClinic: LiveStream;

    beforeAll(async () => {
      [p, q] = [await patientWithConfirmationSent(), await patientWithConfirmationSent()];
      [ofP, ofQ, ofClinic] = await Promise.all([open(clinicianToken, p.id), open(clinicianToken, q.id), open(clinicianToken)]);
      await Promise.all([ofP.ready(), ofQ.ready(), ofClinic.ready()]);
    }, 90_000);

    it('is an unbuffered event stream that says when it is live', () => {
      const headers = ofP.response.headers;
      expect(headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(headers.get('x-accel-buffering')).toBe('no');
      expect(headers.get('cache-control')).toMatch(/no-cache/);
      expect(headers.get('content-encoding')).toBeNull();
      expect(ofP.events[0]).toEqual({ event: 'ready', data: JSON.stringify({ patientId: p.id }) });
      expect(ofClinic.events[0]).toEqual({ event: 'ready', data: '{}' });
    });

    it("tells P's stream (and the clinic's) within seconds when P's confirmation is delivered", async () => {
      const [fromP, fromClinic] = [ofP.events.length, ofClinic.events.length];
      expect((await system.twilio.sendStatusCallback(p.sms.sid, 'delivered')).status).toBe(204);
      await ofP.changeOf(p.id, fromP);
      await ofClinic.changeOf(p.id, fromClinic);
    }, 20_000);

    it("tells P's stream when P replies by SMS", async () => {
      const from = ofP.events.length;
      expect((await system.inboundSms(p.phone, 'C')).status).toBe(200);
      await ofP.changeOf(p.id, from);
    }, 20_000);

    it("tells Q's stream nothing about P, and about Q only when Q's messages change", async () => {
      expect(ofQ.changedPatients.filter((id) => id !== q.id)).toEqual([]);
      const from = ofQ.events.length;
      expect((await system.twilio.sendStatusCallback(q.sms.sid, 'delivered')).status).toBe(204);
      await ofQ.changeOf(q.id, from);
      expect(ofQ.changedPatients.every((id) => id === q.id)).toBe(true);
      expect(ofP.changedPatients.every((id) => id === p.id)).toBe(true);
    }, 20_000);

    it('publishes ids only in Redis: { changes: [{ clinicId, patientId }] }', () => {
      expect(published.length).toBeGreaterThan(0);
      const changed = new Set<string>();
      for (const text of published) {
        const payload = JSON.parse(text) as { changes: Record<string, unknown>[] };
        expect(Object.keys(payload)).toEqual(['changes']);
        for (const change of payload.changes) {
          expect(Object.keys(change).sort()).toEqual(['clinicId', 'patientId']);
          expect(change.clinicId).toBe(DEMO.clinicId);
          expect(change.patientId).toMatch(UUID);
          changed.add(change.patientId as string);
        }
        // No phone number, name or text of any message.
        for (const secret of [p.phone, q.phone, 'Ines', 'Okafor']) expect(text).not.toContain(secret);
      }
      expect(changed).toContain(p.id);
      expect(changed).toContain(q.id);
      expect([...changed].every((id) => patients.includes(id))).toBe(true);
    });

    it("ends a stream within seconds of its session's sign-out; other sessions' streams stay open", async () => {
      const token = await login('clinician@aftercare.local'); // a second session of the user whose streams are open
      const own = await open(token, p.id);
      await own.ready();
      const signedOut = await fetch(`${system.baseUrl}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(signedOut.status).toBeLessThan(300);
      await signedOut.text();
      await waitFor(() => own.ended, { timeoutMs: 10_000, what: 'the signed-out session\'s stream to end' });
      expect([ofP.ended, ofQ.ended, ofClinic.ended]).toEqual([false, false, false]);
      // And it cannot be opened again with that token.
      const again = await fetch(`${system.baseUrl}/api/live`, { headers: { authorization: `Bearer ${token}` } });
      expect(again.status).toBe(401);
      await again.text();
    }, 30_000);

    it('ends its streams when notifications falls silent, and a new stream is live again once it is back', async () => {
      // SIGTERM: notifications stops publishing (a crash would look the same from here).
      await system.processes.stopService('notifications');
      await waitFor(() => ofP.ended && ofQ.ended && ofClinic.ended, { timeoutMs: 15_000, what: 'the gateway to end the streams' });
      // Reconnecting meanwhile gets a stream that is not live (yet).
      const early = await open(clinicianToken, p.id);
      system.processes.startService('notifications');
      await system.processes.waitHealthy();
      await early.ready(15_000);
      const from = early.events.length;
      expect((await system.inboundSms(p.phone, 'HELP')).status).toBe(200);
      await early.changeOf(p.id, from);
    }, 90_000);

    it('stops reading the history soon after the last stream closes', async () => {
      for (const stream of streams) stream.close();
      // The gateway stops refreshing the key; it expires, and notifications stops following.
      await waitFor(async () => !(await stats()).following, { timeoutMs: LIVE.listenersTtlMs + 10_000, what: 'notifications to stop following' });
      expect(await redis.get(LIVE.listenersKey)).toBeNull();
      const quiet = await stats();
      await waitFor(async () => (await stats()).ticks >= quiet.ticks + 4, { timeoutMs: 10_000, what: 'four more ticks' });
      expect((await stats()).reads).toBe(quiet.reads);
    }, 30_000);
  });
});
