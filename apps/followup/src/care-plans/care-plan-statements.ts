import { getTableName } from 'drizzle-orm';
import type { Pool } from 'pg';
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
const LOOKUP = {
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
const START = {
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

export class CarePlanStatements {
  constructor(private readonly pool: Pool) {}

  /** LOOKUP's rows: empty when the patient is unknown. */
  async lookup(patientId: string, clinicId: string, procedureType: string): Promise<ProtocolCandidate[]> {
    const { rows } = await this.pool.query<ProtocolCandidate>({ ...LOOKUP, values: [patientId, clinicId, procedureType] });
    return rows;
  }

  async start({ event, plan, steps: rows }: StartedPlan): Promise<StartOutcome> {
    const { rows: [outcome] } = await this.pool.query<StartOutcome>({
      ...START,
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
}
