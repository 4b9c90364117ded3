/**
 * Issue 3's performance point, measured through the API of a private system:
 *
 *   "Slot search for 4 weeks, any of 20 clinicians, with 5,000 booked appointments: p99 under
 *    50 ms through the API on this machine; booking throughput and p99 latency at 50
 *    concurrent clients."
 *
 * Run: `npm run bench:booking` (builds, then runs dist/bench/booking.bench.js); add `-- --smoke`
 * (or BENCH_SMOKE=1) for a run of a few seconds per part with small data (1 run, 5 clinicians,
 * 500 appointments, 1 s per figure, 200 bookings), which writes its section to a temporary file
 * instead of bench/RESULTS.md (`npm run bench -- --smoke` runs it in CI). It starts its own
 * system (the four services from dist/, a fresh database aftercare_bench_*, a private Redis on a
 * spare port, a Twilio fake and an SMTP capture on loopback), seeds it, measures with autocannon
 * through the gateway (with the CPU time each process used, from /proc), profiles one slot search
 * in process, rewrites its own section of bench/RESULTS.md, and stops and drops everything it
 * started, also on failure or Ctrl-C.
 *
 * Knobs (environment): BENCH_RUNS (3; smoke 1), BENCH_SECONDS (15; smoke 1), BENCH_CONNECTIONS (10),
 * BENCH_BOOKINGS (1000 per run; smoke 200), BENCH_BOOKING_CONNECTIONS (50), BENCH_APPOINTMENTS
 * (5000; smoke 500), BENCH_CLINICIANS (20; smoke 5), BENCH_RESULTS (output path, default bench/RESULTS.md),
 * BENCH_VERBOSE=1 (service output), BENCH_KEEP_DATABASE=1, BENCH_RENDER_FROM=<json> (only render the
 * section again from the measurements a run saved).
 */
import 'reflect-metadata';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ROOT } from '../scripts/lib/system.js';
import { BenchSystem } from './support/bench-system.js';
import { CpuMeter, describeOthers, postgresServerPids, type PidGroups } from './support/cpu.js';
import { Api } from './support/http.js';
import { loadGet, loadPostEach, type LoadRun } from './support/load.js';
import { DEFAULT_LIMIT, mergeProfiles, profileSlotSearch, type ProfileResult } from './support/profile.js';
import { bookingRequestsForWeek, seedClinic, type SeededClinic } from './support/seed.js';
import { renderResults, type BookingRun, type MeteredRun, type ResultsInput } from './support/report.js';
import { benchEntry, cleanupOnce, publish, reportFailure, type BenchSection } from './support/bench-run.js';
import { codeVersion, machine } from './support/machine.js';
import { SMOKE, int } from './support/knobs.js';

export const CONFIG = {
  smoke: SMOKE,
  runs: int('BENCH_RUNS', SMOKE ? 1 : 3),
  seconds: int('BENCH_SECONDS', SMOKE ? 1 : 15),
  connections: int('BENCH_CONNECTIONS', 10),
  bookings: int('BENCH_BOOKINGS', SMOKE ? 200 : 1000),
  bookingConnections: int('BENCH_BOOKING_CONNECTIONS', 50),
  appointments: int('BENCH_APPOINTMENTS', SMOKE ? 500 : 5000),
  clinicians: int('BENCH_CLINICIANS', SMOKE ? 5 : 20),
  weeks: 4,
  warmupSeconds: SMOKE ? 1 : 3,
  results: process.env.BENCH_RESULTS || (SMOKE ? path.join(os.tmpdir(), 'aftercare-bench-booking-smoke.md') : path.join(ROOT, 'bench', 'RESULTS.md')),
};

