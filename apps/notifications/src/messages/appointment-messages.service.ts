import { Inject, Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock } from '@aftercare/clock';
import type { Executor } from '@aftercare/database';
import type { AppointmentCopyRow, MessageRow } from '../database/schema.js';
import { DirectoryService } from '../directory/directory.service.js';
import { planReminders } from '../reminders/reminder.planner.js';
import { APPOINTMENT_CANCELLED, APPOINTMENT_CHECKED_IN, APPOINTMENT_NO_SHOW, APPOINTMENT_RESCHEDULED } from './appointment-moot.js';
import { MessagesService } from './messages.service.js';

export interface Outcome {
  created: MessageRow[];
  cancelled: string[];
}

/** Notifications' copy of a booked or moved appointment. */
function copyOf(e: EventEnvelope<'appointment.booked' | 'appointment.rescheduled'>): AppointmentCopyRow {
  const p = e.payload;
  return {
    id: p.appointmentId,
    clinicId: e.clinicId,
    patientId: p.patientId,
    clinicianId: p.clinicianId,
    clinicianName: p.clinicianName,
    startsAt: new Date(p.startsAt),
    endsAt: new Date(p.endsAt),
    status: 'booked',
    sequence: p.sequence,
  };
}

/**
 * Confirmation, reminders, reschedule and cancellation messages of appointments. The causes
 * carry the appointment's sequence, so a rescheduled appointment gets new reminders and the
 * old ones are cancelled rather than deduplicated away.
 */
@Injectable()
export class AppointmentMessagesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly directory: DirectoryService,
    private readonly messages: MessagesService,
  ) {}

  async booked(tx: Executor, e: EventEnvelope<'appointment.booked'>): Promise<Outcome> {
    const p = e.payload;
    const appointment = copyOf(e);
    await this.directory.upsertAppointment(tx, appointment);
    const created = await this.messages.compose(tx, {
      clinicId: e.clinicId,
      patientId: p.patientId,
      kind: p.bookedByCarePlan ? 'follow_up_booked' : 'booking_confirmation',
      sendAt: this.clock.now(),
      cause: `appointment:${p.appointmentId}:confirmation:${p.sequence}`,
      appointment,
      ics: 'REQUEST',
      // Booked from a waitlist offer, it answers the patient's own YES: it goes out at once.
      respectQuietHours: !p.waitlistOfferId,
    });
    created.push(...(await this.reminders(tx, appointment)));
    return { created, cancelled: [] };
  }

  async rescheduled(tx: Executor, e: EventEnvelope<'appointment.rescheduled'>): Promise<Outcome> {
    const p = e.payload;
    const appointment = copyOf(e);
    await this.directory.upsertAppointment(tx, appointment);
    // Reminders at the old time go, and so does a confirmation still waiting out quiet hours:
    // it states the old time, and the rescheduled message carries the new one (and the .ics).
    const cancelled = await this.messages.cancelPendingForAppointment(tx, p.appointmentId, ['reminder', 'booking_confirmation', 'rescheduled', 'follow_up_booked'], APPOINTMENT_RESCHEDULED);
    const created = await this.messages.compose(tx, {
      clinicId: e.clinicId,
      patientId: p.patientId,
      kind: 'rescheduled',
      sendAt: this.clock.now(),
      cause: `appointment:${p.appointmentId}:rescheduled:${p.sequence}`,
      appointment,
      ics: 'REQUEST',
      respectQuietHours: true,
    });
    created.push(...(await this.reminders(tx, appointment)));
    return { created, cancelled };
  }

  async cancelled(tx: Executor, e: EventEnvelope<'appointment.cancelled'>): Promise<Outcome> {
    const p = e.payload;
    const current = await this.directory.appointment(p.appointmentId, tx);
    if (!current) return { created: [], cancelled: [] };
    const appointment = { ...current, status: 'cancelled' as const, sequence: p.sequence };
    await this.directory.upsertAppointment(tx, appointment);
    const cancelled = await this.messages.cancelPendingForAppointment(tx, p.appointmentId, ['reminder', 'booking_confirmation', 'rescheduled', 'follow_up_booked'], APPOINTMENT_CANCELLED);
    const created = await this.messages.compose(tx, {
      clinicId: e.clinicId,
      patientId: p.patientId,
      kind: 'cancellation',
      sendAt: this.clock.now(),
      cause: `appointment:${p.appointmentId}:cancelled:${p.sequence}`,
      appointment,
      ics: 'CANCEL',
      respectQuietHours: true,
    });
    return { created, cancelled };
  }

  /** The patient is here: reminders still waiting would only confuse. */
  async checkedIn(tx: Executor, e: EventEnvelope<'appointment.checked-in'>): Promise<Outcome> {
    const p = e.payload;
    await this.directory.setAppointmentStatus(tx, p.appointmentId, 'checked_in');
    const cancelled = await this.messages.cancelPendingForAppointment(tx, p.appointmentId, ['reminder'], APPOINTMENT_CHECKED_IN);
    return { created: [], cancelled };
  }

  /** The time has passed without the patient: its reminders are moot (rebooking is followup's). */
  async noShow(tx: Executor, e: EventEnvelope<'appointment.no-show'>): Promise<Outcome> {
    const p = e.payload;
    await this.directory.setAppointmentStatus(tx, p.appointmentId, 'no_show', p.sequence);
    const cancelled = await this.messages.cancelPendingForAppointment(tx, p.appointmentId, ['reminder'], APPOINTMENT_NO_SHOW);
    return { created: [], cancelled };
  }

  private async reminders(tx: Executor, appointment: AppointmentCopyRow): Promise<MessageRow[]> {
    const recipient = await this.directory.recipient(appointment.patientId, tx);
    if (!recipient) throw new Error(`patient ${appointment.patientId} is not known to notifications yet`);
    const planned = planReminders({ startsAt: appointment.startsAt, now: this.clock.now(), timezone: recipient.timezone, quietHours: this.config.quietHours });
    const created: MessageRow[] = [];
    for (const reminder of planned) {
      created.push(
        ...(await this.messages.compose(tx, {
          clinicId: appointment.clinicId,
          patientId: appointment.patientId,
          kind: 'reminder',
          sendAt: reminder.sendAt,
          cause: `appointment:${appointment.id}:${reminder.key}:${appointment.sequence}`,
          appointment,
        })),
      );
    }
    return created;
  }
}
