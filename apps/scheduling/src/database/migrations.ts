import type { Migration } from '@aftercare/database';
import { messagingMigration } from '@aftercare/messaging';

/** The scheduling schema. Never edit a shipped migration: add the next one. */
export const SCHEDULING_MIGRATIONS: Migration[] = [
  messagingMigration('scheduling'),
  {
    id: '0001_init',
    sql: `
-- Exclusion constraints on (id, time range) need btree_gist (trusted since PostgreSQL 13).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE scheduling.clinics (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  timezone text NOT NULL,
  phone text NOT NULL,
  email text,
  opening_hours jsonb NOT NULL,
  grid_minutes integer NOT NULL DEFAULT 15 CHECK (grid_minutes BETWEEN 5 AND 120),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE scheduling.clinicians (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL REFERENCES scheduling.clinics (id),
  name text NOT NULL,
  email text,
  weekly_hours jsonb NOT NULL,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clinicians_clinic ON scheduling.clinicians (clinic_id);

CREATE TABLE scheduling.procedure_types (
  clinic_id uuid NOT NULL REFERENCES scheduling.clinics (id),
  code text NOT NULL,
  name text NOT NULL,
  duration_minutes integer NOT NULL CHECK (duration_minutes > 0),
  buffer_after_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes >= 0),
  PRIMARY KEY (clinic_id, code)
);

-- Rooms and equipment; booking against them comes with the resource-aware scheduler.
CREATE TABLE scheduling.resources (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL REFERENCES scheduling.clinics (id),
  kind text NOT NULL CHECK (kind IN ('room', 'equipment')),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE scheduling.patients (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL REFERENCES scheduling.clinics (id),
  first_name text NOT NULL,
  last_name text NOT NULL,
  phone text NOT NULL,
  email text,
  timezone text NOT NULL,
  preferred_channel text NOT NULL CHECK (preferred_channel IN ('sms', 'email', 'both')),
  sms_consent boolean NOT NULL,
  sms_opted_out boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patients_clinic ON scheduling.patients (clinic_id, last_name, first_name);
CREATE INDEX patients_phone ON scheduling.patients (clinic_id, phone);

CREATE TABLE scheduling.appointments (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL REFERENCES scheduling.clinics (id),
  patient_id uuid NOT NULL REFERENCES scheduling.patients (id),
  clinician_id uuid NOT NULL REFERENCES scheduling.clinicians (id),
  procedure_type text NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  -- ends_at plus the procedure type's buffer (clean-up, recovery): the clinician is busy until then.
  blocks_until timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('booked', 'confirmed', 'checked_in', 'completed', 'cancelled', 'no_show')),
  notes text,
  site text,
  completed_at timestamptz,
  cancelled_at timestamptz,
  cancel_reason text,
  sequence integer NOT NULL DEFAULT 0,
  idempotency_key text,
  request_fingerprint text,
  booked_by_care_plan boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at AND blocks_until >= ends_at),
  FOREIGN KEY (clinic_id, procedure_type) REFERENCES scheduling.procedure_types (clinic_id, code),
  UNIQUE (clinic_id, idempotency_key),
  -- Double booking is impossible in the database itself, not only checked before insert.
  CONSTRAINT appointments_clinician_overlap EXCLUDE USING gist (
    clinician_id WITH =, tstzrange(starts_at, blocks_until) WITH &&
  ) WHERE (status IN ('booked', 'confirmed', 'checked_in')),
  CONSTRAINT appointments_patient_overlap EXCLUDE USING gist (
    patient_id WITH =, tstzrange(starts_at, ends_at) WITH &&
  ) WHERE (status IN ('booked', 'confirmed', 'checked_in'))
);
CREATE INDEX appointments_clinician_time ON scheduling.appointments (clinician_id, starts_at);
CREATE INDEX appointments_patient ON scheduling.appointments (patient_id, starts_at);
CREATE INDEX appointments_clinic_time ON scheduling.appointments (clinic_id, starts_at);
`,
  },
];
