import type { Migration } from '@aftercare/database';
import { messagingMigration, outboxNotifyMigration } from '@aftercare/messaging';

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
  {
    id: '0003_delivery',
    sql: `
-- Retries wait in the row (next_attempt_at); the job wakes the row at due_at, the later of its
-- send time and its next attempt. send_at stays the time the message was meant for.
ALTER TABLE notifications.messages ADD COLUMN next_attempt_at timestamptz;
ALTER TABLE notifications.messages ADD COLUMN due_at timestamptz GENERATED ALWAYS AS (GREATEST(send_at, next_attempt_at)) STORED;
CREATE INDEX messages_due ON notifications.messages (due_at, id) WHERE status IN ('scheduled', 'queued', 'sending');
-- Set (database time, the provider's clock is real) when a provider call starts whose outcome
-- we do not know yet; cleared once it is known. Set at pick-up means: ask the provider before
-- sending again (the call may have been accepted and the answer lost).
ALTER TABLE notifications.messages ADD COLUMN unconfirmed_since timestamptz;
-- The message this one replaces on another channel (an e-mail for an SMS that could not go).
ALTER TABLE notifications.messages ADD COLUMN fallback_of uuid REFERENCES notifications.messages (id);
CREATE UNIQUE INDEX messages_fallback_of ON notifications.messages (fallback_of) WHERE fallback_of IS NOT NULL;
-- When this message's failure asked the front desk to call (patient.unreachable): once per cause.
ALTER TABLE notifications.messages ADD COLUMN unreachable_at timestamptz;
-- Messages that found no channel before this migration are not turned into calls after the fact.
UPDATE notifications.messages SET unreachable_at = updated_at WHERE status = 'suppressed' AND error_code = 'NO_CHANNEL';
-- Messages with no channel whose call is still to be asked for (delivery-status sweep).
CREATE INDEX messages_unreachable_due ON notifications.messages (send_at, id) WHERE error_code = 'NO_CHANNEL' AND unreachable_at IS NULL;

-- The number that the carrier reported as unable to take SMS (Twilio 30003/30005/30006). It
-- holds while the patient still has that number; a new number starts clean.
ALTER TABLE notifications.recipients ADD COLUMN sms_undeliverable_phone text;
ALTER TABLE notifications.recipients ADD COLUMN sms_undeliverable_at timestamptz;
ALTER TABLE notifications.recipients ADD COLUMN sms_undeliverable_code text;

-- Status history: one row per change of a message's status, whoever made it (the sender, a
-- provider callback, a cancellation), written by a trigger in the same transaction.
CREATE TABLE notifications.message_events (
  id bigserial PRIMARY KEY,
  message_id uuid NOT NULL REFERENCES notifications.messages (id) ON DELETE CASCADE,
  status text NOT NULL,
  at timestamptz NOT NULL,
  error_code text,
  error text,
  -- 'sender', 'provider' (a status callback), 'system' (anything else)
  source text NOT NULL
);
CREATE INDEX message_events_message ON notifications.message_events (message_id, id);

CREATE FUNCTION notifications.record_message_event() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NEW;
  END IF;
  INSERT INTO notifications.message_events (message_id, status, at, error_code, error, source)
  VALUES (
    NEW.id,
    NEW.status,
    CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE NEW.updated_at END,
    -- An error belongs to the statuses that say something went wrong (a retry waits in queued).
    CASE WHEN NEW.status IN ('queued', 'failed', 'undelivered', 'suppressed', 'cancelled') THEN NEW.error_code END,
    CASE WHEN NEW.status IN ('queued', 'failed', 'undelivered', 'suppressed', 'cancelled') THEN NEW.error END,
    COALESCE(NULLIF(current_setting('aftercare.status_source', true), ''), 'system')
  );
  RETURN NEW;
END
$fn$;
CREATE TRIGGER messages_status_history AFTER INSERT OR UPDATE OF status ON notifications.messages
  FOR EACH ROW EXECUTE FUNCTION notifications.record_message_event();

-- What the history of messages sent before this migration can still say: where they are now.
INSERT INTO notifications.message_events (message_id, status, at, error_code, error, source)
SELECT id, status, updated_at, error_code, error, 'migration' FROM notifications.messages;

-- Twilio's status callbacks as they came (the fields we use; never the numbers or the text),
-- acknowledged at once and applied after. The unique key makes a replay a no-op.
CREATE TABLE notifications.delivery_callbacks (
  id uuid PRIMARY KEY,
  provider text NOT NULL,
  message_sid text NOT NULL,
  -- Ours, from the StatusCallback URL: finds the message even when the send's answer was lost.
  message_id uuid,
  provider_status text NOT NULL,
  error_code text NOT NULL DEFAULT '',
  received_at timestamptz NOT NULL,
  processed_at timestamptz,
  outcome text,
  UNIQUE (provider, message_sid, provider_status, error_code)
);
CREATE INDEX delivery_callbacks_unprocessed ON notifications.delivery_callbacks (received_at, id) WHERE processed_at IS NULL;
`,
  },
  {
    id: '0004_templates_caps',
    sql: `
-- A clinic's own wording of one message kind in one language (templates.service.ts). A null
-- part uses the built-in default; deleting the row restores the defaults.
CREATE TABLE notifications.template_overrides (
  clinic_id uuid NOT NULL,
  kind text NOT NULL,
  language text NOT NULL,
  sms_body text,
  email_subject text,
  email_body text,
  updated_by uuid,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (clinic_id, kind, language),
  CHECK (sms_body IS NOT NULL OR email_subject IS NOT NULL OR email_body IS NOT NULL)
);

-- A text that asks in words to stop ("please stop texting me") holds automated SMS until the
-- patient answers STOP or START, or staff record the opt-out. Not an opt-out by itself.
ALTER TABLE notifications.recipients ADD COLUMN sms_held_at timestamptz;
ALTER TABLE notifications.recipients ADD COLUMN sms_hold_message_id uuid;

-- The frequency cap counts a patient's outbound SMS around a send time.
CREATE INDEX messages_patient_sms_send ON notifications.messages (patient_id, send_at) WHERE channel = 'sms' AND direction = 'outbound';
`,
  },
  {
    id: '0005_send_time',
    sql: `
-- How a message is timed (send-timing.policy.ts), kept so that the sender can check quiet hours
-- again right before the provider call (a retry, or a job late after an outage): 'at_once' (an
-- answer to the patient's own message: any hour), 'later' (out of quiet hours, later),
-- 'reminder' (earlier while that is still ahead, else later, and dropped once too late to be of
-- use). NULL (rows written elsewhere, e.g. fallback e-mails): 'reminder' for a reminder of an
-- appointment, else 'later'.
ALTER TABLE notifications.messages ADD COLUMN timing text CHECK (timing IN ('at_once', 'later', 'reminder'));
UPDATE notifications.messages m
   SET timing = CASE
     WHEN m.kind = 'reminder' AND m.appointment_id IS NOT NULL THEN 'reminder'
     -- Booked from the patient's YES: the confirmation answers their own text.
     WHEN m.kind = 'booking_confirmation' AND EXISTS (SELECT 1 FROM notifications.waitlist_offers o WHERE o.appointment_id = m.appointment_id) THEN 'at_once'
     ELSE 'later'
   END
 WHERE m.direction = 'outbound' AND m.status IN ('scheduled', 'queued', 'sending');

-- When the provider was last asked for the delivery report of an SMS still 'sent' (a status
-- callback lost while notifications was down is never sent again by Twilio).
ALTER TABLE notifications.messages ADD COLUMN report_checked_at timestamptz;
CREATE INDEX messages_awaiting_report ON notifications.messages (sent_at, id) WHERE status = 'sent' AND channel = 'sms' AND direction = 'outbound';
`,
  },
  {
    id: '0006_lighter_sends',
    sql: `
-- Every change of a message's row writes an entry in each of its indexes (a status change is
-- never a HOT update), and a send changes the row twice. messages_due (due_at, id) serves every
-- reader of the pending rows (the reconciler, the jobs); messages_pending (send_at, id) served
-- none any more.
DROP INDEX notifications.messages_pending;

-- The status history is an audit trail written only by the messages' own trigger (NEW.id always
-- exists): the foreign key checked that again for each entry - a row lock and a lookup per
-- status change - and its ON DELETE CASCADE would have erased a message's history with it.
-- Messages are never deleted; were one ever, its history stays.
ALTER TABLE notifications.message_events DROP CONSTRAINT message_events_message_id_fkey;
`,
  },
  outboxNotifyMigration('notifications', '0007_outbox_notify'),
  {
    id: '0008_status_history_per_statement',
    sql: `
-- The status history written once per statement, not once per row: a send's claim and its
-- record each change a batch of rows in one statement (the sender shares them among the sends
-- under way), and a row trigger ran its function and its own INSERT for every row of it. The
-- statement's transition tables give all the changed rows to one INSERT ... SELECT. The entries
-- are the same: one per new row and per status change, with the same time, error and source.
-- (A trigger with transition tables cannot be limited to UPDATE OF status: every UPDATE of
-- messages captures its rows, and the join keeps the status changes. A backfill of the whole
-- table would capture the whole table: disable the update trigger around one.)
DROP TRIGGER messages_status_history ON notifications.messages;
DROP FUNCTION notifications.record_message_event();

CREATE FUNCTION notifications.record_message_events() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO notifications.message_events (message_id, status, at, error_code, error, source)
    SELECT n.id, n.status, n.created_at,
           -- An error belongs to the statuses that say something went wrong (a retry waits in queued).
           CASE WHEN n.status IN ('queued', 'failed', 'undelivered', 'suppressed', 'cancelled') THEN n.error_code END,
           CASE WHEN n.status IN ('queued', 'failed', 'undelivered', 'suppressed', 'cancelled') THEN n.error END,
           COALESCE(NULLIF(current_setting('aftercare.status_source', true), ''), 'system')
      FROM new_rows n;
  ELSE
    INSERT INTO notifications.message_events (message_id, status, at, error_code, error, source)
    SELECT n.id, n.status, n.updated_at,
           CASE WHEN n.status IN ('queued', 'failed', 'undelivered', 'suppressed', 'cancelled') THEN n.error_code END,
           CASE WHEN n.status IN ('queued', 'failed', 'undelivered', 'suppressed', 'cancelled') THEN n.error END,
           COALESCE(NULLIF(current_setting('aftercare.status_source', true), ''), 'system')
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE n.status IS DISTINCT FROM o.status;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER messages_status_history_insert AFTER INSERT ON notifications.messages
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notifications.record_message_events();
CREATE TRIGGER messages_status_history_update AFTER UPDATE ON notifications.messages
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION notifications.record_message_events();
`,
  },
  {
    id: '0009_fewer_message_indexes',
    sql: `
-- A status change is never a HOT update, so each of a send's two changes writes an entry in
-- every index of the row. Two of them did the same job: one index of a patient's messages by
-- send time serves the frequency cap (a patient's SMS from a time on), the message log and the
-- timeline of one patient (a patient's messages are few: sorted by creation after the read),
-- and the opt-out hold. And the provider's ids are indexed only where there is one: a waiting
-- message has none, so its claim no longer writes a NULL entry into the unique index.
CREATE INDEX messages_patient_send ON notifications.messages (patient_id, send_at);
DROP INDEX notifications.messages_patient;
DROP INDEX notifications.messages_patient_sms_send;
CREATE UNIQUE INDEX messages_provider_message_id ON notifications.messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
ALTER TABLE notifications.messages DROP CONSTRAINT messages_provider_message_id_key;
`,
  },
];
