/**
 * Issue 6's performance point, measured in a real browser on a private system:
 *
 *   "First load of the due list under 1 s on this machine with the seeded data."
 *
 * Run: `npm run bench:web` (builds the services and the web app, then runs
 * dist/bench/web.bench.js); add `-- --smoke` (or BENCH_SMOKE=1) for a run of a few seconds with
 * small data, which writes its section to a temporary file instead of bench/RESULTS.md. It
 * starts its own system as the other benches do (the four services from dist/ — the gateway
 * serves the web app from dist/web — a fresh database aftercare_bench_*, a private Redis on a
 * spare port, the Twilio fake and SMTP capture) and Debian's Chromium (CHROMIUM_PATH) through
 * playwright-core, and stops, closes and drops everything it started, also on failure or Ctrl-C.
 *
 * 1. Data: the workspace bench's seed (BENCH_ITEMS follow-up items across BENCH_CLINICIANS
 *    clinicians, spread evenly; the demo clinician — the `clinician@aftercare.local` user — is
 *    one of them, so their list is a typical one).
 * 2. BENCH_LOADS first loads per run, each in a fresh browser context (1024×768, empty cache, no
 *    storage): sign in through the API (not timed), the session put into sessionStorage as the
 *    app keeps it by an init script, `page.goto(<gateway>/due)`, and the time from the start of
 *    the navigation until the due list shows its first row (or its empty state), read in the
 *    page with `performance.now()` (the browser's own clock, whose origin is the navigation
 *    start) by a MutationObserver the same init script installs: when the row is in the DOM and
 *    in the animation frame after (the figure). Also each load's requests (count, bytes on the
 *    wire, host) and its Navigation/Resource Timing entries, which say what the time is made of.
 *    Then a second load in the same context: the same with a warm cache.
 * 3. Baseline in the same run: `GET /api/follow-ups?clinicianId=<demo clinician>&limit=50` alone
 *    from Node, BENCH_LOADS times one after another.
 *
 * Knobs (environment): BENCH_RUNS (3; smoke 1), BENCH_LOADS (30; smoke 3), BENCH_ITEMS (100000;
 * smoke 2000), BENCH_CLINICIANS (500; smoke 50), BENCH_WEB_READY (the CSS selector that means
 * "the list is shown"; default `main table tbody tr, main .empty`), BENCH_RESULTS (default
 * bench/RESULTS.md), CHROMIUM_PATH, BENCH_VERBOSE=1, BENCH_KEEP_DATABASE=1,
 * BENCH_RENDER_FROM=<json> (only render the section again from a run's saved measurements),
 * BENCH_WEB_PROFILE=<n> (a CPU profile of the first n first loads, warm-up included, printed by
 * function with its place in the built asset; dist/web/assets has the source maps).
 */
import 'reflect-metadata';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { DEMO, type FollowUpPage } from '@aftercare/contracts';
import { ROOT } from '../scripts/lib/system.js';
import { BenchSystem } from './support/bench-system.js';
import { startProfile, stopProfile } from './support/web-profile.js';
import { benchEntry, cleanupOnce, publish, reportFailure, type BenchSection } from './support/bench-run.js';
import { CHROMIUM_PATH, launchBrowser, newDesk } from './support/browser.js';
import { codeVersion, machine } from './support/machine.js';
import { fmt, median, quantile } from './support/stats.js';
import { renderWeb, type ApiCall, type BundleFile, type LoadSample, type SeenRequest, type WebInput, type WebRun } from './support/web-report.js';
import { seedWorkspace } from './support/workspace-seed.js';
import { SMOKE, int } from './support/knobs.js';

export const CONFIG = {
  smoke: SMOKE,
  runs: int('BENCH_RUNS', SMOKE ? 1 : 3),
  loads: int('BENCH_LOADS', SMOKE ? 3 : 30),
  items: int('BENCH_ITEMS', SMOKE ? 2_000 : 100_000),
  clinicians: int('BENCH_CLINICIANS', SMOKE ? 50 : 500),
  pageLimit: 50,
  // The due list's first row, or its empty state (ui.tsx `Empty`): whichever the page shows first.
  readySelector: process.env.BENCH_WEB_READY || 'main table tbody tr, main .empty',
  timeoutMs: 30_000,
  targetMs: 1_000,
  results: process.env.BENCH_RESULTS || (SMOKE ? path.join(os.tmpdir(), 'aftercare-bench-web-smoke.md') : path.join(ROOT, 'bench', 'RESULTS.md')),
};
/** Where the web app keeps its session (apps/web/src/api.ts). */
const SESSION_KEY = 'aftercare.session';
const ASSETS = path.join(ROOT, 'dist', 'web', 'assets');

