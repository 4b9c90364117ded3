import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq, gt, inArray, isNotNull, sql } from 'drizzle-orm';
import type { EventEnvelope } from '@aftercare/contracts';
import { DRIZZLE, placeholders, PreparedQuery, type Db, type Executor } from '@aftercare/database';
import { appointments, clinics, messages, recipients, type AppointmentCopyRow, type AppointmentCopyStatus, type ClinicRow, type RecipientRow } from '../database/schema.js';
import { DEFAULT_LANGUAGE } from '../templates/message.templates.js';

/** The reads every composed message makes, built once (PreparedQuery). */
const CLINIC = new PreparedQuery('notifications.directory.clinic', (db) => db.select().from(clinics).where(eq(clinics.id, sql.placeholder('id'))));
const RECIPIENT = new PreparedQuery('notifications.directory.recipient', (db) => db.select().from(recipients).where(eq(recipients.id, sql.placeholder('id'))));
const RECIPIENT_LOCKED = new PreparedQuery('notifications.directory.recipient_locked', (db) =>
  db.select().from(recipients).where(eq(recipients.id, sql.placeholder('id'))).for('update'),
);
const APPOINTMENT = new PreparedQuery('notifications.directory.appointment', (db) => db.select().from(appointments).where(eq(appointments.id, sql.placeholder('id'))));
/** The appointment's copy, written or replaced whole: every appointment event (PreparedQuery). */
const APPOINTMENT_COLUMNS = ['id', 'clinicId', 'patientId', 'clinicianId', 'clinicianName', 'startsAt', 'endsAt', 'status', 'sequence'] as const satisfies readonly (keyof AppointmentCopyRow)[];
const UPSERT_APPOINTMENT = new PreparedQuery('notifications.directory.upsert_appointment', (db) =>
  db
    .insert(appointments)
    .values(placeholders(APPOINTMENT_COLUMNS))
    .onConflictDoUpdate({
      target: appointments.id,
      set: Object.fromEntries(APPOINTMENT_COLUMNS.filter((c) => c !== 'id').map((c) => [c, sql.raw(`excluded."${appointments[c].name}"`)])),
    }),
);

/** Notifications' own copies of clinics, patients and appointments, kept from events. */
@Injectable()
export class DirectoryService {
  constructor(@Inject(DRIZZLE) private readonly db: Db) {}

  async upsertClinic(tx: Executor, e: EventEnvelope<'clinic.upserted'>): Promise<void> {
    const { clinicId, name, phone, email, timezone } = e.payload;
    await tx.insert(clinics).values({ id: clinicId, name, phone, email, timezone }).onConflictDoUpdate({ target: clinics.id, set: { name, phone, email, timezone } });
  }

  async upsertRecipient(tx: Executor, e: EventEnvelope<'patient.registered'>): Promise<void> {
    const p = e.payload;
    const values = {
      firstName: p.firstName,
      phone: p.phone,
      email: p.email,
      timezone: p.timezone,
      preferredChannel: p.preferredChannel,
      smsConsent: p.smsConsent,
      // Events written before patients had a language carry none: English, as before.
      language: p.language ?? DEFAULT_LANGUAGE,
    };
    await tx
      .insert(recipients)
      .values({ id: p.patientId, clinicId: e.clinicId, ...values })
      .onConflictDoUpdate({ target: recipients.id, set: { ...values, updatedAt: sql`now()` } });
  }

  async upsertAppointment(tx: Executor, row: AppointmentCopyRow): Promise<void> {
    await UPSERT_APPOINTMENT.execute(tx, { ...row });
  }

  /** Check-in and no-show: the copy follows (its reminders stop elsewhere). */
  async setAppointmentStatus(tx: Executor, id: string, status: AppointmentCopyStatus, sequence?: number): Promise<AppointmentCopyRow | null> {
    const [row] = await tx
      .update(appointments)
      .set({ status, ...(sequence === undefined ? {} : { sequence }) })
      .where(eq(appointments.id, id))
      .returning();
    return row ?? null;
  }

