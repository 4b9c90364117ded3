import type { MessageStatus } from '@aftercare/contracts';

/**
 * The delivery state machine of an outbound message, as plain rules (no I/O):
 *
 *   scheduled / queued ──▶ sending ──▶ sent ──▶ delivered
 *          ▲                  │          └───▶ undelivered | failed
 *          └── retry ─────────┘  (an error that can pass)
 *
 * plus the ends that never left our hands: cancelled (moot) and suppressed (not allowed to go).
 * A status only ever moves forward: a late or replayed provider report never undoes a later one.
 */

/** Where a message stands on the way out; terminal statuses are final. */
const RANK: Record<MessageStatus, number> = {
  scheduled: 0,
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  undelivered: 3,
  failed: 3,
  cancelled: 3,
  suppressed: 3,
  received: 3,
};

export const TERMINAL_STATUSES: readonly MessageStatus[] = ['delivered', 'undelivered', 'failed', 'cancelled', 'suppressed', 'received'];

export function isTerminal(status: MessageStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * The status a message moves to when the provider reports `reported`, or null when the report
 * changes nothing (a replay, a late `sent` after `delivered`, anything after a final status).
 */
export function nextStatus(current: MessageStatus, reported: MessageStatus): MessageStatus | null {
  if (isTerminal(current)) return null;
  return RANK[reported] > RANK[current] ? reported : null;
}

/**
 * Twilio's MessageStatus values → ours. Everything short of the handset (queued, accepted,
 * sending, sent) is `sent` for us: the provider has it. `read` (WhatsApp/RCS) is delivered.
 * `canceled` only happens to messages scheduled at Twilio, which we never do: it did not go.
 */
const FROM_TWILIO: Record<string, MessageStatus> = {
  accepted: 'sent',
  scheduled: 'sent',
  queued: 'sent',
  sending: 'sent',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

export function statusFromTwilio(providerStatus: string): MessageStatus | null {
  return FROM_TWILIO[providerStatus.trim().toLowerCase()] ?? null;
}

/** What a failure means beyond the message itself. */
export type FailureConsequence =
  /** The number has opted out at the carrier (Twilio 21610): record the opt-out. */
  | 'opted_out'
  /** The number cannot get SMS (unreachable, unknown, landline): flag it; use e-mail. */
  | 'number_undeliverable'
  | null;

/** Twilio error codes that say the number itself cannot take SMS (not this one message). */
export const UNDELIVERABLE_NUMBER_CODES: ReadonlySet<string> = new Set(['30003', '30005', '30006']);
export const UNSUBSCRIBED_CODE = '21610';

/** Our error codes are `TWILIO_<code>` for Twilio's own; the bare number is accepted too. */
function twilioCode(code: string | null | undefined): string | null {
  if (!code) return null;
  const match = /^(?:TWILIO_)?(\d{5})$/.exec(code.trim());
  return match ? match[1]! : null;
}

export function consequenceOf(code: string | null | undefined): FailureConsequence {
  const twilio = twilioCode(code);
  if (twilio === UNSUBSCRIBED_CODE) return 'opted_out';
  if (twilio && UNDELIVERABLE_NUMBER_CODES.has(twilio)) return 'number_undeliverable';
  return null;
}

/** Short descriptions of the provider errors staff will see most; no patient data in them. */
const TWILIO_ERRORS: Record<string, string> = {
  '21211': 'The phone number is not a valid number',
  '21408': 'SMS to this region is not enabled for the clinic account',
  '21610': 'The number has opted out of SMS at the carrier (STOP)',
  '21614': 'The number is not a mobile number',
  '30003': 'The phone is unreachable (switched off or out of coverage)',
  '30004': 'The message was blocked by the recipient',
  '30005': 'The number is unknown or no longer in service',
  '30006': 'The number is a landline or cannot receive SMS',
  '30007': 'The carrier filtered the message',
  '30008': 'Unknown error at the carrier',
};

/** A staff-readable reason for an error code (ours or Twilio's). */
export function describeErrorCode(code: string | null | undefined): string | null {
  const twilio = twilioCode(code);
  if (twilio) return `${TWILIO_ERRORS[twilio] ?? 'The SMS provider reported an error'} (Twilio ${twilio})`;
  return null;
}

/** Our `TWILIO_<code>` form of an error code from a status callback. */
export function errorCodeFromCallback(code: string | null | undefined): string | null {
  const twilio = twilioCode(code);
  if (twilio) return `TWILIO_${twilio}`;
  const trimmed = code?.trim();
  return trimmed ? `TWILIO_${trimmed.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}` : null;
}
