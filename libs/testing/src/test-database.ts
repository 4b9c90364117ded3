import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';

export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  name: string;
  /** Ends the database's connections and drops it. */
  drop(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://127.0.0.1:5432/postgres';

/**
 * Creates an empty database `${prefix}_${random}` on the server of `serverAdminUrl` (a
 * PrivatePostgres), else of TEST_DATABASE_ADMIN_URL (default postgres://127.0.0.1:5432/postgres).
 * Refuses any name without "test" in it, so a wrong prefix can never make a test create or drop
 * a real database.
 */
export async function createTestDatabase(prefix = 'aftercare_test', serverAdminUrl?: string): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`.toLowerCase();
  assertTestName(name);
  const adminUrl = resolveAdminUrl(serverAdminUrl || process.env.TEST_DATABASE_ADMIN_URL || DEFAULT_ADMIN_URL);

  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${quoteIdent(name)}`));

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      await withAdmin(adminUrl, async (client) => {
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      });
      dropped = true;
    },
  };
}

/**
 * Without a user in the URL, node-postgres falls back to $USER, which is often unset in CI and
 * containers; use the same default as psql (PGUSER, then the OS user) instead.
 */
function resolveAdminUrl(raw: string): string {
  const url = new URL(raw);
  if (!url.username) url.username = process.env.PGUSER || process.env.USER || userInfo().username;
  return url.toString();
}

function assertTestName(name: string): void {
  if (!name.includes('test')) {
    throw new Error(`Refusing to use database "${name}": a test database name must contain "test"`);
  }
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || name.length > 63) {
    throw new Error(`Invalid test database name "${name}"`);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
