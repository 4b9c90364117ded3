import { bigint, boolean, integer, jsonb, pgSchema, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Drizzle view of the tables that `migrations.ts` creates (keep the two in step). */
export const gatewaySchema = pgSchema('gateway');

export const users = gatewaySchema.table('users', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  email: text('email').notNull(),
  name: text('name').notNull(),
  role: text('role', { enum: ['front_desk', 'clinician', 'admin'] }).notNull(),
  clinicianId: uuid('clinician_id'),
  passwordHash: text('password_hash').notNull(),
  disabled: boolean('disabled').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
export type UserRow = typeof users.$inferSelect;

export const auditLog = gatewaySchema.table('audit_log', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  clinicId: uuid('clinic_id'),
  userId: uuid('user_id'),
  method: text('method').notNull(),
  route: text('route').notNull(),
  targetId: text('target_id'),
  statusCode: smallint('status_code').notNull(),
  correlationId: text('correlation_id'),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  action: text('action', { enum: ['read', 'create', 'update', 'delete', 'deny', 'login'] }),
  recordType: text('record_type'),
  patientId: uuid('patient_id'),
});
export type AuditLogRow = typeof auditLog.$inferSelect;

export const sessions = gatewaySchema.table('sessions', {
  id: uuid('id').primaryKey(),
  userId: uuid('user_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  refreshedAt: timestamp('refreshed_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  revokedReason: text('revoked_reason', { enum: ['logout', 'refresh_reuse', 'user_disabled', 'password_changed'] }),
});
export type SessionRow = typeof sessions.$inferSelect;
export type SessionEndReason = NonNullable<SessionRow['revokedReason']>;

export const refreshTokens = gatewaySchema.table('refresh_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  sessionId: uuid('session_id').notNull(),
  issuedAt: timestamp('issued_at', { withTimezone: true }).notNull().defaultNow(),
  usedAt: timestamp('used_at', { withTimezone: true }),
});

export const loginFailures = gatewaySchema.table('login_failures', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull(),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
});

export const heldWebhooks = gatewaySchema.table('held_webhooks', {
  seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  pattern: text('pattern').notNull(),
  dedupeKey: text('dedupe_key').notNull().unique(),
  payload: jsonb('payload').notNull(),
  correlationId: text('correlation_id').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull(),
  lastError: text('last_error'),
});
export type HeldWebhookRow = typeof heldWebhooks.$inferSelect;
