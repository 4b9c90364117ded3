import { getTableColumns, getTableName, type Table } from 'drizzle-orm';
import type { Pool } from 'pg';
import { TEMPORARY_UNDELIVERABLE_CODES } from '../messages/channel.policy.js';
import { CAPPED_KINDS } from '../messages/frequency-cap.rule.js';
import { PENDING_STATUSES } from '../messages/message.source.js';
import { appointments, messages, recipients, type AppointmentCopyRow, type MessageRow, type RecipientRow } from '../database/schema.js';
import type { StatusSource } from './status-source.js';

/**
 * The three statements of a send's hot path (MessageSenderService), as fixed SQL text with array
 * parameters: the same text whatever the batch size, so each is a named prepared statement,
 * parsed and planned once per connection; and their rows come back already in the shape of our
 * row types (each column aliased to its property name; every column here is text, uuid,
 * boolean, integer or timestamptz, which pg decodes as drizzle would). Drizzle builds and maps
 * everything else; here, where a burst runs these thousands of times, it was a third of the
 * service's CPU.
 */

/** `alias."column" AS "<prefix>property"` for the named columns of a table (every column without `only`). */
function columnList<T extends Table>(table: T, alias: string, prefix = '', only?: readonly (keyof T['_']['columns'] & string)[]): string {
  return Object.entries(getTableColumns(table))
    .filter(([property]) => !only || (only as readonly string[]).includes(property))
    .map(([property, column]) => `${alias}."${column.name}" AS "${prefix}${property}"`)
    .join(', ');
}

/**
 * What the send decisions read of the patient's copy (SMS permission, the number's flag, the zone
 * for quiet hours) and of the appointment's (moot or moved; the time a reminder is for): only
 * these columns are read, as every column of a row read costs its parsing on each send.
 */
const SEND_RECIPIENT_COLUMNS = ['id', 'timezone', 'smsConsent', 'smsOptedOut', 'smsHeldAt', 'smsUndeliverablePhone', 'smsUndeliverableAt', 'smsUndeliverableCode'] as const;
const SEND_APPOINTMENT_COLUMNS = ['id', 'status', 'sequence', 'startsAt'] as const;
export type SendRecipient = Pick<RecipientRow, (typeof SEND_RECIPIENT_COLUMNS)[number]>;
export type SendAppointment = Pick<AppointmentCopyRow, (typeof SEND_APPOINTMENT_COLUMNS)[number]>;

/**
 * What a send reads of its message row: what the checks, the provider call and the state machine
 * use - not the row's other timestamps and notes, which cost their parsing on every send and
 * which nothing on this path reads.
 */
const SEND_MESSAGE_COLUMNS = [
  'id', 'patientId', 'appointmentId', 'waitlistOfferId', 'channel', 'direction', 'kind', 'timing', 'dedupeKey', 'status', 'attempts',
  'toAddress', 'subject', 'body', 'ics', 'provider', 'providerMessageId', 'sentAt', 'dueAt', 'unconfirmedSince', 'updatedAt',
] as const;
export type SendRow = Pick<MessageRow, (typeof SEND_MESSAGE_COLUMNS)[number]> & {
  /**
   * `send_at` of an SMS the frequency cap counts (the day compose placed it on), null for any
   * other message: only those need it, and every column read costs its parsing on each send.
   */
  cappedSendAt: Date | null;
};

/** The columns a claim changes that a send reads: the claimed row is the row as read with these. */
const CLAIM_CHANGES = ['status', 'attempts', 'unconfirmedSince', 'dueAt', 'updatedAt'] as const;
type ClaimChanges = Pick<MessageRow, (typeof CLAIM_CHANGES)[number] | 'id'>;

/** The rows' prefixed columns back into an object (null when the joined row is absent: its id is null). */
function unprefix<T>(raw: Record<string, unknown>, prefix: string): T | null {
  if (raw[`${prefix}id`] === null || raw[`${prefix}id`] === undefined) return null;
  const row: Record<string, unknown> = {};
  for (const key in raw) if (key.startsWith(prefix)) row[key.slice(prefix.length)] = raw[key];
  return row as T;
}

const M = `notifications.${getTableName(messages)}`;
const R = `notifications.${getTableName(recipients)}`;
const A = `notifications.${getTableName(appointments)}`;
const PENDING = PENDING_STATUSES.map((s) => `'${s}'`).join(', ');
const CAPPED = [...CAPPED_KINDS].map((k) => `'${k}'`).join(', ');
const MESSAGE_COLUMNS = `${columnList(messages, 'm', '', SEND_MESSAGE_COLUMNS)},
  CASE WHEN m.channel = 'sms' AND m.direction = 'outbound' AND m.kind IN (${CAPPED}) THEN m.send_at END AS "cappedSendAt"`;

const LOAD = {
  name: 'notifications.send.load',
  text: `SELECT ${MESSAGE_COLUMNS}, ${columnList(recipients, 'r', 'r.', SEND_RECIPIENT_COLUMNS)}, ${columnList(appointments, 'a', 'a.', SEND_APPOINTMENT_COLUMNS)}
           FROM ${M} m
           LEFT JOIN ${R} r ON r.id = m.patient_id
           LEFT JOIN ${A} a ON a.id = m.appointment_id
          WHERE m.id = ANY($1::uuid[])`,
};

