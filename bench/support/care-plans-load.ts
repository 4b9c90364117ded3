import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientProxy } from '@nestjs/microservices';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { firstValueFrom, timeout } from 'rxjs';
import { EVENT_VERSIONS, JOBS, eventPattern, type EventAck, type EventEnvelope } from '@aftercare/contracts';
import { DEFAULT_JOB_OPTIONS } from '@aftercare/jobs';
import { quantile } from './stats.js';

/**
 * Care-plan creation under load, shared by workspace.bench.ts (issue 5: the latency at 200
 * completions/s) and care-plans.bench.ts (issue 7, figure 1: also the rate followup sustains, and
 * raw addBulk of the same jobs at full speed): `procedure.completed` envelopes sent to followup
 * the way the outbox relay delivers them, the plans, steps and jobs they made read back, and
 * the same jobs added with a bare `Queue.addBulk`.
 */

export const COMPLETION_PATTERN = eventPattern('followup', 'procedure.completed');

/** Wall-clock time in ms with sub-millisecond resolution (BullMQ's job timestamps are Date.now()). */
export const epochNow = () => performance.timeOrigin + performance.now();

/**
 * Calls `fire(i)` for i = 0..n-1 at `rate` per second on a fixed schedule (open loop: it never
 * waits for an earlier call to finish; when it falls behind it catches up at once). Returns how
 * far behind schedule the calls went out.
 */
export async function paced(n: number, rate: number, fire: (i: number) => void): Promise<{ maxLagMs: number; seconds: number }> {
  const interval = 1000 / rate;
  const t0 = performance.now();
  let maxLag = 0;
  for (let i = 0; i < n; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    else if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve)); // let replies in while catching up
    maxLag = Math.max(maxLag, performance.now() - due);
    fire(i);
  }
  return { maxLagMs: maxLag, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Runs `call(i)` from `inFlight` loops, each taking the next index as soon as its previous call
 * has finished (closed loop: always `inFlight` outstanding), until `until()` says stop or `count`
 * calls have gone out.
 */
async function closedLoop(inFlight: number, count: number, until: () => boolean, call: (i: number) => Promise<void>): Promise<{ calls: number; seconds: number }> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count && !until()) await call(next++);
    }),
  );
  return { calls: next, seconds: (performance.now() - t0) / 1000 };
}

/** Completions sent, index by index: the envelope, its send and acknowledgement times (epoch ms; NaN without an answer). */
export interface SentCompletions {
  events: EventEnvelope<'procedure.completed'>[];
  sentAt: number[];
  ackAt: number[];
  /** send → acknowledgement, high resolution (ms) */
  ackMs: number[];
  failures: string[];
  duplicates: number;
  /** open loop: how far behind schedule sends went; closed loop: 0 */
  pace: { maxLagMs: number; seconds: number };
  /** closed loop: stopped because the patients seeded for it ran out before the time was up */
  ranOut: boolean;
}

/** What the events made: one plan each, its steps, each step's job; the latency of each plan whose jobs are all there. */
export interface PlanCheck {
  plans: number;
  duplicatePlans: number;
  steps: number;
  stepCounts: Record<string, number>;
  jobs: number;
  missingJobs: number;
  notDelayed: number;
  /** per complete plan, in send order: its send time (epoch ms) and latest job timestamp − send time (ms) */
  sentAt: number[];
  latency: number[];
  perSecondP99: number[];
  lastQueuedAt: number;
}

/** Bare addBulk calls, index by index: the job ids, the call time (epoch ms), call → resolved (ms). */
export interface BareCalls {
  jobIds: string[][];
  sentAt: number[];
  doneAt: number[];
  doneMs: number[];
  failures: number;
  pace: { maxLagMs: number; seconds: number };
}

export interface BareCheck {
  /** jobs found in Redis */
  jobs: number;
  /** per call whose jobs are all there: the latest job timestamp − the call (ms) */
  latency: number[];
  perSecondP99: number[];
  lastQueuedAt: number;
}

