import type { MessageRow, messages } from '../database/schema.js';

type MessageUpdate = Partial<typeof messages.$inferInsert>;

/** Why a message cannot be sent again by hand, or null: only a `failed` one can. */
export function retryRefusal(row: Pick<MessageRow, 'status' | 'direction'>): string | null {
  if (row.direction !== 'outbound') return 'Only an outgoing message can be sent again';
  if (row.status !== 'failed') return `The message is ${row.status}, not failed: only a failed message can be sent again`;
  return null;
}

/**
 * A `failed` message back to `queued` for a fresh round of attempts, due now (`next_attempt_at`;
 * `send_at` stays the time it was meant for). The row's error is cleared for the new round; the
 * failure stays in the status history.
 *
 * - The provider took it and then reported it failed (it has a provider id): that copy did not
 *   reach the patient, so the provider's id and times go, and the sender sends a new one.
 * - A call whose outcome was never known (`unconfirmed_since`) keeps that mark: the sender asks
 *   the provider first, and records what it finds instead of sending twice.
 */
export function failedMessageRetry(row: Pick<MessageRow, 'providerMessageId'>, now: Date): MessageUpdate {
  const set: MessageUpdate = { status: 'queued', attempts: 0, nextAttemptAt: now, errorCode: null, error: null, updatedAt: now };
  if (row.providerMessageId) {
    Object.assign(set, { provider: null, providerMessageId: null, sentAt: null, deliveredAt: null, reportCheckedAt: null, unconfirmedSince: null });
  }
  return set;
}
