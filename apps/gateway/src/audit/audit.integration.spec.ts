import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Pool } from 'pg';
import { DEMO } from '@aftercare/contracts';
import { loadConfig } from '@aftercare/config';
import { PG_POOL } from '@aftercare/database';
import { createTestDatabase, freePort, PrivateRedis, waitFor, type TestDatabase } from '@aftercare/testing';
import { bootstrapGateway } from '../main.js';
import { seedDemoUsers } from '../users/demo-users.seeder.js';
import { AuditService } from './audit.service.js';

/**
 * The audit log of the gateway on its own (issue 8, point 5), over real HTTP, against a fresh
 * database and a private Redis. No service runs, so reads forwarded to one end in 503 after
 * RPC_TIMEOUT_MS; what is asserted is what the gateway records and refuses by itself.
 */
const redis = new PrivateRedis();
const PATIENT = '5b2a3c4d-1e2f-4a3b-8c4d-5e6f7a8b9c0d';

describe('the audit log', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let base: string;
  const tokens: Record<'admin' | 'frontDesk' | 'clinician', string> = { admin: '', frontDesk: '', clinician: '' };

  const call = async (method: string, path: string, options: { token?: string; requestId?: string; json?: unknown } = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: {
        ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
        ...(options.requestId ? { 'X-Request-Id': options.requestId } : {}),
        ...(options.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, requestId: res.headers.get('x-request-id') };
  };
  /** The admin's view of the entries of one request id, waiting for them to be written. */
  const entriesOf = (requestId: string, count = 1) =>
    waitFor(
      async () => {
        await app.get(AuditService).flush();
        const page = await call('GET', '/api/audit-log?limit=500', { token: tokens.admin });
        const found = page.body.items.filter((e: { requestId: string }) => e.requestId === requestId);
        return found.length >= count ? found : undefined;
      },
      { timeoutMs: 10_000, what: `audit entries of ${requestId}` },
    );

  beforeAll(async () => {
    await redis.start();
    db = await createTestDatabase('aftercare_test_audit');
    const port = await freePort();
    app = await bootstrapGateway(
      loadConfig({
        NODE_ENV: 'production',
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        JWT_SECRET: 'audit-integration-secret-audit-integration-secret',
        RPC_TIMEOUT_MS: '300',
        LOG_LEVEL: 'error',
        // The demo clinic runs this deployment: its admin sees the entries of no clinic (refused anonymous requests).
        OPERATOR_CLINIC_ID: DEMO.clinicId,
      }),
    );
    base = `http://127.0.0.1:${port}`;
    await seedDemoUsers(drizzle({ client: app.get<Pool>(PG_POOL) }));
    for (const [role, email] of [['admin', 'admin@aftercare.local'], ['frontDesk', 'frontdesk@aftercare.local'], ['clinician', 'clinician@aftercare.local']] as const) {
      tokens[role] = (await call('POST', '/api/auth/login', { json: { email, password: DEMO.password } })).body.accessToken;
    }
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await redis.stop();
  }, 30_000);

  it('echoes the caller’s X-Request-Id, or a new one, and keys the entry by it', async () => {
    const given = await call('GET', `/api/patients/${PATIENT}`, { requestId: 'audit-test-given-1' });
    expect(given.requestId).toBe('audit-test-given-1');
    const fresh = await call('GET', `/api/patients/${PATIENT}`);
    expect(fresh.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await entriesOf(fresh.requestId!)).toHaveLength(1);
  });

  it('records denied attempts: not signed in (401), wrong role (403), each with the record and no user when there is none', async () => {
    expect((await call('GET', `/api/patients/${PATIENT}/timeline`, { requestId: 'audit-deny-401' })).status).toBe(401);
    expect((await call('GET', `/api/messages?patientId=${PATIENT}`, { token: tokens.frontDesk, requestId: 'audit-deny-403-read' })).status).toBe(403);
    expect((await call('POST', `/api/care-plans/${PATIENT}/pause`, { token: tokens.frontDesk, requestId: 'audit-deny-403-write', json: { reason: 'x' } })).status).toBe(403);
    expect((await call('GET', '/api/users', { token: tokens.clinician, requestId: 'audit-deny-403-config' })).status).toBe(403);

    expect(await entriesOf('audit-deny-401')).toEqual([
      expect.objectContaining({ userId: null, clinicId: null, action: 'deny', recordType: 'patient', recordId: PATIENT, patientId: PATIENT, outcome: 401, method: 'GET', route: '/api/patients/:id/timeline' }),
    ]);
    expect(await entriesOf('audit-deny-403-read')).toEqual([
      expect.objectContaining({ userId: DEMO.users[1].id, clinicId: DEMO.clinicId, action: 'deny', recordType: 'message', patientId: PATIENT, outcome: 403 }),
    ]);
    expect(await entriesOf('audit-deny-403-write')).toEqual([expect.objectContaining({ action: 'deny', recordType: 'care_plan', recordId: PATIENT, outcome: 403 })]);
    expect(await entriesOf('audit-deny-403-config')).toEqual([expect.objectContaining({ userId: DEMO.users[2].id, action: 'deny', recordType: 'users', outcome: 403 })]);
  });

  it('records reads of patient data (whatever their outcome), but not reads of the clinic’s set-up', async () => {
    const read = await call('GET', `/api/care-plans?patientId=${PATIENT}`, { token: tokens.clinician, requestId: 'audit-read-1' });
    expect(read.status).toBeGreaterThanOrEqual(500); // no followup service here
    expect(await entriesOf('audit-read-1')).toEqual([
      expect.objectContaining({ userId: DEMO.users[2].id, action: 'read', recordType: 'care_plan', patientId: PATIENT, outcome: read.status, route: '/api/care-plans' }),
    ]);
    await call('GET', '/api/me', { token: tokens.clinician, requestId: 'audit-not-patient-data' });
    await call('GET', '/api/follow-ups/counts', { token: tokens.clinician, requestId: 'audit-not-patient-data' });
    await app.get(AuditService).flush();
    const page = await call('GET', '/api/audit-log?limit=500', { token: tokens.admin });
    expect(page.body.items.filter((e: { requestId: string }) => e.requestId === 'audit-not-patient-data')).toEqual([]);
  });

  it('lets only an admin read the log, newest first, a page at a time, filtered', async () => {
    expect((await call('GET', '/api/audit-log', { token: tokens.clinician })).status).toBe(403);
    const bad = await call('GET', '/api/audit-log?cursor=yesterday', { token: tokens.admin });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/cursor/);
    expect((await call('GET', '/api/audit-log?action=erase', { token: tokens.admin })).body.message).toMatch(/action/);

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: number }[]; nextCursor: string | null } } = await call('GET', `/api/audit-log?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: tokens.admin });
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((e) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.length).toBeGreaterThan(5);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen); // newest first, no repeats
    expect(new Set(seen).size).toBe(seen.length);

    const denials = await call('GET', `/api/audit-log?action=deny&patientId=${PATIENT}`, { token: tokens.admin });
    expect(denials.body.items.length).toBeGreaterThanOrEqual(3);
    expect(denials.body.items.every((e: { action: string; patientId: string }) => e.action === 'deny' && e.patientId === PATIENT)).toBe(true);
  });

  it('is append-only for the gateway’s own database connection: INSERT and SELECT work, UPDATE, DELETE and TRUNCATE fail', async () => {
    const pool = app.get<Pool>(PG_POOL);
    await pool.query(`INSERT INTO gateway.audit_log (method, route, status_code, action, record_type) VALUES ('GET', '/api/test', 200, 'read', 'test')`);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM gateway.audit_log`);
    expect(rows[0].n).toBeGreaterThan(1);
    await expect(pool.query(`UPDATE gateway.audit_log SET status_code = 200 WHERE status_code = 401`)).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(pool.query(`DELETE FROM gateway.audit_log WHERE action = 'deny'`)).rejects.toThrow(/append-only: DELETE refused/);
    // Even a statement that would touch no row is refused.
    await expect(pool.query(`DELETE FROM gateway.audit_log WHERE false`)).rejects.toThrow(/append-only/);
    await expect(pool.query(`TRUNCATE gateway.audit_log`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    const after = await pool.query(`SELECT count(*)::int AS n FROM gateway.audit_log WHERE action = 'deny'`);
    expect(after.rows[0].n).toBeGreaterThanOrEqual(4);
  });
});
