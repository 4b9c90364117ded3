import { boolean, integer, jsonb, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { AppointmentStatus } from '@aftercare/contracts';
import { messagingTables } from '@aftercare/messaging';
import type { WeeklyHours } from '../availability/slot-search.js';

/** Drizzle's view of the tables that `migrations.ts` creates. */
const s = pgSchema('scheduling');
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const clinics = s.table('clinics', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  timezone: text('timezone').notNull(),
  phone: text('phone').notNull(),
  email: text('email'),
  openingHours: jsonb('opening_hours').$type<WeeklyHours>().notNull(),
  gridMinutes: integer('grid_minutes').notNull().default(15),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const clinicians = s.table('clinicians', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  name: text('name').notNull(),
  email: text('email'),
  weeklyHours: jsonb('weekly_hours').$type<WeeklyHours>().notNull(),
  active: boolean('active').notNull().default(true),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const procedureTypes = s.table(
  'procedure_types',
  {
    clinicId: uuid('clinic_id').notNull(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    bufferAfterMinutes: integer('buffer_after_minutes').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.clinicId, t.code] })],
);

export const resources = s.table('resources', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  kind: text('kind').$type<'room' | 'equipment'>().notNull(),
  name: text('name').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const patients = s.table('patients', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  firstName: text('first_name').notNull(),
  lastName: text('last_name').notNull(),
  phone: text('phone').notNull(),
  email: text('email'),
  timezone: text('timezone').notNull(),
  preferredChannel: text('preferred_channel').$type<'sms' | 'email' | 'both'>().notNull(),
  smsConsent: boolean('sms_consent').notNull(),
  smsOptedOut: boolean('sms_opted_out').notNull().default(false),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const appointments = s.table('appointments', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  clinicianId: uuid('clinician_id').notNull(),
  procedureType: text('procedure_type').notNull(),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  blocksUntil: ts('blocks_until').notNull(),
  status: text('status').$type<AppointmentStatus>().notNull(),
  notes: text('notes'),
  site: text('site'),
  completedAt: ts('completed_at'),
  cancelledAt: ts('cancelled_at'),
  cancelReason: text('cancel_reason'),
  sequence: integer('sequence').notNull().default(0),
  idempotencyKey: text('idempotency_key'),
  requestFingerprint: text('request_fingerprint'),
  bookedByCarePlan: boolean('booked_by_care_plan').notNull().default(false),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const schedulingMessaging = messagingTables('scheduling');

export type ClinicRow = typeof clinics.$inferSelect;
export type PatientRow = typeof patients.$inferSelect;
export type AppointmentRow = typeof appointments.$inferSelect;
export type ClinicianRow = typeof clinicians.$inferSelect;
