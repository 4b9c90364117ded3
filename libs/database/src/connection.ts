import { userInfo } from 'node:os';
import pg from 'pg';

/**
 * PostgreSQL connection helpers. `DATABASE_URL` defaults to a database that may not exist yet
 * on a newcomer's machine, so the first service to start creates it.
 */
/**
 * A URL without a user name means "the operating-system user", as psql reads it; pg only looks
 * at $USER, which services started by a supervisor often lack.
 */
export function withDefaultUser(url: string): string {
  const parsed = new URL(url);
  if (!parsed.username) parsed.username = encodeURIComponent(process.env.PGUSER ?? process.env.USER ?? userInfo().username);
  return parsed.toString();
}

export async function ensureDatabase(rawUrl: string): Promise<void> {
  const url = withDefaultUser(rawUrl);
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Cannot reach PostgreSQL at ${target.host} (${(error as Error).message}). Start PostgreSQL or set DATABASE_URL.`,
      { cause: error },
    );
  }
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((error: { code?: string; constraint?: string }) => {
        // Another service created it first: 42P04 once its CREATE has committed, or a unique
        // violation on pg_database's name while both were creating it at the same moment.
        if (error.code === '42P04' || (error.code === '23505' && error.constraint === 'pg_database_datname_index')) return;
        throw error;
      });
    }
  } finally {
    await client.end();
  }
}

export function createPool(url: string, applicationName: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: withDefaultUser(url), application_name: applicationName, max, connectionTimeoutMillis: 5_000 });
  // An idle client's error (e.g. PostgreSQL restarted) must not crash the process; the next
  // query gets a fresh connection or a clear error.
  pool.on('error', () => undefined);
  // Nor a checked-out one's (a transaction, a held advisory lock): pg emits the lost connection
  // as an 'error' event besides failing its queries, and pg-pool listens only while it is idle.
  // The queries still fail, and the pool drops the broken client when it comes back.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
