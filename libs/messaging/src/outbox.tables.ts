import { bigserial, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { assertIdentifier, type Migration } from '@aftercare/database';

/**
 * Every service keeps its own outbox (events it produced, one row per subscriber, relayed
 * until acknowledged) and inbox (ids of events it has handled, so a redelivery changes nothing).
 */
export function messagingTables(schema: string) {
  const s = pgSchema(schema);
  const outbox = s.table('outbox', {
    id: uuid('id').primaryKey(),
    /** Write order (created_at is the transaction's start, the same for all its events). */
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    subscriber: text('subscriber').notNull(),
    envelope: jsonb('envelope').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    lastError: text('last_error'),
  });
  const inbox = s.table('inbox', {
    eventId: uuid('event_id').primaryKey(),
    eventType: text('event_type').notNull(),
    handledAt: timestamp('handled_at', { withTimezone: true }).notNull().defaultNow(),
  });
  return { outbox, inbox };
}
export type MessagingTables = ReturnType<typeof messagingTables>;

export function messagingMigration(schema: string): Migration {
  assertIdentifier(schema);
  return {
    id: '0000_messaging',
    sql: `
CREATE TABLE ${schema}.outbox (
  id uuid PRIMARY KEY,
  seq bigserial NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  subscriber text NOT NULL,
  envelope jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  last_error text,
  UNIQUE (event_id, subscriber)
);
CREATE INDEX outbox_pending ON ${schema}.outbox (subscriber, seq) WHERE delivered_at IS NULL;
CREATE TABLE ${schema}.inbox (
  event_id uuid PRIMARY KEY,
  event_type text NOT NULL,
  handled_at timestamptz NOT NULL DEFAULT now()
);`,
  };
}

/**
 * A statement-level trigger on the outbox: every transaction that writes events notifies
 * `outboxChannel(schema)` when it commits (PostgreSQL delivers a NOTIFY at commit, once per
 * transaction, and never for one that rolled back), so the relay starts at once instead of at its
 * next poll. `id`: the next migration id of the service's schema.
 */
export function outboxNotifyMigration(schema: string, id: string): Migration {
  assertIdentifier(schema);
  return {
    id,
    sql: `
CREATE FUNCTION ${schema}.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('aftercare_outbox_${schema}', '');
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON ${schema}.outbox FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.outbox_notify();`,
  };
}
