import { getTableName } from 'drizzle-orm';
import type { Pool } from 'pg';
import { BatchedCalls } from './batched-calls.js';
import type { ProtocolDefinition } from './domain/protocol.js';
import { carePlans, followupMessaging, patients, protocolHeads, protocols, steps } from '../database/schema.js';

/**
 * The two statements of a care plan's usual start (`procedure.completed` for a known patient, a
 * protocol to follow and no running plan of the type to supersede), as fixed SQL text: each is a
 * named prepared statement, parsed and planned once per connection, and drizzle builds nothing
 * for them. At hundreds of completions a second, building and mapping the queries was the
 * largest part of followup's CPU and each round trip a part of the latency.
 *
 * The start is one statement with no transaction around it: PostgreSQL commits or rolls back a
 * statement as a whole, so the inbox row, the plan and its steps still commit together (the
 * inbox's guarantee), and the jobs are added after it has committed. Every other case (an
 * unknown patient, no protocol, a plan to supersede) goes through CarePlansService's
 * transactional path, which inserts nothing here first.
 *
 * Under load, the completions that wait behind a running statement go together in the next one
 * (BatchedCalls): LOOKUP_MANY and START_MANY take arrays, one element per completion, with one
 * round trip and one commit for all. A completion that comes alone (at a few a second, always)
 * takes LOOKUP_ONE and START_ONE: PostgreSQL plans an array statement anew at every execution (its
 * generic plan, which assumes 100 elements, looks far dearer than a plan for the actual few), and
 * at one completion a time that planning cost more CPU than the statement itself.
 */

const S = 'followup';
const PATIENTS = `${S}.${getTableName(patients)}`;
const HEADS = `${S}.${getTableName(protocolHeads)}`;
const VERSIONS = `${S}.${getTableName(protocols)}`;
const PLANS = `${S}.${getTableName(carePlans)}`;
const STEPS = `${S}.${getTableName(steps)}`;
const INBOX = `${S}.${getTableName(followupMessaging.inbox)}`;

/**
 * The patient's time zone with the active protocols of the procedure's type in the clinic, each
 * with the definition of its current version: one row per protocol, one row with null protocol
 * columns when the type has none, no row when the patient is unknown. ($1 patient, $2 clinic,
 * $3 procedure type.)
 */
const LOOKUP_ONE = {
  name: 'followup.care-plan.lookup',
  text: `SELECT p.timezone AS "timezone", h.code AS "code", h.site AS "site", h.condition AS "condition",
                v.version AS "version", v.definition AS "definition"
           FROM ${PATIENTS} p
           LEFT JOIN ${HEADS} h ON h.clinic_id = $2::uuid AND h.procedure_type = $3::text AND h.active
           LEFT JOIN ${VERSIONS} v ON v.clinic_id = h.clinic_id AND v.code = h.code AND v.version = h.current_version
          WHERE p.id = $1::uuid`,
};

/**
 * The start itself. `older`: a running plan (active or paused) of the patient for the same
 * procedure type from an earlier procedure of another appointment, i.e. one the new plan must
 * supersede (CarePlanLifecycleService.supersedeOlderPlans); when there is one nothing is written
 * at all and the caller takes the transactional path, which supersedes it. Otherwise: the inbox
 * row (none for an event already handled), the plan when the inbox row is new (none when the
 * appointment already has its plan: one plan per appointment), its steps when the plan is new.
 * Answers one row: whether a plan was in the way, whether the event was new, whether the plan was.
 *
 * $1 event id, $2 event type; the plan: $3 id, $4 clinic, $5 patient, $6 appointment, $7
 * clinician, $8 procedure type, $9 protocol code, $10 its version, $11 completion, $12 site, $13
 * condition, $14 time zone; its steps, one array element each: $15 id, $16 key, $17 kind, $18 due
 * at, $19 window start, $20 window end.
 */