export interface CompletionLoadOptions {
  client: ClientProxy;
  db: pg.Pool;
  redis: Redis;
  /** followup's queue of care-plan step jobs, and a queue of the bench's own on the same Redis */
  stepsQueue: Queue;
  bare: Queue;
  clinicId: string;
  /** seeded patients followup knows, one per completion (a first procedure: nothing is superseded) */
  patients: string[];
  clinicianIds: string[];
}

const perSecondP99 = (sentAt: number[], latency: number[]): number[] => {
  const buckets: number[][] = [];
  const t0 = sentAt[0] ?? 0;
  sentAt.forEach((at, i) => (buckets[Math.floor((at - t0) / 1000)] ??= []).push(latency[i]!));
  return buckets.flatMap((b) => [quantile(b, 0.99)]); // flatMap skips the seconds without a send
};

export class CompletionLoad {
  private nextPatient = 0;

  constructor(private readonly o: CompletionLoadOptions) {}

  get patientsLeft(): number {
    return this.o.patients.length - this.nextPatient;
  }

  /** A fresh `procedure.completed` of the next seeded patient (libs/contracts' shape and version). */
  private completion(): EventEnvelope<'procedure.completed'> {
    const patientId = this.o.patients[this.nextPatient]!;
    const clinicianId = this.o.clinicianIds[this.nextPatient % this.o.clinicianIds.length]!;
    this.nextPatient++;
    const id = randomUUID();
    const now = new Date().toISOString();
    return {
      id,
      type: 'procedure.completed',
      version: EVENT_VERSIONS['procedure.completed'],
      clinicId: this.o.clinicId,
      occurredAt: now,
      correlationId: id,
      causationId: null,
      payload: { appointmentId: randomUUID(), patientId, clinicianId, procedureType: 'bmac_injection', completedAt: now, site: 'left knee', condition: 'osteoarthritis' },
    };
  }

  /** One send as the relay makes it: a Redis-transport request on the event's pattern; followup answers once the jobs are added. */
  private send(sent: SentCompletions, i: number): Promise<void> {
    const event = this.completion();
    sent.events[i] = event;
    const hr = performance.now();
    sent.sentAt[i] = epochNow();
    return firstValueFrom(this.o.client.send<EventAck>(COMPLETION_PATTERN, event).pipe(timeout(120_000))).then(
      (ack) => {
        sent.ackMs[i] = performance.now() - hr;
        sent.ackAt[i] = epochNow();
        if (ack?.duplicate) sent.duplicates++;
      },
      (error: unknown) => void sent.failures.push(error instanceof Error ? error.message : JSON.stringify(error)),
    );
  }

  private emptySent(): SentCompletions {
    return { events: [], sentAt: [], ackAt: [], ackMs: [], failures: [], duplicates: 0, pace: { maxLagMs: 0, seconds: 0 }, ranOut: false };
  }

  /** `count` completions at `rate` per second, open loop. */
  async sendPaced(count: number, rate: number): Promise<SentCompletions> {
    if (count > this.patientsLeft) throw new Error(`${count} completions wanted, ${this.patientsLeft} seeded patients left`);
    const sent = this.emptySent();
    sent.ackAt = new Array<number>(count).fill(NaN);
    sent.ackMs = new Array<number>(count).fill(NaN);
    const pending: Promise<void>[] = [];
    sent.pace = await paced(count, rate, (i) => void pending.push(this.send(sent, i)));
    await Promise.all(pending);
    return sent;
  }

  /**
   * For `seconds`, completions with always `inFlight` awaiting their answer (closed loop: as fast
   * as followup answers), at most `most` of them (the patients seeded for this part).
   */
  async sendClosed(seconds: number, inFlight: number, most: number): Promise<SentCompletions> {
    const sent = this.emptySent();
    const end = performance.now() + seconds * 1000;
    const available = Math.min(most, this.patientsLeft);
    const loop = await closedLoop(inFlight, available, () => performance.now() >= end, (i) => {
      sent.ackAt[i] = NaN;
      sent.ackMs[i] = NaN;
      return this.send(sent, i);
    });
    sent.pace = { maxLagMs: 0, seconds: loop.seconds };
    sent.ranOut = loop.calls >= available && performance.now() < end;
    return sent;
  }

