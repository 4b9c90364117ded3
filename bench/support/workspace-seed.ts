import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';

/**
 * The workspace bench's data (issue 5), straight into followup's schema with set-based SQL
 * (generate_series; no events, no jobs): patients, care plans, the due list's items and the plans'
 * pain scores, shaped like a group of clinics some months into using Aftercare.
 *
 * Shape (for `items` follow-up items):
 *   - patients: items / 10; care plans: items × 0.15 (a third of the patients had an earlier
 *     procedure: that older plan is `completed`, all its items done);
 *   - each plan has up to 7 items, by slot k: 0 follow-up visit, 1 repeat evaluation,
 *     2 attention (high score / score rise / missed check-ins), 3 booking task (follow-up visit or
 *     repeat injection), 4 a second follow-up visit, 5 booking task (reschedule request, rebook,
 *     or a front-desk call — off the clinician's list), 6 a second (reassess) evaluation;
 *   - items of active plans are open or done at random (attention items mostly done); open
 *     ones are overdue (by 1–30 days), due today (±2 h of now), or upcoming (1–60 days), 5 %
 *     snoozed for 1–7 days; open attention items are due (raised in the last 5 days);
 *   - every plan has 1–6 weekly pain scores (those not in the future);
 *   - clinicians: the plan's clinician, one of `clinicianIds`, spread evenly.
 * Deterministic: the same numbers give the same rows (setseed, md5-derived ids).
 */
export interface WorkspaceSeedOptions {
  clinicId: string;
  items: number;
  clinicianIds: string[];
  log: (line: string) => void;
}

export interface WorkspaceSeed {
  patients: number;
  carePlans: number;
  items: number;
  painScores: number;
  /** items by kind and state, open items by due-list state (as the list computes it, roughly: zone of the patient ignored) */
  mix: { kind: string; status: string; n: number }[];
  openByState: Record<string, number>;
  /** open items on the clinicians' lists: min / median / max per clinician */
  openPerClinician: { min: number; median: number; max: number };
  tableBytes: Record<string, number>;
  seconds: number;
}

const ZONES = `CASE WHEN %n % 20 < 16 THEN 'America/New_York' WHEN %n % 20 = 16 THEN 'America/Chicago' WHEN %n % 20 = 17 THEN 'America/Denver'
  WHEN %n % 20 = 18 THEN 'America/Los_Angeles' ELSE 'America/Phoenix' END`;
const zoneOf = (n: string) => ZONES.replaceAll('%n', `(${n})`);
const FIRST = `(ARRAY['Ana','Ben','Carla','David','Elif','Farid','Grace','Hugo','Ines','Jamal','Kira','Luis'])`;
const SITES = `(ARRAY['left knee','right knee','left hip','right hip','left shoulder','right shoulder','lower back'])`;