const START_ONE = {
  name: 'followup.care-plan.start',
  text: `WITH older AS (
           SELECT 1 FROM ${PLANS} o
            WHERE o.patient_id = $5::uuid AND o.clinic_id = $4::uuid AND o.procedure_type = $8::text
              AND o.status IN ('active', 'paused') AND o.procedure_completed_at <= $11::timestamptz
              AND o.appointment_id <> $6::uuid
            LIMIT 1
         ), claimed AS (
           INSERT INTO ${INBOX} (event_id, event_type)
           SELECT $1::uuid, $2::text WHERE NOT EXISTS (SELECT 1 FROM older)
           ON CONFLICT DO NOTHING
           RETURNING event_id
         ), plan AS (
           INSERT INTO ${PLANS} (id, clinic_id, patient_id, appointment_id, clinician_id, procedure_type, protocol_code, protocol_version,
                                 status, procedure_completed_at, site, condition, timezone)
           SELECT $3::uuid, $4, $5, $6, $7::uuid, $8, $9::text, $10::int, 'active', $11, $12::text, $13::text, $14::text FROM claimed
           ON CONFLICT (appointment_id) DO NOTHING
           RETURNING id
         ), planned AS (
           INSERT INTO ${STEPS} (id, clinic_id, care_plan_id, patient_id, key, kind, due_at, window_start, window_end, status)
           SELECT s.id, $4, plan.id, $5, s.key, s.kind, s.due_at, s.window_start, s.window_end, 'scheduled'
             FROM plan, unnest($15::uuid[], $16::text[], $17::text[], $18::timestamptz[], $19::timestamptz[], $20::timestamptz[])
                        AS s(id, key, kind, due_at, window_start, window_end)
         )
         SELECT EXISTS (SELECT 1 FROM older) AS "supersedes", EXISTS (SELECT 1 FROM claimed) AS "fresh", EXISTS (SELECT 1 FROM plan) AS "created"`,
};

/**
 * For each completion (ord), the patient's time zone with the active protocols of the
 * procedure's type in the clinic, each with the definition of its current version: one row per
 * protocol, one row with null protocol columns when the type has none, no row when the patient
 * is unknown. ($1 patients, $2 clinics, $3 procedure types.)
 */
const LOOKUP_MANY = {
  name: 'followup.care-plan.lookup-many',
  text: `SELECT q.ord::int AS "ord", p.timezone AS "timezone", hv.code AS "code", hv.site AS "site", hv.condition AS "condition",
                hv.version AS "version", hv.definition AS "definition"
           FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY AS q(patient_id, clinic_id, procedure_type, ord)
           CROSS JOIN LATERAL (SELECT pt.timezone FROM ${PATIENTS} pt WHERE pt.id = q.patient_id LIMIT 1) p
           LEFT JOIN LATERAL (
             SELECT h.code, h.site, h.condition, v.version, v.definition
               FROM ${HEADS} h
               LEFT JOIN ${VERSIONS} v ON v.clinic_id = h.clinic_id AND v.code = h.code AND v.version = h.current_version
              WHERE h.clinic_id = q.clinic_id AND h.procedure_type = q.procedure_type AND h.active
           ) hv ON true`,
};

/**
 * The starts themselves, one per completion (ord). `older`: a running plan (active or paused) of
 * the patient for the same procedure type from an earlier procedure of another appointment, i.e.
 * one the new plan must supersede (CarePlanLifecycleService.supersedeOlderPlans); when there is
 * one nothing is written for that completion and the caller takes the transactional path, which
 * supersedes it. Otherwise: the inbox row (none for an event already handled), the plan when the
 * inbox row is new (none when the appointment already has its plan: one plan per appointment),
 * its steps when the plan is new. Answers one row per completion: whether a plan was in the way,
 * whether the event was new, whether the plan was.
 *
 * A batch never holds two completions of one event, one appointment or one patient's plan of a
 * type (BatchedCalls' keys): rows of one statement do not see each other, so `older` could not
 * see a plan the same statement inserts.
 *
 * The array statements reach the big tables (patients, care plans) through `LATERAL (… LIMIT 1)`,
 * which PostgreSQL cannot turn into a join: each completion is an index probe, however many
 * completions the planner takes the arrays to hold.
 *
 * The plans, one array element each: $1 event id, $2 event type, $3 plan id, $4 clinic, $5
 * patient, $6 appointment, $7 clinician, $8 procedure type, $9 protocol code, $10 its version,
 * $11 completion, $12 site, $13 condition, $14 time zone. Their steps, one element each: $15 the
 * plan's id, $16 id, $17 key, $18 kind, $19 due at, $20 window start, $21 window end.
 */