/**
 * The claim: `sending`, one more attempt, the time from which the call's outcome is unknown, and
 * the end of the claim's lease as the row's next time ($7, SEND_LEASE_MS), for each row still as
 * it was read (pending, same attempts) - and for an SMS only while the patient's SMS are still
 * allowed (not opted out, consented, not held, the number not flagged), decided in this very
 * statement. $4: the codes of a temporary flag, $5: when such a flag expires.
 */
const CLAIM = {
  name: 'notifications.send.claim',
  text: `UPDATE ${M} m
            SET status = 'sending', attempts = m.attempts + 1, unconfirmed_since = COALESCE(m.unconfirmed_since, now()),
                next_attempt_at = $7, updated_at = $3
           FROM unnest($1::uuid[], $2::int[]) AS c(id, attempts)
          WHERE m.id = c.id AND m.attempts = c.attempts AND m.status IN (${PENDING})
            AND NOT EXISTS (
                  SELECT 1 FROM ${R} r
                   WHERE m.channel = 'sms' AND r.id = m.patient_id
                     AND (r.sms_opted_out OR NOT r.sms_consent OR r.sms_held_at IS NOT NULL
                          OR (r.sms_undeliverable_phone = COALESCE(m.to_address, '')
                              AND NOT (r.sms_undeliverable_code = ANY($4::text[]) AND (r.sms_undeliverable_at IS NULL OR r.sms_undeliverable_at <= $5)))))
            -- Once for the statement (a one-time filter), not once per row.
            AND (SELECT set_config('aftercare.status_source', $6, true)) IS NOT NULL
      RETURNING ${columnList(messages, 'm', '', ['id', ...CLAIM_CHANGES])}`,
};

/**
 * The record: `sent` with the provider's id, for each row still pending; the delivery reports
 * that came before the provider's id was known are opened again. Its commit does not wait for the
 * disk: were it lost in a database crash, the row would be `sending` with `unconfirmed_since`
 * again, and the next attempt asks the provider first (and finds the message) instead of sending
 * it twice. The claim is never committed this way.
 */
const RECORD = {
  name: 'notifications.send.record',
  text: `WITH answer AS (
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) AS a(id, provider, sid)
         ), recorded AS (
           UPDATE ${M} m
              SET status = 'sent', sent_at = COALESCE(m.sent_at, $4), provider = answer.provider, provider_message_id = answer.sid,
                  error_code = NULL, error = NULL, unconfirmed_since = NULL, next_attempt_at = NULL, updated_at = $4
             FROM answer
            WHERE m.id = answer.id AND m.status IN (${PENDING})
              -- Each once for the statement (one-time filters), not once per row.
              AND (SELECT set_config('aftercare.status_source', $5, true)) IS NOT NULL
              AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
           RETURNING m.id
         ), reopened AS (
           UPDATE notifications.delivery_callbacks d SET processed_at = NULL, outcome = NULL
             FROM answer
            WHERE answer.provider = 'twilio' AND d.provider = answer.provider AND d.message_sid = answer.sid AND d.outcome = 'unknown_message'
         )
         SELECT id FROM recorded`,
};

export interface LoadedSend {
  row: SendRow;
  recipient: SendRecipient | null;
  appointment: SendAppointment | null;
}

export interface Acceptance {
  row: SendRow;
  provider: string;
  providerMessageId: string;
}

export class SendStatements {
  constructor(
    private readonly pool: Pool,
    private readonly source: StatusSource,
  ) {}

  /** The rows with their patient's and appointment's copies, answered in the order of `ids`. */
  async load(ids: string[]): Promise<(LoadedSend | null)[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>({ ...LOAD, values: [[...new Set(ids)]] });
    const byId = new Map<string, LoadedSend>();
    for (const raw of rows) {
      const row: Record<string, unknown> = {};
      for (const key in raw) if (!key.includes('.')) row[key] = raw[key];
      byId.set(raw.id as string, { row: row as SendRow, recipient: unprefix<SendRecipient>(raw, 'r.'), appointment: unprefix<SendAppointment>(raw, 'a.') });
    }
    return ids.map((id) => byId.get(id) ?? null);
  }

  /**
   * Claims the rows still as read; each gets its claimed row (the row as read with the claim's
   * changes: the claim matched it unchanged), or null (one claim per row: a second request for it gets null).
   */
  async claim(rows: SendRow[], now: Date, flagExpired: Date, leaseEnd: Date): Promise<(SendRow | null)[]> {
    const { rows: claimed } = await this.pool.query<ClaimChanges>({
      ...CLAIM,
      values: [rows.map((r) => r.id), rows.map((r) => r.attempts), now, TEMPORARY_UNDELIVERABLE_CODES, flagExpired, this.source, leaseEnd],
    });
    const byId = new Map(claimed.map((c) => [c.id, c]));
    return rows.map((r) => {
      const changes = byId.get(r.id);
      if (!changes) return null;
      byId.delete(r.id);
      return { ...r, ...changes };
    });
  }

  /** Records the provider's answers; true where the row was moved to `sent`. */
  async recordAccepted(accepted: Acceptance[], now: Date): Promise<boolean[]> {
    const { rows } = await this.pool.query<{ id: string }>({
      ...RECORD,
      values: [accepted.map((a) => a.row.id), accepted.map((a) => a.provider), accepted.map((a) => a.providerMessageId), now, this.source],
    });
    const recorded = new Set(rows.map((r) => r.id));
    return accepted.map((a) => recorded.has(a.row.id));
  }
}
