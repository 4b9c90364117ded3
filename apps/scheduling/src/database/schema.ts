import { bigint, boolean, customType, date, integer, jsonb, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { AppointmentStatus, Language, ResourceRequirement, WaitlistOfferStatus, WaitlistStatus } from '@aftercare/contracts';
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
    requires: jsonb('requires').$type<ResourceRequirement[]>().notNull().default([]),
  },
  (t) => [primaryKey({ columns: [t.clinicId, t.code] })],
);

export const resources = s.table('resources', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  kind: text('kind').$type<'room' | 'equipment'>().notNull(),
  category: text('category').notNull(),
  name: text('name').notNull(),
  features: text('features').array().notNull().default([]),
  active: boolean('active').notNull().default(true),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const closures = s.table('closures', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  reason: text('reason').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const timeOff = s.table('time_off', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  clinicianId: uuid('clinician_id').notNull(),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  reason: text('reason'),
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
  dateOfBirth: date('date_of_birth', { mode: 'string' }),
  language: text('language').$type<Language>().notNull().default('en'),
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
  bookingTaskId: uuid('booking_task_id'),
  waitlistOfferId: uuid('waitlist_offer_id'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** A PostgreSQL tstzrange, read and written as its text form '[start,end)'. */
const tstzrange = customType<{ data: string }>({ dataType: () => 'tstzrange' });

export const appointmentResources = s.table(
  'appointment_resources',
  {
    appointmentId: uuid('appointment_id').notNull(),
    resourceId: uuid('resource_id').notNull(),
    clinicId: uuid('clinic_id').notNull(),
    during: tstzrange('during').notNull(),
    active: boolean('active').notNull().default(true),
  },
  (t) => [primaryKey({ columns: [t.appointmentId, t.resourceId] })],
);

export const waitlistEntries = s.table('waitlist_entries', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  procedureType: text('procedure_type').notNull(),
  clinicianId: uuid('clinician_id'),
  earliestDate: date('earliest_date', { mode: 'string' }).notNull(),
  latestDate: date('latest_date', { mode: 'string' }).notNull(),
  status: text('status').$type<WaitlistStatus>().notNull(),
  notes: text('notes'),
  appointmentId: uuid('appointment_id'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const waitlistOffers = s.table('waitlist_offers', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  entryId: uuid('entry_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  slotKey: text('slot_key').notNull(),
  clinicianId: uuid('clinician_id').notNull(),
  procedureType: text('procedure_type').notNull(),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  status: text('status').$type<WaitlistOfferStatus>().notNull(),
  expiresAt: ts('expires_at').notNull(),
  appointmentId: uuid('appointment_id'),
  createdAt: ts('created_at').notNull().defaultNow(),
  closedAt: ts('closed_at'),
});

export const schedulingMessaging = messagingTables('scheduling');

/**
 * The clinic's setup as of when: a trigger on clinics, clinicians, procedure_types and resources
 * sets the clinic's row to the next value of one sequence on every change (migration
 * 0004_setup_versions), so a copy of the setup kept in memory is good while its version is.
 */
export const setupVersions = s.table('setup_versions', {
  clinicId: uuid('clinic_id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull(),
});

export type ClinicRow = typeof clinics.$inferSelect;
export type PatientRow = typeof patients.$inferSelect;
export type AppointmentRow = typeof appointments.$inferSelect;
export type ClinicianRow = typeof clinicians.$inferSelect;
export type ResourceRow = typeof resources.$inferSelect;
export type ProcedureTypeRow = typeof procedureTypes.$inferSelect;
export type WaitlistEntryRow = typeof waitlistEntries.$inferSelect;
export type WaitlistOfferRow = typeof waitlistOffers.$inferSelect;