const started = performance.now();
/** The code as built into dist/ just before this run (others may commit or edit meanwhile). */
const CODE = codeVersion();
const log = (line: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const ms = (v: number, digits = 0) => (Number.isFinite(v) ? `${fmt(v, digits)} ms` : 'n/a');
const p50p95 = (values: number[], digits = 0) => `p50 ${ms(quantile(values, 0.5), digits)}, p95 ${ms(quantile(values, 0.95), digits)}`;

const SECTION: BenchSection<WebInput> = { name: 'web', results: CONFIG.results, render: renderWeb, log };

/**
 * Runs in every document of a context before the app's scripts (as text: the bench is compiled
 * without the DOM's types). It puts the session where the app looks for it, then watches the
 * page for the first element matching the ready selector and records performance.now() then and
 * in the next animation frame; an error banner is recorded too, so a broken page fails at once
 * instead of timing out.
 */
function initScript(origin: string, session: string): string {
  return `(() => {
  if (location.origin !== ${JSON.stringify(origin)}) return;
  try { sessionStorage.setItem(${JSON.stringify(SESSION_KEY)}, ${JSON.stringify(session)}); } catch {}
  const selector = ${JSON.stringify(CONFIG.readySelector)};
  const observer = new MutationObserver(() => {
    if (window.__benchShown) return;
    const error = document.querySelector('.banner-error');
    if (error) window.__benchError = error.textContent || 'an error banner';
    const el = document.querySelector(selector);
    if (!el) return;
    const shown = { dom: performance.now(), frame: undefined, matched: el.matches('tbody tr') ? 'rows' : el.matches('.empty') ? 'empty' : 'other' };
    window.__benchShown = shown;
    requestAnimationFrame(() => { shown.frame = performance.now(); });
    observer.disconnect();
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
})();`;
}

/** The page's timing entries, read after the list showed (as text, for the same reason). */
const TIMINGS = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
  const resources = performance.getEntriesByType('resource').map((e) => ({ name: e.name, start: e.startTime, end: e.responseEnd, transfer: e.transferSize }));
  return { shown: window.__benchShown, documentEnd: nav ? nav.responseEnd : NaN, documentTransfer: nav ? nav.transferSize : 0, fcp: fcp ? fcp.startTime : NaN, resources };
})()`;

interface PageTimings {
  shown: { dom: number; frame: number; matched: LoadSample['matched'] };
  documentEnd: number;
  documentTransfer: number;
  fcp: number;
  resources: { name: string; start: number; end: number; transfer: number }[];
}

interface Session {
  accessToken: string;
  user: { id: string; email: string; name: string; role: string; clinicianId: string | null };
}

async function login(baseUrl: string, email: string): Promise<Session> {
  const response = await fetch(`${baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: DEMO.password }) });
  const body = (await response.json()) as Session;
  if (response.status !== 200 || !body.accessToken) throw new Error(`login as ${email}: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

/** Opens /due in `page` and waits until the list is shown; the sample from the page's own clock. */
async function loadDue(page: Page, baseUrl: string): Promise<LoadSample> {
  await page.goto(`${baseUrl}/due`, { waitUntil: 'commit', timeout: CONFIG.timeoutMs });
  try {
    await page.waitForFunction('(window.__benchShown && window.__benchShown.frame !== undefined) || window.__benchError', undefined, { timeout: CONFIG.timeoutMs, polling: 20 });
  } catch (error) {
    const text = await page.evaluate('document.body ? document.body.innerText : ""').catch(() => '');
    if (process.env.BENCH_VERBOSE) log(`  waiting ended with: ${(error as Error).message.split("\n")[0]}`);
    if (process.env.BENCH_VERBOSE) log(`  the page's requests: ${String(await page.evaluate('performance.getEntriesByType("resource").map((e) => e.name.replace(location.origin, "")).join(", ")').catch(() => '?'))}; stored session keys: ${String(await page.evaluate('Object.keys(sessionStorage).join(", ")').catch(() => '?'))}`);
    throw new Error(`the due list did not show \`${CONFIG.readySelector}\` within ${CONFIG.timeoutMs / 1000} s at ${page.url()}; the page says: ${String(text).replace(/\s+/g, ' ').slice(0, 400)}`, { cause: error });
  }
  const failure = await page.evaluate<string | undefined>('window.__benchShown ? undefined : window.__benchError');
  if (failure) throw new Error(`the due list showed an error: ${failure}`);
  const t = await page.evaluate<PageTimings>(TIMINGS);
  const base = new URL(baseUrl);
  const local = t.resources.map((r) => ({ ...r, url: new URL(r.name) })).filter((r) => r.url.origin === base.origin);
  const apiCalls: ApiCall[] = local
    .filter((r) => r.url.pathname.startsWith('/api/'))
    .map((r) => ({ path: r.url.pathname + r.url.search, startMs: r.start, endMs: r.end, transferBytes: r.transfer }));
  const firstApi = apiCalls.length ? Math.min(...apiCalls.map((a) => a.startMs)) : NaN;
  // Scripts and style sheets asked for before the app's first call (later ones did not hold the list up).
  const assets = local.filter((r) => r.url.pathname.startsWith('/assets/') && !(r.start > firstApi));
  const before = apiCalls.filter((a) => a.endMs <= t.shown.dom);
  const assetsMs = assets.length ? Math.max(...assets.map((a) => a.end)) : t.documentEnd;
  return {
    shownMs: t.shown.frame,
    domMs: t.shown.dom,
    matched: t.shown.matched,
    fcpMs: t.fcp,
    documentMs: t.documentEnd,
    assetsMs,
    firstApiMs: Number.isFinite(firstApi) ? firstApi : assetsMs,
    lastApiMs: before.length ? Math.max(...before.map((a) => a.endMs)) : Number.isFinite(firstApi) ? firstApi : assetsMs,
    apiCalls,
    requests: [],
    networkFetches: t.resources.filter((r) => r.transfer > 0).length + (t.documentTransfer > 0 ? 1 : 0),
  };
}

