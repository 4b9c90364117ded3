import { row, type Machine } from './report.js';
import { fmt, median, quantile } from './stats.js';
import type { WorkspaceSeed } from './workspace-seed.js';

/** One request the browser made during a load, as Playwright saw it finish (or fail). */
export interface SeenRequest {
  /** path and query on the gateway, or the whole URL when it went to another host */
  url: string;
  /** Playwright's resource type: document, script, stylesheet, fetch, … */
  type: string;
  status: number;
  /** bytes on the wire: response headers + body as sent (what a slow clinic network carries) */
  bytes: number;
  otherHost: boolean;
  failed: string | null;
}

/** A call to /api the page made, from the browser's resource timing (ms after navigation start). */
export interface ApiCall {
  path: string;
  startMs: number;
  endMs: number;
  /** 0 when it was answered from the cache */
  transferBytes: number;
}

/**
 * One load of /due, in the browser's own clock (ms after navigation start, performance.now()
 * of the page, whose timeOrigin is the start of the navigation).
 */
export interface LoadSample {
  /** the frame after the first row (or the empty state) is in the page: the list is shown */
  shownMs: number;
  /** the first row (or the empty state) is in the DOM (React committed it) */
  domMs: number;
  matched: 'rows' | 'empty' | 'other';
  /** first contentful paint (the "Loading…" line, usually) */
  fcpMs: number;
  /** the document's last byte */
  documentMs: number;
  /** the last script or style sheet the page asked for before its first API call has arrived */
  assetsMs: number;
  /** the first API call starts: the bundle has been parsed and run, React has rendered once */
  firstApiMs: number;
  /** the last API call that ended before the list was shown has its answer */
  lastApiMs: number;
  apiCalls: ApiCall[];
  /** first loads only: every request of the load until the network was quiet after the list showed */
  requests: SeenRequest[];
  /** resource-timing entries that went to the network (transferSize > 0) — for the warm loads: what the cache did not answer */
  networkFetches: number;
}

export interface WebRun {
  run: number;
  /** a fresh browser context each: empty cache, no storage (the session put in by an init script) */
  first: LoadSample[];
  /** a second load of /due in the same context right after the first */
  warm: LoadSample[];
  /** the baseline: `GET /api/follow-ups?clinicianId=<demo clinician>&limit=50` alone, from Node (ms) */
  api: number[];
}

export interface BundleFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface WebInput {
  config: { smoke: boolean; runs: number; loads: number; items: number; clinicians: number; pageLimit: number; readySelector: string; timeoutMs: number; targetMs: number };
  machine: Machine & { chromium: string; playwright: string };
  seed: WorkspaceSeed;
  demo: { clinicianName: string; openOnList: number; firstPageItems: number; firstPageBytes: number };
  bundle: BundleFile[];
  /** whether the gateway compresses what it sends (content-encoding of the bundle's JS) */
  contentEncoding: string | null;
  runs: WebRun[];
  elapsedSeconds: number;
}

const n0 = (v: number) => v.toLocaleString('en-US');
const kib = (bytes: number) => `${fmt(bytes / 1024, 1)} KiB`;
const p50 = (values: number[]) => quantile(values, 0.5);
const p95 = (values: number[]) => quantile(values, 0.95);
const runsText = (n: number) => (n === 1 ? '1 run' : `${n} runs`);

/** The phases a load's time is made of, in the order they happen; they add up to `shownMs`. */
export function phasesOf(s: LoadSample): Record<string, number> {
  const assetsEnd = Math.max(s.documentMs, s.assetsMs);
  const apiStart = Math.max(assetsEnd, s.firstApiMs);
  const apiEnd = Math.max(apiStart, s.lastApiMs);
  return {
    'document (request → last byte of index.html)': s.documentMs,
    'scripts and styles arrive': assetsEnd - s.documentMs,
    'bundle parsed and run, first render, until the first API call': apiStart - assetsEnd,
    'API calls and the renders between them (start of the first → answer of the last before the list)': apiEnd - apiStart,
    'rendering the list (answer → rows in the DOM)': Math.max(0, s.domMs - apiEnd),
    'to the next frame (rows in the DOM → the frame that shows them)': s.shownMs - s.domMs,
  };
}

