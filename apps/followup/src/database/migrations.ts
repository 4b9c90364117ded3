import type { Migration } from '@aftercare/database';
import { messagingMigration, outboxNotifyMigration } from '@aftercare/messaging';
import { PROTOCOLS_MIGRATION } from './0005_protocols.migration.js';

/** The followup schema. Never edit a shipped migration: add the next one. */
export const FOLLOWUP_MIGRATIONS: Migration[] = [
  messagingMigration('followup'),
  {
    id: '0001_init',
    sql: `
-- Followup's own copy of what it needs to know about a patient (from patient.* events).
CREATE TABLE followup.patients (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL,
  first_name text NOT NULL,
  last_name text NOT NULL,
  timezone text NOT NULL,
  sms_opted_out boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE followup.protocols (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL,
  code text NOT NULL,
  version integer NOT NULL,
  procedure_type text NOT NULL,
  name text NOT NULL,
  definition jsonb NOT NULL,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (clinic_id, code, version)
);

CREATE TABLE followup.care_plans (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL,
  patient_id uuid NOT NULL REFERENCES followup.patients (id),
  -- One plan per completed procedure: a redelivered procedure.completed finds it and stops.
  appointment_id uuid NOT NULL UNIQUE,
  clinician_id uuid NOT NULL,
  procedure_type text NOT NULL,
  protocol_code text NOT NULL,
  protocol_version integer NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'completed', 'cancelled')),
  procedure_completed_at timestamptz NOT NULL,
  site text,
  timezone text NOT NULL,
  outcome text,
  created_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz
);
CREATE INDEX care_plans_patient ON followup.care_plans (patient_id, created_at);

CREATE TABLE followup.care_plan_steps (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL,
  care_plan_id uuid NOT NULL REFERENCES followup.care_plans (id),
  patient_id uuid NOT NULL,
  key text NOT NULL,
  kind text NOT NULL,
  due_at timestamptz NOT NULL,
  window_start timestamptz,
  window_end timestamptz,
  -- scheduled → sent (a check-in waiting for its answer) → answered / unanswered; or done; or cancelled
  status text NOT NULL CHECK (status IN ('scheduled', 'sent', 'done', 'answered', 'unanswered', 'cancelled')),
  fired_at timestamptz,
  answered_at timestamptz,
  score integer,
  UNIQUE (care_plan_id, key)
);
CREATE INDEX care_plan_steps_pending ON followup.care_plan_steps (due_at, id) WHERE status = 'scheduled';
CREATE INDEX care_plan_steps_open_checkins ON followup.care_plan_steps (patient_id, fired_at) WHERE status = 'sent';

CREATE TABLE followup.follow_up_items (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL,
  patient_id uuid NOT NULL REFERENCES followup.patients (id),
  care_plan_id uuid REFERENCES followup.care_plans (id),
  step_id uuid REFERENCES followup.care_plan_steps (id),
  clinician_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('follow_up_visit', 'repeat_evaluation', 'attention', 'booking_task')),
  -- what raised it: the step's kind, an escalation rule, a decision
  cause text NOT NULL,
  reason text,
  due_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'done')),
  appointment_id uuid,
  note text,
  decision jsonb,
  completed_at timestamptz,
  completed_by uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- A step raises its item once; an escalation cause has one open item per plan at a time.
CREATE UNIQUE INDEX follow_up_items_step ON followup.follow_up_items (step_id, kind) WHERE step_id IS NOT NULL;
CREATE UNIQUE INDEX follow_up_items_open_cause ON followup.follow_up_items (patient_id, care_plan_id, cause) WHERE status = 'open' AND kind = 'attention';
-- One open task per appointment and cause (three R answers make one reschedule task).
CREATE UNIQUE INDEX follow_up_items_open_appointment ON followup.follow_up_items (appointment_id, cause) WHERE status = 'open' AND appointment_id IS NOT NULL;
CREATE INDEX follow_up_items_list ON followup.follow_up_items (clinic_id, status, clinician_id, due_at);

CREATE TABLE followup.pain_scores (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL,
  patient_id uuid NOT NULL REFERENCES followup.patients (id),
  care_plan_id uuid REFERENCES followup.care_plans (id),
  step_id uuid REFERENCES followup.care_plan_steps (id),
  message_id uuid NOT NULL UNIQUE,
  score integer NOT NULL CHECK (score BETWEEN 0 AND 10),
  answered_at timestamptz NOT NULL
);
CREATE INDEX pain_scores_patient ON followup.pain_scores (patient_id, answered_at);
`,
  },
  {
    id: '0002_booking_tasks',
    sql: `
-- What the front desk needs of a booking task: what to book (procedure_type), why (source) and
-- by when (book_by); and the appointment that answered it (booked_appointment_id), which
-- appointment_id cannot hold: there it is the appointment a reschedule or rebook task is about.
ALTER TABLE followup.follow_up_items
  ADD COLUMN source text CHECK (source IN ('follow_up_visit', 'repeat_injection', 'reschedule_request', 'rebook')),
  ADD COLUMN procedure_type text,
  ADD COLUMN book_by timestamptz,
  ADD COLUMN booked_appointment_id uuid;

-- Booking tasks raised before this migration: their cause names their source.
-- No free slot for the care plan's visit: book it by the end of the step's window.
UPDATE followup.follow_up_items i
   SET source = 'follow_up_visit',
       procedure_type = 'follow_up_visit',
       book_by = COALESCE((SELECT s.window_end FROM followup.care_plan_steps s WHERE s.id = i.step_id), i.due_at)
 WHERE i.kind = 'booking_task' AND i.cause = 'follow_up_visit';

-- A repeat injection: the plan's own procedure type, by the decision (when the task was raised) + 28 days.
UPDATE followup.follow_up_items i
   SET source = 'repeat_injection',
       procedure_type = COALESCE((SELECT p.procedure_type FROM followup.care_plans p WHERE p.id = i.care_plan_id), 'bmac_injection'),
       book_by = i.created_at + interval '28 days'
 WHERE i.kind = 'booking_task' AND i.cause = 'repeat_injection';

-- A reschedule request: by the appointment's start, which these rows kept only at the end of
-- their reason ("... the appointment of <ISO time>"); the type is known only for a care-plan
-- visit. The old reason showed a raw timestamp, so it takes the new wording.
UPDATE followup.follow_up_items i
   SET source = 'reschedule_request',
       procedure_type = CASE
         WHEN EXISTS (SELECT 1 FROM followup.follow_up_items v WHERE v.kind = 'follow_up_visit' AND v.appointment_id = i.appointment_id)
         THEN 'follow_up_visit' ELSE 'unknown' END,
       book_by = CASE
         WHEN i.reason ~ 'appointment of \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$'
         THEN substring(i.reason from 'appointment of (\\S+)$')::timestamptz
         ELSE i.due_at END,
       reason = 'The patient asked by SMS to reschedule this appointment'
 WHERE i.kind = 'booking_task' AND i.cause = 'reschedule_request';

ALTER TABLE followup.follow_up_items ADD CONSTRAINT follow_up_items_booking_task_fields
  CHECK (kind <> 'booking_task' OR (source IS NOT NULL AND procedure_type IS NOT NULL AND book_by IS NOT NULL));

-- A cancelled or missed follow-up visit makes one task per appointment and change (cause
-- 'rebook:<sequence>'), open or done: a redelivered or repeated event finds it and stops.
CREATE UNIQUE INDEX follow_up_items_rebook ON followup.follow_up_items (appointment_id, cause) WHERE source = 'rebook';
-- The front desk's list, in book-by order.
CREATE INDEX follow_up_items_booking_tasks ON followup.follow_up_items (clinic_id, status, book_by, created_at) WHERE kind = 'booking_task';
-- appointment.* events find the items about, or answered by, their appointment.
CREATE INDEX follow_up_items_appointment ON followup.follow_up_items (appointment_id) WHERE appointment_id IS NOT NULL;
CREATE INDEX follow_up_items_booked_appointment ON followup.follow_up_items (booked_appointment_id) WHERE booked_appointment_id IS NOT NULL;
`,
  },
  {
    id: '0003_patient_messages',
    sql: `
-- The front desk's list also holds calls to make (no message reached the patient) and opt-outs
-- to confirm (a text that asked to stop without the keyword); neither books a procedure, and a
-- call may concern a patient no clinician follows yet.
ALTER TABLE followup.follow_up_items ALTER COLUMN clinician_id DROP NOT NULL;
-- The patient's latest texts on a "the patient wrote" attention item, newest first.
ALTER TABLE followup.follow_up_items ADD COLUMN texts jsonb;
ALTER TABLE followup.follow_up_items DROP CONSTRAINT IF EXISTS follow_up_items_source_check;
ALTER TABLE followup.follow_up_items ADD CONSTRAINT follow_up_items_source_check
  CHECK (source IN ('follow_up_visit', 'repeat_injection', 'reschedule_request', 'rebook', 'call_patient', 'confirm_opt_out'));
ALTER TABLE followup.follow_up_items DROP CONSTRAINT follow_up_items_booking_task_fields;
ALTER TABLE followup.follow_up_items ADD CONSTRAINT follow_up_items_booking_task_fields
  CHECK (kind <> 'booking_task' OR (source IS NOT NULL AND book_by IS NOT NULL
    AND (procedure_type IS NOT NULL OR source IN ('call_patient', 'confirm_opt_out'))));
ALTER TABLE followup.follow_up_items ADD CONSTRAINT follow_up_items_clinician
  CHECK (clinician_id IS NOT NULL OR source IN ('call_patient', 'confirm_opt_out'));
-- One task per message that caused it, however often the event is delivered.
CREATE UNIQUE INDEX follow_up_items_message_cause ON followup.follow_up_items (cause) WHERE cause LIKE 'message:%';
-- One open "the patient wrote" attention item per patient: later texts are added to it.
CREATE UNIQUE INDEX follow_up_items_open_text ON followup.follow_up_items (patient_id) WHERE status = 'open' AND cause = 'patient-text';
`,
  },
  {
    id: '0004_workspace',
    sql: `
-- The clinician's workspace (issue 5): snoozing, the due list's sort key, the evidence on
-- attention items, the audit of every action, and the clinic's escalation rules.
ALTER TABLE followup.follow_up_items
  ADD COLUMN snoozed_until timestamptz,
  -- Attention items gather evidence: each worrying answer updates the one open item per cause.
  ADD COLUMN evidence jsonb,
  ADD COLUMN occurrences integer NOT NULL DEFAULT 1,
  ADD COLUMN updated_at timestamptz,
  -- Where the item sits on the due list: its due time, or the end of its snooze when later.
  ADD COLUMN list_at timestamptz GENERATED ALWAYS AS (GREATEST(due_at, snoozed_until)) STORED,
  -- 0 attention, 1 the rest; NULL keeps the front desk's calls and opt-outs off the due list.
  ADD COLUMN list_rank smallint GENERATED ALWAYS AS (
    CASE WHEN source IN ('call_patient', 'confirm_opt_out') THEN NULL WHEN kind = 'attention' THEN 0 ELSE 1 END
  ) STORED;

-- Keyset pages of the due list (due-list.query.ts): (list_rank, list_at, id) per clinician or
-- per clinic, a kind's items in (list_at, id) order, and done items newest first.
DROP INDEX IF EXISTS followup.follow_up_items_list;
CREATE INDEX follow_up_items_due_clinician ON followup.follow_up_items (clinic_id, clinician_id, list_rank, list_at, id)
  WHERE status = 'open' AND list_rank IS NOT NULL;
CREATE INDEX follow_up_items_due_clinic ON followup.follow_up_items (clinic_id, list_rank, list_at, id)
  WHERE status = 'open' AND list_rank IS NOT NULL;
CREATE INDEX follow_up_items_due_kind ON followup.follow_up_items (clinic_id, kind, list_at, id)
  WHERE status = 'open' AND list_rank IS NOT NULL;
CREATE INDEX follow_up_items_done_clinician ON followup.follow_up_items (clinic_id, clinician_id, completed_at DESC, id DESC)
  WHERE status = 'done' AND list_rank IS NOT NULL;
CREATE INDEX follow_up_items_done_clinic ON followup.follow_up_items (clinic_id, completed_at DESC, id DESC)
  WHERE status = 'done' AND list_rank IS NOT NULL;
-- The pain trend of a page of items, by plan.
CREATE INDEX pain_scores_plan_trend ON followup.pain_scores (care_plan_id, answered_at) WHERE care_plan_id IS NOT NULL;

-- Who did what to an item, when: append-only (a trigger refuses changes).
CREATE TABLE followup.item_actions (
  id uuid PRIMARY KEY,
  -- Insertion order: two actions in the same millisecond still read in the order they happened.
  seq bigint GENERATED ALWAYS AS IDENTITY,
  clinic_id uuid NOT NULL,
  item_id uuid NOT NULL REFERENCES followup.follow_up_items (id),
  action text NOT NULL CHECK (action IN ('raised', 'evidence', 'completed', 'snoozed', 'reassigned', 'decided')),
  -- The user; null for the system (an escalation rule, a care-plan step).
  actor_id uuid,
  actor_role text NOT NULL,
  at timestamptz NOT NULL,
  note text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX item_actions_item ON followup.item_actions (item_id, seq);
CREATE FUNCTION followup.item_actions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'followup.item_actions is append-only';
END
$$;
CREATE TRIGGER item_actions_append_only BEFORE UPDATE OR DELETE ON followup.item_actions
  FOR EACH ROW EXECUTE FUNCTION followup.item_actions_append_only();

-- Decisions recorded before decisions had names: true was a repeat, false closed the plan.
UPDATE followup.follow_up_items
   SET decision = decision || jsonb_build_object('decision', CASE WHEN (decision->>'repeatInjection')::boolean THEN 'repeat' ELSE 'no_repeat' END)
 WHERE decision IS NOT NULL AND NOT decision ? 'decision';

-- A clinic's escalation rules; no row: the defaults of PRODUCT.md. A NULL threshold turns its rule off.
CREATE TABLE followup.escalation_settings (
  clinic_id uuid PRIMARY KEY,
  high_score integer CHECK (high_score BETWEEN 1 AND 10),
  rise_by integer CHECK (rise_by BETWEEN 1 AND 10),
  missed_in_a_row integer CHECK (missed_in_a_row BETWEEN 1 AND 10),
  free_text boolean NOT NULL,
  email_alerts boolean NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by uuid
);
`,
  },
  PROTOCOLS_MIGRATION,
  {
    id: '0006_outcomes',
    sql: `
-- Patient-reported outcomes (issue 5): the summary reads the plans of a period, per clinician
-- and protocol, and asks of each whether its repeat injection was booked.
CREATE INDEX care_plans_outcomes ON followup.care_plans (clinic_id, procedure_completed_at);
CREATE INDEX follow_up_items_repeat_booked ON followup.follow_up_items (care_plan_id)
  WHERE source = 'repeat_injection' AND booked_appointment_id IS NOT NULL;
`,
  },
  outboxNotifyMigration('followup', '0007_outbox_notify'),
  {
    id: '0008_visit_cancelling',
    sql: `
-- A follow-up visit step whose plan ended while its visit may have been booked: 'cancelling'
-- until scheduling has cancelled that visit (or found none), then 'cancelled' or 'superseded'.
-- Pending like 'scheduled', so the reconciler keeps its job until the cancel is done.
ALTER TABLE followup.care_plan_steps DROP CONSTRAINT IF EXISTS care_plan_steps_status_check;
ALTER TABLE followup.care_plan_steps ADD CONSTRAINT care_plan_steps_status_check
  CHECK (status IN ('scheduled', 'sent', 'done', 'answered', 'unanswered', 'cancelled', 'paused', 'skipped', 'superseded', 'cancelling'));
DROP INDEX followup.care_plan_steps_pending;
CREATE INDEX care_plan_steps_pending ON followup.care_plan_steps (due_at, id) WHERE status IN ('scheduled', 'cancelling');
`,
  },
  {
    id: '0009_checkin_answer_window',
    sql: `
-- A check-in that went out waits for its answer until answer_due_at (the clinic's answer window
-- after it went out; none when the clinic turned the window off). Then its job wakes it again:
-- it is unanswered, and the missed-in-a-row rule is applied at once, not when the next check-in
-- goes out (the last check-in of a plan has no next one). wake_at is when a step's job is due:
-- its due time while it waits to run, its answer's deadline while it waits for an answer.
ALTER TABLE followup.care_plan_steps ADD COLUMN answer_due_at timestamptz;
ALTER TABLE followup.care_plan_steps ADD COLUMN wake_at timestamptz
  GENERATED ALWAYS AS (CASE WHEN status = 'sent' THEN answer_due_at ELSE due_at END) STORED;
DROP INDEX followup.care_plan_steps_pending;
CREATE INDEX care_plan_steps_pending ON followup.care_plan_steps (wake_at, id)
  WHERE status IN ('scheduled', 'cancelling') OR (status = 'sent' AND answer_due_at IS NOT NULL);
-- An answer belongs to the check-in that was out when the patient sent it: the newest one that
-- went out by then (a text held while a service was down is handled later).
CREATE INDEX care_plan_steps_fired_checkins ON followup.care_plan_steps (patient_id, fired_at)
  WHERE kind = 'checkin' AND fired_at IS NOT NULL;
-- The clinic's answer window in hours (null: off, a check-in is missed only when the next goes
-- out); clinics with rules of their own get the default, as clinics without a row do.
ALTER TABLE followup.escalation_settings ADD COLUMN answer_window_hours integer DEFAULT 48;
`,
  },
];
