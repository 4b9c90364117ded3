import pg from 'pg';
import { waitFor, type TwilioFakeMessage } from '@aftercare/testing';

/**
 * The ledger of a fault scenario, read from PostgreSQL and from what the Twilio-compatible
 * server received: every care-plan step and outbound message due in the window [from, until]
 * (virtual time) is sent, deliberately suppressed (the reason recorded) or deferred past the
 * window by quiet hours or the frequency cap — once. Anything else is lost; a second provider
 * message for one message row, a second message row for one step or a second due-list item for
 * one evaluation step is duplicated.
 */
export interface LedgerEntry {
  what: 'step' | 'message';
  id: string;
  kind: string;
  status: string;
  outcome: 'sent' | 'suppressed' | 'deferred' | 'lost';
  /** Why it was suppressed or deferred, or what is missing when lost. */
  reason?: string;
}

export interface Ledger {
  stepsDue: number;
  messagesDue: number;
  sent: number;
  suppressed: number;
  deferred: number;
  duplicated: number;
  lost: number;
  /** Why things were suppressed or deferred, with counts. */
  reasons: Record<string, number>;
  /** The lost and duplicated items, named for the failure message (ids only). */
  problems: string[];
}

const MESSAGE_STEP_KINDS = ['aftercare', 'checkin'];
/** Statuses of a message that has not reached an end yet. */
const UNDECIDED = ['scheduled', 'queued', 'sending'];
const SENT = ['sent', 'delivered'];

interface StepRow {
  id: string;
  kind: string;
  status: string;
  due_at: Date;
  fired_at: Date | null;
  messages: number;
  message_due_at: Date | null;
  items: number;
}

interface MessageRow {
  id: string;
  kind: string;
  channel: string;
  status: string;
  provider: string | null;
  due_at: Date | null;
  send_at: Date | null;
  step_id: string | null;
  error_code: string | null;
  error: string | null;
}

