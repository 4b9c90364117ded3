import type { Channel, PreferredChannel } from '@aftercare/contracts';

export interface ChannelFacts {
  preferredChannel: PreferredChannel;
  smsConsent: boolean;
  smsOptedOut: boolean;
  /** The patient asked in words to stop: automated SMS are held until STOP, START or staff decide. */
  smsHeld?: boolean;
  hasEmail: boolean;
}

/**
 * Which channels a message goes on: SMS only with recorded consent and no opt-out (nor a hold); email per
 * preference; when SMS is not allowed, email instead where there is an address. An empty
 * answer means the patient cannot be reached in writing (the front desk has to call).
 */
export function channelsFor(facts: ChannelFacts): Channel[] {
  const smsAllowed = facts.smsConsent && !facts.smsOptedOut && !facts.smsHeld;
  const wantsSms = facts.preferredChannel === 'sms' || facts.preferredChannel === 'both';
  const wantsEmail = facts.preferredChannel === 'email' || facts.preferredChannel === 'both';
  const channels: Channel[] = [];
  if (wantsSms && smsAllowed) channels.push('sms');
  if (facts.hasEmail && (wantsEmail || (wantsSms && !smsAllowed))) channels.push('email');
  return channels;
}
