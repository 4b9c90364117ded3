import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq, gte, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { boolean, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { createTestDatabase } from '@aftercare/testing';
import { createPool } from './connection.js';
import type { Db } from './database.module.js';
import { NamedStatement, PreparedQuery } from './prepared-query.js';

const s = pgSchema('prepared_spec');
const people = s.table('people', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  active: boolean('active').notNull(),
  visits: integer('visits').notNull(),
  seenAt: timestamp('seen_at', { withTimezone: true, mode: 'date' }).notNull(),
  leftAt: timestamp('left_at', { withTimezone: true, mode: 'date' }),
});

const byId = new PreparedQuery('prepared_spec.by_id', (db) => db.select().from(people).where(eq(people.id, sql.placeholder('id'))));
const seenSince = new PreparedQuery('prepared_spec.seen_since', (db) =>
  db.select({ id: people.id, seenAt: people.seenAt }).from(people).where(and(eq(people.active, true), gte(people.seenAt, sql.placeholder('since')))).orderBy(people.seenAt),
);
const add = new PreparedQuery('prepared_spec.add', (db) =>
  db
    .insert(people)
    .values({ id: sql.placeholder('id'), name: sql.placeholder('name'), active: true, visits: 0, seenAt: sql.placeholder('seenAt') })
    .onConflictDoNothing()
    .returning({ id: people.id }),
);
const setLeftAt = new PreparedQuery('prepared_spec.set_left_at', (db) =>
  // A nullable timestamp: wrapped, so pg sends the Date (or null) as it is (drizzle's column encoder does not take null).
  db.update(people).set({ leftAt: sql`${sql.placeholder('leftAt')}` }).where(eq(people.id, sql.placeholder('id'))).returning({ leftAt: people.leftAt }),
);
const lockById = new PreparedQuery('prepared_spec.lock_by_id', (db) => db.select({ id: people.id }).from(people).where(eq(people.id, sql.placeholder('id'))).for('update', { noWait: true }));

