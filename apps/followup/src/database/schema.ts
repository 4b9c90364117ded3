import { boolean, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { BookingTaskSource, FollowUpKind, StepKind, StepStatus } from '@aftercare/contracts';
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
  status: text('status').$type<'active' | 'completed' | 'cancelled'>().notNull(),
  procedureCompletedAt: ts('procedure_completed_at').notNull(),
  site: text('site'),
  timezone: text('timezone').notNull(),
  outcome: text('outcome'),
  createdAt: ts('created_at').notNull().defaultNow(),
  closedAt: ts('closed_at'),
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
  decision: jsonb('decision').$type<{ repeatInjection: boolean; note: string | null }>(),
  texts: jsonb('texts').$type<string[]>(),
  completedAt: ts('completed_at'),
  completedBy: uuid('completed_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
  // Booking tasks only (set on every one): why, what to book, by when, and what answered it.
  source: text('source').$type<BookingTaskSource>(),
  procedureType: text('procedure_type'),
  bookBy: ts('book_by'),
  bookedAppointmentId: uuid('booked_appointment_id'),
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