  async clinic(clinicId: string, db: Executor = this.db): Promise<ClinicRow | null> {
    const [row] = await CLINIC.execute(db, { id: clinicId });
    return row ?? null;
  }

  async recipient(patientId: string, db: Executor = this.db): Promise<RecipientRow | null> {
    const [row] = await RECIPIENT.execute(db, { id: patientId });
    return row ?? null;
  }

  /**
   * The recipient, locked for the rest of the transaction: composing a capped SMS counts the
   * patient's other SMS, and two such counts at once must not both find room for one more.
   */
  async lockRecipient(tx: Executor, patientId: string): Promise<RecipientRow | null> {
    const [row] = await RECIPIENT_LOCKED.execute(tx, { id: patientId });
    return row ?? null;
  }

  /**
   * Whom a text from `phone` is from, with their rows locked (in id order), for the texts and
   * reports that change SMS state to take turns. One number may be a patient of more than one
   * clinic (or a family's shared phone), and every clinic texts from the same number: the text
   * answers the conversation we last had with it - the patient our latest SMS to it went to -
   * else the most recently updated patient. `sharing`: the others with that number, for what
   * applies to the number itself (Twilio's opt-out is per pair of numbers).
   */
  async recipientsOfInbound(tx: Executor, phone: string): Promise<{ recipient: RecipientRow | null; sharing: RecipientRow[] }> {
    const all = await tx.select().from(recipients).where(eq(recipients.phone, phone)).orderBy(asc(recipients.id)).for('update');
    if (all.length <= 1) return { recipient: all[0] ?? null, sharing: [] };
    const [latest] = await tx
      .select({ patientId: messages.patientId })
      .from(messages)
      .where(
        and(
          inArray(messages.patientId, all.map((r) => r.id)),
          eq(messages.direction, 'outbound'),
          eq(messages.channel, 'sms'),
          eq(messages.toAddress, phone),
          isNotNull(messages.sentAt),
        ),
      )
      .orderBy(desc(messages.sentAt))
      .limit(1);
    const recipient = all.find((r) => r.id === latest?.patientId) ?? [...all].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())[0]!;
    return { recipient, sharing: all.filter((r) => r !== recipient) };
  }

  async appointment(id: string, db: Executor = this.db): Promise<AppointmentCopyRow | null> {
    const [row] = await APPOINTMENT.execute(db, { id });
    return row ?? null;
  }

  /** The patient's next appointment that is still on (what a C or R answer is about). */
  async nextAppointment(patientId: string, after: Date, db: Executor = this.db): Promise<AppointmentCopyRow | null> {
    const [row] = await db
      .select()
      .from(appointments)
      .where(and(eq(appointments.patientId, patientId), eq(appointments.status, 'booked'), gt(appointments.startsAt, after)))
      .orderBy(asc(appointments.startsAt))
      .limit(1);
    return row ?? null;
  }

  /** The patient's latest appointment by start time, whatever its status (its clinician knows them). */
  async latestAppointment(patientId: string, db: Executor = this.db): Promise<AppointmentCopyRow | null> {
    const [row] = await db.select().from(appointments).where(eq(appointments.patientId, patientId)).orderBy(desc(appointments.startsAt)).limit(1);
    return row ?? null;
  }

  /** A text asked in words to stop: automated SMS are held (not an opt-out). */
  async holdSms(tx: Executor, patientId: string, messageId: string, at: Date): Promise<void> {
    await tx.update(recipients).set({ smsHeldAt: at, smsHoldMessageId: messageId }).where(eq(recipients.id, patientId));
  }

  /** The hold ends: the patient answered START (or STOP, which opts out instead). */
  async releaseSmsHold(tx: Executor, patientId: string): Promise<void> {
    await tx.update(recipients).set({ smsHeldAt: null, smsHoldMessageId: null }).where(eq(recipients.id, patientId));
  }

  async setSmsOptedOut(tx: Executor, patientId: string, optedOut: boolean, at: Date): Promise<void> {
    await tx.update(recipients).set({ smsOptedOut: optedOut, smsOptedOutAt: optedOut ? at : null }).where(eq(recipients.id, patientId));
  }
}
