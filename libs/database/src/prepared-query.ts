import { sql, type Placeholder } from 'drizzle-orm';
import type { Executor } from './database.module.js';

/** What drizzle's query builders offer here: `.prepare(name)` (select, insert, update, delete). */
export interface PreparableQuery<R> {
  prepare(name: string): { execute(values?: Record<string, unknown>): Promise<R> };
}

/**
 * drizzle-orm 0.45's prepared query for node-postgres as this file uses it: `execute` sends its
 * statement through `client`, the pool or one connection (NodePgPreparedQuery). Not in drizzle's
 * types; prepared-query.integration.spec.ts checks it on every run.
 */
interface NodePgPrepared<R> {
  client: unknown;
  queryString: string;
  execute(values?: Record<string, unknown>): Promise<R>;
}

/** Each statement name in use and its text: PostgreSQL keeps one text per name on a connection. */
const texts = new Map<string, string>();

/**
 * A drizzle query built once and then run with new values, on the pool or inside any
 * transaction. Drizzle builds a query's SQL text again on every call (walking its tables and
 * columns, with an `is()` check on every piece): measured in a `--cpu-prof` of notifications
 * while composing messages, that was 15-30 % of the service's CPU, about 130 µs of Node's CPU
 * for a select by id against 50 µs for the same select prepared.
 *
 * The builder runs once, the first time, with `sql.placeholder('…')` wherever a value varies; a
 * run fills in `values`. A placeholder given as an insert's value is encoded by its column, as
 * drizzle encodes a value, and drizzle's encoder of a timestamp column does not take null: a
 * nullable timestamp goes in as sql`${sql.placeholder('…')}` (pg sends a Date as it is). In a
 * condition (`eq(column, placeholder)`) the value goes to pg as it is. The statement is a named
 * prepared statement as well, so PostgreSQL parses it once per connection; after five runs it may
 * plan it once for any values (a generic plan), which cannot use a partial index whose condition
 * it sees only as a parameter: a constant that such an index names is written into the text
 * (sql`${column} = 'sent'`), not given as `eq(column, 'sent')`, which drizzle sends as a parameter.
 *
 * Drizzle's own `.prepare()` ties a statement to the handle it was built on (the pool, or one
 * transaction's connection): a statement prepared outside a transaction would run outside it.
 * Here every run goes through the connection of the handle it is given (`db.session.client`,
 * drizzle's node-postgres session), so inside a transaction it sees, and is part of, that
 * transaction.
 */
export class PreparedQuery<V extends Record<string, unknown>, R> {
  private prepared: NodePgPrepared<R> | null = null;

  /**
   * @param name the statement's name at PostgreSQL: one name, one statement text in the process.
   * @param build the query, on the handle it is given, with placeholders for `V`'s keys.
   */
  constructor(
    readonly name: string,
    private readonly build: (db: Executor) => PreparableQuery<R>,
  ) {}

  async execute(db: Executor, values: V): Promise<R> {
    const prepared = (this.prepared ??= this.prepare(db));
    const client = clientOf(db);
    // The same statement, sent through this handle's connection.
    const bound: NodePgPrepared<R> = prepared.client === client ? prepared : Object.create(prepared, { client: { value: client } });
    return bound.execute(values);
  }

  private prepare(db: Executor): NodePgPrepared<R> {
    const prepared = this.build(db).prepare(this.name) as unknown as NodePgPrepared<R>;
    const known = texts.get(this.name);
    if (known !== undefined && known !== prepared.queryString) {
      throw new Error(`the prepared query ${this.name} exists already with another statement: give this one a name of its own`);
    }
    texts.set(this.name, prepared.queryString);
    return prepared;
  }
}

function clientOf(db: Executor): unknown {
  const client = (db as unknown as { session?: { client?: unknown } }).session?.client;
  if (!client) throw new Error('PreparedQuery needs a drizzle node-postgres database or transaction');
  return client;
}

/** `{ key: sql.placeholder('key') }` for each key: a prepared insert's values, named as the row's properties. */
export function placeholders<K extends string>(keys: readonly K[]): { [P in K]: Placeholder<P> } {
  return Object.fromEntries(keys.map((key) => [key, sql.placeholder(key)])) as { [P in K]: Placeholder<P> };
}

/**
 * A statement written as SQL text (what drizzle cannot build, e.g. an UPDATE in a WITH that the
 * SELECT after it reads back) run as a named prepared statement on the pool or inside any
 * transaction, like PreparedQuery: PostgreSQL parses it once per connection. Rows come back as pg
 * gives them (column names as the text's aliases; timestamps as Dates).
 */
export class NamedStatement<P extends unknown[], R> {
  constructor(
    readonly name: string,
    readonly text: string,
  ) {
    const known = texts.get(name);
    if (known !== undefined && known !== text) throw new Error(`the prepared query ${name} exists already with another statement: give this one a name of its own`);
    texts.set(name, text);
  }

  async execute(db: Executor, values: P): Promise<R[]> {
    const client = clientOf(db) as { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }> };
    const { rows } = await client.query({ name: this.name, text: this.text, values });
    return rows;
  }
}