const started = performance.now();
/** The code as built into dist/ just before this run (others may commit or edit meanwhile). */
const CODE = codeVersion();
const log = (line: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const describe = (r: LoadRun) =>
  `p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms, ${r.rps.toFixed(1)} req/s (${Object.entries(r.statuses).map(([k, v]) => `${v}×${k}`).join(', ') || 'no answers'}${r.errors ? `, ${r.errors} errors` : ''}${r.timeouts ? `, ${r.timeouts} timeouts` : ''})`;

const ACTIVE = `('booked', 'confirmed', 'checked_in')`;

/** Overlapping active appointments of one clinician, one patient, or holds of one room: all must be 0. */
async function doubleBookings(db: pg.Pool): Promise<{ clinician: number; patient: number; resource: number }> {
  const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
  return {
    clinician: await count(`SELECT count(*) AS n FROM scheduling.appointments a JOIN scheduling.appointments b
      ON a.clinician_id = b.clinician_id AND a.id < b.id AND tstzrange(a.starts_at, a.blocks_until) && tstzrange(b.starts_at, b.blocks_until)
      WHERE a.status IN ${ACTIVE} AND b.status IN ${ACTIVE}`),
    patient: await count(`SELECT count(*) AS n FROM scheduling.appointments a JOIN scheduling.appointments b
      ON a.patient_id = b.patient_id AND a.id < b.id AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at)
      WHERE a.status IN ${ACTIVE} AND b.status IN ${ACTIVE}`),
    resource: await count(`SELECT count(*) AS n FROM scheduling.appointment_resources a JOIN scheduling.appointment_resources b
      ON a.resource_id = b.resource_id AND a.appointment_id < b.appointment_id AND a.during && b.during
      WHERE a.active AND b.active`),
  };
}

/**
 * Waits until the work a booking run leaves behind is done (every outbox relayed, no message
 * due and unsent), so that it does not leak into the next measurement. Gives up after 3 min.
 */
async function settle(db: pg.Pool): Promise<string> {
  const outboxes = (await db.query<{ table_schema: string }>(`SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox' ORDER BY 1`)).rows.map((r) => r.table_schema);
  const hasMessages = (await db.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'notifications' AND table_name = 'messages'`)).rowCount === 1;
  const deadline = Date.now() + 180_000;
  let quietChecks = 0;
  let last = '';
  while (Date.now() < deadline) {
    const parts = await Promise.all([
      ...outboxes.map(async (s) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${s}".outbox WHERE delivered_at IS NULL`)).rows[0]!.n)),
      hasMessages
        ? db
            .query<{ n: string }>(`SELECT count(*) AS n FROM notifications.messages WHERE status IN ('queued', 'sending') AND (send_at IS NULL OR send_at <= now())`)
            .then((r) => Number(r.rows[0]!.n))
        : Promise.resolve(0),
    ]);
    last = `${outboxes.map((s, i) => `${s}.outbox ${parts[i]}`).join(', ')}, due messages ${parts[parts.length - 1]}`;
    quietChecks = parts.every((n) => n === 0) ? quietChecks + 1 : 0;
    if (quietChecks >= 3) return 'quiet';
    await sleep(500);
  }
  return `not quiet after 3 min (${last})`;
}

async function probeDeactivation(admin: Api): Promise<{ status: number; summary: string }> {
  const probe = await admin.expect<{ id: string }>(201, 'POST', '/api/clinicians', {
    name: 'Bench probe (deactivated)',
    weeklyHours: { '1': [{ start: '08:00', end: '18:00' }] },
  });
  const answer = await admin.patch<{ active?: boolean; code?: string; message?: string }>(`/api/clinicians/${probe.id}`, { active: false });
  const summary =
    answer.status === 200 ? `active: ${String(answer.body.active)}` : [answer.body?.code, answer.body?.message].filter(Boolean).join(': ').slice(0, 160) || 'no details';
  return { status: answer.status, summary };
}

/** A smoke run's section says so at the top (report.ts renders full runs). */
const render = (input: ResultsInput) =>
  ((input.config as { smoke?: boolean }).smoke ? '> **Smoke run** (`npm run bench:booking -- --smoke`: small data, 1 run, a few seconds per figure): these numbers only show that the bench works.\n\n' : '') + renderResults(input);
const SECTION: BenchSection<ResultsInput> = { name: 'booking', results: CONFIG.results, render, log };

