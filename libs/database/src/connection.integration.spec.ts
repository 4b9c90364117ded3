import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, TcpProxy } from '@aftercare/testing';
import { createPool, ensureDatabase, withDefaultUser } from './connection.js';

const base = new URL(withDefaultUser(process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/postgres'));
const name = `aftercare_test_ensure_${randomBytes(4).toString('hex')}`;
const urlOf = (db: string) => Object.assign(new URL(base.toString()), { pathname: `/${db}` }).toString();

describe('ensureDatabase', () => {
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: urlOf('postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  });

  it('creates a missing database once when every service asks for it at the same moment (the first `npm start`)', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => ensureDatabase(urlOf(name))));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const admin = new pg.Client({ connectionString: urlOf('postgres') });
    await admin.connect();
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    await admin.end();
    expect(rowCount).toBe(1);
  });
});

describe('createPool', () => {
  it('survives the database going away under a checked-out client (a transaction, a held lock), and recovers', async () => {
    const db = await createTestDatabase();
    const target = new URL(db.url);
    const proxy = new TcpProxy(Number(target.port || 5432), target.hostname);
    await proxy.start();
    const url = Object.assign(new URL(db.url), { hostname: '127.0.0.1', port: String(proxy.port) }).toString();
    const pool = createPool(url, 'aftercare-test-pool', 2);
    try {
      const client = await pool.connect();
      await client.query('BEGIN');
      // The connection drops while the client is checked out; pg reports it as an 'error' event
      // too, which would end the process without a listener.
      await proxy.stop();
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release();
      await expect(pool.query('SELECT 1')).rejects.toThrow(); // no database: a clear error

      await proxy.start();
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      await pool.end();
      await proxy.stop();
      await db.drop();
    }
  });
});