/** Every request the context makes while `recording` is on, with its size on the wire. */
function recordRequests(context: BrowserContext, baseUrl: string) {
  const origin = new URL(baseUrl).origin;
  const pending: Promise<SeenRequest | null>[] = [];
  let recording = true;
  const seen = (request: Request, failed: string | null) => {
    if (!recording) return;
    const url = new URL(request.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    pending.push(
      (async () => {
        const sizes = failed ? null : await request.sizes().catch(() => null);
        const response = failed ? null : await request.response().catch(() => null);
        return {
          url: url.origin === origin ? url.pathname + url.search : url.href,
          type: request.resourceType(),
          status: response?.status() ?? 0,
          bytes: sizes ? sizes.responseHeadersSize + sizes.responseBodySize : 0,
          otherHost: url.origin !== origin,
          failed,
        };
      })(),
    );
  };
  context.on('requestfinished', (request) => seen(request, null));
  context.on('requestfailed', (request) => seen(request, request.failure()?.errorText ?? 'failed'));
  return {
    async stop(): Promise<SeenRequest[]> {
      recording = false;
      return (await Promise.all(pending)).filter((r): r is SeenRequest => r !== null);
    },
  };
}

/** BENCH_WEB_PROFILE=<n>: a CPU profile of the first n first loads, printed by function (bench/support/web-profile.ts). */
const PROFILE_LOADS = Number(process.env.BENCH_WEB_PROFILE || 0);
let profiled = 0;

/** One first load in a fresh context, then the warm load in the same one. */
async function firstAndWarm(browser: Browser, baseUrl: string, email: string): Promise<{ first: LoadSample; warm: LoadSample }> {
  const session = await login(baseUrl, email);
  const context = await newDesk(browser);
  try {
    await context.addInitScript({ content: initScript(new URL(baseUrl).origin, JSON.stringify({ accessToken: session.accessToken, user: session.user })) });
    const requests = recordRequests(context, baseUrl);
    const page = await context.newPage();
    // What the page itself says went wrong (a refused script, a failed request, an exception).
    page.on('pageerror', (error) => log(`  the page threw: ${error.message}`));
    if (process.env.BENCH_VERBOSE) {
      page.on('response', (r) => log(`  [page] ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`));
      page.on('requestfailed', (r) => log(`  [page] failed ${r.method()} ${new URL(r.url()).pathname}: ${r.failure()?.errorText}`));
    }
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') log(`  the page's console (${message.type()}): ${message.text().slice(0, 300)}`);
    });
    const profiling = PROFILE_LOADS > profiled ? (profiled++, await startProfile(page)) : null;
    const first = await loadDue(page, baseUrl);
    if (profiling) {
      const { lines, totalMs } = await stopProfile(profiling);
      log(`  CPU profile of this first load (main thread, ${totalMs.toFixed(0)} ms busy, shown at ${first.shownMs.toFixed(0)} ms), by self time:`);
      for (const l of lines) log(`    ${l.selfMs.toFixed(1).padStart(7)} ms  ${l.functionName} ${l.at}`);
    }
    // What else the first load asks for once the list is up (none expected), until the network is quiet.
    await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => undefined);
    first.requests = await requests.stop();
    const warm = await loadDue(page, baseUrl);
    return { first, warm };
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** The API call alone, as the page makes it for the demo clinician, `count` times one after another (ms each). */
async function apiBaseline(baseUrl: string, token: string, clinicianId: string, count: number): Promise<number[]> {
  const url = `${baseUrl}/api/follow-ups?clinicianId=${clinicianId}&limit=${CONFIG.pageLimit}`;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    await response.arrayBuffer();
    out.push(performance.now() - s);
    if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
  }
  return out;
}

function bundleFiles(): BundleFile[] {
  return readdirSync(ASSETS)
    .filter((f) => /\.(js|css)$/.test(f))
    .sort()
    .map((file) => ({ file, bytes: statSync(path.join(ASSETS, file)).size, gzipBytes: gzipSync(readFileSync(path.join(ASSETS, file))).length }));
}

async function main(): Promise<void> {
  const system = new BenchSystem();
  let db: pg.Pool | undefined;
  let browser: Browser | undefined;
  const cleanup = cleanupOnce(log, 'closing the browser, stopping services, Redis, fakes; dropping the database', async () => {
    await browser?.close().catch((error) => console.error(`closing the browser: ${(error as Error).message}`));
    await db?.end().catch(() => undefined);
    await system.stop();
  });

  try {
    log(`config: ${JSON.stringify({ ...CONFIG, results: path.relative(ROOT, CONFIG.results) })}`);
    const bundle = bundleFiles();
    if (!bundle.some((f) => f.file.endsWith('.js'))) throw new Error(`no JavaScript in ${ASSETS}: build the web app first (npm run build)`);
    for (const f of bundle) log(`bundle: ${f.file} ${fmt(f.bytes / 1024, 1)} KiB (${fmt(f.gzipBytes / 1024, 1)} KiB gzipped)`);

    log(`starting Chromium (${CHROMIUM_PATH})…`);
    browser = await launchBrowser();
    const playwrightVersion = (createRequire(import.meta.url)('playwright-core/package.json') as { version: string }).version;
    log(`Chromium ${browser.version()}, playwright-core ${playwrightVersion}`);

    log('starting a private system (Redis on a spare port, fresh aftercare_bench_* database, Twilio fake, SMTP capture, 4 services from dist/)…');
    await system.start();
    const baseUrl = system.baseUrl;
    log(`system healthy at ${baseUrl}, database ${system.database!.name}, Redis ${system.redis.url}`);
    db = new pg.Pool({ connectionString: system.database!.url, max: 2 });

    // The demo clinician first (the clinician user's own), then made-up ids: the seed spreads the items evenly, so their list is a typical one.
    const demoClinician = DEMO.clinicians[0];
    const email = demoClinician.email;
    const madeUp = (i: number) => `00000000-0000-4000-8000-${(0x900000000000 + i).toString(16).padStart(12, '0')}`;
    const clinicianIds = [...DEMO.clinicians.map((c) => c.id as string), ...Array.from({ length: Math.max(0, CONFIG.clinicians - DEMO.clinicians.length) }, (_, i) => madeUp(i))].slice(0, CONFIG.clinicians);
    const seed = await seedWorkspace(db, { clinicId: DEMO.clinicId, items: CONFIG.items, clinicianIds, log });
    const openOnList = Number(
      (
        await db.query<{ n: string }>(`SELECT count(*) AS n FROM followup.follow_up_items WHERE clinician_id = $1 AND status = 'open' AND list_rank IS NOT NULL`, [demoClinician.id])
      ).rows[0]!.n,
    );
    log(`seeded in ${seed.seconds.toFixed(0)} s: ${seed.items.toLocaleString('en-US')} items, ${seed.patients.toLocaleString('en-US')} patients, ${seed.carePlans.toLocaleString('en-US')} plans; open per clinician min ${seed.openPerClinician.min} / median ${seed.openPerClinician.median} / max ${seed.openPerClinician.max}; ${demoClinician.name}: ${openOnList}`);

    const token = (await login(baseUrl, email)).accessToken;
    const probe = await fetch(`${baseUrl}/api/follow-ups?clinicianId=${demoClinician.id}&limit=${CONFIG.pageLimit}`, { headers: { authorization: `Bearer ${token}` } });
    const probeText = await probe.text();
    if (probe.status !== 200) throw new Error(`GET /api/follow-ups: ${probe.status} ${probeText.slice(0, 300)}`);
    const firstPage = JSON.parse(probeText) as FollowUpPage;
    log(`the demo clinician's first page through the API: ${firstPage.items.length} items, ${fmt(Buffer.byteLength(probeText) / 1024, 1)} KiB`);
    const jsFile = bundle.find((f) => f.file.endsWith('.js'))!.file;
    const asset = await fetch(`${baseUrl}/assets/${jsFile}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    await asset.arrayBuffer();
    const contentEncoding = asset.headers.get('content-encoding');

    log('warming up: one first and warm load and a few API calls (not recorded)…');
    const warmUp = await firstAndWarm(browser, baseUrl, email);
    log(`  first load shown at ${ms(warmUp.first.shownMs)} (${warmUp.first.matched}), warm load ${ms(warmUp.warm.shownMs)}; ${warmUp.first.requests.length} requests`);
    await apiBaseline(baseUrl, token, demoClinician.id, 5);

    const runs: WebRun[] = [];
    for (let r = 1; r <= CONFIG.runs; r++) {
      log(`run ${r}/${CONFIG.runs}: ${CONFIG.loads} first loads of /due, each in a fresh browser context, each followed by a warm load…`);
      const first: LoadSample[] = [];
      const warm: LoadSample[] = [];
      for (let i = 0; i < CONFIG.loads; i++) {
        const load = await firstAndWarm(browser, baseUrl, email);
        first.push(load.first);
        warm.push(load.warm);
        if (process.env.BENCH_VERBOSE || (i + 1) % 10 === 0 || i + 1 === CONFIG.loads) log(`  ${i + 1}/${CONFIG.loads} loads; this one shown at ${ms(load.first.shownMs)}, warm ${ms(load.warm.shownMs)}`);
      }
      log(`run ${r}/${CONFIG.runs}: baseline, GET /api/follow-ups?clinicianId=<demo>&limit=${CONFIG.pageLimit} alone, ${CONFIG.loads} times…`);
      const api = await apiBaseline(baseUrl, token, demoClinician.id, CONFIG.loads);
      runs.push({ run: r, first, warm, api });
      const figures: [string, number[], number?][] = [
        ['first load: due list shown', first.map((s) => s.shownMs)],
        ['first load: rows in the DOM', first.map((s) => s.domMs)],
        ['first load: first contentful paint', first.map((s) => s.fcpMs)],
        ['warm load: due list shown', warm.map((s) => s.shownMs)],
        ['baseline: GET /api/follow-ups alone', api, 1],
      ];
      for (const [label, values, digits] of figures) log(`  ${label}: ${p50p95(values, digits)}`);
      const bytes = first.map((s) => s.requests.reduce((a, q) => a + q.bytes, 0));
      log(`  first load: requests p50 ${quantile(first.map((s) => s.requests.length), 0.5)}, bytes on the wire p50 ${fmt(quantile(bytes, 0.5) / 1024, 1)} KiB; to other hosts ${first.reduce((a, s) => a + s.requests.filter((q) => q.otherHost).length, 0)}`);
      log(`  warm load: requests to the network p50 ${quantile(warm.map((s) => s.networkFetches), 0.5)}; matched ${[...new Set(first.map((s) => s.matched))].join(', ')}`);
    }

    const info = await machine(db, system.redis.url, CODE);
    const input: WebInput = {
      config: { smoke: CONFIG.smoke, runs: CONFIG.runs, loads: CONFIG.loads, items: CONFIG.items, clinicians: CONFIG.clinicians, pageLimit: CONFIG.pageLimit, readySelector: CONFIG.readySelector, timeoutMs: CONFIG.timeoutMs, targetMs: CONFIG.targetMs },
      machine: { ...info, chromium: browser.version(), playwright: playwrightVersion },
      seed,
      demo: { clinicianName: demoClinician.name, openOnList, firstPageItems: firstPage.items.length, firstPageBytes: Buffer.byteLength(probeText) },
      bundle,
      contentEncoding,
      runs,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
    const med = (f: (r: WebRun) => number) => median(runs.map(f));
    const firstP95 = med((r) => quantile(r.first.map((s) => s.shownMs), 0.95));
    log(`target: first load of the due list p95 ${ms(firstP95)} (median of the runs) against ${ms(CONFIG.targetMs)} — ${firstP95 < CONFIG.targetMs ? 'met' : 'NOT met'}`);
    await publish(SECTION, input);
    if (runs.some((r) => r.first.some((s) => s.requests.some((q) => q.otherHost)))) {
      console.error('a first load asked another host than the gateway');
      process.exitCode = 1;
    }
  } catch (error) {
    reportFailure(error, system.logs);
  } finally {
    await cleanup();
  }
}

await benchEntry(SECTION, main);