  /** The plans, steps and jobs of these events; latency per plan from its jobs' timestamps in Redis. */
  async verify(sent: SentCompletions): Promise<PlanCheck> {
    const { db, redis, stepsQueue } = this.o;
    const planOf = new Map<string, string>();
    let plans = 0;
    let duplicatePlans = 0;
    const stepsOf = new Map<string, string[]>();
    const stepIds: string[] = [];
    // In slices: a sustained run sends tens of thousands of events.
    for (let i = 0; i < sent.events.length; i += 20_000) {
      const appointmentIds = sent.events.slice(i, i + 20_000).map((e) => e.payload.appointmentId);
      const rows = (await db.query<{ id: string; appointment_id: string }>(`SELECT id, appointment_id FROM followup.care_plans WHERE appointment_id = ANY($1::uuid[])`, [appointmentIds])).rows;
      for (const p of rows) {
        plans++;
        if (planOf.has(p.appointment_id)) duplicatePlans++;
        planOf.set(p.appointment_id, p.id);
      }
      const stepRows = (
        await db.query<{ id: string; care_plan_id: string }>(`SELECT id, care_plan_id FROM followup.care_plan_steps WHERE care_plan_id = ANY($1::uuid[])`, [rows.map((p) => p.id)])
      ).rows;
      for (const s of stepRows) {
        let list = stepsOf.get(s.care_plan_id);
        if (!list) stepsOf.set(s.care_plan_id, (list = []));
        list.push(s.id);
        stepIds.push(s.id);
      }
    }
    // Each step's job: jobId = step id, so one job per step at most; here: that it is there, delayed, and when it was added.
    const jobAt = new Map<string, number>();
    let notDelayed = 0;
    for (let i = 0; i < stepIds.length; i += 2000) {
      const batch = stepIds.slice(i, i + 2000);
      const pipeline = redis.pipeline();
      for (const id of batch) {
        pipeline.hget(stepsQueue.toKey(id), 'timestamp');
        pipeline.zscore(stepsQueue.toKey('delayed'), id);
      }
      const results = (await pipeline.exec()) ?? [];
      batch.forEach((id, k) => {
        const ts = results[2 * k]?.[1] as string | null;
        if (ts) jobAt.set(id, Number(ts));
        if (results[2 * k + 1]?.[1] === null) notDelayed++;
      });
    }
    const sentAt: number[] = [];
    const latency: number[] = [];
    const stepCounts = new Map<number, number>();
    let lastQueuedAt = NaN;
    sent.events.forEach((e, i) => {
      const plan = planOf.get(e.payload.appointmentId);
      if (!plan) return;
      const ids = stepsOf.get(plan) ?? [];
      stepCounts.set(ids.length, (stepCounts.get(ids.length) ?? 0) + 1);
      let last = -Infinity;
      for (const id of ids) last = Math.max(last, jobAt.get(id) ?? NaN);
      if (ids.length === 0 || !Number.isFinite(last)) return;
      lastQueuedAt = Number.isFinite(lastQueuedAt) ? Math.max(lastQueuedAt, last) : last;
      sentAt.push(sent.sentAt[i]!);
      latency.push(last - sent.sentAt[i]!);
    });
    return {
      plans,
      duplicatePlans,
      steps: stepIds.length,
      stepCounts: Object.fromEntries(stepCounts),
      jobs: jobAt.size,
      missingJobs: stepIds.length - jobAt.size,
      notDelayed,
      sentAt,
      latency,
      perSecondP99: perSecondP99(sentAt, latency),
      lastQueuedAt,
    };
  }

  /** The due offsets (ms after the procedure) of a plan's steps, from the plan of one appointment. */
  async stepOffsets(appointmentId: string): Promise<number[]> {
    const { rows } = await this.o.db.query<{ offset_ms: string }>(
      `SELECT (extract(epoch FROM s.due_at - p.procedure_completed_at) * 1000)::bigint AS offset_ms
         FROM followup.care_plans p JOIN followup.care_plan_steps s ON s.care_plan_id = p.id WHERE p.appointment_id = $1 ORDER BY s.due_at`,
      [appointmentId],
    );
    return rows.map((r) => Number(r.offset_ms));
  }

