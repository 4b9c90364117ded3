import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { DateTime } from 'luxon';
import pg from 'pg';
import { BULLMQ_PREFIX, DEMO, QUEUE_OWNERS, QUEUES } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import { Api } from './support/api.js';
import { registerPatient, startOnMondayMorning } from './support/journey-steps.js';
import { TestSystem } from './support/test-system.js';

/**
 * The admin's back end for the web app, over HTTP with all four services: staff users and
 * roles, queue health as each queue's owning service reports it, and sending a failed message
 * again (through the ordinary queue, once).
 */

const NY = DEMO.clinicTimezone;
const PASSWORD = 'correct horse battery';

interface User {
  id: string;
  email: string;
  name: string;
  role: string;
  clinicianId: string | null;
  disabled: boolean;
  createdAt: string;
}

interface QueueHealth {
  name: string;
  service: string;
  waiting: number | null;
  delayed: number | null;
  active: number | null;
  failed: number | null;
  completed: number | null;
  paused: boolean | null;
  error?: string;
}

interface Message {
  id: string;
  kind: string;
  channel: string;
  status: string;
  errorCode: string | null;
  error: string | null;
  attempts: number;
  statusHistory: { status: string; errorCode: string | null; source: string }[];
}

describe('admin API, end to end', () => {
  const system = new TestSystem({ RECONCILE_INTERVAL_MS: '1000' });
  let frontDesk: Api;
  let clinician: Api;
  let admin: Api;
  let adminId: string;
  let db: pg.Pool;
  let phoneSeq = 0;
  const nextPhone = () => `+1646555${String(3000 + phoneSeq++).padStart(4, '0')}`;

  const patch = <T = any>(api: Api, path: string, body: unknown) => api.request<T>('PATCH', path, body);
  const until = <T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000) => waitFor(probe, { timeoutMs, what });
  const queuesNow = async (): Promise<QueueHealth[]> => {
    const response = await admin.get<QueueHealth[]>('/api/admin/queues');
    expect(response.status).toBe(200);
    return response.body;
  };
  const queueOf = async (name: string) => (await queuesNow()).find((q) => q.name === name)!;

  /** Api.login takes only the demo password (its type is that literal): our users have their own. */
  async function signIn(email: string, password: string = PASSWORD): Promise<Api> {
    const response = await new Api(system.baseUrl).post<{ accessToken: string }>('/api/auth/login', { email, password });
    if (response.status !== 200) throw new Error(`login as ${email} failed: ${response.status} ${JSON.stringify(response.body)}`);
    return new Api(system.baseUrl, response.body.accessToken);
  }

  async function createUser(fields: Record<string, unknown>): Promise<User> {
    const response = await admin.post<User>('/api/users', { password: PASSWORD, ...fields });
    if (response.status !== 201) throw new Error(`create user: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** Books a consultation a few days ahead: the confirmation goes at once, reminders wait (delayed jobs). */
  async function book(patientId: string): Promise<{ id: string; startsAt: string }> {
    const now = DateTime.fromJSDate(await admin.now());
    const q = (d: DateTime) => encodeURIComponent(d.toISO()!);
    const clinicianId = DEMO.clinicians[2].id;
    const slots = await frontDesk.get(`/api/availability?clinicianId=${clinicianId}&procedureType=consultation&from=${q(now.plus({ days: 3 }))}&to=${q(now.plus({ days: 10 }))}`);
    const booked = await frontDesk.post('/api/appointments', { patientId, clinicianId, procedureType: 'consultation', startsAt: slots.body.slots[0].startsAt });
    if (booked.status !== 201) throw new Error(`book: ${booked.status} ${JSON.stringify(booked.body)}`);
    return booked.body;
  }

  beforeAll(async () => {
    [frontDesk, clinician, admin] = await startOnMondayMorning(system, NY);
    adminId = (await admin.get<{ id: string }>('/api/me')).body.id;
    db = new pg.Pool({ connectionString: system.database.url, max: 2 });
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await system.stop();
  }, 60_000);

  describe('users and roles', () => {
    it("lists the clinic's users by name, without password hashes", async () => {
      const response = await admin.get<User[]>('/api/users');
      expect(response.status).toBe(200);
      const emails = response.body.map((u) => u.email);
      for (const demo of DEMO.users) expect(emails).toContain(demo.email);
      const names = response.body.map((u) => u.name.toLowerCase());
      expect(names).toEqual([...names].sort());
      for (const user of response.body) {
        expect(Object.keys(user).sort()).toEqual(['clinicianId', 'createdAt', 'disabled', 'email', 'id', 'name', 'role']);
      }
      expect(JSON.stringify(response.body)).not.toContain('argon2');
    });

    it('creates a user who can sign in, with the e-mail lower-cased; the same e-mail in any case is 409', async () => {
      const created = await admin.post<User>('/api/users', { email: '  New.Desk@Example.COM ', name: 'Nadia Desk', role: 'front_desk', password: PASSWORD });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ email: 'new.desk@example.com', name: 'Nadia Desk', role: 'front_desk', clinicianId: null, disabled: false });
      expect(Date.parse(created.body.createdAt)).not.toBeNaN();
      expect((await admin.get<User[]>('/api/users')).body.map((u) => u.id)).toContain(created.body.id);

      const signedIn = await signIn('new.desk@example.com');
      expect((await signedIn.get('/api/me')).body).toMatchObject({ id: created.body.id, role: 'front_desk' });

      const again = await admin.post('/api/users', { email: 'NEW.DESK@example.com', name: 'Someone Else', role: 'admin', password: PASSWORD });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ field: 'email', code: 'USER.EMAIL_TAKEN' });
    });

    it('refuses bad input with a 400 that names the field', async () => {
      const good = { email: 'bad.input@example.com', name: 'Bad Input', role: 'front_desk', password: PASSWORD };
      const cases: [Record<string, unknown>, string][] = [
        [{ ...good, password: 'elevenchars' }, 'password'],
        [{ ...good, password: undefined }, 'password'],
        [{ ...good, role: 'root' }, 'role'],
        [{ ...good, email: 'nobody@' }, 'email'],
        [{ ...good, name: ' ' }, 'name'],
        [{ ...good, passwordHash: 'x' }, 'passwordHash'],
        [{ ...good, role: 'clinician', clinicianId: 'dr-smith' }, 'clinicianId'],
        // A clinician link for someone who is not a clinician, and a clinician the clinic does not have.
        [{ ...good, clinicianId: DEMO.clinicians[1].id }, 'clinicianId'],
        [{ ...good, role: 'clinician', clinicianId: randomUUID() }, 'clinicianId'],
      ];
      for (const [body, field] of cases) {
        const response = await admin.post('/api/users', body);
        expect({ field, status: response.status, answer: response.body.field }).toEqual({ field, status: 400, answer: field });
        expect(response.body.message).toContain(field);
      }
      expect((await admin.get<User[]>('/api/users')).body.map((u) => u.email)).not.toContain('bad.input@example.com');
    });

    it('links a clinician user to a clinician of the clinic, whose due list they then see', async () => {
      const clinicianId = DEMO.clinicians[1].id;
      const user = await createUser({ email: 'dr.linked@example.com', name: 'Dr Linked', role: 'clinician', clinicianId });
      expect(user).toMatchObject({ role: 'clinician', clinicianId });
      const signedIn = await signIn('dr.linked@example.com');
      expect((await signedIn.get('/api/me')).body).toMatchObject({ clinicianId });
      expect((await signedIn.get('/api/follow-ups')).status).toBe(200);
    });

    it("changes name and role; the new role applies to the user's very next request", async () => {
      const user = await createUser({ email: 'role.change@example.com', name: 'Role Change', role: 'front_desk' });
      const session = await signIn('role.change@example.com');
      expect((await session.get('/api/follow-ups')).status).toBe(403);

      const changed = await patch<User>(admin, `/api/users/${user.id}`, { name: 'Role Changed', role: 'clinician', clinicianId: DEMO.clinicians[0].id });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ id: user.id, name: 'Role Changed', role: 'clinician', clinicianId: DEMO.clinicians[0].id, email: 'role.change@example.com' });
      expect((await session.get('/api/follow-ups')).status).toBe(200);

      // Back to the front desk: the clinician link goes with the role.
      const back = await patch<User>(admin, `/api/users/${user.id}`, { role: 'front_desk' });
      expect(back.body).toMatchObject({ role: 'front_desk', clinicianId: null });
      expect((await session.get('/api/follow-ups')).status).toBe(403);
      expect((await patch(admin, `/api/users/${user.id}`, { clinicianId: DEMO.clinicians[0].id })).body.field).toBe('clinicianId');
    });

    it("disabling refuses the user's token at once (401) and their sign-in; enabling lets them back", async () => {
      const user = await createUser({ email: 'soon.disabled@example.com', name: 'Soon Disabled', role: 'clinician' });
      const session = await signIn('soon.disabled@example.com');
      expect((await session.get('/api/me')).status).toBe(200);

      const disabled = await patch<User>(admin, `/api/users/${user.id}`, { disabled: true });
      expect(disabled.status).toBe(200);
      expect(disabled.body.disabled).toBe(true);
      expect((await session.get('/api/me')).status).toBe(401);
      expect((await session.get('/api/follow-ups')).status).toBe(401);
      expect((await new Api(system.baseUrl).post('/api/auth/login', { email: 'soon.disabled@example.com', password: PASSWORD })).status).toBe(401);

      expect((await patch<User>(admin, `/api/users/${user.id}`, { disabled: false })).body.disabled).toBe(false);
      const back = await signIn('soon.disabled@example.com');
      expect((await back.get('/api/me')).status).toBe(200);
    });

    it('sets a new password: the old one no longer signs in', async () => {
      const user = await createUser({ email: 'new.password@example.com', name: 'New Password', role: 'front_desk' });
      expect((await patch(admin, `/api/users/${user.id}`, { password: 'short' })).body).toMatchObject({ statusCode: 400, field: 'password' });
      expect((await patch(admin, `/api/users/${user.id}`, { password: 'another long password' })).status).toBe(200);
      await signIn('new.password@example.com', 'another long password');
      expect((await new Api(system.baseUrl).post('/api/auth/login', { email: 'new.password@example.com', password: PASSWORD })).status).toBe(401);
    });

    it('an admin cannot disable themselves or take away their own admin role (409 saying why)', async () => {
      const disable = await patch(admin, `/api/users/${adminId}`, { disabled: true });
      expect(disable.status).toBe(409);
      expect(disable.body).toMatchObject({ field: 'disabled', code: 'USER.CANNOT_DISABLE_SELF' });
      const demote = await patch(admin, `/api/users/${adminId}`, { role: 'clinician' });
      expect(demote.status).toBe(409);
      expect(demote.body).toMatchObject({ field: 'role', code: 'USER.CANNOT_DEMOTE_SELF' });
      expect((await admin.get('/api/me')).body).toMatchObject({ role: 'admin' });
      // Their own name is theirs to change.
      const renamed = await patch<User>(admin, `/api/users/${adminId}`, { name: 'Demo Admin' });
      expect(renamed.status).toBe(200);
    });

    it("404 for an unknown id and for another clinic's user; 400 for an id that is no id or an unknown field", async () => {
      const otherClinicUser = randomUUID();
      await db.query(
        `INSERT INTO gateway.users (id, clinic_id, email, name, role, password_hash) VALUES ($1, $2, 'elsewhere@example.com', 'Elsewhere', 'front_desk', 'x')`,
        [otherClinicUser, randomUUID()],
      );
      expect((await patch(admin, `/api/users/${otherClinicUser}`, { disabled: true })).status).toBe(404);
      expect((await admin.get<User[]>('/api/users')).body.map((u) => u.id)).not.toContain(otherClinicUser);
      expect((await patch(admin, `/api/users/${randomUUID()}`, { name: 'Nobody' })).status).toBe(404);
      expect((await patch(admin, '/api/users/not-an-id', { name: 'Nobody' })).body).toMatchObject({ statusCode: 400, field: 'id' });
      expect((await patch(admin, `/api/users/${adminId}`, { email: 'x@example.com' })).body).toMatchObject({ statusCode: 400, field: 'email' });
      const { rows } = await db.query(`SELECT disabled FROM gateway.users WHERE id = $1`, [otherClinicUser]);
      expect(rows[0].disabled).toBe(false);
    });
  });

  describe('who may use the admin routes', () => {
    const routes: [method: string, path: string, body?: unknown][] = [
      ['GET', '/api/users'],
      ['POST', '/api/users', { email: 'sneaky@example.com', name: 'Sneaky', role: 'admin', password: PASSWORD }],
      ['PATCH', '/api/users/:adminId', { disabled: true }],
      ['GET', '/api/admin/queues'],
      ['POST', `/api/admin/queues/${encodeURIComponent(QUEUES.outboundMessages)}/retry-failed`],
      ['GET', `/api/admin/queues/${encodeURIComponent(QUEUES.outboundMessages)}/jobs?state=failed`],
      ['GET', `/api/admin/queues/${encodeURIComponent(QUEUES.outboundMessages)}/jobs/:someId`],
      ['POST', `/api/admin/queues/${encodeURIComponent(QUEUES.outboundMessages)}/jobs/:someId/retry`],
      ['POST', `/api/admin/queues/${encodeURIComponent(QUEUES.outboundMessages)}/pause`],
      ['POST', `/api/admin/queues/${encodeURIComponent(QUEUES.outboundMessages)}/resume`],
      ['POST', '/api/messages/:someId/retry'],
    ];

    // Every row with its body (undefined too): a shorter row would make jest pass `done` as the body.
    it.each(routes.map(([method, path, body]) => [method, path, body] as const))('%s %s: the front desk and clinicians get 403', async (method, path, body) => {
      const url = path.replace(':adminId', adminId).replace(':someId', randomUUID());
      for (const api of [frontDesk, clinician]) {
        const response = await api.request(method, url, body);
        expect(response.status).toBe(403);
      }
    });

    it('nobody signed in gets 401', async () => {
      expect((await new Api(system.baseUrl).get('/api/users')).status).toBe(401);
      expect((await new Api(system.baseUrl).get('/api/admin/queues')).status).toBe(401);
    });
  });

  describe('queue health', () => {
    it('lists every queue of the system with its owning service and numbers', async () => {
      const queues = await queuesNow();
      expect(queues.map((q) => [q.name, q.service])).toEqual(Object.values(QUEUES).map((name) => [name, QUEUE_OWNERS[name]]));
      for (const q of queues) {
        expect(q.error).toBeUndefined();
        for (const count of [q.waiting, q.delayed, q.active, q.failed, q.completed]) expect(Number.isInteger(count)).toBe(true);
        expect(q.paused).toBe(false);
      }
    });

    it("a booked appointment's reminders show under delayed, the sent confirmation under completed", async () => {
      const before = await queueOf(QUEUES.outboundMessages);
      const phone = nextPhone();
      const patientId = await registerPatient(frontDesk, phone, { email: null });
      await book(patientId);
      await system.twilio.waitForMessages(1, { to: phone, timeoutMs: 20_000 });
      // 48 h and 2 h before: two SMS reminders waiting for their time.
      const after = await until(async () => {
        const q = await queueOf(QUEUES.outboundMessages);
        return q.delayed! >= before.delayed! + 2 && q.completed! >= before.completed! + 1 ? q : undefined;
      }, 'the reminders to wait as delayed jobs');
      expect(after.delayed! - before.delayed!).toBe(2);
    });

    it('a failed job is listed, and retry-failed sends it round again (the owner does the retrying)', async () => {
      const queue = new Queue(QUEUES.waitlistOffers, { connection: { host: '127.0.0.1', port: system.redis.port }, prefix: BULLMQ_PREFIX });
      try {
        // A job the worker does not know fails at once, for good: as a job that ran out of attempts would.
        const job = await queue.add('not.a.job', { id: randomUUID() }, { attempts: 1 });
        const failedAt = await until(async () => (await queue.getJob(job.id!))?.finishedOn, 'the job to fail');
        expect(await queue.getJobState(job.id!)).toBe('failed');
        expect((await queueOf(QUEUES.waitlistOffers)).failed).toBe(1);

        // By the name as listed, or without the braces.
        const retried = await admin.post(`/api/admin/queues/${encodeURIComponent(QUEUES.waitlistOffers)}/retry-failed`);
        expect(retried.status).toBe(200);
        expect(retried.body).toEqual({ name: QUEUES.waitlistOffers, retried: 1 });
        // It ran again (and, unknown as it is, failed again).
        await until(async () => {
          const again = await queue.getJob(job.id!);
          return again?.finishedOn && again.finishedOn > failedAt && (await again.getState()) === 'failed' ? again : undefined;
        }, 'the job to run again');
        expect((await admin.post('/api/admin/queues/waitlist-offers/retry-failed')).body).toEqual({ name: QUEUES.waitlistOffers, retried: 1 });
        await until(async () => ((await queue.getJobState(job.id!)) === 'failed' ? true : undefined), 'the job to fail once more');
        await queue.remove(job.id!);
        expect((await queueOf(QUEUES.waitlistOffers)).failed).toBe(0);
        expect((await admin.post('/api/admin/queues/waitlist-offers/retry-failed')).body).toEqual({ name: QUEUES.waitlistOffers, retried: 0 });
      } finally {
        await queue.close();
      }
    }, 60_000);

    it('lists failed jobs a page at a time, opens one, retries that one alone; pause and resume; every action in the audit log', async () => {
      const queue = new Queue(QUEUES.waitlistOffers, { connection: { host: '127.0.0.1', port: system.redis.port }, prefix: BULLMQ_PREFIX });
      const name = encodeURIComponent(QUEUES.waitlistOffers);
      try {
        const ids = [randomUUID(), randomUUID(), randomUUID()];
        // Jobs the worker does not know fail at once, for good; with our ids, as our jobs have.
        for (const id of ids) await queue.add('not.a.job', { id }, { jobId: id, attempts: 1 });
        await until(async () => ((await queue.getFailedCount()) === 3 ? true : undefined), 'three failed jobs');

        const first = await admin.get(`/api/admin/queues/${name}/jobs?state=failed&limit=2`);
        expect(first.status).toBe(200);
        expect(first.body).toMatchObject({ name: QUEUES.waitlistOffers, state: 'failed', offset: 0, limit: 2, total: 3 });
        expect(first.body.items).toHaveLength(2);
        const second = await admin.get(`/api/admin/queues/${name}/jobs?state=failed&limit=2&offset=2`);
        expect(second.body.items).toHaveLength(1);
        const listed = [...first.body.items, ...second.body.items];
        expect(listed.map((j: any) => j.id).sort()).toEqual([...ids].sort());
        const one = listed[0];
        // Ids only: the payload is the row's id.
        expect(one).toMatchObject({ name: 'not.a.job', state: 'failed', data: { id: one.id }, attemptsMade: 1, attemptsAllowed: 1, dueAt: null });
        expect(one.failedReason).toEqual(expect.any(String));
        expect(Date.parse(one.finishedAt)).toBeGreaterThanOrEqual(Date.parse(one.createdAt));

        const detail = await admin.get(`/api/admin/queues/${name}/jobs/${one.id}`);
        expect(detail.status).toBe(200);
        expect(detail.body).toMatchObject({ ...one, queue: QUEUES.waitlistOffers });
        expect(detail.body.stacktrace.length).toBeGreaterThan(0);

        const retried = await admin.post(`/api/admin/queues/${name}/jobs/${one.id}/retry`);
        expect(retried.status).toBe(200);
        // It ran again (and failed again); the other two were left alone.
        await until(async () => {
          const again = await queue.getJob(one.id);
          return again?.finishedOn && again.finishedOn > Date.parse(one.finishedAt) && (await again.getState()) === 'failed' ? true : undefined;
        }, 'the retried job to run again');
        for (const other of ids.filter((id) => id !== one.id)) expect((await queue.getJob(other))!.finishedOn).toBe(Date.parse(listed.find((j: any) => j.id === other).finishedAt));
        // Only a failed job is retried.
        await queue.remove(one.id);
        await queue.add('not.a.job', { id: one.id }, { jobId: one.id, delay: 3_600_000 });
        const notFailed = await admin.post(`/api/admin/queues/${name}/jobs/${one.id}/retry`);
        expect(notFailed.status).toBe(409);
        expect(notFailed.body.message).toMatch(/delayed, not failed/);
        const delayed = await admin.get(`/api/admin/queues/${name}/jobs?state=delayed`);
        const due = delayed.body.items.find((j: any) => j.id === one.id);
        expect(Math.abs(Date.parse(due.dueAt) - (Date.parse(due.createdAt) + 3_600_000))).toBeLessThan(1_000);

        const paused = await admin.post(`/api/admin/queues/${name}/pause`);
        expect(paused.status).toBe(200);
        expect(paused.body).toMatchObject({ name: QUEUES.waitlistOffers, paused: true });
        expect((await queueOf(QUEUES.waitlistOffers)).paused).toBe(true);
        expect(await queue.isPaused()).toBe(true);
        expect((await admin.post(`/api/admin/queues/${name}/resume`)).body).toMatchObject({ paused: false });
        expect(await queue.isPaused()).toBe(false);

        // Written just after each answer has gone out.
        const actions = [
          ['/api/admin/queues/:name/jobs/:id/retry', one.id, 200],
          ['/api/admin/queues/:name/jobs/:id/retry', one.id, 409],
          ['/api/admin/queues/:name/pause', QUEUES.waitlistOffers, 200],
          ['/api/admin/queues/:name/resume', QUEUES.waitlistOffers, 200],
        ];
        await until(async () => {
          const audit = (await admin.get(`/api/audit-log?userId=${adminId}&action=update&limit=20`)).body.items.map((e: any) => [e.route, e.recordId, e.outcome]);
          return actions.every(([route, id, outcome]) => audit.some(([r, i, o]: unknown[]) => r === route && i === id && o === outcome)) || undefined;
        }, 'the actions in the audit log');
        await Promise.all(ids.map((id) => queue.remove(id)));
      } finally {
        await queue.close();
      }
    }, 60_000);

    it('the job routes check their input: 400 naming the field, 404 for an unknown queue or job', async () => {
      const name = encodeURIComponent(QUEUES.outboundMessages);
      for (const [query, field] of [
        ['', 'state'],
        ['?state=stuck', 'state'],
        ['?state=failed&limit=0', 'limit'],
        ['?state=failed&limit=101', 'limit'],
        ['?state=failed&offset=-1', 'offset'],
        ['?state=failed&sort=asc', 'sort'],
      ]) {
        const response = await admin.get(`/api/admin/queues/${name}/jobs${query}`);
        expect([query, response.status, response.body.field]).toEqual([query, 400, field]);
      }
      expect((await admin.get(`/api/admin/queues/${name}/jobs/not%20an%20id`)).body).toMatchObject({ field: 'id' });
      expect((await admin.get('/api/admin/queues/emails/jobs?state=failed')).body).toMatchObject({ code: 'QUEUE.NOT_FOUND', field: 'name' });
      expect((await admin.get(`/api/admin/queues/${name}/jobs/${randomUUID()}`)).status).toBe(404);
      expect((await admin.post(`/api/admin/queues/${name}/jobs/${randomUUID()}/retry`)).status).toBe(404);
      expect((await admin.post('/api/admin/queues/emails/pause')).status).toBe(404);
      expect((await admin.post(`/api/admin/queues/${name}/pause`, { now: true })).status).toBe(400);
    });

    it('404 naming the queue for an unknown name; a body is refused', async () => {
      const unknown = await admin.post('/api/admin/queues/emails/retry-failed');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ field: 'name', code: 'QUEUE.NOT_FOUND' });
      expect((await admin.post('/api/admin/queues/waitlist-offers/retry-failed', { all: true })).status).toBe(400);
    });

    it("a service that is down: its queue comes back with the reason, the others with their numbers", async () => {
      await system.processes.stopService('followup');
      try {
        const queues = await queuesNow();
        const steps = queues.find((q) => q.name === QUEUES.carePlanSteps)!;
        expect(steps).toMatchObject({ service: 'followup', waiting: null, delayed: null, failed: null, paused: null });
        expect(steps.error).toMatch(/followup service did not answer/);
        for (const q of queues.filter((x) => x.service !== 'followup')) {
          expect(q.error).toBeUndefined();
          expect(Number.isInteger(q.delayed)).toBe(true);
        }
        expect((await admin.post(`/api/admin/queues/${encodeURIComponent(QUEUES.carePlanSteps)}/retry-failed`)).status).toBe(503);
      } finally {
        system.processes.startService('followup');
        await system.processes.waitHealthy();
      }
      expect((await queueOf(QUEUES.carePlanSteps)).error).toBeUndefined();
    }, 90_000);
  });

  describe('retrying a failed message', () => {
    /** A patient with SMS only whose booking confirmation Twilio refuses for good (21211). */
    async function failedConfirmation(): Promise<{ patientId: string; phone: string; message: Message }> {
      const phone = nextPhone();
      const patientId = await registerPatient(frontDesk, phone, { email: null });
      system.twilio.failNext(1, { status: 400, code: 21211, message: `The 'To' number ${phone} is not a valid phone number.` }, { to: phone });
      await book(patientId);
      const message = await until(async () => {
        const list = (await admin.get<Message[]>(`/api/messages?patientId=${patientId}`)).body;
        return list.find((m) => m.kind === 'booking_confirmation' && m.status === 'failed');
      }, 'the confirmation to fail');
      return { patientId, phone, message };
    }
    const messageOf = async (patientId: string, id: string) => (await admin.get<Message[]>(`/api/messages?patientId=${patientId}`)).body.find((m) => m.id === id)!;

    it('sends it again through the queue, once: Twilio takes exactly one copy; the failure stays in the history', async () => {
      const { patientId, phone, message } = await failedConfirmation();
      expect(message.errorCode).toBe('TWILIO_21211');
      expect(system.twilio.messages.filter((m) => m.to === phone)).toHaveLength(0);

      const retried = await admin.post<Message>(`/api/messages/${message.id}/retry`);
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ id: message.id, status: 'queued', errorCode: null, error: null, attempts: 0 });

      const sent = await until(async () => {
        const m = await messageOf(patientId, message.id);
        return m.status === 'sent' ? m : undefined;
      }, 'the message to go out');
      expect(sent.statusHistory.map((h) => [h.status, h.errorCode])).toEqual([
        ['scheduled', null],
        ['sending', null],
        ['failed', 'TWILIO_21211'],
        ['queued', null],
        ['sending', null],
        ['sent', null],
      ]);
      // Nothing else wakes it again: the reconciler runs every second here.
      await admin.advance('PT10M');
      expect(system.twilio.messages.filter((m) => m.to === phone)).toHaveLength(1);
      expect((await messageOf(patientId, message.id)).status).toBe('sent');

      const again = await admin.post(`/api/messages/${message.id}/retry`);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'MESSAGE.NOT_FAILED' });
      expect(again.body.message).toMatch(/sent, not failed/);
    }, 60_000);

    it('opt-outs still apply at send time: a retried message to a patient who opted out since is suppressed', async () => {
      const { patientId, phone, message } = await failedConfirmation();
      expect((await frontDesk.post(`/api/patients/${patientId}/sms-opt-out`)).status).toBe(200);
      expect((await admin.post(`/api/messages/${message.id}/retry`)).status).toBe(200);
      const suppressed = await until(async () => {
        const m = await messageOf(patientId, message.id);
        return m.status === 'suppressed' ? m : undefined;
      }, 'the retry to be suppressed');
      expect(suppressed.errorCode).toBe('SMS_OPTED_OUT');
      expect(system.twilio.messages.filter((m) => m.to === phone)).toHaveLength(0);
    }, 60_000);

    it("404 for an unknown id and for another clinic's message", async () => {
      const elsewhere = randomUUID();
      await db.query(
        `INSERT INTO notifications.messages (id, clinic_id, channel, direction, kind, status, body, created_at) VALUES ($1, $2, 'sms', 'outbound', 'reminder', 'failed', 'x', now())`,
        [elsewhere, randomUUID()],
      );
      expect((await admin.post(`/api/messages/${elsewhere}/retry`)).status).toBe(404);
      expect((await admin.post(`/api/messages/${randomUUID()}/retry`)).status).toBe(404);
      expect((await admin.post('/api/messages/not-an-id/retry')).body).toMatchObject({ statusCode: 400, field: 'id' });
      const { rows } = await db.query(`SELECT status FROM notifications.messages WHERE id = $1`, [elsewhere]);
      expect(rows[0].status).toBe('failed');
    });
  });
});
