import { sql } from 'drizzle-orm';
import { bigint, boolean, integer, jsonb, pgSchema, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { BookingTaskSource, CarePlanStatus, FollowUpDecision, FollowUpKind, ItemActionKind, StepKind, StepStatus } from '@aftercare/contracts';
import { messagingTables } from '@aftercare/messaging';
import type { ProtocolDefinition } from '../care-plans/domain/protocol.js';

const s = pgSchema('followup');
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const patients = s.table('patients', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  firstName: text('first_name').notNull(),
  lastName: text('last_name').notNull(),
  timezone: text('timezone').notNull(),
  smsOptedOut: boolean('sms_opted_out').notNull().default(false),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const protocols = s.table('protocols', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  code: text('code').notNull(),
  version: integer('version').notNull(),
  procedureType: text('procedure_type').notNull(),
  name: text('name').notNull(),
  definition: jsonb('definition').$type<ProtocolDefinition>().notNull(),
  active: boolean('active').notNull().default(true),
  createdAt: ts('created_at').notNull().defaultNow(),
  createdBy: uuid('created_by'),
  note: text('note'),
});

/** One per protocol code: its scope, whether plans may start from it, its current version. */
export const protocolHeads = s.table('protocol_heads', {
  clinicId: uuid('clinic_id').notNull(),
  code: text('code').notNull(),
  procedureType: text('procedure_type').notNull(),
  site: text('site'),
  siteKey: text('site_key').notNull().default(''),
  condition: text('condition'),
  name: text('name').notNull(),
  active: boolean('active').notNull().default(true),
  currentVersion: integer('current_version').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  updatedBy: uuid('updated_by'),
});

/** Every change of a care plan's status, with who and why. */
export const carePlanChanges = s.table('care_plan_changes', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  carePlanId: uuid('care_plan_id').notNull(),
  action: text('action').$type<'pause' | 'resume' | 'cancel' | 'supersede'>().notNull(),
  fromStatus: text('from_status').notNull(),
  toStatus: text('to_status').notNull(),
  reason: text('reason'),
  userId: uuid('user_id'),
  at: ts('at').notNull(),
  details: jsonb('details').$type<Record<string, unknown>>(),
});

export const carePlans = s.table('care_plans', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  appointmentId: uuid('appointment_id').notNull(),
  clinicianId: uuid('clinician_id').notNull(),
  procedureType: text('procedure_type').notNull(),
  protocolCode: text('protocol_code').notNull(),
  protocolVersion: integer('protocol_version').notNull(),
  status: text('status').$type<CarePlanStatus>().notNull(),
  procedureCompletedAt: ts('procedure_completed_at').notNull(),
  site: text('site'),
  timezone: text('timezone').notNull(),
  outcome: text('outcome'),
  createdAt: ts('created_at').notNull().defaultNow(),
  closedAt: ts('closed_at'),
  condition: text('condition'),
  statusReason: text('status_reason'),
  pausedAt: ts('paused_at'),
  supersededBy: uuid('superseded_by'),
});

export const steps = s.table('care_plan_steps', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  carePlanId: uuid('care_plan_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  key: text('key').notNull(),
  kind: text('kind').$type<StepKind>().notNull(),
  dueAt: ts('due_at').notNull(),
  windowStart: ts('window_start'),
  windowEnd: ts('window_end'),
  status: text('status').$type<StepStatus>().notNull(),
  firedAt: ts('fired_at'),
  answeredAt: ts('answered_at'),
  score: integer('score'),
  /** A check-in that went out: unanswered from this time on (the clinic's answer window); null: only when the next goes out. */
  answerDueAt: ts('answer_due_at'),
  /** When the step's job is due: due_at while it waits to run, answer_due_at while it waits for an answer (generated). */
  wakeAt: ts('wake_at').generatedAlwaysAs(sql`CASE WHEN status = 'sent' THEN answer_due_at ELSE due_at END`),
});

export const items = s.table('follow_up_items', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  carePlanId: uuid('care_plan_id'),
  stepId: uuid('step_id'),
  clinicianId: uuid('clinician_id'),
  kind: text('kind').$type<FollowUpKind>().notNull(),
  cause: text('cause').notNull(),
  reason: text('reason'),
  dueAt: ts('due_at').notNull(),
  status: text('status').$type<'open' | 'done'>().notNull(),
  appointmentId: uuid('appointment_id'),
  note: text('note'),
  decision: jsonb('decision').$type<FollowUpDecision>(),
  texts: jsonb('texts').$type<string[]>(),
  completedAt: ts('completed_at'),
  completedBy: uuid('completed_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
  // Booking tasks only (set on every one): why, what to book, by when, and what answered it.
  source: text('source').$type<BookingTaskSource>(),
  procedureType: text('procedure_type'),
  bookBy: ts('book_by'),
  bookedAppointmentId: uuid('booked_appointment_id'),
  // The due list (migration 0004_workspace).
  snoozedUntil: ts('snoozed_until'),
  /** Attention items: the latest findings, newest first. */
  evidence: jsonb('evidence').$type<AttentionEvidence[]>(),
  /** How many times its cause fired while it was open. */
  occurrences: integer('occurrences').notNull().default(1),
  updatedAt: ts('updated_at'),
  /** Generated: GREATEST(due_at, snoozed_until). */
  listAt: ts('list_at').generatedAlwaysAs(sql`GREATEST(due_at, snoozed_until)`),
  /** Generated: 0 attention, 1 the rest, null when off the clinician's list. */
  listRank: smallint('list_rank').generatedAlwaysAs(
    sql`CASE WHEN source IN ('call_patient', 'confirm_opt_out') THEN NULL WHEN kind = 'attention' THEN 0 ELSE 1 END`,
  ),
});

/** One finding that raised or updated an attention item. */
export interface AttentionEvidence {
  at: string;
  reason: string;
  score?: number;
  previousScore?: number | null;
  messageId?: string;
}

/** Who did what to an item, when (append-only). */
export const itemActions = s.table('item_actions', {
  id: uuid('id').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
  clinicId: uuid('clinic_id').notNull(),
  itemId: uuid('item_id').notNull(),
  action: text('action').$type<ItemActionKind>().notNull(),
  actorId: uuid('actor_id'),
  actorRole: text('actor_role').notNull(),
  at: ts('at').notNull(),
  note: text('note'),
  details: jsonb('details').$type<Record<string, unknown>>().notNull(),
});

/** A clinic's escalation rules (no row: the defaults). */
export const escalationSettings = s.table('escalation_settings', {
  clinicId: uuid('clinic_id').primaryKey(),
  highScore: integer('high_score'),
  riseBy: integer('rise_by'),
  missedInARow: integer('missed_in_a_row'),
  answerWindowHours: integer('answer_window_hours'),
  freeText: boolean('free_text').notNull(),
  emailAlerts: boolean('email_alerts').notNull(),
  updatedAt: ts('updated_at').notNull(),
  updatedBy: uuid('updated_by'),
});

export const painScores = s.table('pain_scores', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  carePlanId: uuid('care_plan_id'),
  stepId: uuid('step_id'),
  messageId: uuid('message_id').notNull(),
  score: integer('score').notNull(),
  answeredAt: ts('answered_at').notNull(),
});

export const followupMessaging = messagingTables('followup');

export type CarePlanRow = typeof carePlans.$inferSelect;
export type StepRow = typeof steps.$inferSelect;
export type ItemRow = typeof items.$inferSelect;
