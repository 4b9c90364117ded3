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
];

/** The same list under the short name (scripts/migrate.ts has used both). */
export const migrations = GATEWAY_MIGRATIONS;
