import type { Migration } from '@aftercare/database';

/**
 * Protocols an admin edits (one head per code, the versions below it) and the care plan's
 * lifecycle (pause, resume, cancel, superseded by a new procedure). Kept in its own file so that
 * migrations.ts only lists it.
 */
export const PROTOCOLS_MIGRATION: Migration = {
  id: '0005_protocols',
  sql: `
-- One row per protocol code: what it is for (procedure type, optionally a treated site and / or
-- a condition), whether plans may start from it, and its current version. The versions
-- themselves stay in followup.protocols, never changed once written: a running plan keeps the
-- version it started with.
CREATE TABLE followup.protocol_heads (
  clinic_id uuid NOT NULL,
  code text NOT NULL,
  procedure_type text NOT NULL,
  site text,
  -- the site's lower-case words joined by one space ('' for none): two active protocols may not
  -- share procedure type, site and condition, or the choice between them would be arbitrary
  site_key text NOT NULL DEFAULT '',
  condition text,
  name text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  current_version integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by uuid,
  PRIMARY KEY (clinic_id, code)
);
INSERT INTO followup.protocol_heads (clinic_id, code, procedure_type, name, active, current_version, created_at, updated_at)
SELECT DISTINCT ON (clinic_id, code) clinic_id, code, procedure_type, name, active, version, created_at, created_at
  FROM followup.protocols
 ORDER BY clinic_id, code, version DESC;
-- Before this migration one active protocol per procedure type was the rule; keep the newest
-- should a clinic have had two.
UPDATE followup.protocol_heads h SET active = false
 WHERE active AND EXISTS (
   SELECT 1 FROM followup.protocol_heads o
    WHERE o.clinic_id = h.clinic_id AND o.procedure_type = h.procedure_type AND o.active
      AND (o.created_at, o.code) > (h.created_at, h.code));
CREATE UNIQUE INDEX protocol_heads_one_per_scope ON followup.protocol_heads (clinic_id, procedure_type, site_key, COALESCE(condition, '')) WHERE active;
CREATE INDEX protocol_heads_procedure_type ON followup.protocol_heads (clinic_id, procedure_type) WHERE active;

-- Who wrote a version and why.
ALTER TABLE followup.protocols ADD COLUMN created_by uuid, ADD COLUMN note text;

-- Care plans: paused and superseded; the condition treated (for the protocol's choice); why the
-- status last changed; the plan that took over.
ALTER TABLE followup.care_plans DROP CONSTRAINT IF EXISTS care_plans_status_check;
ALTER TABLE followup.care_plans ADD CONSTRAINT care_plans_status_check
  CHECK (status IN ('active', 'paused', 'completed', 'cancelled', 'superseded'));
ALTER TABLE followup.care_plans
  ADD COLUMN condition text,
  ADD COLUMN status_reason text,
  ADD COLUMN paused_at timestamptz,
  ADD COLUMN superseded_by uuid REFERENCES followup.care_plans (id);

-- Steps: paused with their plan; skipped (came due while paused and no longer useful); superseded.
ALTER TABLE followup.care_plan_steps DROP CONSTRAINT IF EXISTS care_plan_steps_status_check;
ALTER TABLE followup.care_plan_steps ADD CONSTRAINT care_plan_steps_status_check
  CHECK (status IN ('scheduled', 'sent', 'done', 'answered', 'unanswered', 'cancelled', 'paused', 'skipped', 'superseded'));
CREATE INDEX care_plan_steps_paused ON followup.care_plan_steps (care_plan_id) WHERE status = 'paused';
CREATE INDEX care_plans_patient_open ON followup.care_plans (patient_id, procedure_type) WHERE status IN ('active', 'paused');

-- Every change of a plan's status: who, when, from what to what, and why.
CREATE TABLE followup.care_plan_changes (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL,
  care_plan_id uuid NOT NULL REFERENCES followup.care_plans (id),
  action text NOT NULL CHECK (action IN ('pause', 'resume', 'cancel', 'supersede')),
  from_status text NOT NULL,
  to_status text NOT NULL,
  reason text,
  -- null for the system (a new procedure superseded the plan)
  user_id uuid,
  at timestamptz NOT NULL,
  -- e.g. { "skipped": 2, "rescheduled": 5 } or { "supersededBy": "<plan id>" }
  details jsonb
);
CREATE INDEX care_plan_changes_plan ON followup.care_plan_changes (care_plan_id, at);
`,
};
