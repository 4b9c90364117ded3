import type { Channel, PreferredChannel } from '@aftercare/contracts';

export interface ChannelFacts {
  preferredChannel: PreferredChannel;
  smsConsent: boolean;
  smsOptedOut: boolean;
  /** The patient asked in words to stop: automated SMS are held until STOP, START or staff decide. */
  smsHeld?: boolean;
  /** The carrier reported the patient's number unable to take SMS (see numberUndeliverable). */
  smsUndeliverable?: boolean;
  hasEmail: boolean;
}

/**
 * Which channels a message goes on: SMS only with recorded consent and no opt-out (nor a hold,
 * nor a number the carrier reported unable to take SMS); email per preference; when SMS is not
 * allowed, email instead where there is an address. An empty answer means the patient cannot be
 * reached in writing (the front desk has to call).
 */
export function channelsFor(facts: ChannelFacts): Channel[] {
  const smsAllowed = facts.smsConsent && !facts.smsOptedOut && !facts.smsHeld && !facts.smsUndeliverable;
  const wantsSms = facts.preferredChannel === 'sms' || facts.preferredChannel === 'both';
  const wantsEmail = facts.preferredChannel === 'email' || facts.preferredChannel === 'both';
  const channels: Channel[] = [];
  if (wantsSms && smsAllowed) channels.push('sms');
  if (facts.hasEmail && (wantsEmail || (wantsSms && !smsAllowed))) channels.push('email');
  return channels;
}

/** What the carrier said about a patient's number (the recipient row's sms_undeliverable_*). */
export interface UndeliverableFlag {
  /** The number that was reported; the flag applies to it only (a new number starts clean). */
  phone: string | null;
  /** Our code of the report, `TWILIO_30003` etc. */
  code: string | null;
  at: Date | null;
}

/**
 * Twilio codes that flag a number only for a while: 30003 "unreachable" is most often a phone
 * switched off or out of coverage. 30005 (unknown number) and 30006 (landline) hold until the
 * patient's number changes (or a text comes from it).
 */
export const TEMPORARY_UNDELIVERABLE_CODES: readonly string[] = ['TWILIO_30003', '30003'];

/**
 * Whether SMS to `number` are to go another way: the carrier reported that number unable to take
 * SMS, and, for a temporary report (30003), less than `temporaryForMs` ago.
 */
export function numberUndeliverable(flag: UndeliverableFlag, number: string | null, now: Date, temporaryForMs: number): boolean {
  if (!flag.phone || !number || flag.phone !== number) return false;
  if (flag.code && TEMPORARY_UNDELIVERABLE_CODES.includes(flag.code.trim())) {
    return !!flag.at && now.getTime() - flag.at.getTime() < temporaryForMs;
  }
  return true;
}
