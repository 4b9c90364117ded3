import { sql } from 'drizzle-orm';
import { bigserial, boolean, integer, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { EventPayloads, Language, MessageStatus, PreferredChannel } from '@aftercare/contracts';
import { messagingTables } from '@aftercare/messaging';

const s = pgSchema('notifications');

/** How a message is timed against quiet hours (send-timing.policy.ts's Timing kinds). */
export type MessageTiming = 'at_once' | 'later' | 'reminder';
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
  /** The number the carrier reported unable to take SMS; applies while `phone` equals it. */
  smsUndeliverablePhone: text('sms_undeliverable_phone'),
  smsUndeliverableAt: ts('sms_undeliverable_at'),
  smsUndeliverableCode: text('sms_undeliverable_code'),
  /** Since when automated SMS are held: the patient asked in words to stop (see migration 0004). */
  smsHeldAt: ts('sms_held_at'),
  /** The inbound text that asked to stop. */
  smsHoldMessageId: uuid('sms_hold_message_id'),
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
  /** When a retry may call the provider again (null: no retry waiting). */
  nextAttemptAt: ts('next_attempt_at'),
  /** When the job wakes the row: the later of send_at and next_attempt_at (generated). */
  dueAt: ts('due_at').generatedAlwaysAs(sql`GREATEST(send_at, next_attempt_at)`),
  /** Since when a provider call's outcome is unknown (database time); null once known. */
  unconfirmedSince: ts('unconfirmed_since'),
  /** The message this one stands in for on another channel. */
  fallbackOf: uuid('fallback_of'),
  /** When this message's failure asked the front desk to call the patient. */
  unreachableAt: ts('unreachable_at'),
  /** How it is timed against quiet hours, checked again at send time (see migration 0005); null: from its kind. */
  timing: text('timing').$type<MessageTiming>(),
  /** When the provider was last asked for the delivery report of an SMS still `sent`. */
  reportCheckedAt: ts('report_checked_at'),
});

/** One row per change of a message's status (written by the messages' triggers; see migrations 0003 and 0008). */
export const messageEvents = s.table('message_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  messageId: uuid('message_id').notNull(),
  status: text('status').$type<MessageStatus>().notNull(),
  at: ts('at').notNull(),
  errorCode: text('error_code'),
  error: text('error'),
  source: text('source').notNull(),
});

/** Twilio status callbacks as received (no numbers, no text), applied after the answer. */
export const deliveryCallbacks = s.table('delivery_callbacks', {
  id: uuid('id').primaryKey(),
  provider: text('provider').notNull(),
  messageSid: text('message_sid').notNull(),
  messageId: uuid('message_id'),
  providerStatus: text('provider_status').notNull(),
  errorCode: text('error_code').notNull().default(''),
  receivedAt: ts('received_at').notNull(),
  processedAt: ts('processed_at'),
  outcome: text('outcome'),
});

/** A clinic's own wording of a message kind in a language; a null part uses the default. */
export const templateOverrides = s.table(
  'template_overrides',
  {
    clinicId: uuid('clinic_id').notNull(),
    kind: text('kind').notNull(),
    language: text('language').$type<Language>().notNull(),
    smsBody: text('sms_body'),
    emailSubject: text('email_subject'),
    emailBody: text('email_body'),
    updatedBy: uuid('updated_by'),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.clinicId, t.kind, t.language] })],
);

export const notificationsMessaging = messagingTables('notifications');

export type RecipientRow = typeof recipients.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type ClinicRow = typeof clinics.$inferSelect;
export type AppointmentCopyRow = typeof appointments.$inferSelect;
export type WaitlistOfferRow = typeof waitlistOffers.$inferSelect;
export type MessageEventRow = typeof messageEvents.$inferSelect;
export type DeliveryCallbackRow = typeof deliveryCallbacks.$inferSelect;
export type TemplateOverrideRow = typeof templateOverrides.$inferSelect;
