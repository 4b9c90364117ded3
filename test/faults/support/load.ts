import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { DEMO } from '@aftercare/contracts';
import type { Api } from '../../support/api.js';
import { TWILIO_FROM } from '../../support/test-system.js';
import { DRILL_SITE, DRILL_ZONE, virtualNow, type Drill } from './drill.js';

/** The longest a request of the load may take: an API that hangs fails the scenario, it does not stall it. */
export const REQUEST_TIMEOUT_MS = 5_000;

/** A patient of the load: SMS only, so every message the ledger counts is one the Twilio fake sees. */
const LOAD_PATIENT = { firstName: 'Load', timezone: DRILL_ZONE, preferredChannel: 'sms', smsConsent: true };

export type Operation = 'book' | 'complete' | 'reply';

export interface RequestRecord {
  operation: Operation;
  /** HTTP status, or 0 for no answer (refused connection, timeout). */
  status: number;
  ms: number;
  /** Wall time the request started. */
  at: number;
  gateway: string;
  /** book: the new patient's phone, and whether the registration (the booking's first request) succeeded. */
  phone?: string;
  registered?: boolean;
}

export interface LoadOptions {
  /** Gateways to spread the requests over (replicas); default the system's own. */
  gateways?: string[];
}

/** How often each kind of request goes (ms between two): about 60 requests a minute in all. */
const EVERY_MS: Record<Operation, number> = { book: 2_500, complete: 3_000, reply: 2_000 };

/**
 * A steady stream of what a clinic does, through the real API and the signed Twilio webhook:
 * the front desk books consultations for new patients (a confirmation SMS each, at once), the
 * clinician completes the started consultations (the drill protocol's steps then come due within
 * minutes), and patients answer: a pain score to a check-in they received, C to a confirmation.
 * Every request is bounded in time and recorded. A refused booking or reply is not tried again
 * (the ledger counts only what the system accepted); a refused completion is, later, as a
 * clinician would.
 */
export class LoadGenerator {
  readonly requests: RequestRecord[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly answered = new Set<string>();
  private readonly confirmed = new Set<string>();
  private readonly bookedPhones: string[] = [];
  private readonly gateways: string[];
  private turn = 0;

  constructor(
    private readonly drill: Drill,
    private readonly options: LoadOptions = {},
  ) {
    this.gateways = options.gateways ?? [drill.system.baseUrl];
  }

  start(): void {
    this.running = true;
    this.loops = [
      this.every(EVERY_MS.book, () => this.book()),
      this.every(EVERY_MS.complete, () => this.complete()),
      this.every(EVERY_MS.reply, () => this.reply()),
    ];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** The slowest request, in ms. */
  get slowestMs(): number {
    return Math.max(0, ...this.requests.map((r) => r.ms));
  }

  private async every(intervalMs: number, action: () => Promise<void>): Promise<void> {
    while (this.running) {
      const started = Date.now();
      await action();
      await sleep(Math.max(0, intervalMs - (Date.now() - started)));
    }
  }

  /** The next gateway, round robin. */
  private gateway(): string {
    return this.gateways[this.turn++ % this.gateways.length]!;
  }

  private async timed<T>(
    operation: Operation,
    gateway: string,
    request: () => Promise<{ status: number; body?: T }>,
    details: Pick<RequestRecord, 'phone' | 'registered'> = {},
  ): Promise<{ status: number; body?: T }> {
    const at = Date.now();
    let answer: { status: number; body?: T };
    let timer: NodeJS.Timeout | undefined;
    try {
      // The API client aborts its own requests; this bounds the webhook posts (and anything else) too.
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), REQUEST_TIMEOUT_MS + 500)));
      answer = await Promise.race([request(), late]);
    } catch {
      answer = { status: 0 };
    } finally {
      clearTimeout(timer);
    }
    this.requests.push({ operation, status: answer.status, ms: Date.now() - at, at, gateway, ...details });
    return answer;
  }

  private as(user: Api, gateway: string): Api {
    return user.with({ baseUrl: gateway, timeoutMs: REQUEST_TIMEOUT_MS });
  }

  /** A new patient, booked into the first free consultation from Tuesday on. */
  private async book(): Promise<void> {
    const gateway = this.gateway();
    const frontDesk = this.as(this.drill.frontDesk, gateway);
    const phone = this.drill.phones.take();
    const clinicianId = DEMO.clinicians[this.bookedPhones.length % DEMO.clinicians.length].id;
    const details: Pick<RequestRecord, 'phone' | 'registered'> = { phone, registered: false };
    const answer = await this.timed('book', gateway, async () => {
      const registered = await frontDesk.post('/api/patients', { ...LOAD_PATIENT, lastName: `Load ${phone.slice(-4)}`, phone });
      if (registered.status !== 201) return registered;
      details.registered = true;
      const patientId = registered.body.id;
      const tuesday = DateTime.fromJSDate(virtualNow(this.drill), { zone: DRILL_ZONE }).plus({ days: 1 }).startOf('day');
      const slots = await frontDesk.get(
        `/api/availability?clinicianId=${clinicianId}&procedureType=consultation&from=${encodeURIComponent(tuesday.toISO()!)}&to=${encodeURIComponent(tuesday.plus({ days: 14 }).toISO()!)}`,
      );
      if (slots.status !== 200) return slots;
      return frontDesk.post('/api/appointments', { patientId, clinicianId, procedureType: 'consultation', startsAt: slots.body.slots[0].startsAt });
    }, details);
    if (answer.status === 201) this.bookedPhones.push(phone);
  }

  private async complete(): Promise<void> {
    const next = this.drill.startedConsultations.shift();
    if (!next) return;
    const gateway = this.gateway();
    const answer = await this.timed('complete', gateway, () => this.as(this.drill.clinician, gateway).post(`/api/appointments/${next.id}/complete`, { site: DRILL_SITE }));
    // Not completed (the API was down): the clinician tries again later.
    if (answer.status !== 200) this.drill.startedConsultations.push(next);
  }

  /** A patient answers: a pain score to a check-in that reached them, else C to a confirmation. */
  private async reply(): Promise<void> {
    const twilio = this.drill.system.twilio;
    const checkin = twilio.messages.find((m) => /0 \(none\)|from 0/.test(m.body) && !this.answered.has(m.sid));
    const confirmation = checkin ? undefined : this.bookedPhones.find((phone) => !this.confirmed.has(phone));
    const from = checkin?.to ?? confirmation;
    if (!from) return;
    if (checkin) this.answered.add(checkin.sid);
    else this.confirmed.add(from);
    const gateway = this.gateway();
    const publicUrl = this.drill.system.baseUrl;
    await this.timed('reply', gateway, () =>
      twilio.sendInboundSms(
        `${publicUrl}/webhooks/twilio/sms`,
        { from, to: TWILIO_FROM, body: checkin ? String(this.answered.size % 5) : 'C' },
        // Twilio signs the public URL; a replica behind it gets the same request.
        { postTo: `${gateway}/webhooks/twilio/sms`, sign: { url: `${publicUrl}/webhooks/twilio/sms` } },
      ),
    );
  }
}
