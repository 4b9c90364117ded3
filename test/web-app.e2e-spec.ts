import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DateTime } from 'luxon';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Queue } from 'bullmq';
import pg from 'pg';
import { BULLMQ_PREFIX, DEMO, QUEUES } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import type { Api } from './support/api.js';
import { launchBrowser, newDesk, screenshot, seriousA11yViolations, signIn } from './support/browser.js';
import { advanceClockTo, carePlansOf, startOnMondayMorning } from './support/journey-steps.js';
import { TestSystem } from './support/test-system.js';

/**
 * The web app in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * running system: the front desk registers a patient and books a BMAC injection, the clinician
 * completes it, the clock moves on, the patient answers the check-ins by SMS (through the signed
 * Twilio webhook), the clinician reads the chart and decides on a repeat injection, and the
 * front desk books it from the booking-task list. Every main page is screenshotted
 * (test-artifacts/screenshots) and checked with axe-core for serious accessibility problems.
 */
const ZONE = 'America/New_York';
const CLINICIAN = DEMO.clinicians[0];
const PHONE = '+12125550187';
const SCORES = [6, 5, 4, 3, 2];

// A browser step waits for pages, the services and the clock; each test gets a minute.
jest.setTimeout(60_000);

describe('the web app, in a browser', () => {
  const system = new TestSystem();
  let browser: Browser;
  let frontDeskApi: Api;
  let clinicianApi: Api;
  let adminApi: Api;
  let desk: BrowserContext;
  let clinic: BrowserContext;
  let deskPage: Page;
  let clinicianPage: Page;
  let patientId = '';
  let appointment: { id: string; startsAt: string; endsAt: string };

  const at = (path: string) => `${system.baseUrl}${path}`;
  /** What the browser refused under the app's Content-Security-Policy, on every page of the run. */
  const cspViolations: string[] = [];
  const watchCsp = (page: Page) => page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(`${page.url()}: ${message.text()}`);
  });
  async function expectAccessible(page: Page, name: string): Promise<void> {
    await screenshot(page, name);
    expect({ page: name, violations: await seriousA11yViolations(page) }).toEqual({ page: name, violations: [] });
  }

  beforeAll(async () => {
    [frontDeskApi, clinicianApi, adminApi] = await startOnMondayMorning(system, ZONE);
    browser = await launchBrowser();
    desk = await newDesk(browser);
    clinic = await newDesk(browser);
    deskPage = await desk.newPage();
    clinicianPage = await clinic.newPage();
    watchCsp(deskPage);
    watchCsp(clinicianPage);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await system.stop();
  }, 60_000);

  it('sends someone who is not signed in to the sign-in page, and back where they were going after it', async () => {
    await deskPage.goto(at('/desk/patients'));
    await deskPage.waitForURL(/\/sign-in\?next=%2Fdesk%2Fpatients/);
    await deskPage.getByRole('heading', { name: 'Sign in to Aftercare' }).waitFor();
    await expectAccessible(deskPage, '01-sign-in');
    await deskPage.getByLabel('E-mail').fill('frontdesk@aftercare.local');
    await deskPage.getByLabel('Password').fill('not-the-password');
    await deskPage.getByRole('button', { name: 'Sign in' }).click();
    await deskPage.getByRole('alert').filter({ hasText: /incorrect/i }).waitFor();
    await deskPage.getByLabel('Password').fill('aftercare-demo');
    await deskPage.getByRole('button', { name: 'Sign in' }).click();
    await deskPage.waitForURL(/\/desk\/patients$/);
    await deskPage.getByRole('heading', { level: 1, name: /patients/i }).waitFor();
  });

  it('front desk: registers a patient, with the phone checked at the field', async () => {
    await deskPage.getByLabel('First name').fill('Maria');
    await deskPage.getByLabel('Last name').fill('Lopez');
    await deskPage.getByLabel('Mobile phone').fill('555 0187');
    await deskPage.getByLabel('E-mail').fill('maria.lopez@example.com');
    await deskPage.getByLabel('Time zone').selectOption(ZONE);
    await deskPage.getByLabel('Preferred channel').selectOption({ label: 'SMS' });
    await deskPage.getByLabel('Consents to SMS').check();
    await deskPage.getByRole('button', { name: 'Register patient' }).click();
    // Not sent: the field says what is wrong.
    await deskPage.getByText(/\+15551234567|E\.164|international/i).first().waitFor();
    expect(deskPage.url()).toMatch(/\/desk\/patients$/);
    await expectAccessible(deskPage, '02-front-desk-patients');

    await deskPage.getByLabel('Mobile phone').fill(PHONE);
    await deskPage.getByRole('button', { name: 'Register patient' }).click();
    await deskPage.waitForURL(/\/desk\/patients\/[0-9a-f-]{36}$/);
    patientId = deskPage.url().split('/').pop()!;
    await deskPage.getByRole('heading', { level: 1, name: /Maria Lopez/ }).waitFor();
    const stored = await frontDeskApi.get(`/api/patients/${patientId}`);
    expect(stored.body).toMatchObject({ firstName: 'Maria', lastName: 'Lopez', phone: PHONE, timezone: ZONE, smsConsent: true });
  });

  it('front desk: books a BMAC injection with the clinician in a few clicks', async () => {
    await deskPage.getByRole('link', { name: 'Book an appointment' }).click();
    await deskPage.waitForURL(/\/desk\/book\?/);
    await deskPage.getByLabel('Procedure type').selectOption('bmac_injection');
    await deskPage.getByLabel('Clinician').selectOption(CLINICIAN.id);
    await deskPage.getByRole('button', { name: 'Find slots' }).click();
    const slot = deskPage.getByRole('button', { name: /^Book / }).first();
    await slot.waitFor();
    await expectAccessible(deskPage, '03-front-desk-book');
    await slot.click();
    await deskPage.getByRole('button', { name: 'Confirm booking' }).click();
    await deskPage.getByText(/Booked/).first().waitFor();

    const booked = await frontDeskApi.get<any[]>(`/api/appointments?patientId=${patientId}`);
    expect(booked.body).toHaveLength(1);
    expect(booked.body[0]).toMatchObject({ procedureType: 'bmac_injection', clinicianId: CLINICIAN.id, status: 'booked' });
    appointment = booked.body[0];
    // The confirmation went out by SMS.
    await system.twilio.waitForMessages(1, { to: PHONE, timeoutMs: 15_000 });
  });

  it('admin: moves the virtual clock past the appointment from the clock page', async () => {
    const admin = await (await newDesk(browser)).newPage();
    await signIn(admin, system.baseUrl, 'admin@aftercare.local');
    await admin.goto(at('/admin/clock'));
    const now = await adminApi.now();
    const target = new Date(new Date(appointment.startsAt).getTime() + 30 * 60_000);
    const minutes = Math.ceil((target.getTime() - now.getTime()) / 60_000);
    await admin.getByLabel('Advance by').fill(`PT${minutes}M`);
    await admin.getByRole('button', { name: 'Advance clock' }).click();
    await waitFor(async () => ((await adminApi.now()) >= target ? true : undefined), { timeoutMs: 30_000, what: 'the clock to move' });
    await expectAccessible(admin, '10-admin-clock');
    await admin.close();
  });

  it('clinician: marks the procedure completed with its site and notes; the care plan starts', async () => {
    await signIn(clinicianPage, system.baseUrl, CLINICIAN.email);
    await clinicianPage.goto(at('/procedures'));
    await clinicianPage.getByLabel('Day').fill(DateTime.fromISO(appointment.startsAt, { zone: ZONE }).toISODate()!);
    await clinicianPage.getByRole('button', { name: /Complete procedure/ }).first().click();
    await clinicianPage.getByLabel('Site').fill('left knee');
    await clinicianPage.getByLabel('Notes').fill('BMAC 10 ml, ultrasound guided');
    await clinicianPage.getByRole('button', { name: 'Mark completed' }).click();
    await clinicianPage.getByText(/Completed/).first().waitFor();
    await expectAccessible(clinicianPage, '04-clinician-procedures');

    const [plan] = await carePlansOf(clinicianApi, patientId);
    expect(plan.steps.map((s: { kind: string }) => s.kind)).toContain('repeat_evaluation');
  });

  it('the patient answers each check-in by SMS as the weeks pass', async () => {
    const [plan] = await carePlansOf(clinicianApi, patientId);
    const checkins = plan.steps.filter((s: { kind: string }) => s.kind === 'checkin').sort((a: { dueAt: string }, b: { dueAt: string }) => a.dueAt.localeCompare(b.dueAt));
    expect(checkins).toHaveLength(SCORES.length);
    for (const [i, step] of checkins.entries()) {
      await advanceClockTo(adminApi, new Date(new Date(step.dueAt).getTime() + 60_000));
      await waitFor(
        async () => ((await carePlansOf(clinicianApi, patientId))[0].steps.find((s: { id: string }) => s.id === step.id)?.status === 'sent' ? true : undefined),
        { timeoutMs: 30_000, what: `check-in ${i + 1} to go out` },
      );
      const reply = await system.inboundSms(PHONE, String(SCORES[i]));
      expect(reply.status).toBe(200);
      await waitFor(
        async () => ((await carePlansOf(clinicianApi, patientId))[0].steps.find((s: { id: string }) => s.id === step.id)?.status === 'answered' ? true : undefined),
        { timeoutMs: 30_000, what: `check-in ${i + 1} to be answered` },
      );
    }
  }, 240_000);

  it('clinician: sees the reported scores on the chart, the care plan and the messages', async () => {
    await clinicianPage.goto(at(`/patients/${patientId}`));
    const chart = clinicianPage.getByRole('img', { name: /^Pain scores/ });
    await chart.waitFor();
    const points = await chart.locator('circle[data-score]').evaluateAll((nodes) => nodes.map((n) => Number(n.getAttribute('data-score'))));
    expect(points).toEqual(SCORES);
    await clinicianPage.getByRole('heading', { name: /Care plan/ }).first().waitFor();
    await clinicianPage.getByText(/answered/i).first().waitFor();
    await expectAccessible(clinicianPage, '05-clinician-patient');
  });

  it('clinician: decides a repeat injection from the due list', async () => {
    await clinicianPage.goto(at('/due'));
    const row = clinicianPage.getByRole('row').filter({ hasText: 'Maria Lopez' }).filter({ hasText: /repeat/i }).first();
    await row.waitFor();
    // The counts are the whole list's, as the API counts them, not the loaded page's.
    const counts = (await clinicianApi.get<Record<string, number>>(`/api/follow-ups/counts?clinicianId=${CLINICIAN.id}`)).body;
    expect(counts.open).toBeGreaterThanOrEqual(1);
    const shown = clinicianPage.getByRole('list', { name: 'Counts' });
    for (const [label, key] of [['Overdue', 'overdue'], ['Due today', 'today'], ['Attention', 'attention'], ['Upcoming', 'upcoming']] as const) {
      await shown.getByRole('listitem').filter({ hasText: label }).getByText(String(counts[key]), { exact: true }).waitFor();
    }
    await expectAccessible(clinicianPage, '06-clinician-due-list');
    await row.getByRole('button', { name: 'Decide' }).click();
    await clinicianPage.getByRole('button', { name: 'Repeat injection' }).click();
    await waitFor(
      async () => {
        const tasks = await frontDeskApi.get<any[]>('/api/booking-tasks');
        return tasks.body.find((t) => t.patient.id === patientId && t.procedureType === 'bmac_injection' && t.state === 'open');
      },
      { timeoutMs: 30_000, what: 'the repeat-injection booking task' },
    );
  });

  it('front desk: sees the booking task and books it with one click', async () => {
    await deskPage.goto(at('/desk/tasks'));
    const row = deskPage.getByRole('row').filter({ hasText: 'Maria Lopez' }).first();
    await row.waitFor();
    await expectAccessible(deskPage, '07-front-desk-tasks');
    await row.getByRole('button', { name: /^Book / }).click();
    await waitFor(
      async () => {
        const list = await frontDeskApi.get<any[]>(`/api/appointments?patientId=${patientId}`);
        return list.body.filter((a) => a.procedureType === 'bmac_injection' && a.status === 'booked').length === 1 ? list.body : undefined;
      },
      { timeoutMs: 30_000, what: 'the repeat injection to be booked' },
    );
    await waitFor(
      async () => {
        const tasks = await frontDeskApi.get<any[]>('/api/booking-tasks');
        return tasks.body.some((t) => t.patient.id === patientId && t.state === 'open') ? undefined : true;
      },
      { timeoutMs: 30_000, what: 'the booking task to close' },
    );
  });
  it('clinician: a reply by SMS shows on the patient page without a reload', async () => {
    await clinicianPage.goto(at(`/patients/${patientId}`));
    await clinicianPage.getByText(/^Live$/).first().waitFor({ timeout: 15_000 });
    const text = 'Walking without the crutch now';
    expect((await system.inboundSms(PHONE, text)).status).toBe(200);
    await clinicianPage.getByText(text).first().waitFor({ timeout: 15_000 });
  });

  it('desk: a waitlist history longer than a page shows 100 entries, and the rest with Show more', async () => {
    const db = new pg.Pool({ connectionString: system.database.url, max: 1 });
    try {
      await db.query(
        `INSERT INTO scheduling.waitlist_entries (id, clinic_id, patient_id, procedure_type, earliest_date, latest_date, status, created_at, updated_at)
         SELECT gen_random_uuid(), $1::uuid, $2::uuid, 'consultation', '2025-01-01', '2025-01-02', 'expired', t, t
           FROM generate_series('2025-01-01T10:00:00Z'::timestamptz, '2025-01-01T10:00:00Z'::timestamptz + interval '149 minutes', interval '1 minute') AS t`,
        [DEMO.clinicId, patientId],
      );
    } finally {
      await db.end();
    }
    const expired = Number(((await frontDeskApi.get('/api/waitlist?status=expired&limit=500')).body as { items: unknown[] }).items.length);
    expect(expired).toBeGreaterThanOrEqual(150);
    await deskPage.goto(at('/desk/waitlist'));
    await deskPage.getByLabel('Show').selectOption('expired');
    const rows = deskPage.getByRole('region', { name: 'Waitlist entries' }).locator('tbody tr');
    await waitFor(async () => ((await rows.count()) === 100 ? true : undefined), { timeoutMs: 15_000, what: 'the first page of expired entries' });
    const more = deskPage.getByRole('button', { name: 'Show more' });
    for (let shown = 100; shown < expired; shown = Math.min(expired, shown + 100)) {
      await more.click();
      const expected = Math.min(expired, shown + 100);
      await waitFor(async () => ((await rows.count()) === expected ? true : undefined), { timeoutMs: 15_000, what: `${expected} expired entries` });
    }
    expect(await more.count()).toBe(0);
  });

  it('every main page of each role opens, names itself and has no serious accessibility problem', async () => {
    const pages: [Page, string, RegExp, string][] = [
      [deskPage, '/desk/day-sheet', /day sheet/i, '08-front-desk-day-sheet'],
      [deskPage, '/desk/waitlist', /waitlist/i, '09-front-desk-waitlist'],
    ];
    const admin = await (await newDesk(browser)).newPage();
    await signIn(admin, system.baseUrl, 'admin@aftercare.local');
    for (const [path, title, name] of [
      ['/admin/users', /users/i, '11-admin-users'],
      ['/admin/clinic', /clinic/i, '12-admin-clinic'],
      ['/admin/protocols', /protocols/i, '13-admin-protocols'],
      ['/admin/templates', /templates/i, '14-admin-templates'],
      ['/admin/queues', /queue/i, '15-admin-queues'],
    ] as const) {
      pages.push([admin, path, title, name]);
    }
    for (const [page, path, title, name] of pages) {
      await page.goto(at(path));
      await page.getByRole('heading', { level: 1, name: title }).waitFor();
      await page.waitForLoadState('networkidle');
      await expectAccessible(page, name);
    }
    await admin.close();
  });

  it("admin: the queue page lists a queue's failed jobs, shows one's detail and retries it", async () => {
    const queue = new Queue(QUEUES.waitlistOffers, { connection: { host: '127.0.0.1', port: system.redis.port }, prefix: BULLMQ_PREFIX });
    const admin = await (await newDesk(browser)).newPage();
    watchCsp(admin);
    try {
      // A job the worker does not know fails at once, for good, as one out of attempts would.
      const job = await queue.add('not.a.job', { id: '7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f' }, { jobId: '7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f', attempts: 1 });
      const failedAt = await waitFor(async () => (await queue.getJob(job.id!))?.finishedOn, { timeoutMs: 10_000, what: 'the job to fail' });
      await signIn(admin, system.baseUrl, 'admin@aftercare.local');
      await admin.goto(at('/admin/queues'));
      await admin.getByRole('button', { name: 'Jobs of waitlist-offers' }).click();
      const failed = admin.getByRole('region', { name: 'Failed jobs' });
      await failed.getByText(`${job.id}`, { exact: true }).waitFor();
      await admin.getByRole('button', { name: `Details of job ${job.id}` }).click();
      await admin.getByRole('heading', { name: `Job ${job.id}` }).waitFor();
      await admin.getByText('{"id":"7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f"}').waitFor();
      await expectAccessible(admin, '16-admin-queue-jobs');
      await admin.getByRole('button', { name: `Retry job ${job.id}` }).click();
      await admin.getByText(`Job ${job.id} of waitlist-offers is running again.`).waitFor();
      // It ran again (and, unknown as it is, failed again).
      await waitFor(async () => ((await queue.getJob(job.id!))!.finishedOn! > failedAt || undefined), { timeoutMs: 10_000, what: 'the job to run again' });
      await queue.remove(job.id!);
    } finally {
      await admin.close();
      await queue.close();
    }
  });

  it('a session that ends mid-form returns to sign-in and keeps what was typed', async () => {
    const page = await (await newDesk(browser)).newPage();
    await signIn(page, system.baseUrl, 'frontdesk@aftercare.local');
    await page.goto(at('/desk/patients'));
    await page.getByLabel('First name').fill('Jonas');
    await page.getByLabel('Last name').fill('Berg');
    // The session ends (as when the user is disabled or signs out elsewhere): neither the
    // access token nor the refresh token is good any more.
    await page.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem('aftercare.session')!);
      sessionStorage.setItem('aftercare.session', JSON.stringify({ ...session, accessToken: 'a.b.c', refreshToken: 'ended-session-refresh-token' }));
    });
    await page.getByLabel('Search patients').fill('Lopez');
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByText(/session has ended/i).first().waitFor();
    await page.getByLabel('E-mail').fill('frontdesk@aftercare.local');
    await page.getByLabel('Password').fill('aftercare-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/desk\/patients/);
    await expect(page.getByLabel('First name').inputValue()).resolves.toBe('Jonas');
    await expect(page.getByLabel('Last name').inputValue()).resolves.toBe('Berg');
    await page.close();
  });

  it('renews the access token before it runs out and when it is refused, without leaving the page; Sign out ends the session on the server', async () => {
    const page = await (await newDesk(browser)).newPage();
    watchCsp(page);
    await signIn(page, system.baseUrl, 'frontdesk@aftercare.local');
    await page.goto(at('/desk/patients'));
    await page.getByLabel('First name').fill('Ines');
    const stored = () => page.evaluate(() => JSON.parse(sessionStorage.getItem('aftercare.session')!) as { accessToken: string; refreshToken: string; expiresAt: number });
    /** The statuses of the page's search requests for `query`, up to the first 200. */
    const search = async (query: string) => {
      const statuses: number[] = [];
      const answered = page.waitForResponse((r) => {
        if (!r.url().includes(`/api/patients?query=${query}`)) return false;
        statuses.push(r.status());
        return r.status() === 200;
      });
      await page.getByLabel('Search patients').fill(query);
      await answered;
      return statuses;
    };

    // About to run out: renewed before the request goes.
    const first = await stored();
    await page.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem('aftercare.session')!);
      sessionStorage.setItem('aftercare.session', JSON.stringify({ ...session, expiresAt: Date.now() + 1000 }));
    });
    expect(await search('Lopez')).toEqual([200]);
    const second = await stored();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.expiresAt).toBeGreaterThan(Date.now() + 60_000);

    // Refused by the server (401): renewed once and asked again.
    await page.evaluate(() => {
      const session = JSON.parse(sessionStorage.getItem('aftercare.session')!);
      sessionStorage.setItem('aftercare.session', JSON.stringify({ ...session, accessToken: 'a.b.c' }));
    });
    expect(await search('Lope')).toEqual([401, 200]);
    const third = await stored();
    expect(third.accessToken).not.toBe('a.b.c');
    expect(third.refreshToken).not.toBe(second.refreshToken);
    expect(page.url()).toMatch(/\/desk\/patients(\?|$)/);
    await expect(page.getByLabel('First name').inputValue()).resolves.toBe('Ines');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out').waitFor();
    const bearer = { authorization: `Bearer ${third.accessToken}` };
    expect((await fetch(at('/api/me'), { headers: bearer })).status).toBe(401);
    const refresh = await fetch(at('/api/auth/refresh'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: third.refreshToken }) });
    expect(refresh.status).toBe(401);
    await page.close();
  });

  it('runs every page of this run under its Content-Security-Policy without a refusal', () => {
    expect(cspViolations).toEqual([]);
  });
});
