import type { Migration } from '@aftercare/database';
import { messagingMigration, outboxNotifyMigration } from '@aftercare/messaging';

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
  {
    id: '0002_resources_waitlist',
    sql: `
-- Clinic setup: closures and holidays, clinicians' time off.
CREATE TABLE scheduling.closures (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL REFERENCES scheduling.clinics (id),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX closures_clinic_time ON scheduling.closures (clinic_id, starts_at);

CREATE TABLE scheduling.time_off (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL REFERENCES scheduling.clinics (id),
  clinician_id uuid NOT NULL REFERENCES scheduling.clinicians (id),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX time_off_clinician_time ON scheduling.time_off (clinician_id, starts_at);

-- Rooms and equipment: a category (what it is) and features (what it has).
ALTER TABLE scheduling.resources
  ADD COLUMN category text,
  ADD COLUMN features text[] NOT NULL DEFAULT '{}',
  ADD COLUMN active boolean NOT NULL DEFAULT true;
UPDATE scheduling.resources SET
  category = CASE
    WHEN name ILIKE 'procedure room%' THEN 'procedure_room'
    WHEN name ILIKE 'centrifuge%' THEN 'centrifuge'
    WHEN name ILIKE 'consultation room%' THEN 'consultation_room'
    ELSE kind END,
  features = CASE WHEN name ILIKE '%ultrasound%' THEN '{ultrasound}'::text[] ELSE '{}'::text[] END;
ALTER TABLE scheduling.resources ALTER COLUMN category SET NOT NULL;
ALTER TABLE scheduling.resources ADD CONSTRAINT resources_category_code CHECK (category ~ '^[a-z][a-z0-9_]{0,63}$');
CREATE INDEX resources_clinic ON scheduling.resources (clinic_id, category);

-- What a procedure needs at once: [{ "category": "procedure_room", "features": ["ultrasound"] }, …]
ALTER TABLE scheduling.procedure_types ADD COLUMN requires jsonb NOT NULL DEFAULT '[]';
UPDATE scheduling.procedure_types SET requires = '[{"category":"procedure_room","features":["ultrasound"]},{"category":"centrifuge"}]'
  WHERE code = 'bmac_injection';
UPDATE scheduling.procedure_types SET requires = '[{"category":"consultation_room"}]'
  WHERE code IN ('consultation', 'follow_up_visit');

-- The rooms and equipment an appointment holds, with its time (incl. buffer) copied in, so the
-- database itself refuses two appointments holding one resource at once.
CREATE TABLE scheduling.appointment_resources (
  appointment_id uuid NOT NULL REFERENCES scheduling.appointments (id) ON DELETE CASCADE,
  resource_id uuid NOT NULL REFERENCES scheduling.resources (id),
  clinic_id uuid NOT NULL REFERENCES scheduling.clinics (id),
  during tstzrange NOT NULL,
  -- true while the appointment holds its slot (booked, confirmed, checked in)
  active boolean NOT NULL DEFAULT true,
  PRIMARY KEY (appointment_id, resource_id),
  CONSTRAINT appointment_resources_overlap EXCLUDE USING gist (resource_id WITH =, during WITH &&) WHERE (active)
);
CREATE INDEX appointment_resources_clinic ON scheduling.appointment_resources USING gist (clinic_id, during) WHERE (active);

ALTER TABLE scheduling.appointments
  ADD COLUMN booking_task_id uuid,
  ADD COLUMN waitlist_offer_id uuid;

-- Patients: date of birth for search, language for messages; duplicate checks by phone/e-mail.
ALTER TABLE scheduling.patients
  ADD COLUMN date_of_birth date,
  ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'es'));
CREATE INDEX patients_email ON scheduling.patients (clinic_id, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX patients_dob ON scheduling.patients (clinic_id, date_of_birth) WHERE date_of_birth IS NOT NULL;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX patients_name_trgm ON scheduling.patients USING gin ((lower(first_name || ' ' || last_name)) gin_trgm_ops);

-- The waitlist: who wants a procedure earlier, and the freed slots offered to them.
CREATE TABLE scheduling.waitlist_entries (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL REFERENCES scheduling.clinics (id),
  patient_id uuid NOT NULL REFERENCES scheduling.patients (id),
  procedure_type text NOT NULL,
  clinician_id uuid REFERENCES scheduling.clinicians (id),
  earliest_date date NOT NULL,
  latest_date date NOT NULL,
  status text NOT NULL CHECK (status IN ('waiting', 'offered', 'booked', 'cancelled', 'expired')),
  notes text,
  appointment_id uuid REFERENCES scheduling.appointments (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (latest_date >= earliest_date),
  FOREIGN KEY (clinic_id, procedure_type) REFERENCES scheduling.procedure_types (clinic_id, code)
);
-- One live entry per patient and procedure type.
CREATE UNIQUE INDEX waitlist_entries_live ON scheduling.waitlist_entries (patient_id, procedure_type)
  WHERE status IN ('waiting', 'offered');
CREATE INDEX waitlist_entries_match ON scheduling.waitlist_entries (clinic_id, status, created_at);

CREATE TABLE scheduling.waitlist_offers (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL REFERENCES scheduling.clinics (id),
  entry_id uuid NOT NULL REFERENCES scheduling.waitlist_entries (id),
  patient_id uuid NOT NULL REFERENCES scheduling.patients (id),
  -- Which freed time this offer is for: offers with the same key compete for one slot.
  slot_key text NOT NULL,
  clinician_id uuid NOT NULL REFERENCES scheduling.clinicians (id),
  procedure_type text NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'accepted', 'taken', 'expired', 'withdrawn')),
  expires_at timestamptz NOT NULL,
  appointment_id uuid REFERENCES scheduling.appointments (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  UNIQUE (entry_id, slot_key)
);
CREATE INDEX waitlist_offers_pending ON scheduling.waitlist_offers (expires_at) WHERE status = 'pending';
CREATE INDEX waitlist_offers_slot ON scheduling.waitlist_offers (slot_key);
-- At most one winner per freed slot.
CREATE UNIQUE INDEX waitlist_offers_one_winner ON scheduling.waitlist_offers (slot_key) WHERE status = 'accepted';
`,
  },
  outboxNotifyMigration('scheduling', '0003_outbox_notify'),
  {
    id: '0004_setup_versions',
    sql: `
-- Which version of each clinic's setup (hours, clinicians, procedure types, rooms and equipment)
-- is current, so the scheduling service can keep a copy in memory and check it with one small
-- read instead of reading the setup again for every search and booking. Every change to those
-- tables gives the clinic's row the next value of one sequence, inside the changing transaction:
-- no code path can forget it, and a value is never given twice (a TRUNCATE and new rows start
-- from a version no copy has).
CREATE SEQUENCE scheduling.setup_version_seq;
CREATE TABLE scheduling.setup_versions (
  clinic_id uuid PRIMARY KEY,
  version bigint NOT NULL
);
CREATE FUNCTION scheduling.bump_setup_version() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  clinic uuid;
BEGIN
  IF TG_TABLE_NAME = 'clinics' THEN
    clinic := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
  ELSE
    clinic := CASE WHEN TG_OP = 'DELETE' THEN OLD.clinic_id ELSE NEW.clinic_id END;
  END IF;
  INSERT INTO scheduling.setup_versions (clinic_id, version) VALUES (clinic, nextval('scheduling.setup_version_seq'))
  ON CONFLICT (clinic_id) DO UPDATE SET version = EXCLUDED.version;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER clinics_setup_version AFTER INSERT OR UPDATE OR DELETE ON scheduling.clinics
  FOR EACH ROW EXECUTE FUNCTION scheduling.bump_setup_version();
CREATE TRIGGER clinicians_setup_version AFTER INSERT OR UPDATE OR DELETE ON scheduling.clinicians
  FOR EACH ROW EXECUTE FUNCTION scheduling.bump_setup_version();
CREATE TRIGGER procedure_types_setup_version AFTER INSERT OR UPDATE OR DELETE ON scheduling.procedure_types
  FOR EACH ROW EXECUTE FUNCTION scheduling.bump_setup_version();
CREATE TRIGGER resources_setup_version AFTER INSERT OR UPDATE OR DELETE ON scheduling.resources
  FOR EACH ROW EXECUTE FUNCTION scheduling.bump_setup_version();
INSERT INTO scheduling.setup_versions (clinic_id, version) SELECT id, nextval('scheduling.setup_version_seq') FROM scheduling.clinics;
`,
  },
  {
    id: '0005_setup_versions_calendar',
    sql: `
-- Closures and time off join the setup kept in memory: a change to them moves the version on too.
CREATE TRIGGER closures_setup_version AFTER INSERT OR UPDATE OR DELETE ON scheduling.closures
  FOR EACH ROW EXECUTE FUNCTION scheduling.bump_setup_version();
CREATE TRIGGER time_off_setup_version AFTER INSERT OR UPDATE OR DELETE ON scheduling.time_off
  FOR EACH ROW EXECUTE FUNCTION scheduling.bump_setup_version();
UPDATE scheduling.setup_versions SET version = nextval('scheduling.setup_version_seq');
`,
  },
];
