import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { JobsOptions, Queue } from 'bullmq';
import type pg from 'pg';
import { SystemClock } from '@aftercare/clock';
import { DEMO, JOBS } from '@aftercare/contracts';
import { DEFAULT_JOB_OPTIONS, JobScheduler } from '@aftercare/jobs';

/**
 * The timing bench's data (issue 7, figures 2 and 4): care-plan steps as followup keeps them — a
 * row in followup.care_plan_steps first (set-based SQL, generate_series), then its BullMQ delayed
 * job added by the service's own JobScheduler (jobId = the row's id, payload = the id, the
 * service's job options, delay = due time − now) — and the bare baseline's jobs.
 *
 * Far steps: BENCH_FAR pending steps of bmac-standard plans completed in the last two hours
 * (7 per plan: check-ins of day 1 and 3, weeks 2, 4 and 6, the follow-up visit and the repeat
 * evaluation), due 1–42 days ahead: never due during the bench, and beyond the reconciler's
 * horizon, as the months of steps a clinic's Redis holds. Their patients are followup's only
 * (no message will ever be written for them here).
 *
 * Due steps, for each measured window: one check-in step per plan per patient, each patient new
 * (followup's copy and notifications' recipient, SMS consent, preferred channel SMS, a zone where
 * it is daytime), so the frequency cap and the missed-check-in rule see a first check-in and
 * decide nothing. Deterministic ids: md5 of a label.
 */

/** The service's scheduler, as followup builds it (the Clock: real time, the virtual clock's offset being zero here). */
export const scheduler = new JobScheduler(new SystemClock());

const FAR_STEPS = {
  keys: ['checkin-day-1', 'checkin-day-3', 'follow-up-visit', 'checkin-week-2', 'checkin-week-4', 'checkin-week-6', 'repeat-evaluation'],
  kinds: ['checkin', 'checkin', 'follow_up_visit', 'checkin', 'checkin', 'checkin', 'repeat_evaluation'],
  days: [1, 3, 14, 14, 28, 42, 42],
};
const PER_PLAN = FAR_STEPS.keys.length;
const CHUNK = 100_000;
/** Jobs per addBulk call, and calls in flight at once. */
const BULK = 1_000;
const IN_FLIGHT = 4;

export interface Rates {
  /** step rows (with their patients and plans) inserted per second */
  rows: number;
  /** jobs added per second */
  jobs: number;
}

export interface FarSeed {
  steps: number;
  plans: number;
  rowSeconds: number;
  jobSeconds: number;
  rates: Rates;
}

