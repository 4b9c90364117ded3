import { sql, type SQL } from 'drizzle-orm';
import { waitFor } from './wait.js';

/** What runs a statement: a drizzle database or transaction. */
export interface SqlExecutor {
  execute(query: SQL): Promise<{ rows: unknown[] }>;
}

/**
 * Resolves once at least `n` transactions of the current database wait for a lock (a row lock,
 * an advisory lock, a table lock): how a race test knows that the work it started has reached
 * the lock another transaction of the test holds. Times out (an error) after `timeoutMs`.
 */
export async function waitForLockWaiters(db: SqlExecutor, n = 1, timeoutMs = 5_000): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await db.execute(sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      return (rows[0] as { n: number }).n >= n;
    },
    { timeoutMs, what: `${n} transaction(s) waiting for a lock` },
  );
}

/** What starts a transaction: a drizzle database. */
export interface Transactor<Tx> {
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * Starts a transaction on `db`, runs `first` in it, and keeps it open - with the locks `first`
 * took - until `release()`, which resolves once it has committed. How a race test holds another
 * writer halfway.
 */
export async function holdTransaction<Tx>(db: Transactor<Tx>, first: (tx: Tx) => Promise<unknown>): Promise<{ release(): Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  let failed!: (error: unknown) => void;
  const holding = new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject)));
  const done = db.transaction(async (tx) => {
    await first(tx);
    started();
    await released;
  }).catch((error: unknown) => {
    failed(error);
    throw error;
  });
  await holding;
  return {
    release: async () => {
      release();
      await done;
    },
  };
}