const START_MANY = {
  name: 'followup.care-plan.start-many',
  text: `WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[], $8::text[], $9::text[],
                                $10::int[], $11::timestamptz[], $12::text[], $13::text[], $14::text[])
                    WITH ORDINALITY AS i(event_id, event_type, id, clinic_id, patient_id, appointment_id, clinician_id, procedure_type,
                                         protocol_code, protocol_version, completed_at, site, condition, timezone, ord)
         ), older AS (
           SELECT i.ord FROM input i
            CROSS JOIN LATERAL (SELECT 1 FROM ${PLANS} o
                                 WHERE o.patient_id = i.patient_id AND o.clinic_id = i.clinic_id AND o.procedure_type = i.procedure_type
                                   AND o.status IN ('active', 'paused') AND o.procedure_completed_at <= i.completed_at
                                   AND o.appointment_id <> i.appointment_id
                                 LIMIT 1) hit
         ), claimed AS (
           INSERT INTO ${INBOX} (event_id, event_type)
           SELECT i.event_id, i.event_type FROM input i WHERE i.ord NOT IN (SELECT ord FROM older)
           ON CONFLICT DO NOTHING
           RETURNING event_id
         ), plan AS (
           INSERT INTO ${PLANS} (id, clinic_id, patient_id, appointment_id, clinician_id, procedure_type, protocol_code, protocol_version,
                                 status, procedure_completed_at, site, condition, timezone)
           SELECT i.id, i.clinic_id, i.patient_id, i.appointment_id, i.clinician_id, i.procedure_type, i.protocol_code, i.protocol_version,
                  'active', i.completed_at, i.site, i.condition, i.timezone
             FROM input i JOIN claimed c ON c.event_id = i.event_id
           ON CONFLICT (appointment_id) DO NOTHING
           RETURNING id
         ), planned AS (
           INSERT INTO ${STEPS} (id, clinic_id, care_plan_id, patient_id, key, kind, due_at, window_start, window_end, status)
           SELECT s.id, i.clinic_id, plan.id, i.patient_id, s.key, s.kind, s.due_at, s.window_start, s.window_end, 'scheduled'
             FROM unnest($15::uuid[], $16::uuid[], $17::text[], $18::text[], $19::timestamptz[], $20::timestamptz[], $21::timestamptz[])
                    AS s(plan_id, id, key, kind, due_at, window_start, window_end)
             JOIN plan ON plan.id = s.plan_id
             JOIN input i ON i.id = s.plan_id
         )
         SELECT i.ord::int AS "ord",
                EXISTS (SELECT 1 FROM older o WHERE o.ord = i.ord) AS "supersedes",
                EXISTS (SELECT 1 FROM claimed c WHERE c.event_id = i.event_id) AS "fresh",
                EXISTS (SELECT 1 FROM plan p WHERE p.id = i.id) AS "created"
           FROM input i ORDER BY i.ord`,
};

/** A row of LOOKUP; the protocol columns are null when the clinic has no active protocol for the type. */
export interface ProtocolCandidate {
  timezone: string;
  code: string | null;
  site: string | null;
  condition: string | null;
  version: number | null;
  definition: ProtocolDefinition | null;
}

export interface StartedPlan {
  event: { id: string; type: string };
  plan: {
    id: string;
    clinicId: string;
    patientId: string;
    appointmentId: string;
    clinicianId: string;
    procedureType: string;
    protocolCode: string;
    protocolVersion: number;
    procedureCompletedAt: Date;
    site: string | null;
    condition: string | null;
    timezone: string;
  };
  steps: { id: string; key: string; kind: string; dueAt: Date; windowStart: Date | null; windowEnd: Date | null }[];
}