/** Adds jobs in calls of BULK, IN_FLIGHT at a time. */
async function inBulk<T>(items: T[], add: (batch: T[]) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const from = next;
      next += BULK;
      if (from >= items.length) return;
      await add(items.slice(from, from + BULK));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

/** The service's way: JobScheduler.scheduleMany (jobId = row id, payload { id }, DEFAULT_JOB_OPTIONS, delay to the due time). */
export async function scheduleSteps(queue: Queue, rows: { id: string; dueAt: Date }[]): Promise<void> {
  await inBulk(rows, (batch) => scheduler.scheduleMany(queue, JOBS.carePlanStepDue, batch));
}

export async function seedFarSteps(db: pg.Pool, queue: Queue, options: { far: number; zone: string; log: (line: string) => void }): Promise<FarSeed> {
  const { far, zone, log } = options;
  const plans = Math.ceil(far / PER_PLAN);
  const base = new Date();
  const clinicians = DEMO.clinicians.map((c) => c.id);
  let rowMs = 0;
  let jobMs = 0;
  log(`seeding ${far.toLocaleString('en-US')} far steps (${plans.toLocaleString('en-US')} plans of ${PER_PLAN} steps, due in 1–42 days): rows with SQL, then their jobs with followup's JobScheduler…`);
  for (let from = 1; from <= far; from += CHUNK) {
    const to = Math.min(far, from + CHUNK - 1);
    const p0 = 1 + Math.floor((from - 1) / PER_PLAN);
    const p1 = 1 + Math.floor((to - 1) / PER_PLAN);
    const t0 = performance.now();
    // A plan whose first steps were in the previous chunk exists already (ON CONFLICT).
    await db.query(
      `INSERT INTO followup.patients (id, clinic_id, first_name, last_name, timezone)
       SELECT md5('timing-far-patient-' || p)::uuid, $1, 'Far', 'Patient ' || p, $2 FROM generate_series($3::int, $4::int) p
       ON CONFLICT DO NOTHING`,
      [DEMO.clinicId, zone, p0, p1],
    );
    await db.query(
      `INSERT INTO followup.care_plans (id, clinic_id, patient_id, appointment_id, clinician_id, procedure_type, protocol_code, protocol_version,
                                        status, procedure_completed_at, site, timezone)
       SELECT md5('timing-far-plan-' || p)::uuid, $1, md5('timing-far-patient-' || p)::uuid, md5('timing-far-appointment-' || p)::uuid,
              ($3::uuid[])[1 + p % array_length($3::uuid[], 1)], 'bmac_injection', 'bmac-standard', 1, 'active',
              $4::timestamptz - ((p * 37) % 7200) * interval '1 second', 'left knee', $2
         FROM generate_series($5::int, $6::int) p
       ON CONFLICT DO NOTHING`,
      [DEMO.clinicId, zone, clinicians, base.toISOString(), p0, p1],
    );
    const { rows } = await db.query<{ id: string; dueAt: Date }>(
      `INSERT INTO followup.care_plan_steps (id, clinic_id, care_plan_id, patient_id, key, kind, due_at, window_start, window_end, status)
       SELECT md5('timing-far-step-' || n)::uuid, $1, md5('timing-far-plan-' || p)::uuid, md5('timing-far-patient-' || p)::uuid,
              ($2::text[])[1 + k], ($3::text[])[1 + k], done + ($4::int[])[1 + k] * interval '1 day',
              CASE WHEN k = 2 THEN done + interval '12 days' END, CASE WHEN k = 2 THEN done + interval '16 days' END, 'scheduled'
         FROM (SELECT n, 1 + (n - 1) / ${PER_PLAN} AS p, (n - 1) % ${PER_PLAN} AS k,
                      $5::timestamptz - (((1 + (n - 1) / ${PER_PLAN}) * 37) % 7200) * interval '1 second' AS done
                 FROM generate_series($6::int, $7::int) n) s
       RETURNING id, due_at AS "dueAt"`,
      [DEMO.clinicId, FAR_STEPS.keys, FAR_STEPS.kinds, FAR_STEPS.days, base.toISOString(), from, to],
    );
    const t1 = performance.now();
    await scheduleSteps(queue, rows);
    const t2 = performance.now();
    rowMs += t1 - t0;
    jobMs += t2 - t1;
    log(`  far steps: ${to.toLocaleString('en-US')} / ${far.toLocaleString('en-US')} (this chunk: rows ${((t1 - t0) / 1000).toFixed(1)} s, jobs ${((t2 - t1) / 1000).toFixed(1)} s)`);
  }
  await db.query('ANALYZE followup.patients');
  await db.query('ANALYZE followup.care_plans');
  await db.query('ANALYZE followup.care_plan_steps');
  return { steps: far, plans, rowSeconds: rowMs / 1000, jobSeconds: jobMs / 1000, rates: { rows: far / (rowMs / 1000), jobs: far / (jobMs / 1000) } };
}

/** The bare baseline's far jobs: a 36-byte id payload, the same options and delays, BullMQ's own job ids. */
export async function seedBareFar(queue: Queue, far: number, log: (line: string) => void): Promise<{ seconds: number }> {
  const t0 = performance.now();
  const now = Date.now();
  for (let from = 0; from < far; from += CHUNK) {
    const n = Math.min(CHUNK, far - from);
    const jobs = Array.from({ length: n }, (_, i) => {
      const k = (from + i) % PER_PLAN;
      const done = now - ((Math.floor((from + i) / PER_PLAN) + 1) * 37 % 7200) * 1000;
      return { name: JOBS.carePlanStepDue, data: { id: randomUUID() }, opts: { ...DEFAULT_JOB_OPTIONS, delay: done + FAR_STEPS.days[k]! * 86_400_000 - Date.now() } as JobsOptions };
    });
    await inBulk(jobs, (batch) => queue.addBulk(batch));
    log(`  bare far jobs: ${(from + n).toLocaleString('en-US')} / ${far.toLocaleString('en-US')}`);
  }
  return { seconds: (performance.now() - t0) / 1000 };
}

export interface DueWindowRows {
  /** the step ids in due order, and their due times (ms) */
  ids: string[];
  dueMs: number[];
  /** the patients' numbers, in the same order (the bare jobs text them too) */
  phones: string[];
}

/**
 * A window's patients (followup's copy and notifications' recipient) and their active plans;
 * their check-in steps come with dueSteps once the window's start is fixed.
 */
export async function seedWindowPatients(db: pg.Pool, options: { window: number; due: number; zone: string }): Promise<void> {
  const { window: w, due, zone } = options;
  const label = `timing-w${w}`;
  await db.query(
    `INSERT INTO followup.patients (id, clinic_id, first_name, last_name, timezone)
     SELECT md5($3 || '-patient-' || n)::uuid, $1, 'Due', 'Patient ' || n, $2 FROM generate_series(1, $4::int) n`,
    [DEMO.clinicId, zone, label, due],
  );
  await db.query(
    `INSERT INTO notifications.recipients (id, clinic_id, first_name, phone, timezone, preferred_channel, sms_consent)
     SELECT md5($3 || '-patient-' || n)::uuid, $1, 'Due', ${phoneSql('$4', 'n')}, $2, 'sms', true FROM generate_series(1, $5::int) n`,
    [DEMO.clinicId, zone, label, w, due],
  );
  await db.query(
    `INSERT INTO followup.care_plans (id, clinic_id, patient_id, appointment_id, clinician_id, procedure_type, protocol_code, protocol_version,
                                      status, procedure_completed_at, site, timezone)
     SELECT md5($3 || '-plan-' || n)::uuid, $1, md5($3 || '-patient-' || n)::uuid, md5($3 || '-appointment-' || n)::uuid,
            ($4::uuid[])[1 + n % array_length($4::uuid[], 1)], 'bmac_injection', 'bmac-standard', 1, 'active', now() - interval '1 day', 'left knee', $2
       FROM generate_series(1, $5::int) n`,
    [DEMO.clinicId, zone, label, DEMO.clinicians.map((c) => c.id), due],
  );
}

/** '+1' and ten digits, different for every patient of every window. */
const phoneSql = (w: string, n: string) => `'+1' || (5000000000::bigint + ${w}::bigint * 10000000 + ${n})::text`;
export const phoneOf = (w: number, n: number) => `+1${5_000_000_000 + w * 10_000_000 + n}`;

/**
 * The window's check-in steps (day 1, now due), due evenly over `windowMs` from `startMs`:
 * step n (1-based) at start + (n − 1) × window / due. Rows only: the caller adds their jobs.
 */
export async function dueSteps(db: pg.Pool, options: { window: number; due: number; startMs: number; windowMs: number }): Promise<DueWindowRows> {
  const { window: w, due, startMs, windowMs } = options;
  const label = `timing-w${w}`;
  const { rows } = await db.query<{ id: string; dueAt: Date }>(
    `INSERT INTO followup.care_plan_steps (id, clinic_id, care_plan_id, patient_id, key, kind, due_at, status)
     SELECT md5($2 || '-step-' || n)::uuid, $1, md5($2 || '-plan-' || n)::uuid, md5($2 || '-patient-' || n)::uuid,
            'checkin-day-1', 'checkin', to_timestamp(($3::float8 + (n - 1) * $4::float8 / $5::int) / 1000), 'scheduled'
       FROM generate_series(1, $5::int) n
     RETURNING id, due_at AS "dueAt"`,
    [DEMO.clinicId, label, startMs, windowMs, due],
  );
  // In step order (n), as PostgreSQL made the ids: md5 of the label.
  const dueOf = new Map(rows.map((r) => [r.id, r.dueAt.getTime()]));
  const ids = Array.from({ length: due }, (_, i) => md5Uuid(`${label}-step-${i + 1}`));
  const missing = ids.filter((id) => !dueOf.has(id)).length;
  if (missing) throw new Error(`${missing} of the window's ${due} steps were not inserted`);
  return { ids, dueMs: ids.map((id) => dueOf.get(id)!), phones: ids.map((_, i) => phoneOf(w, i + 1)) };
}

/** PostgreSQL's md5(text)::uuid. */
export function md5Uuid(text: string): string {
  const h = createHash('md5').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Where the time of a window's seeding goes: rows, then jobs (estimated from the far seeding's rates, with room to spare). */
export function seedingEstimateMs(due: number, rates: Rates, withRows: boolean): number {
  return 1.5 * 1000 * ((withRows ? due / rates.rows : 0) + due / rates.jobs) + 1_000;
}