export async function seedWorkspace(db: pg.Pool, options: WorkspaceSeedOptions): Promise<WorkspaceSeed> {
  const { log, clinicId } = options;
  const t0 = performance.now();
  const patients = Math.max(100, Math.round(options.items / 10));
  const plans = Math.max(patients, Math.round(options.items * 0.15));
  const older = plans - patients; // plans m <= older are the patients' earlier, completed plans
  const clinicians = options.clinicianIds;
  const client = await db.connect();
  const step = async (label: string, sql: string, values: unknown[]) => {
    const s = performance.now();
    const r = await client.query(sql, values);
    log(`  ${label}: ${(r.rowCount ?? 0).toLocaleString('en-US')} rows in ${((performance.now() - s) / 1000).toFixed(1)} s`);
    return r.rowCount ?? 0;
  };
  try {
    await client.query('SELECT setseed(0.20261125)');
    log(`seeding the due list's data straight into followup (SQL, generate_series): ${patients.toLocaleString('en-US')} patients, ${plans.toLocaleString('en-US')} care plans, ${options.items.toLocaleString('en-US')} items across ${clinicians.length} clinicians…`);
    await step(
      'followup.patients',
      `INSERT INTO followup.patients (id, clinic_id, first_name, last_name, timezone)
       SELECT md5('bench-patient-' || n)::uuid, $1, ${FIRST}[1 + n % 12], 'Patient ' || n, ${zoneOf('n')}
       FROM generate_series(1, $2::int) n`,
      [clinicId, patients],
    );
    await step(
      'followup.care_plans',
      `INSERT INTO followup.care_plans (id, clinic_id, patient_id, appointment_id, clinician_id, procedure_type, protocol_code, protocol_version,
                                        status, procedure_completed_at, site, timezone, outcome, created_at, closed_at)
       SELECT md5('bench-plan-' || m)::uuid, $1, md5('bench-patient-' || (1 + (m - 1) % $2::int))::uuid, gen_random_uuid(),
              ($4::uuid[])[1 + (m * 7919) % array_length($4::uuid[], 1)], 'bmac_injection', 'bmac-standard', 1,
              CASE WHEN m <= $3::int THEN 'completed' ELSE 'active' END, done_at, ${SITES}[1 + m % 7], ${zoneOf('1 + (m - 1) % $2::int')},
              CASE WHEN m <= $3::int THEN 'no_repeat' END, done_at, CASE WHEN m <= $3::int THEN done_at + interval '50 days' END
       FROM (SELECT m, CASE WHEN m <= $3::int THEN now() - (200 + random() * 300) * interval '1 day'
                            ELSE now() - random() * 70 * interval '1 day' END AS done_at
             FROM generate_series(1, $5::int) m) g`,
      [clinicId, patients, older, clinicians, plans],
    );

    // Items in chunks, with progress (OFFSET 0 keeps each random() evaluated once per row): item n belongs to plan 1 + (n - 1) % plans, slot k = (n - 1) / plans.
    const chunk = Math.max(10_000, Math.ceil(options.items / 10));
    let inserted = 0;
    for (let from = 1; from <= options.items; from += chunk) {
      const to = Math.min(options.items, from + chunk - 1);
      const s = performance.now();
      const r = await client.query(
        `INSERT INTO followup.follow_up_items (id, clinic_id, patient_id, care_plan_id, clinician_id, kind, cause, reason, due_at, status,
                                               appointment_id, completed_at, completed_by, created_at, source, procedure_type, book_by,
                                               snoozed_until, evidence, occurrences, note)
         SELECT gen_random_uuid(), $1, md5('bench-patient-' || (1 + (m - 1) % $2::int))::uuid, md5('bench-plan-' || m)::uuid,
                ($4::uuid[])[1 + (m * 7919) % array_length($4::uuid[], 1)], kind, cause, reason, due_at, status,
                CASE WHEN kind = 'follow_up_visit' OR source IN ('reschedule_request', 'rebook') THEN gen_random_uuid() END,
                CASE WHEN status = 'done' THEN LEAST(now(), due_at + random() * interval '2 days') END,
                CASE WHEN status = 'done' THEN gen_random_uuid() END,
                LEAST(now(), due_at - interval '1 day'),
                source,
                CASE WHEN source IS NULL OR source IN ('call_patient', 'confirm_opt_out') THEN NULL
                     WHEN source = 'repeat_injection' THEN 'bmac_injection' ELSE 'follow_up_visit' END,
                CASE WHEN kind = 'booking_task' THEN due_at END,
                CASE WHEN status = 'open' AND kind <> 'attention' AND random() < 0.05 THEN now() + (1 + random() * 6) * interval '1 day' END,
                CASE WHEN kind = 'attention' THEN jsonb_build_array(jsonb_build_object('at', due_at, 'reason', reason, 'score', 9, 'previousScore', 4)) END,
                CASE WHEN kind = 'attention' THEN 1 + (m % 3) ELSE 1 END,
                CASE WHEN status = 'done' AND m % 4 = 0 THEN 'Seen; no further action' END
         FROM (
           SELECT n, m, k, kind, cause, source, status,
                  CASE kind WHEN 'attention' THEN CASE cause WHEN 'high_score' THEN 'Pain 9/10 reported (threshold 8)'
                                                             WHEN 'score_rise' THEN 'Pain rose from 4 to 8 (rise of 3 or more)'
                                                             ELSE 'Two check-ins in a row without an answer' END
                            WHEN 'follow_up_visit' THEN 'Follow-up visit booked by the care plan'
                            WHEN 'repeat_evaluation' THEN 'Decide on a repeat injection'
                            ELSE 'Book ' || COALESCE(source, 'it') END AS reason,
                  CASE WHEN status = 'done' THEN now() - (1 + random() * 200) * interval '1 day'
                       WHEN kind = 'attention' THEN now() - random() * 5 * interval '1 day'
                       WHEN r < 0.25 THEN now() - (1 + random() * 29) * interval '1 day'
                       WHEN r < 0.35 THEN now() + (random() * 4 - 2) * interval '1 hour'
                       ELSE now() + (1 + random() * 59) * interval '1 day' END AS due_at
           FROM (
             SELECT n, m, k, kind, source, random() AS r,
                    CASE kind WHEN 'attention' THEN (ARRAY['high_score', 'score_rise', 'missed_checkins'])[1 + m % 3]
                              WHEN 'booking_task' THEN source ELSE kind END AS cause,
                    CASE WHEN m <= $3::int THEN 'done'
                         WHEN random() < CASE WHEN kind = 'attention' THEN 0.85 ELSE 0.55 END THEN 'done' ELSE 'open' END AS status
             FROM (
               SELECT n, m, k,
                      (ARRAY['follow_up_visit', 'repeat_evaluation', 'attention', 'booking_task', 'follow_up_visit', 'booking_task', 'repeat_evaluation'])[1 + k] AS kind,
                      CASE k WHEN 3 THEN (ARRAY['follow_up_visit', 'repeat_injection'])[1 + m % 2]
                             WHEN 5 THEN (ARRAY['reschedule_request', 'rebook', 'call_patient'])[1 + m % 3] END AS source
               FROM (SELECT n, 1 + (n - 1) % $5::int AS m, (n - 1) / $5::int AS k FROM generate_series($6::int, $7::int) n) a
             ) b OFFSET 0
           ) c OFFSET 0
         ) d`,
        [clinicId, patients, older, clinicians, plans, from, to],
      );
      inserted += r.rowCount ?? 0;
      log(`  followup.follow_up_items: ${inserted.toLocaleString('en-US')} / ${options.items.toLocaleString('en-US')} (${((performance.now() - s) / 1000).toFixed(1)} s for this chunk, ${((performance.now() - t0) / 1000).toFixed(0)} s so far)`);
    }
    const painScores = await step(
      'followup.pain_scores',
      `INSERT INTO followup.pain_scores (id, clinic_id, patient_id, care_plan_id, message_id, score, answered_at)
       SELECT gen_random_uuid(), p.clinic_id, p.patient_id, p.id, gen_random_uuid(),
              GREATEST(0, LEAST(10, 7 - s + floor(random() * 5)::int - 2)), p.procedure_completed_at + s * interval '7 days' + random() * interval '6 hours'
       FROM followup.care_plans p CROSS JOIN generate_series(1, 6) s
       WHERE p.clinic_id = $1 AND p.appointment_id IS NOT NULL AND s <= 1 + (get_byte(decode(md5(p.id::text), 'hex'), 0) % 6)
         AND p.procedure_completed_at + s * interval '7 days' < now()`,
      [clinicId],
    );
    const sv = performance.now();
    for (const table of ['patients', 'care_plans', 'follow_up_items', 'pain_scores']) await client.query(`VACUUM ANALYZE followup.${table}`);
    log(`  VACUUM ANALYZE of the four tables in ${((performance.now() - sv) / 1000).toFixed(1)} s`);

    const mix = (
      await client.query<{ kind: string; status: string; n: string }>(
        `SELECT kind, status, count(*) AS n FROM followup.follow_up_items WHERE clinic_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
        [clinicId],
      )
    ).rows.map((r) => ({ kind: r.kind, status: r.status, n: Number(r.n) }));
    const openByState = Object.fromEntries(
      (
        await client.query<{ state: string; n: string }>(
          `SELECT CASE WHEN kind = 'attention' AND list_at <= now() THEN 'attention (due)'
                       WHEN list_at < date_trunc('day', now()) THEN 'overdue'
                       WHEN list_at < date_trunc('day', now()) + interval '1 day' THEN 'today'
                       ELSE 'upcoming' END AS state, count(*) AS n
             FROM followup.follow_up_items WHERE clinic_id = $1 AND status = 'open' AND list_rank IS NOT NULL GROUP BY 1 ORDER BY 1`,
          [clinicId],
        )
      ).rows.map((r) => [r.state, Number(r.n)]),
    );
    const per = (
      await client.query<{ min: string; median: string; max: string }>(
        `SELECT min(n) AS min, percentile_disc(0.5) WITHIN GROUP (ORDER BY n) AS median, max(n) AS max
           FROM (SELECT clinician_id, count(*) AS n FROM followup.follow_up_items
                  WHERE clinic_id = $1 AND status = 'open' AND list_rank IS NOT NULL GROUP BY 1) x`,
        [clinicId],
      )
    ).rows[0]!;
    const tableBytes = Object.fromEntries(
      (
        await client.query<{ t: string; b: string }>(
          `SELECT c.relname AS t, pg_total_relation_size(c.oid) AS b FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
            WHERE s.nspname = 'followup' AND c.relname IN ('patients', 'care_plans', 'follow_up_items', 'pain_scores')`,
        )
      ).rows.map((r) => [r.t, Number(r.b)]),
    );
    return {
      patients,
      carePlans: plans,
      items: inserted,
      painScores,
      mix,
      openByState,
      openPerClinician: { min: Number(per.min), median: Number(per.median), max: Number(per.max) },
      tableBytes,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    client.release();
  }
}

/**
 * Patients followup knows (rows of followup.patients, as patient.registered would leave them),
 * one per completion the care-plan runs send: a patient's first procedure, so no older plan is
 * superseded. America/New_York, as the clinic.
 */
export async function seedCompletionPatients(db: pg.Pool, clinicId: string, count: number, zone: string): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  for (let i = 0; i < ids.length; i += 10_000) {
    await db.query(
      `INSERT INTO followup.patients (id, clinic_id, first_name, last_name, timezone)
       SELECT id, $2, 'Completion', 'Patient ' || n, $3 FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [ids.slice(i, i + 10_000), clinicId, zone],
    );
  }
  await db.query('ANALYZE followup.patients');
  return ids;
}
