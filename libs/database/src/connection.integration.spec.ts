import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { ensureDatabase, withDefaultUser } from './connection.js';

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