  /** A plan's jobs as followup adds them (JobScheduler.scheduleMany): its name, payload `{ id }`, DEFAULT_JOB_OPTIONS, jobId, the delays. */
  static bareJobs(offsets: number[]) {
    return offsets.map((offset) => {
      const id = randomUUID();
      return { name: JOBS.carePlanStepDue, data: { id }, opts: { ...DEFAULT_JOB_OPTIONS, jobId: id, delay: offset } };
    });
  }

  private bareCall(calls: BareCalls, i: number, offsets: number[]): Promise<void> {
    const jobs = CompletionLoad.bareJobs(offsets);
    calls.jobIds[i] = jobs.map((j) => j.opts.jobId);
    const hr = performance.now();
    calls.sentAt[i] = epochNow();
    calls.doneAt[i] = NaN;
    calls.doneMs[i] = NaN;
    return this.o.bare.addBulk(jobs).then(
      () => {
        calls.doneMs[i] = performance.now() - hr;
        calls.doneAt[i] = epochNow();
      },
      () => void calls.failures++,
    );
  }

  private emptyBare(): BareCalls {
    return { jobIds: [], sentAt: [], doneAt: [], doneMs: [], failures: 0, pace: { maxLagMs: 0, seconds: 0 } };
  }

  /** `count` addBulk calls of a plan's jobs at `rate` per second, open loop. */
  async barePaced(count: number, rate: number, offsets: number[]): Promise<BareCalls> {
    const calls = this.emptyBare();
    const pending: Promise<void>[] = [];
    calls.pace = await paced(count, rate, (i) => void pending.push(this.bareCall(calls, i, offsets)));
    await Promise.all(pending);
    return calls;
  }

  /** `count` addBulk calls of a plan's jobs with always `inFlight` outstanding (as fast as Redis takes them). */
  async bareClosed(count: number, inFlight: number, offsets: number[]): Promise<BareCalls> {
    const calls = this.emptyBare();
    const loop = await closedLoop(inFlight, count, () => false, (i) => this.bareCall(calls, i, offsets));
    calls.pace = { maxLagMs: 0, seconds: loop.seconds };
    return calls;
  }

  /** The baseline's jobs in Redis, and per call the latest job timestamp − the call (BullMQ stamps a job client-side). */
  async bareVerify(calls: BareCalls): Promise<BareCheck> {
    const { redis, bare } = this.o;
    const sentAt: number[] = [];
    const latency: number[] = [];
    let lastQueuedAt = NaN;
    let jobs = 0;
    for (let i = 0; i < calls.jobIds.length; i += 500) {
      const pipeline = redis.pipeline();
      const slice = calls.jobIds.slice(i, i + 500);
      for (const ids of slice) for (const id of ids) pipeline.hget(bare.toKey(id), 'timestamp');
      const results = (await pipeline.exec()) ?? [];
      let k = 0;
      slice.forEach((ids, j) => {
        const times = ids.map(() => Number(results[k++]?.[1] ?? NaN));
        jobs += times.filter(Number.isFinite).length;
        if (times.some((t) => !Number.isFinite(t))) return;
        const last = Math.max(...times);
        lastQueuedAt = Number.isFinite(lastQueuedAt) ? Math.max(lastQueuedAt, last) : last;
        sentAt.push(calls.sentAt[i + j]!);
        latency.push(last - calls.sentAt[i + j]!);
      });
    }
    return { jobs, latency, perSecondP99: perSecondP99(sentAt, latency), lastQueuedAt };
  }
}

/** Answers per whole second since `t0` (epoch ms) of the given answer times. */
export function perSecondCounts(times: number[], t0: number): number[] {
  const counts: number[] = [];
  for (const t of times) {
    if (!Number.isFinite(t)) continue;
    const s = Math.floor((t - t0) / 1000);
    counts[s] = (counts[s] ?? 0) + 1;
  }
  return Array.from(counts, (c) => c ?? 0);
}