export class LedgerReader {
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string) {
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 2_000 });
    // The database may be the one a scenario stops: a dropped idle client is not the test's failure.
    this.pool.on('error', () => undefined);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * How many items due by `by` (virtual time) are still waiting to go: steps not fired, message
   * steps fired without their message yet, messages not sent, suppressed or failed. 0 = the
   * backlog of a fault that ended at `by` has been worked off.
   */
  async backlog(from: Date, by: Date): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT
         (SELECT count(*) FROM followup.care_plan_steps s
           WHERE s.due_at BETWEEN $1 AND $2
             AND (s.status = 'scheduled'
               OR (s.kind = ANY($3) AND s.status IN ('sent', 'answered', 'unanswered')
                   AND NOT EXISTS (SELECT 1 FROM notifications.messages m WHERE m.step_id = s.id AND m.direction = 'outbound'))))
       + (SELECT count(*) FROM notifications.messages m
           WHERE m.direction = 'outbound' AND m.created_at >= $1 AND m.send_at <= $2 AND m.status = ANY($4)) AS n`,
      [from, by, MESSAGE_STEP_KINDS, UNDECIDED],
    );
    return Number(rows[0]!.n);
  }

  /** Polls the backlog until it is empty; resolves with when that was (wall time). */
  async waitForBacklog(from: Date, by: Date, timeoutMs: number): Promise<Date> {
    await waitFor(async () => (await this.backlog(from, by)) === 0, { timeoutMs, intervalMs: 250, what: `the backlog due by ${by.toISOString()} to be worked off` });
    return new Date();
  }

  /** Waits (up to timeoutMs) until nothing due in the window is undecided, then reads the ledger. */
  async settle(from: Date, until: Date, provider: readonly TwilioFakeMessage[], timeoutMs: number): Promise<Ledger> {
    try {
      await this.waitForBacklog(from, until, timeoutMs);
    } catch {
      // Whatever is still undecided at the deadline is lost: read() names it.
    }
    return this.read(from, until, provider);
  }

  async read(from: Date, until: Date, provider: readonly TwilioFakeMessage[]): Promise<Ledger> {
    const steps = (
      await this.pool.query<StepRow>(
        `SELECT s.id, s.kind, s.status, s.due_at, s.fired_at,
                (SELECT count(*)::int FROM notifications.messages m WHERE m.step_id = s.id AND m.direction = 'outbound' AND m.fallback_of IS NULL) AS messages,
                (SELECT min(m.due_at) FROM notifications.messages m WHERE m.step_id = s.id AND m.direction = 'outbound') AS message_due_at,
                (SELECT count(*)::int FROM followup.follow_up_items i WHERE i.step_id = s.id) AS items
           FROM followup.care_plan_steps s
          WHERE s.due_at BETWEEN $1 AND $2`,
        [from, until],
      )
    ).rows;
    const messages = (
      await this.pool.query<MessageRow>(
        `SELECT id, kind, channel, status, provider, due_at, send_at, step_id, error_code, error
           FROM notifications.messages
          WHERE direction = 'outbound' AND created_at BETWEEN $1 AND $2`,
        [from, until],
      )
    ).rows;
    const allMessageIds = new Set(
      (await this.pool.query<{ id: string }>(`SELECT id FROM notifications.messages WHERE direction = 'outbound'`)).rows.map((r) => r.id),
    );

    // What the provider received, per message row (its StatusCallback URL names the row).
    const providerCopies = new Map<string, number>();
    const problems: string[] = [];
    let duplicated = 0;
    for (const sms of provider) {
      const id = sms.statusCallback ? new URL(sms.statusCallback).searchParams.get('messageId') : null;
      if (!id || !allMessageIds.has(id)) {
        duplicated++;
        problems.push(`provider message ${sms.sid} belongs to no message row (${id ?? 'no callback'})`);
        continue;
      }
      providerCopies.set(id, (providerCopies.get(id) ?? 0) + 1);
    }
    for (const [id, copies] of providerCopies) {
      if (copies > 1) {
        duplicated += copies - 1;
        problems.push(`message ${id} reached the provider ${copies} times`);
      }
    }

    const entries: LedgerEntry[] = [];
    for (const step of steps) {
      if (MESSAGE_STEP_KINDS.includes(step.kind) && step.messages > 1) {
        duplicated += step.messages - 1;
        problems.push(`step ${step.id} (${step.kind}) has ${step.messages} messages`);
      }
      if (step.kind === 'repeat_evaluation' && step.items > 1) {
        duplicated += step.items - 1;
        problems.push(`step ${step.id} (${step.kind}) has ${step.items} due-list items`);
      }
      entries.push(stepEntry(step, until));
    }
    const dueMessages = messages.filter((m) => m.send_at === null || m.send_at <= until || (m.step_id !== null && steps.some((s) => s.id === m.step_id)));
    for (const message of dueMessages) entries.push(messageEntry(message, until, providerCopies.get(message.id) ?? 0));

    const reasons: Record<string, number> = {};
    for (const entry of entries) {
      if (entry.outcome === 'lost') problems.push(`lost: ${entry.what} ${entry.id} (${entry.kind}, ${entry.status}): ${entry.reason}`);
      else if (entry.reason) reasons[`${entry.outcome}: ${entry.reason}`] = (reasons[`${entry.outcome}: ${entry.reason}`] ?? 0) + 1;
    }
    const messageEntries = entries.filter((e) => e.what === 'message');
    return {
      stepsDue: steps.length,
      messagesDue: messageEntries.length,
      sent: messageEntries.filter((e) => e.outcome === 'sent').length,
      suppressed: messageEntries.filter((e) => e.outcome === 'suppressed').length + entries.filter((e) => e.what === 'step' && e.outcome === 'suppressed').length,
      deferred: messageEntries.filter((e) => e.outcome === 'deferred').length,
      duplicated,
      lost: entries.filter((e) => e.outcome === 'lost').length,
      reasons,
      problems,
    };
  }
}

function stepEntry(step: StepRow, until: Date): LedgerEntry {
  const base = { what: 'step' as const, id: step.id, kind: step.kind, status: step.status };
  if (['cancelled', 'skipped', 'superseded', 'paused'].includes(step.status)) return { ...base, outcome: 'suppressed', reason: `step ${step.status}` };
  if (step.status === 'scheduled') return { ...base, outcome: 'lost', reason: 'due and never fired' };
  if (MESSAGE_STEP_KINDS.includes(step.kind)) {
    if (step.messages === 0) return { ...base, outcome: 'lost', reason: 'fired without a message' };
    if (step.message_due_at && step.message_due_at > until) return { ...base, outcome: 'deferred', reason: 'its message moved past the window' };
    return { ...base, outcome: 'sent' };
  }
  if (step.kind === 'repeat_evaluation' && step.items === 0) return { ...base, outcome: 'lost', reason: 'fired without a due-list item' };
  return { ...base, outcome: 'sent' };
}

function messageEntry(message: MessageRow, until: Date, providerCopies: number): LedgerEntry {
  const base = { what: 'message' as const, id: message.id, kind: message.kind, status: message.status };
  if (SENT.includes(message.status)) {
    // An SMS the service says Twilio accepted must be at Twilio (a TwiML answer goes in the webhook's reply).
    if (message.channel === 'sms' && message.provider === 'twilio' && providerCopies === 0) return { ...base, outcome: 'lost', reason: 'recorded as sent, never reached the provider' };
    return { ...base, outcome: 'sent' };
  }
  if (message.status === 'suppressed' || message.status === 'cancelled') {
    return { ...base, outcome: 'suppressed', reason: `${message.status} (${message.error_code ?? message.error ?? 'no reason recorded'})` };
  }
  if (message.status === 'scheduled' && message.due_at && message.due_at > until) return { ...base, outcome: 'deferred', reason: 'moved past the window (quiet hours or frequency cap)' };
  return { ...base, outcome: 'lost', reason: UNDECIDED.includes(message.status) ? 'still undecided at the deadline' : `ended ${message.status} (${message.error_code ?? ''} ${message.error ?? ''})` };
}
