import type { Migration } from '@aftercare/database';

/**
 * The gateway's own schema: staff users and the audit log. Applied in id order by
 * DatabaseModule before anything else starts; never edit a shipped migration, add one.
 */
export const GATEWAY_MIGRATIONS: readonly Migration[] = [
  {
    id: '0001_users_and_audit_log',
    sql: `
CREATE TABLE gateway.users (
  id uuid PRIMARY KEY,
  clinic_id uuid NOT NULL,
  -- Stored lower-cased (and checked), so a plain unique constraint makes e-mails unique
  -- regardless of case without needing the citext extension.
  email text NOT NULL CHECK (email = lower(email)),
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('front_desk', 'clinician', 'admin')),
  clinician_id uuid NULL,
  password_hash text NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_key UNIQUE (email)
);

-- Who changed what, never with what: no bodies, so no patient data ends up here.
-- clinic_id and user_id are null for requests nobody is signed in for (a failed login).
CREATE TABLE gateway.audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  clinic_id uuid NULL,
  user_id uuid NULL,
  method text NOT NULL,
  route text NOT NULL,
  target_id text NULL,
  status_code smallint NOT NULL,
  correlation_id text NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_clinic_at ON gateway.audit_log (clinic_id, at DESC);
CREATE INDEX audit_log_user_at ON gateway.audit_log (user_id, at DESC);
`,
  },
  {
    // Issue 8, point 5: reads of patient data and denied attempts are audited too, each row
    // saying what kind of record it was about and what was done; and the log is append-only.
    id: '0002_audit_log_actions_append_only',
    sql: `
-- Null on rows written before this migration (they were all writes: the route tells which).
ALTER TABLE gateway.audit_log
  ADD COLUMN action text NULL CHECK (action IN ('read', 'create', 'update', 'delete', 'deny', 'login')),
  ADD COLUMN record_type text NULL,
  -- The patient the request was about, when the URL, query or body named one (an id, never more).
  ADD COLUMN patient_id uuid NULL;
CREATE INDEX audit_log_clinic_id ON gateway.audit_log (clinic_id, id DESC);
CREATE INDEX audit_log_patient_id ON gateway.audit_log (patient_id, id DESC) WHERE patient_id IS NOT NULL;

-- Append-only. The services connect as one PostgreSQL role that owns the schema (with trust
-- auth often a superuser), and owners and superusers bypass GRANT/REVOKE, so privileges alone
-- would not hold; a statement trigger refuses UPDATE, DELETE and TRUNCATE for every role that
-- does not first drop the trigger (which needs ownership and leaves a trace in the DDL).
CREATE FUNCTION gateway.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'gateway.audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON gateway.audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION gateway.audit_log_append_only();
-- For a deployment that runs the gateway as a role that does not own the table.
REVOKE UPDATE, DELETE, TRUNCATE ON gateway.audit_log FROM PUBLIC;
`,
  },
  {
    id: '0003_sessions_and_login_failures',
    sql: `
-- A sign-in: its access tokens carry the session id and are refused once it is revoked; it ends
-- after idle time (refreshed_at) or at expires_at. Times are the database's wall clock, never the
-- virtual clock: moving a demo forward by weeks must not sign anyone out.
CREATE TABLE gateway.sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES gateway.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  refreshed_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz NULL,
  revoked_reason text NULL CHECK (revoked_reason IN ('logout', 'refresh_reuse', 'user_disabled', 'password_changed'))
);
CREATE INDEX sessions_user ON gateway.sessions (user_id);

-- Every refresh token a session was given (SHA-256 of it: the token itself is never stored).
-- The unused one is current; presenting a used one again means it was copied: the session ends.
CREATE TABLE gateway.refresh_tokens (
  token_hash text PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES gateway.sessions (id) ON DELETE CASCADE,
  issued_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz NULL
);
CREATE INDEX refresh_tokens_session ON gateway.refresh_tokens (session_id);

-- Failed logins per e-mail address (hashed: whether it is anyone's is not kept) and per IP
-- address, in a window that starts at the first failure; locked_until is set on reaching the limit.
CREATE TABLE gateway.login_failures (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  locked_until timestamptz NULL
);
`,
  },
  {
    // Twilio does not send a webhook again when we fail to answer it (an inbound text, a delivery
    // report): one that arrives while notifications is down or unreachable would be lost.
    id: '0004_held_webhooks',
    sql: `
-- Twilio's webhooks that notifications could not take when they came: held here in arrival
-- order (seq), forwarded by the gateway as soon as it can, and deleted once notifications has
-- them (it records each once: a text per MessageSid, a report per MessageSid and status). The
-- payload holds the text and the number until then, as the request did; never longer.
CREATE TABLE gateway.held_webhooks (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  pattern text NOT NULL,
  -- One row per webhook, whatever Twilio or a proxy repeats: the pattern and Twilio's ids.
  dedupe_key text NOT NULL UNIQUE,
  payload jsonb NOT NULL,
  correlation_id text NOT NULL,
  received_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text NULL
);
`,
  },
];

/** The same list under the short name (scripts/migrate.ts has used both). */
export const migrations = GATEWAY_MIGRATIONS;
