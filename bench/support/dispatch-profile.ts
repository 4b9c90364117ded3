import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { SystemClock } from '@aftercare/clock';
import type { AppConfig } from '@aftercare/config';
import { Logger } from '@nestjs/common';
import { FallbackService } from '../../apps/notifications/src/delivery/fallback.service.js';
import { MessageSenderService } from '../../apps/notifications/src/delivery/message-sender.service.js';
import { DirectoryService } from '../../apps/notifications/src/directory/directory.service.js';
import { MessagesService } from '../../apps/notifications/src/messages/messages.service.js';
import { TwilioSmsSender } from '../../apps/notifications/src/providers/twilio.sms-sender.js';
import { quantile } from './stats.js';

/** One statement a send issued, by what it is ("update messages #2": the second UPDATE of messages in that send). */
interface Statement {
  label: string;
  ms: number;
}

export interface StatementStat {
  label: string;
  /** in how many of the sends it occurred */
  sends: number;
  p50: number;
  p99: number;
}

export interface SendProfile {
  sends: number;
  /** per send: median count of statements (round trips) and of transactions (BEGIN … COMMIT) */
  statements: number;
  transactions: number;
  total: { p50: number; p99: number };
  provider: { p50: number; p99: number };
  /** sum of the statements' round trips per send */
  database: { p50: number; p99: number };
  /** the rest: the sender's own code, drizzle's query building and mapping, waiting for a pooled connection */
  other: { p50: number; p99: number };
  byStatement: StatementStat[];
  outcomes: Record<string, number>;
}

/** "select … from "notifications"."recipients" …" → "select recipients"; BEGIN/COMMIT and set_config by name. */
function statementKind(text: string): string {
  const t = text.trim().toLowerCase();
  if (t === 'begin' || t.startsWith('begin ')) return 'BEGIN';
  if (t === 'commit') return 'COMMIT';
  if (t === 'rollback') return 'ROLLBACK';
  if (t.includes('set_config')) return 'select set_config (status source for the history trigger)';
  const verb = /^(select|update|insert|delete|with)/.exec(t)?.[1] ?? 'other';
  const table = /(?:from|update|into)\s+(?:"?notifications"?\.)?"?([a-z_]+)"?/.exec(t)?.[1] ?? '?';
  return `${verb} ${table}`;
}

/**
 * Records the statements of every client of the pool. drizzle sends plain queries through
 * `pool.query` (which checks a client out and calls its `query` with a callback) and a
 * transaction's statements through a checked-out client, so wrapping each client's `query`
 * sees all of them exactly once.
 */
function recordingPool(url: string, max: number) {
  const pool = new pg.Pool({ connectionString: url, max });
  let sink: Statement[] | null = null;
  pool.on('connect', (client) => {
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
      if (typeof values === 'function') {
        callback = values;
        values = undefined;
      }
      const text = typeof config === 'string' ? config : ((config as { text?: string })?.text ?? '');
      // A named (prepared) statement is known by its name.
      const name = typeof config === 'object' ? (config as { name?: string } | null)?.name : undefined;
      const target = sink;
      const t0 = performance.now();
      const record = () => target?.push({ label: name ?? statementKind(text), ms: performance.now() - t0 });
      if (typeof callback === 'function') {
        return original(config, values, (error: unknown, result: unknown) => {
          record();
          (callback as (e: unknown, r: unknown) => void)(error, result);
        });
      }
      return (original(config, values) as Promise<unknown>).then((result) => {
        record();
        return result;
      });
    };
  });
  return {
    pool,
    begin: () => (sink = []),
    end: () => {
      const got = sink ?? [];
      sink = null;
      return got;
    },
  };
}

/**
 * One send after another, in this process, with the notifications service's own
 * MessageSenderService from dist/ and the real twilio library against the same fake: for each
 * message row (due, never sent), every statement it sends to PostgreSQL with its round-trip time,
 * the provider call, and the rest. Only the happy path is wired (e-mail, fallback and re-queueing
 * are not needed for due SMS confirmations to consenting patients; a send that needed them fails here).
 */
