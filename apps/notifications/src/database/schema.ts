import { boolean, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { EventPayloads, Language, MessageStatus, PreferredChannel } from '@aftercare/contracts';
import { messagingTables } from '@aftercare/messaging';

const s = pgSchema('notifications');

export type AppointmentCopyStatus = 'booked' | 'checked_in' | 'no_show' | 'cancelled';
/** `pending` until answered or closed; `accepted` once the patient said YES; then how it closed. */
export type WaitlistOfferCopyStatus = 'pending' | 'accepted' | EventPayloads['waitlist.offer-closed']['reason'];
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const clinics = s.table('clinics', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  phone: text('phone').notNull(),
  email: text('email'),
  timezone: text('timezone').notNull(),
});

export const recipients = s.table('recipients', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  firstName: text('first_name').notNull(),
  phone: text('phone').notNull(),
  email: text('email'),
  timezone: text('timezone').notNull(),
  language: text('language').$type<Language>().notNull().default('en'),
  preferredChannel: text('preferred_channel').$type<PreferredChannel>().notNull(),
  smsConsent: boolean('sms_consent').notNull(),
  smsOptedOut: boolean('sms_opted_out').notNull().default(false),
  smsOptedOutAt: ts('sms_opted_out_at'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const appointments = s.table('appointments', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  clinicianId: uuid('clinician_id').notNull(),
  clinicianName: text('clinician_name').notNull(),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  status: text('status').$type<AppointmentCopyStatus>().notNull(),
  sequence: integer('sequence').notNull(),
});

/** Notifications' copy of a waitlist offer: what a YES answers. */
export const waitlistOffers = s.table('waitlist_offers', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id').notNull(),
  entryId: uuid('entry_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  clinicianId: uuid('clinician_id').notNull(),
  clinicianName: text('clinician_name').notNull(),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  status: text('status').$type<WaitlistOfferCopyStatus>().notNull(),
  appointmentId: uuid('appointment_id'),
  acceptedMessageId: uuid('accepted_message_id'),
  acceptedAt: ts('accepted_at'),
  closedAt: ts('closed_at'),
  createdAt: ts('created_at').notNull(),
});

export const messages = s.table('messages', {
  id: uuid('id').primaryKey(),
  clinicId: uuid('clinic_id'),
  patientId: uuid('patient_id'),
  channel: text('channel').$type<'sms' | 'email'>().notNull(),
  direction: text('direction').$type<'outbound' | 'inbound'>().notNull(),
  kind: text('kind').notNull(),
  status: text('status').$type<MessageStatus>().notNull(),
  body: text('body').notNull(),
  subject: text('subject'),
  ics: text('ics'),
  toAddress: text('to_address'),
  fromAddress: text('from_address'),
  sendAt: ts('send_at'),
  sentAt: ts('sent_at'),
  deliveredAt: ts('delivered_at'),
  provider: text('provider'),
  providerMessageId: text('provider_message_id'),
  errorCode: text('error_code'),
  error: text('error'),
  attempts: integer('attempts').notNull().default(0),
  appointmentId: uuid('appointment_id'),
  stepId: uuid('step_id'),
  waitlistOfferId: uuid('waitlist_offer_id'),
  dedupeKey: text('dedupe_key'),
  createdAt: ts('created_at').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const notificationsMessaging = messagingTables('notifications');

export type RecipientRow = typeof recipients.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type ClinicRow = typeof clinics.$inferSelect;
export type AppointmentCopyRow = typeof appointments.$inferSelect;
export type WaitlistOfferRow = typeof waitlistOffers.$inferSelect;
