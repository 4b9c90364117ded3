/**
 * Words for the API's codes that every role's pages show the same way. (Badge tones stay with
 * each role's pages: the front desk and the clinician look for different things in a status.)
 */
import type { AppointmentStatus, PatientResource, PreferredChannel } from '@aftercare/contracts';

export const APPOINTMENT_STATUS_NAMES: Record<AppointmentStatus, string> = {
  booked: 'Booked',
  confirmed: 'Confirmed',
  checked_in: 'Checked in',
  completed: 'Completed',
  cancelled: 'Cancelled',
  no_show: 'No-show',
};

/** A patient's preferred channel, or a message's (sms or email). */
export const CHANNEL_NAMES: Record<PreferredChannel, string> = { sms: 'SMS', email: 'E-mail', both: 'Both' };

/** "Maria Lopez". */
export const fullName = (p: Pick<PatientResource, 'firstName' | 'lastName'>) => `${p.firstName} ${p.lastName}`;
