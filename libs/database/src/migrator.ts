import type { Pool, PoolClient } from 'pg';

/** One versioned migration: plain SQL, applied once, in id order, inside a transaction. */
export interface Migration {
  id: string;
  sql: string;
}

/**
 * Applies a service's migrations to its own schema. An advisory lock per schema lets several
 * replicas start at once: one migrates, the others wait and then find nothing to do.
 */
export async function migrate(pool: Pool, schema: string, migrations: readonly Migration[], log: (line: string) => void = () => undefined): Promise<string[]> {
  assertIdentifier(schema);
  const ids = migrations.map((m) => m.id);
  if (new Set(ids).size !== ids.length || [...ids].sort().join() !== ids.join()) {
    throw new Error(`Migrations of ${schema} must have unique ids in ascending order: ${ids.join(', ')}`);
  }
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`aftercare.migrate.${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ id: string }>(`SELECT id FROM ${schema}.schema_migrations`);
    const done = new Set(rows.map((r) => r.id));
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await inTransaction(client, async () => {
        await client.query(migration.sql);
        await client.query(`INSERT INTO ${schema}.schema_migrations (id) VALUES ($1)`, [migration.id]);
      });
      applied.push(migration.id);
      log(`applied migration ${schema}/${migration.id}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`aftercare.migrate.${schema}`]).catch(() => undefined);
    client.release();
  }
  return applied;
}

async function inTransaction(client: PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

export function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`Not a safe SQL identifier: ${name}`);
}