export async function profileSends(options: { databaseUrl: string; config: AppConfig; messageIds: string[] }): Promise<SendProfile> {
  const io = recordingPool(options.databaseUrl, 10);
  try {
    const db = drizzle({ client: io.pool });
    const twilio = options.config.twilio!;
    const sms = new TwilioSmsSender({ accountSid: twilio.accountSid, authToken: twilio.authToken, from: twilio.from, apiUrl: twilio.apiUrl ?? undefined });
    let providerMs = 0;
    const send = sms.send.bind(sms);
    sms.send = async (message) => {
      const t0 = performance.now();
      try {
        return await send(message);
      } finally {
        providerMs += performance.now() - t0;
      }
    };
    // The sender's collaborators as the service wires them, with what a send of a due SMS reads of them
    // (the database, the config, the clock); the queue, the templates, the mailer and the outbox are
    // not wired: reaching for them fails the send with a clear error.
    const clock = new SystemClock();
    const partial = <T extends object>(cls: abstract new (...args: never[]) => T, fields: Record<string, unknown>): T =>
      new Proxy(Object.assign(Object.create(cls.prototype) as object, fields), {
        get: (target, prop, receiver) => {
          if (prop in target || typeof prop === 'symbol' || prop === 'then') return Reflect.get(target, prop, receiver);
          throw new Error(`the send profile does not wire ${cls.name}.${String(prop)}`);
        },
      }) as T;
    const directory = new DirectoryService(db as never);
    const messages = partial(MessagesService, { db, config: options.config, clock, directory, logger: new Logger('Messages') });
    const fallback = partial(FallbackService, { clock, directory, messages });
    const mailer = partial(Object as never, {});
    const sender = new MessageSenderService(db as never, options.config, clock, sms, mailer as never, fallback, messages);

    const totals: number[] = [];
    const providers: number[] = [];
    const databases: number[] = [];
    const others: number[] = [];
    const statementCounts: number[] = [];
    const transactionCounts: number[] = [];
    const byLabel = new Map<string, number[]>();
    const outcomes: Record<string, number> = {};
    for (const id of options.messageIds) {
      providerMs = 0;
      io.begin();
      const t0 = performance.now();
      let outcome = 'done';
      try {
        const result = await sender.send(id);
        if (result.wakeAt) outcome = 'wake later';
      } catch (error) {
        outcome = `error: ${(error as Error).message.slice(0, 80)}`;
      }
      const total = performance.now() - t0;
      const statements = io.end();
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      const seen = new Map<string, number>();
      let database = 0;
      for (const s of statements) {
        const n = (seen.get(s.label) ?? 0) + 1;
        seen.set(s.label, n);
        const label = `${s.label} #${n}`;
        byLabel.set(label, [...(byLabel.get(label) ?? []), s.ms]);
        database += s.ms;
      }
      totals.push(total);
      providers.push(providerMs);
      databases.push(database);
      others.push(total - database - providerMs);
      statementCounts.push(statements.length);
      transactionCounts.push(statements.filter((s) => s.label === 'BEGIN').length);
    }
    const q = (values: number[]) => ({ p50: quantile(values, 0.5), p99: quantile(values, 0.99) });
    // In the order they first occur in a send.
    const order = [...byLabel.keys()];
    return {
      sends: options.messageIds.length,
      statements: quantile(statementCounts, 0.5),
      transactions: quantile(transactionCounts, 0.5),
      total: q(totals),
      provider: q(providers),
      database: q(databases),
      other: q(others),
      byStatement: order.map((label) => ({ label, sends: byLabel.get(label)!.length, ...q(byLabel.get(label)!) })),
      outcomes,
    };
  } finally {
    await io.pool.end();
  }
}
