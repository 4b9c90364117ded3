import { bigint, boolean, pgSchema, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';

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
});
export type AuditLogRow = typeof auditLog.$inferSelect;
