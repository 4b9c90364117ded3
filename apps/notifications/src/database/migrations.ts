import type { Migration } from '@aftercare/database';
import { messagingMigration } from '@aftercare/messaging';

/** The notifications schema. Never edit a shipped migration: add the next one. */
export const NOTIFICATIONS_MIGRATIONS: Migration[] = [
  messagingMigration('notifications'),
  {
    id: '0001_init',
    sql: `
-- Copies kept from scheduling's events: who to write to, and about what.
CREATE TABLE notifications.clinics (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  phone text NOT NULL,
  email text,
  timezone text NOT NULL
);

CREATE TABLE notifications.recipients (
  id uuid PRIMARY KEY,                -- the patient id
  clinic_id uuid NOT NULL,
  first_name text NOT NULL,
  phone text NOT NULL,
  email text,
  timezone text NOT NULL,
  language text NOT NULL DEFAULT 'en',
  preferred_channel text NOT NULL CHECK (preferred_channel IN ('sms', 'email', 'both')),
  sms_consent boolean NOT NULL,
  sms_opted_out boolean NOT NULL DEFAULT false,
  sms_opted_out_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recipients_phone ON notifications.recipients (phone, updated_at DESC);

CREATE TABLE notifications.appointments (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL,
  patient_id uuid NOT NULL,
  clinician_id uuid NOT NULL,
  clinician_name text NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('booked', 'cancelled')),
  sequence integer NOT NULL
);
CREATE INDEX appointments_patient ON notifications.appointments (patient_id, starts_at);

-- Every message, outbound and inbound. A scheduled message is a row first; its BullMQ job
-- (jobId = id) wakes it at send_at. Sending is a state machine on this row.
CREATE TABLE notifications.messages (
  id uuid PRIMARY KEY,
  clinic_id uuid,
  patient_id uuid,
  channel text NOT NULL CHECK (channel IN ('sms', 'email')),
  direction text NOT NULL CHECK (direction IN ('outbound', 'inbound')),
  kind text NOT NULL,
  status text NOT NULL CHECK (status IN ('scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'cancelled', 'suppressed', 'received')),
  body text NOT NULL,
  subject text,
  ics text,
  to_address text,
  from_address text,
  send_at timestamptz,
  sent_at timestamptz,
  delivered_at timestamptz,
  provider text,
  provider_message_id text UNIQUE,
  error_code text,
  error text,
  attempts integer NOT NULL DEFAULT 0,
  appointment_id uuid,
  step_id uuid,
  -- What this message is for ("appointment:<id>:reminder-48h:sms"): the same cause never
  -- makes a second message, whatever is redelivered or retried.
  dedupe_key text UNIQUE,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_pending ON notifications.messages (send_at, id) WHERE status IN ('scheduled', 'queued', 'sending');
CREATE INDEX messages_patient ON notifications.messages (patient_id, created_at);
CREATE INDEX messages_appointment ON notifications.messages (appointment_id) WHERE appointment_id IS NOT NULL;
`,
  },
];