describe('PreparedQuery (a drizzle query built once, run on the pool or in any transaction)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let db: Db;
  const ann = { id: randomUUID(), name: 'Ann', active: true, visits: 3, seenAt: new Date('2026-03-08T06:59:59.123Z'), leftAt: null };
  const bob = { id: randomUUID(), name: 'Bob', active: false, visits: 1, seenAt: new Date('2026-03-09T12:00:00.000Z'), leftAt: null };

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPool(database.url, 'aftercare-prepared-spec', 4);
    db = drizzle({ client: pool });
    await pool.query('CREATE SCHEMA prepared_spec; CREATE TABLE prepared_spec.people (id uuid PRIMARY KEY, name text NOT NULL, active boolean NOT NULL, visits integer NOT NULL, seen_at timestamptz NOT NULL, left_at timestamptz)');
    await db.insert(people).values([ann, bob]);
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('answers as the same drizzle query built each time does (columns mapped, timestamps as Dates), with new values on every run', async () => {
    for (const person of [ann, bob]) {
      const built = await db.select().from(people).where(eq(people.id, person.id));
      const prepared = await byId.execute(db, { id: person.id });
      expect(prepared).toEqual(built);
      expect(prepared).toEqual([person]);
    }
    expect(await byId.execute(db, { id: randomUUID() })).toEqual([]);
    // A Date in a condition goes to pg as it is, which sends it with its offset: the same instant, to the millisecond.
    expect(await seenSince.execute(db, { since: new Date('2026-03-08T06:59:59.123Z') })).toEqual([{ id: ann.id, seenAt: ann.seenAt }]);
    expect(await seenSince.execute(db, { since: new Date('2026-03-08T06:59:59.124Z') })).toEqual([]);
  });

  it('is one named statement at PostgreSQL, parsed once per connection', async () => {
    const client = await pool.connect();
    try {
      const tx = drizzle({ client });
      for (let i = 0; i < 3; i++) await byId.execute(tx as unknown as Db, { id: ann.id });
      const { rows } = await client.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements');
      expect(rows.filter((r) => r.name === 'prepared_spec.by_id')).toHaveLength(1);
    } finally {
      client.release();
    }
  });

  it('inside a transaction runs on its connection: it sees the transaction\'s own changes, and what it writes goes away with a rollback', async () => {
    const carl = { id: randomUUID(), name: 'Carl', seenAt: new Date('2026-11-01T05:30:00Z') };
    await expect(
      db.transaction(async (tx) => {
        await tx.update(people).set({ name: 'Ann B.' }).where(eq(people.id, ann.id));
        expect((await byId.execute(tx, { id: ann.id }))[0]!.name).toBe('Ann B.');
        // Outside the transaction (the pool, another connection) the change is not there yet.
        expect((await byId.execute(db, { id: ann.id }))[0]!.name).toBe('Ann');
        expect(await add.execute(tx, carl)).toEqual([{ id: carl.id }]);
        expect(await byId.execute(tx, { id: carl.id })).toHaveLength(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await byId.execute(db, { id: ann.id }))[0]!.name).toBe('Ann');
    expect(await byId.execute(db, { id: carl.id })).toEqual([]);

    // Committed, the insert is there for everyone; a second one conflicts and returns nothing.
    await db.transaction(async (tx) => {
      expect(await add.execute(tx, carl)).toEqual([{ id: carl.id }]);
    });
    expect((await byId.execute(db, { id: carl.id }))[0]).toMatchObject({ name: 'Carl', seenAt: carl.seenAt, visits: 0, active: true });
    expect(await add.execute(db, carl)).toEqual([]);
  });

  it('runs at once on the pool and in several transactions, each run on its own connection with its own values', async () => {
    const people3 = [0, 1, 2].map((i) => ({ id: randomUUID(), name: `P${i}`, seenAt: new Date(Date.UTC(2026, 10, 1, i)) }));
    // All three transactions stay open until each has written its row, and until each has read.
    const barrier = () => {
      let arrived = 0;
      let release!: () => void;
      const all = new Promise<void>((resolve) => (release = resolve));
      return () => (++arrived === people3.length && release(), all);
    };
    const written = barrier();
    const read = barrier();
    const seen = await Promise.all([
      ...people3.map((person) =>
        db.transaction(async (tx) => {
          await add.execute(tx, person);
          await written();
          // Each transaction sees its own new row and none of the others' (none is committed yet).
          const own = await byId.execute(tx, { id: person.id });
          const others = await Promise.all(people3.filter((p) => p !== person).map((p) => byId.execute(tx, { id: p.id })));
          await read();
          return { own: own.map((r) => r.name), others: others.flat().length };
        }),
      ),
      byId.execute(db, { id: ann.id }).then((rows) => ({ own: rows.map((r) => r.name), others: 0 })),
    ]);
    expect(seen).toEqual([...people3.map((p) => ({ own: [p.name], others: 0 })), { own: ['Ann'], others: 0 }]);
  });

  it('takes null for a nullable timestamp written as sql`${placeholder}`, and a Date', async () => {
    expect(await setLeftAt.execute(db, { id: bob.id, leftAt: new Date('2026-10-25T01:30:00Z') })).toEqual([{ leftAt: new Date('2026-10-25T01:30:00Z') }]);
    expect(await setLeftAt.execute(db, { id: bob.id, leftAt: null })).toEqual([{ leftAt: null }]);
  });

  it('holds a row lock (FOR UPDATE) for the transaction that ran it, and for no other', async () => {
    await db.transaction(async (tx) => {
      expect(await lockById.execute(tx, { id: bob.id })).toEqual([{ id: bob.id }]);
      // Another transaction cannot take the same lock while this one holds it (NOWAIT: at once).
      // drizzle wraps pg's error; 55P03: lock_not_available.
      await expect(db.transaction((other) => lockById.execute(other, { id: bob.id }))).rejects.toMatchObject({ cause: { code: '55P03' } });
    });
    await db.transaction(async (tx) => {
      expect(await lockById.execute(tx, { id: bob.id })).toEqual([{ id: bob.id }]);
    });
  });

  it('refuses a second statement under a name in use (PostgreSQL keeps one text per name), and takes the same one again', async () => {
    const other = new PreparedQuery('prepared_spec.by_id', (d) => d.select().from(people).where(eq(people.name, sql.placeholder('id'))));
    await expect(other.execute(db, { id: 'Ann' })).rejects.toThrow(/prepared_spec\.by_id exists already with another statement/);
    // The same query made again (a second instance of a service in one process) shares the name.
    const again = new PreparedQuery('prepared_spec.by_id', (d) => d.select().from(people).where(eq(people.id, sql.placeholder('id'))));
    expect(await again.execute(db, { id: ann.id })).toEqual([ann]);
  });
});

describe('NamedStatement (SQL text run as a named prepared statement, on the pool or in any transaction)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let db: Db;
  // Closes a group's open rows and reads the group back in one round trip, as they are after the close.
  const closeAndRead = new NamedStatement<[string, string], { id: string; status: string; closedNow: boolean }>(
    'named_spec.close_and_read',
    `WITH closed AS (UPDATE named_spec.items SET status = 'closed' WHERE grp = $1 AND status = 'open' AND id <> $2 RETURNING id)
     SELECT i.id, COALESCE(CASE WHEN c.id IS NOT NULL THEN 'closed' END, i.status) AS status, c.id IS NOT NULL AS "closedNow"
       FROM named_spec.items i LEFT JOIN closed c ON c.id = i.id
      WHERE i.grp = $1 ORDER BY i.id`,
  );

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPool(database.url, 'aftercare-named-spec', 4);
    db = drizzle({ client: pool });
    await pool.query(`CREATE SCHEMA named_spec; CREATE TABLE named_spec.items (id text PRIMARY KEY, grp text NOT NULL, status text NOT NULL)`);
    await pool.query(`INSERT INTO named_spec.items VALUES ('a1', 'a', 'open'), ('a2', 'a', 'open'), ('a3', 'a', 'done'), ('b1', 'b', 'open')`);
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('inside a transaction runs on its connection: the rows come back as changed, and a rollback takes the change away', async () => {
    await expect(
      db.transaction(async (tx) => {
        expect(await closeAndRead.execute(tx, ['a', 'a2'])).toEqual([
          { id: 'a1', status: 'closed', closedNow: true },
          { id: 'a2', status: 'open', closedNow: false },
          { id: 'a3', status: 'done', closedNow: false },
        ]);
        // Not yet committed: the pool's other connections still see the rows open.
        expect((await pool.query(`SELECT status FROM named_spec.items WHERE id = 'a1'`)).rows).toEqual([{ status: 'open' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await pool.query(`SELECT status FROM named_spec.items WHERE id = 'a1'`)).rows).toEqual([{ status: 'open' }]);

    // On the pool, each run is its own transaction; a second run finds nothing left to close.
    expect((await closeAndRead.execute(db, ['a', 'a2'])).filter((r) => r.closedNow).map((r) => r.id)).toEqual(['a1']);
    expect((await closeAndRead.execute(db, ['a', 'a2'])).filter((r) => r.closedNow)).toEqual([]);
    expect(await closeAndRead.execute(db, ['b', 'none'])).toEqual([{ id: 'b1', status: 'closed', closedNow: true }]);
  });

  it('is one named statement per connection, and refuses another text under its name', async () => {
    const client = await pool.connect();
    try {
      const tx = drizzle({ client }) as unknown as Db;
      for (let i = 0; i < 3; i++) await closeAndRead.execute(tx, ['c', 'none']);
      const { rows } = await client.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
      expect(rows.filter((r) => r.name === 'named_spec.close_and_read')).toHaveLength(1);
    } finally {
      client.release();
    }
    expect(() => new NamedStatement('named_spec.close_and_read', 'SELECT 1')).toThrow(/named_spec\.close_and_read exists already with another statement/);
    expect(new NamedStatement('named_spec.close_and_read', closeAndRead.text).name).toBe('named_spec.close_and_read');
  });
});
