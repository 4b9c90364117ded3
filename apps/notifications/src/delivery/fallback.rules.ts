import type { Channel, MessageStatus } from '@aftercare/contracts';

/**
 * What follows when a message did not reach the patient for good (SMS opted out, number
 * undeliverable, provider refusal, retries used up; or an e-mail refused). Plain rules, no I/O.
 *
 * One "cause" (this reminder of this appointment, this check-in step) has at most one SMS and at
 * most one e-mail: the fallback e-mail takes the e-mail's place, so nothing goes twice on one
 * channel. The front desk is asked to call only when no channel is left, and only once.
 */
export type AfterFailure =
  /** Another message of the same cause may still reach the patient, or already did. */
  | { action: 'covered' }
  /** Send the same content by e-mail instead. */
  | { action: 'fallback_email' }
  /** Nothing left to try: a call task for the front desk (patient.unreachable). */
  | { action: 'unreachable'; reason: string }
  /** Nothing to do: the message no longer matters, or the call task is already asked for. */
  | { action: 'none'; why: 'moot' | 'already_reported' | 'held' };

/** The patient asked in words to stop and staff are confirming it: e-mail may go, but no call. */
export const SMS_HELD = 'SMS_HELD';

/** Statuses of a message that has reached the patient or still may. */
const LIVE: ReadonlySet<MessageStatus> = new Set<MessageStatus>(['scheduled', 'queued', 'sending', 'sent', 'delivered']);

export interface FailureFacts {
  failed: { id: string; channel: Channel; errorCode: string | null };
  /** The other messages of the same cause (the failed one excluded), with whether one already reported the patient unreachable. */
  siblings: { id: string; channel: Channel; status: MessageStatus; reportedUnreachable: boolean }[];
  /** Whether the failed message itself already reported the patient unreachable. */
  reportedUnreachable: boolean;
  /** An e-mail address, and an e-mail template for this kind of message. */
  canEmail: boolean;
  /** The message is pointless now (e.g. a reminder for an appointment that has begun). */
  moot: boolean;
}

export function afterFailure(facts: FailureFacts): AfterFailure {
  if (facts.moot) return { action: 'none', why: 'moot' };
  if (facts.siblings.some((s) => LIVE.has(s.status))) return { action: 'covered' };
  const hasEmailSibling = facts.siblings.some((s) => s.channel === 'email');
  if (facts.failed.channel === 'sms' && !hasEmailSibling && facts.canEmail) return { action: 'fallback_email' };
  if (facts.reportedUnreachable || facts.siblings.some((s) => s.reportedUnreachable)) return { action: 'none', why: 'already_reported' };
  if (facts.failed.errorCode === SMS_HELD) return { action: 'none', why: 'held' };
  const [failed, other] = facts.failed.channel === 'sms' ? ['SMS', 'e-mail'] : ['e-mail', 'SMS'];
  const code = facts.failed.errorCode ? ` (${facts.failed.errorCode})` : '';
  const tried = facts.siblings.some((s) => s.channel !== facts.failed.channel);
  const rest = tried ? `and neither did the ${other}` : `and there is no ${other} to fall back to`;
  return { action: 'unreachable', reason: `The ${failed} did not reach the patient${code}, ${rest}: call the patient` };
}

/**
 * Why the front desk is asked to call when an SMS failed and its e-mail could not be written:
 * it would only come too late (a reminder whose e-mail would wait out quiet hours past its time).
 */
export function noTimelyEmailReason(errorCode: string | null): string {
  const code = errorCode ? ` (${errorCode})` : '';
  return `The SMS did not reach the patient${code}, and an e-mail could not reach them in time: call the patient`;
}
