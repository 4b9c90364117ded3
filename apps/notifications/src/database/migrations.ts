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
  {
    id: '0002_waitlist_offers_and_attendance',
    sql: `
-- Copies of the waitlist offers made to patients (waitlist.offered / waitlist.offer-closed):
-- what a YES answers, and what the offer texts are about.
CREATE TABLE notifications.waitlist_offers (
  id uuid PRIMARY KEY,                -- the offer id
  clinic_id uuid NOT NULL,
  entry_id uuid NOT NULL,
  patient_id uuid NOT NULL,
  clinician_id uuid NOT NULL,
  clinician_name text NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'accepted', 'booked', 'taken', 'expired', 'withdrawn')),
  appointment_id uuid,
  -- The inbound YES that accepted it.
  accepted_message_id uuid,
  accepted_at timestamptz,
  closed_at timestamptz,
  created_at timestamptz NOT NULL
);
CREATE INDEX waitlist_offers_open ON notifications.waitlist_offers (patient_id, expires_at) WHERE status = 'pending';

-- The offer an outbound message is about (offer texts, and what follows when it closes).
ALTER TABLE notifications.messages ADD COLUMN waitlist_offer_id uuid;
CREATE INDEX messages_waitlist_offer ON notifications.messages (waitlist_offer_id) WHERE waitlist_offer_id IS NOT NULL;

-- Check-ins and no-shows now reach the appointment copies (their reminders stop).
ALTER TABLE notifications.appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE notifications.appointments ADD CONSTRAINT appointments_status_check CHECK (status IN ('booked', 'checked_in', 'no_show', 'cancelled'));
`,
  },
];