async function main(): Promise<void> {
  const system = new BenchSystem();
  let db: pg.Pool | undefined;
  const cleanup = cleanupOnce(log, 'stopping services, Redis, fakes; dropping the database', async () => {
    await db?.end().catch(() => undefined);
    await system.stop();
  });

  try {
    log(`config: ${JSON.stringify({ ...CONFIG, results: path.relative(ROOT, CONFIG.results) })}`);
    log('starting a private system (Redis on a spare port, fresh aftercare_bench_* database, Twilio fake, SMTP capture, 4 services from dist/)…');
    await system.start();
    log(`system healthy at ${system.baseUrl}, database ${system.database!.name}, Redis ${system.redis.url}`);
    db = new pg.Pool({ connectionString: system.database!.url, max: 4 });
    const [admin, frontDesk] = await Promise.all([Api.login(system.baseUrl, 'admin@aftercare.local'), Api.login(system.baseUrl, 'frontdesk@aftercare.local')]);

    const clinic: SeededClinic = await seedClinic(admin, frontDesk, db, {
      clinicians: CONFIG.clinicians,
      appointments: CONFIG.appointments,
      weeks: CONFIG.weeks,
      bookingPatientsPerClinician: 15,
      log,
    });
    const from = clinic.monday;
    const to = clinic.monday.plus({ days: CONFIG.weeks * 7 });
    const q = encodeURIComponent;
    const searchPath = `/api/availability?procedureType=consultation&from=${q(from.toUTC().toISO()!)}&to=${q(to.toUTC().toISO()!)}`;
    const onePath = `${searchPath}&clinicianId=${clinic.clinicianIds[0]}`;
    const probe = await frontDesk.expect<{ slots: unknown[] }>(200, 'GET', searchPath);
    const probeOne = await frontDesk.expect<{ slots: unknown[] }>(200, 'GET', onePath);
    const probeBytes = Buffer.byteLength(JSON.stringify(probe));
    log(`slot search ${from.toISODate()} → ${to.toISODate()}: ${probe.slots.length} slots (${(probeBytes / 1024).toFixed(0)} KiB) for any clinician; ${probeOne.slots.length} for one clinician`);

    log('preparing booking requests from the availability of weeks after the searched ones…');
    const bookingLists = [];
    for (let r = 0; r < CONFIG.runs; r++) {
      const week = clinic.monday.plus({ weeks: CONFIG.weeks + r });
      bookingLists.push(await bookingRequestsForWeek(frontDesk, clinic, week, 1000 + r));
    }
    const bookingsPerRun = Math.min(CONFIG.bookings, ...bookingLists.map((l) => l.length - CONFIG.bookingConnections));
    log(`${bookingLists.map((l) => l.length).join(' / ')} distinct free slots per booking week; ${bookingsPerRun} bookings per run`);

    const pids = system.servicePids();
    const redisPid = await system.redisPid();
    const pidGroups = async (): Promise<PidGroups> => ({
      gateway: [pids.gateway!].filter(Boolean),
      scheduling: [pids.scheduling!].filter(Boolean),
      'followup + notifications': [pids.followup!, pids.notifications!].filter(Boolean),
      postgres: await system.postgresPids(db!),
      'postgres server processes': await postgresServerPids(),
      redis: redisPid ? [redisPid] : [],
      bench: [process.pid],
    });
    const meter = new CpuMeter(pidGroups);
    const metered = async (work: () => Promise<LoadRun>): Promise<MeteredRun> => {
      await meter.start();
      const run = await work();
      return { ...run, cpu: await meter.stop() };
    };
    const describeCpu = (r: MeteredRun) =>
      r.cpu ? `CPU ms per request: ${Object.entries(r.cpu.groups).map(([g, ms]) => `${g} ${(ms / Math.max(1, r.responses)).toFixed(2)}`).join(', ')}; machine busy ${((100 * r.cpu.machineBusyMs) / r.cpu.machineCapacityMs).toFixed(0)} %; other processes (ms per request): ${describeOthers(r.cpu, Math.max(1, r.responses))}` : '';

    const token = frontDesk.token!;
    log(`warming up (${CONFIG.warmupSeconds} s each, not recorded)…`);
    await loadGet(system.baseUrl, '/health', { connections: CONFIG.connections, seconds: CONFIG.warmupSeconds });
    await loadGet(system.baseUrl, searchPath, { connections: CONFIG.connections, seconds: CONFIG.warmupSeconds, token });

    const limit500Path = `${searchPath}&limit=500`;
    const health: MeteredRun[] = [];
    const search: MeteredRun[] = [];
    const searchLimit500: MeteredRun[] = [];
    const searchOne: MeteredRun[] = [];
    const searchSerial: MeteredRun[] = [];
    for (let r = 1; r <= CONFIG.runs; r++) {
      log(`run ${r}/${CONFIG.runs}: GET /health, ${CONFIG.connections} connections, ${CONFIG.seconds} s…`);
      health.push(await metered(() => loadGet(system.baseUrl, '/health', { connections: CONFIG.connections, seconds: CONFIG.seconds })));
      log(`  ${describe(health.at(-1)!)}`);
      log(`  ${describeCpu(health.at(-1)!)}`);
      log(`run ${r}/${CONFIG.runs}: slot search, 4 weeks, any of ${CONFIG.clinicians} clinicians, default limit (${DEFAULT_LIMIT}), ${CONFIG.connections} connections, ${CONFIG.seconds} s…`);
      search.push(await metered(() => loadGet(system.baseUrl, searchPath, { connections: CONFIG.connections, seconds: CONFIG.seconds, token })));
      log(`  ${describe(search.at(-1)!)}`);
      log(`  ${describeCpu(search.at(-1)!)}`);
      log(`run ${r}/${CONFIG.runs}: slot search, 4 weeks, any clinician, limit 500, ${CONFIG.connections} connections, ${CONFIG.seconds} s…`);
      searchLimit500.push(await metered(() => loadGet(system.baseUrl, limit500Path, { connections: CONFIG.connections, seconds: CONFIG.seconds, token })));
      log(`  ${describe(searchLimit500.at(-1)!)}`);
      log(`  ${describeCpu(searchLimit500.at(-1)!)}`);
      log(`run ${r}/${CONFIG.runs}: slot search, 4 weeks, one clinician, ${CONFIG.connections} connections, ${CONFIG.seconds} s…`);
      searchOne.push(await metered(() => loadGet(system.baseUrl, onePath, { connections: CONFIG.connections, seconds: CONFIG.seconds, token })));
      log(`  ${describe(searchOne.at(-1)!)}`);
      const serialSeconds = SMOKE ? CONFIG.seconds : Math.max(5, Math.round(CONFIG.seconds * 0.67));
      log(`run ${r}/${CONFIG.runs}: slot search, any clinician, default limit, 1 connection, ${serialSeconds} s…`);
      searchSerial.push(await metered(() => loadGet(system.baseUrl, searchPath, { connections: 1, seconds: serialSeconds, token })));
      log(`  ${describe(searchSerial.at(-1)!)}`);
      log(`  ${describeCpu(searchSerial.at(-1)!)}`);
    }

    const bookings: BookingRun[] = [];
    const healthAtBooking: MeteredRun[] = [];
    for (let r = 1; r <= CONFIG.runs; r++) {
      const quiet = await settle(db);
      if (quiet !== 'quiet') log(`  warning: ${quiet}`);
      const list = bookingLists[r - 1]!;
      const weekStart = clinic.monday.plus({ weeks: CONFIG.weeks + r - 1 });
      const countWeek = async () =>
        Number(
          (
            await db!.query<{ n: string }>(`SELECT count(*) AS n FROM scheduling.appointments WHERE status = 'booked' AND starts_at >= $1 AND starts_at < $2`, [
              weekStart.toJSDate(),
              weekStart.plus({ weeks: 1 }).toJSDate(),
            ])
          ).rows[0]!.n,
        );
      const before = await countWeek();
      log(`run ${r}/${CONFIG.runs}: booking, ${CONFIG.bookingConnections} concurrent clients, ${bookingsPerRun} distinct slots of the week of ${weekStart.toISODate()}…`);
      const run = await loadPostEach(system.baseUrl, '/api/appointments', list, { connections: CONFIG.bookingConnections, amount: bookingsPerRun, token, expectStatus: 201 });
      const created = (await countWeek()) - before;
      const ok = run.statuses['201'] ?? 0;
      bookings.push({ ...run, created, bookingsPerSecond: ok / run.seconds, settledBefore: quiet });
      log(`  ${ok} booked in ${run.seconds.toFixed(1)} s = ${(ok / run.seconds).toFixed(1)} bookings/s; ${describe(run)}; ${created} rows created`);
      for (const [reason, n] of Object.entries(run.unexpected)) log(`  not booked: ${n} × ${reason}`);
      // Figure 6's baseline: the gateway's own /health at the bookings' concurrency, right after them.
      const settled = await settle(db);
      if (settled !== 'quiet') log(`  warning: ${settled}`);
      log(`run ${r}/${CONFIG.runs}: GET /health, ${CONFIG.bookingConnections} connections (as the bookings), ${CONFIG.seconds} s…`);
      healthAtBooking.push(await metered(() => loadGet(system.baseUrl, '/health', { connections: CONFIG.bookingConnections, seconds: CONFIG.seconds })));
      log(`  ${describe(healthAtBooking.at(-1)!)}`);
    }

    const settledAfter = await settle(db);
    log(`after the booking runs: ${settledAfter}`);
    log('checking for double bookings (overlapping active appointments of a clinician or patient, overlapping room holds)…');
    const doubles = await doubleBookings(db);
    log(`  clinician ${doubles.clinician}, patient ${doubles.patient}, room ${doubles.resource}`);

    log(`profiling one slot search in process (AvailabilityService and findSlots from dist/, same database; default limit ${DEFAULT_LIMIT} and limit 500)…`);
    const passes: ProfileResult[] = [];
    for (let r = 1; r <= CONFIG.runs; r++) {
      log(`  pass ${r}/${CONFIG.runs}…`);
      passes.push(await profileSlotSearch(system.database!.url, { from: from.toJSDate(), to: to.toJSDate() }, clinic.clinicianIds[0]!));
    }
    const profile = mergeProfiles(passes);
    for (const s of profile.stages) log(`  ${s.stage}: p50 ${s.p50.toFixed(2)} ms (passes ${s.p50s.map((v) => v.toFixed(2)).join(', ')}), p99 ${s.p99.toFixed(2)} ms`);
    for (const e of profile.explain) log(`  EXPLAIN ANALYZE ${e.query}: ${e.executionMs.toFixed(2)} ms in PostgreSQL, ${e.rows} rows`);

    // After every measurement (a clinician left active by a failed PATCH must not change the search):
    // does deactivating a clinician work? The Data and Caveats sections say what it answered.
    log('probing PATCH /api/clinicians/:id { active: false } on a throwaway clinician…');
    const deactivation = await probeDeactivation(admin).catch((error: Error) => ({ status: 0, summary: error.message.slice(0, 160) }));
    log(`  answered ${deactivation.status} ${deactivation.summary}`);

    const info = await machine(db, system.redis.url, CODE);
    const input: ResultsInput = {
      config: { ...CONFIG, bookings: bookingsPerRun },
      machine: info,
      clinic,
      searchRange: { from: from.toISO()!, to: to.toISO()! },
      slotsAnyClinician: probe.slots.length,
      slotsOneClinician: probeOne.slots.length,
      responseBytes: probeBytes,
      health,
      search,
      searchLimit500,
      searchOne,
      searchSerial,
      bookings,
      healthAtBooking,
      doubles,
      settledAfter,
      profile,
      deactivation,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
    await publish(SECTION, input);
    if (doubles.clinician + doubles.patient + doubles.resource > 0) process.exitCode = 1;
  } catch (error) {
    reportFailure(error, system.logs);
  } finally {
    await cleanup();
  }
}

await benchEntry(SECTION, main);