export interface StartOutcome {
  /** A running plan of the type is in the way: nothing was written. */
  supersedes: boolean;
  /** The inbox row is new (false: the event was handled before). */
  fresh: boolean;
  /** The plan and its steps were inserted (false: the appointment already has its plan). */
  created: boolean;
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

/** One completion's look-up. */
interface LookupInput {
  patientId: string;
  clinicId: string;
  procedureType: string;
}

/**
 * How many statements of each kind run at once, and how many completions one may carry: a few
 * at once keep both cores of PostgreSQL busy and leave the pool's other connections to the rest
 * of followup; 100 completions make a statement of 800 steps.
 */
const CONCURRENT = 2;
const MAX_BATCH = 100;

export class CarePlanStatements {
  private readonly lookups = new BatchedCalls<LookupInput, ProtocolCandidate[]>({
    run: async (inputs) => (inputs.length === 1 ? [await this.lookupOne(inputs[0]!)] : this.lookupMany(inputs)),
    maxBatch: MAX_BATCH,
    maxConcurrent: CONCURRENT,
  });
  private readonly starts = new BatchedCalls<StartedPlan, StartOutcome>({
    run: async (inputs) => (inputs.length === 1 ? [await this.startOne(inputs[0]!)] : this.startMany(inputs)),
    maxBatch: MAX_BATCH,
    maxConcurrent: CONCURRENT,
    keys: ({ event, plan }) => [`event ${event.id}`, `appointment ${plan.appointmentId}`, `plan ${plan.clinicId} ${plan.patientId} ${plan.procedureType}`],
  });

  constructor(private readonly pool: Pool) {}

  /** LOOKUP's rows: empty when the patient is unknown. */
  lookup(patientId: string, clinicId: string, procedureType: string): Promise<ProtocolCandidate[]> {
    return this.lookups.call({ patientId, clinicId, procedureType });
  }

  start(started: StartedPlan): Promise<StartOutcome> {
    return this.starts.call(started);
  }

  private async lookupOne({ patientId, clinicId, procedureType }: LookupInput): Promise<ProtocolCandidate[]> {
    const { rows } = await this.pool.query<ProtocolCandidate>({ ...LOOKUP_ONE, values: [patientId, clinicId, procedureType] });
    return rows;
  }

  private async startOne({ event, plan, steps: rows }: StartedPlan): Promise<StartOutcome> {
    const { rows: [outcome] } = await this.pool.query<StartOutcome>({
      ...START_ONE,
      values: [
        event.id,
        event.type,
        plan.id,
        plan.clinicId,
        plan.patientId,
        plan.appointmentId,
        plan.clinicianId,
        plan.procedureType,
        plan.protocolCode,
        plan.protocolVersion,
        plan.procedureCompletedAt.toISOString(),
        plan.site,
        plan.condition,
        plan.timezone,
        rows.map((s) => s.id),
        rows.map((s) => s.key),
        rows.map((s) => s.kind),
        rows.map((s) => s.dueAt.toISOString()),
        rows.map((s) => iso(s.windowStart)),
        rows.map((s) => iso(s.windowEnd)),
      ],
    });
    return outcome!;
  }

  private async lookupMany(inputs: LookupInput[]): Promise<ProtocolCandidate[][]> {
    const { rows } = await this.pool.query<ProtocolCandidate & { ord: number }>({
      ...LOOKUP_MANY,
      values: [inputs.map((x) => x.patientId), inputs.map((x) => x.clinicId), inputs.map((x) => x.procedureType)],
    });
    const out = inputs.map((): ProtocolCandidate[] => []);
    for (const { ord, ...candidate } of rows) out[ord - 1]!.push(candidate);
    return out;
  }

  private async startMany(inputs: StartedPlan[]): Promise<StartOutcome[]> {
    const plans = inputs.map((x) => x.plan);
    const steps = inputs.flatMap((x) => x.steps.map((s) => ({ planId: x.plan.id, ...s })));
    const { rows } = await this.pool.query<StartOutcome & { ord: number }>({
      ...START_MANY,
      values: [
        inputs.map((x) => x.event.id),
        inputs.map((x) => x.event.type),
        plans.map((p) => p.id),
        plans.map((p) => p.clinicId),
        plans.map((p) => p.patientId),
        plans.map((p) => p.appointmentId),
        plans.map((p) => p.clinicianId),
        plans.map((p) => p.procedureType),
        plans.map((p) => p.protocolCode),
        plans.map((p) => p.protocolVersion),
        plans.map((p) => p.procedureCompletedAt.toISOString()),
        plans.map((p) => p.site),
        plans.map((p) => p.condition),
        plans.map((p) => p.timezone),
        steps.map((s) => s.planId),
        steps.map((s) => s.id),
        steps.map((s) => s.key),
        steps.map((s) => s.kind),
        steps.map((s) => s.dueAt.toISOString()),
        steps.map((s) => iso(s.windowStart)),
        steps.map((s) => iso(s.windowEnd)),
      ],
    });
    return rows.map(({ supersedes, fresh, created }) => ({ supersedes, fresh, created }));
  }
}