/** The path of an API call without its query, for grouping. */
const route = (path: string) => path.split('?')[0]!.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ':id');

export function renderWeb(input: WebInput): string {
  const { config: c, machine: m, seed, runs } = input;
  const target = c.targetMs;
  const firstP50 = median(runs.map((r) => p50(r.first.map((s) => s.shownMs))));
  const firstP95 = median(runs.map((r) => p95(r.first.map((s) => s.shownMs))));
  const warmP50 = median(runs.map((r) => p50(r.warm.map((s) => s.shownMs))));
  const apiP50 = median(runs.map((r) => p50(r.api)));
  const allFirst = runs.flatMap((r) => r.first);
  const allWarm = runs.flatMap((r) => r.warm);
  const met = firstP95 < target;
  const matched = (samples: LoadSample[]) => Object.entries(samples.reduce<Record<string, number>>((a, s) => ({ ...a, [s.matched]: (a[s.matched] ?? 0) + 1 }), {})).map(([k, v]) => `${v} × ${k}`).join(', ');
  const requestsPerLoad = allFirst.map((s) => s.requests.length);
  const bytesPerLoad = allFirst.map((s) => s.requests.reduce((a, q) => a + q.bytes, 0));
  const otherHosts = [...new Set(allFirst.flatMap((s) => s.requests.filter((q) => q.otherHost).map((q) => q.url)))];
  const failed = allFirst.flatMap((s) => s.requests.filter((q) => q.failed || q.status >= 400));
  const js = input.bundle.filter((f) => f.file.endsWith('.js'));
  const css = input.bundle.filter((f) => f.file.endsWith('.css'));
  const sum = (files: BundleFile[], k: 'bytes' | 'gzipBytes') => files.reduce((a, f) => a + f[k], 0);

  const L: string[] = [];
  L.push('# Benchmark: first load of the web app\'s due list (issue 6)', '');
  L.push(
    `Generated by \`bench/web.bench.ts\` on ${m.date.slice(0, 10)} (${m.date})${c.smoke ? ' in **smoke mode** (small data, 3 loads: these numbers only show that the bench works)' : ''}; the whole run took ${fmt(input.elapsedSeconds / 60, 1)} min.`,
    'Numbers in this section are from that run; run it again to refresh them.',
    '',
    '```',
    'npm run bench:web             # = npm run build && node dist/bench/web.bench.js',
    'npm run bench:web -- --smoke  # a few seconds, small data (for CI); writes to a temp file',
    '```',
    '',
  );
  L.push(
    `Machine: ${m.nproc} cores (${m.cpu.split(' ').slice(0, 2).join(' ')}), ${fmt(m.memoryGiB, 1)} GiB, ${m.os}, Node.js ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis} (private instance started by the bench),`,
    `Chromium ${m.chromium} (headless, driven by playwright-core ${m.playwright}); code ${m.code}.`,
    'The browser, the four services, PostgreSQL, Redis and the bench share these cores, which other work on the machine uses too.',
    '',
  );

  L.push('## Target', '');
  L.push(
    `**First load of the due list under ${n0(target)} ms on this machine with the seeded data** (${n0(seed.items)} follow-up items across ${c.clinicians} clinicians; the demo clinician, ${input.demo.clinicianName}, has ${n0(input.demo.openOnList)} open items on the list).`,
    `Read as: from the start of the navigation to \`/due\` until the frame that shows the list's first rows, in a browser with an empty cache, **p95 of ${c.loads} loads** (median of ${runsText(c.runs)}).`,
    '',
    `- First load: p95 **${fmt(firstP95, 0)} ms**, p50 ${fmt(firstP50, 0)} ms — **${met ? 'met' : 'NOT met'}**.`,
    `- Second load, warm cache (same browser context): p50 ${fmt(warmP50, 0)} ms, p95 ${fmt(median(runs.map((r) => p95(r.warm.map((s) => s.shownMs)))), 0)} ms.`,
    `- Baseline in the same run: \`GET /api/follow-ups?clinicianId=<the demo clinician>&limit=${c.pageLimit}\` alone from Node, p50 ${fmt(apiP50, 1)} ms, p95 ${fmt(median(runs.map((r) => p95(r.api))), 1)} ms.`,
    `- A first load makes ${fmt(median(requestsPerLoad), 0)} requests, ${kib(median(bytesPerLoad))} on the wire (median), ${otherHosts.length ? `**${otherHosts.length} to other hosts** (${otherHosts.slice(0, 5).join(', ')})` : 'all to the gateway (no other host)'}${failed.length ? `; **${failed.length} failed or answered ≥ 400** (e.g. ${failed[0]!.url} ${failed[0]!.failed ?? failed[0]!.status})` : ''}.`,
    `- Bundle (dist/web/assets): JavaScript ${kib(sum(js, 'bytes'))} (${kib(sum(js, 'gzipBytes'))} gzipped) in ${js.length} file${js.length === 1 ? '' : 's'}, CSS ${kib(sum(css, 'bytes'))} (${kib(sum(css, 'gzipBytes'))} gzipped); the gateway sends them ${input.contentEncoding ? `with content-encoding ${input.contentEncoding}` : 'uncompressed'}.`,
    `- What the wait found: first loads ${matched(allFirst)}; warm loads ${matched(allWarm)} (rows = \`main table tbody tr\`, empty = the list's empty state).`,
    '',
  );

  L.push('## How it is measured', '');
  L.push(
    `- **System.** A private one, as the other benches start it: the four services from dist/ (the gateway serves the web app built into dist/web on the API's port), a fresh`,
    '  aftercare_bench_* database, a private Redis, the Twilio fake and SMTP capture; everything stopped and dropped afterwards.',
    `- **Data.** The workspace bench's seed (bench/support/workspace-seed.ts): ${n0(seed.items)} follow-up items, ${n0(seed.carePlans)} care plans, ${n0(seed.patients)} patients and ${n0(seed.painScores)} pain scores`,
    `  straight into followup's tables (${fmt(seed.seconds, 0)} s with VACUUM ANALYZE), spread evenly over ${c.clinicians} clinicians of whom the demo clinician (the \`clinician@aftercare.local\` user) is one:`,
    `  open items on the lists per clinician min ${seed.openPerClinician.min} / median ${seed.openPerClinician.median} / max ${seed.openPerClinician.max}, the demo clinician ${n0(input.demo.openOnList)}. The API's first page for them holds ${input.demo.firstPageItems} items, ${kib(input.demo.firstPageBytes)} of JSON.`,
    `- **A first load.** A new browser context (1024×768, en-US, America/New_York; empty HTTP cache, no storage). The bench signs in through the API (\`POST /api/auth/login\`, not timed)`,
    '  and an init script puts the session where the app keeps it (sessionStorage `aftercare.session` = `{ accessToken, user }`), so the load is what a signed-in clinician',
    `  sees on opening the app at \`/due\`. \`page.goto(<gateway>/due)\`; the same init script watches the page (a MutationObserver) for the first \`${c.readySelector}\``,
    '  and records `performance.now()` — the page\'s own clock, which starts with the navigation — when it appears (rows in the DOM) and in the next animation frame (the list is',
    `  shown: **the figure**). Timeout ${fmt(c.timeoutMs / 1000, 0)} s. ${c.loads} loads per run, each in its own context; one load before the runs warms the system up and is not recorded.`,
    '- **Warm load.** Right after each first load, `/due` again in the same page (same context): the bundle from the HTTP cache (served immutable, a year), index.html revalidated.',
    '- **Requests.** Every request of a first load until the network is quiet after the list showed (Playwright `requestfinished`/`requestfailed`, `request.sizes()`: headers + body as sent).',
    '- **What the time is made of.** From the page\'s Navigation and Resource Timing entries, cut into phases that add up to the figure (table below).',
    `- **Baseline.** In the same run, after the loads: the due list's first page of the demo clinician alone, \`GET /api/follow-ups?clinicianId=…&limit=${c.pageLimit}\` with the clinician's`,
    `  token, ${c.loads} times one after another with \`fetch\` from the bench process (the whole answer read), timed with \`performance.now()\`.`,
    '',
  );

  L.push('## Results', '', `Each figure: the p50 or p95 of the ${c.loads} loads of a run; min / **median** / max of ${runsText(c.runs)}, then the runs in order. Times in ms after the start of the navigation.`, '');
  L.push('| figure | min / **median** / max | runs |', '|---|---|---|');
  const fig = (label: string, values: (r: WebRun) => number[], digits = 0) => {
    L.push(row(`${label}: p50`, runs.map((r) => p50(values(r))), digits));
    L.push(row(`${label}: p95`, runs.map((r) => p95(values(r))), digits));
  };
  const first = (f: (s: LoadSample) => number) => (r: WebRun) => r.first.map(f);
  const warm = (f: (s: LoadSample) => number) => (r: WebRun) => r.warm.map(f);
  fig('**first load: due list shown (ms)**', first((s) => s.shownMs));
  fig('first load: rows in the DOM (ms)', first((s) => s.domMs));
  fig('first load: first contentful paint (ms)', first((s) => s.fcpMs));
  fig('**warm load: due list shown (ms)**', warm((s) => s.shownMs));
  fig('warm load: first contentful paint (ms)', warm((s) => s.fcpMs));
  fig('**baseline: GET /api/follow-ups alone, from Node (ms)**', (r) => r.api, 1);
  fig('first load: requests', first((s) => s.requests.length));
  fig('first load: KiB on the wire', first((s) => s.requests.reduce((a, q) => a + q.bytes, 0) / 1024), 1);
  fig('warm load: requests that went to the network', warm((s) => s.networkFetches));
  L.push(row('ratio first load p50 / baseline p50', runs.map((r) => p50(r.first.map((s) => s.shownMs)) / p50(r.api)), 1));
  L.push('');

  L.push('### What a first load\'s time is made of', '');
  L.push(`The phases of each load add up to its "shown" time (their p50s need not); p50 / p95 over all ${n0(allFirst.length)} first loads, and the warm loads for comparison.`, '');
  L.push('| phase | first load p50 (ms) | first load p95 (ms) | warm load p50 (ms) |', '|---|---|---|---|');
  const firstPhases = allFirst.map(phasesOf);
  const warmPhases = allWarm.map(phasesOf);
  for (const name of Object.keys(firstPhases[0] ?? {})) {
    L.push(`| ${name} | ${fmt(p50(firstPhases.map((p) => p[name]!)), 0)} | ${fmt(p95(firstPhases.map((p) => p[name]!)), 0)} | ${fmt(p50(warmPhases.map((p) => p[name]!)), 0)} |`);
  }
  L.push(`| **shown** | **${fmt(p50(allFirst.map((s) => s.shownMs)), 0)}** | **${fmt(p95(allFirst.map((s) => s.shownMs)), 0)}** | **${fmt(p50(allWarm.map((s) => s.shownMs)), 0)}** |`, '');

  const routes = [...new Set(allFirst.flatMap((s) => s.apiCalls.map((a) => route(a.path))))];
  if (routes.length) {
    L.push('The page\'s API calls on a first load (resource timing; start and end in ms after the navigation start, p50 over the first loads):', '');
    L.push('| call | per load | starts at | ends at | takes p50 / p95 (ms) | bytes (p50) |', '|---|---|---|---|---|---|');
    for (const r of routes) {
      const calls = allFirst.flatMap((s) => s.apiCalls.filter((a) => route(a.path) === r));
      const durations = calls.map((a) => a.endMs - a.startMs);
      L.push(
        `| \`${r}\` | ${fmt(calls.length / Math.max(1, allFirst.length), 1)} | ${fmt(p50(calls.map((a) => a.startMs)), 0)} | ${fmt(p50(calls.map((a) => a.endMs)), 0)} | ${fmt(p50(durations), 0)} / ${fmt(p95(durations), 0)} | ${n0(p50(calls.map((a) => a.transferBytes)))} |`,
      );
    }
    L.push('');
  }

  const byType = new Map<string, { count: number; bytes: number }>();
  for (const s of allFirst) for (const q of s.requests) byType.set(q.type, { count: (byType.get(q.type)?.count ?? 0) + 1, bytes: (byType.get(q.type)?.bytes ?? 0) + q.bytes });
  L.push('Requests of a first load by type (mean per load):', '');
  L.push('| type | requests | KiB on the wire |', '|---|---|---|');
  for (const [type, v] of [...byType.entries()].sort((a, b) => b[1].bytes - a[1].bytes)) L.push(`| ${type} | ${fmt(v.count / Math.max(1, allFirst.length), 1)} | ${fmt(v.bytes / 1024 / Math.max(1, allFirst.length), 1)} |`);
  L.push('');
  L.push('Bundle files (dist/web/assets, source maps left out):', '');
  L.push('| file | KiB | KiB gzipped |', '|---|---|---|');
  for (const f of input.bundle) L.push(`| ${f.file} | ${fmt(f.bytes / 1024, 1)} | ${fmt(f.gzipBytes / 1024, 1)} |`);
  L.push('');

  L.push('## Reading the numbers', '');
  const phaseP50 = Object.fromEntries(Object.keys(firstPhases[0] ?? {}).map((k) => [k, p50(firstPhases.map((p) => p[k]!))]));
  const biggest = Object.entries(phaseP50).sort((a, b) => b[1] - a[1]).slice(0, 2);
  const apiCallsP50 = p50(allFirst.map((s) => s.apiCalls.filter((a) => a.endMs <= s.domMs).length));
  const listCalls = allFirst.flatMap((s) => s.apiCalls.filter((a) => route(a.path) === '/api/follow-ups'));
  const listCallP50 = p50(listCalls.map((a) => a.endMs - a.startMs));
  L.push(
    `- **${met ? 'The target is met' : 'The target is not met'}**: a first load shows the list p50 ${fmt(firstP50, 0)} ms / p95 ${fmt(firstP95, 0)} ms after the navigation starts, against ${n0(target)} ms.`,
    `  The largest parts (p50): ${biggest.map(([k, v]) => `${k} ${fmt(v, 0)} ms`).join('; ')}.`,
    `- The list waits for ${fmt(apiCallsP50, 0)} API call${apiCallsP50 === 1 ? '' : 's'} (p50) answered before it shows: the app asks \`/api/me\` for the server's clock first (App.tsx) and renders the page only then,`,
    `  so the page's own calls start after that answer and after the bundle has run. In the browser the page's \`/api/follow-ups\` takes p50 ${fmt(listCallP50, 0)} ms (beside the page's other calls,`,
    `  on cores the browser is busy on), against p50 ${fmt(apiP50, 1)} ms for the same call alone from Node.`,
    `- A warm load (the bundle from the HTTP cache, its compiled code kept by Chromium) shows the list p50 ${fmt(warmP50, 0)} ms, ${fmt(firstP50 - warmP50, 0)} ms before a first load; by phase (p50):`,
    `  ${Object.keys(phaseP50).map((k) => [k, phaseP50[k]! - p50(warmPhases.map((p) => p[k]!))] as const).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k.split(' (')[0]} ${v >= 0 ? '−' : '+'}${fmt(Math.abs(v), 0)} ms`).join(', ')}.`,
    `  A first load carries ${kib(median(bytesPerLoad))}${input.contentEncoding ? '' : ` (the bundle goes uncompressed: gzipped, JavaScript and CSS would be ${kib(sum(js, 'gzipBytes') + sum(css, 'gzipBytes'))})`}; on a clinic network the bytes matter more than here (loopback, no latency).`,
    '',
  );

  L.push('## Caveats', '');
  L.push(
    `- One small machine (${m.nproc} cores) **shared with other work**: Chromium, four Node services, PostgreSQL and Redis compete for the same cores. A clinic's desk computer runs only the`,
    '  browser, and the server is elsewhere: the server part would be quicker, the network slower (loopback here has no latency and unlimited bandwidth).',
    '- Headless Chromium without a GPU: painting is done on the CPU; the "shown" time is the animation frame after the rows are in the DOM, not the moment pixels reach a screen.',
    '- Sign-in is not part of the figure: the session is put into sessionStorage before the page loads, as after a sign-in in the same tab.',
    '- The seeded rows went in with SQL (no events, no jobs); the list reads only followup\'s own tables. Services run with `NODE_ENV=test` and `LOG_LEVEL=warn`, as in the other benches.',
  );
  return L.join('\n');
}
