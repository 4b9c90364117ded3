/**
 * Issue 7's suite: every benchmark, one after another, each in its own process.
 *
 * Run: `npm run bench` (builds, then runs dist/bench/all.bench.js): each bench in full (3 runs, 4 for
 * dispatch; its section of bench/RESULTS.md rewritten); `npm run bench -- --smoke` (or BENCH_SMOKE=1): each
 * in its smoke mode (a few seconds per part, small data), all sections into one temporary file,
 * which is what CI runs (.ci/run) so that the benches keep working. Names pick some of them:
 * `npm run bench -- --smoke footprint web`.
 *
 * Each bench starts, measures and cleans up its own private system (see bench/support/
 * bench-system.ts); they never run side by side, as they would measure each other. The suite
 * prints which one runs and how long it took, then a table of each bench's target lines as its
 * section states them ("— met" / "— NOT met"), and exits 1 when any bench failed (a missed target
 * is a result, not a failure). Ctrl-C stops the running bench (it cleans up) and the suite.
 *
 * Knobs (environment): BENCH_RESULTS (the results file for every bench; default bench/RESULTS.md,
 * smoke: $TMPDIR/aftercare-bench-all-smoke.md, emptied first), BENCH_TIMEOUT_S (per bench; smoke
 * 600, full none: a bench that hangs is sent SIGTERM, then SIGKILL a minute later); the benches'
 * own knobs pass through.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ROOT } from '../scripts/lib/system.js';
import { readSection } from './support/results-file.js';
import { SMOKE } from './support/knobs.js';

/** In the order they run, each named as its section in the results file (one not built is skipped). */
const BENCHES = ['booking', 'dispatch', 'send-statements', 'workspace', 'care-plans', 'web', 'footprint', 'timing'] as const;
type BenchName = (typeof BENCHES)[number];

const picked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = picked.filter((name) => !(BENCHES as readonly string[]).includes(name));
if (unknown.length) {
  console.error(`unknown bench: ${unknown.join(', ')} (there are: ${BENCHES.join(', ')})`);
  process.exit(2);
}
const RESULTS = process.env.BENCH_RESULTS || (SMOKE ? path.join(os.tmpdir(), 'aftercare-bench-all-smoke.md') : path.join(ROOT, 'bench', 'RESULTS.md'));
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S || (SMOKE ? 600 : 0));
const here = path.dirname(fileURLToPath(import.meta.url));

const started = performance.now();
const log = (line: string) => console.log(`[bench-all ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

interface Outcome {
  name: BenchName;
  /** null: skipped (not built) */
  exitCode: number | null;
  signal: string | null;
  seconds: number;
  note: string;
  /** the section's target lines with their verdict */
  targets: { line: string; verdict: 'met' | 'missed' }[];
}

let running: ChildProcess | undefined;
let interrupted: NodeJS.Signals | undefined;
// The benches run in their own process group (detached), so a Ctrl-C reaches only this process,
// which passes it on once: a second SIGINT would stop a bench in the middle of its cleanup.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = signal;
    log(`${signal}: stopping${running ? ' the running bench (it cleans up)' : ''}…`);
    running?.kill(signal);
  });
}

/** Runs one bench; resolves with its exit code (1 for a signal or a timeout). */
function runBench(script: string, args: string[]): Promise<{ code: number; signal: string | null; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', script, ...args], {
      cwd: ROOT,
      env: { ...process.env, BENCH_RESULTS: RESULTS },
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    running = child;
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const timer =
      TIMEOUT_S > 0
        ? setTimeout(() => {
            timedOut = true;
            log(`${path.basename(script)} still running after ${TIMEOUT_S} s: SIGTERM (SIGKILL in 60 s)`);
            child.kill('SIGTERM');
            killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
          }, TIMEOUT_S * 1000)
        : undefined;
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      running = undefined;
      resolve({ code: code ?? 1, signal, timedOut });
    });
  });
}

/**
 * The target lines of a section: within its "## Target(s)" part, every line that ends in a
 * verdict (the benches write "— **met**" / "— **NOT met**", web and footprint "— **met**." too).
 */
function targetLines(section: string): Outcome['targets'] {
  const out: Outcome['targets'] = [];
  let inTargets = false;
  for (const raw of section.split('\n')) {
    if (/^## /.test(raw)) inTargets = /^## Targets?\b/.test(raw);
    if (!inTargets) continue;
    const verdict = /\bNOT met\b/.test(raw) ? 'missed' : /\bmet\b/.test(raw) ? 'met' : null;
    if (!verdict) continue;
    const line = raw
      .replace(/^\s*-\s*/, '')
      .replace(/\*\*/g, '')
      .replace(/\|/g, '/')
      .trim();
    out.push({ line: line.length > 180 ? `${line.slice(0, 177)}…` : line, verdict });
  }
  return out;
}

async function main(): Promise<void> {
  const wanted = BENCHES.filter((name) => picked.length === 0 || picked.includes(name));
  log(`${SMOKE ? 'smoke run' : 'full run'} of ${wanted.join(', ')}; results in ${path.relative(process.cwd(), RESULTS) || RESULTS}${TIMEOUT_S > 0 ? `; at most ${TIMEOUT_S} s per bench` : ''}`);
  if (SMOKE && !process.env.BENCH_RESULTS) await rm(RESULTS, { force: true });

  const outcomes: Outcome[] = [];
  for (const [i, name] of wanted.entries()) {
    if (interrupted) break;
    const script = path.join(here, `${name}.bench.js`);
    if (!existsSync(script)) {
      log(`${name} (${i + 1}/${wanted.length}): ${path.relative(ROOT, script)} is not built, skipped`);
      outcomes.push({ name, exitCode: null, signal: null, seconds: 0, note: 'not built', targets: [] });
      continue;
    }
    const args = SMOKE ? ['--smoke'] : [];
    log(`${name} (${i + 1}/${wanted.length}): node ${path.relative(ROOT, script)}${args.length ? ` ${args.join(' ')}` : ''}`);
    const before = await readSection(RESULTS, name);
    const t0 = performance.now();
    const { code, signal, timedOut } = await runBench(script, args);
    const seconds = (performance.now() - t0) / 1000;
    const after = await readSection(RESULTS, name);
    const rewritten = after !== null && after !== before;
    const note = [timedOut ? `timed out after ${TIMEOUT_S} s` : '', signal ? `stopped by ${signal}` : '', rewritten ? '' : 'its section was not (re)written'].filter(Boolean).join('; ');
    outcomes.push({ name, exitCode: code, signal, seconds, note, targets: rewritten ? targetLines(after) : [] });
    log(`${name}: ${code === 0 ? 'passed' : `FAILED (exit code ${code})`} in ${seconds.toFixed(1)} s${note ? ` (${note})` : ''}`);
  }

  const failed = outcomes.filter((o) => o.exitCode !== null && o.exitCode !== 0);
  const lines = [
    '',
    `Summary (${SMOKE ? 'smoke run: small data, the verdicts only show that each bench works' : 'full run'}; sections in ${RESULTS}):`,
    '',
    '| bench | exit | time | target (as its section states it) | |',
    '|---|---|---|---|---|',
  ];
  for (const o of outcomes) {
    const head = `| ${o.name} | ${o.exitCode === null ? 'skipped' : o.exitCode} | ${o.exitCode === null ? '' : `${o.seconds.toFixed(0)} s`} |`;
    if (o.targets.length === 0) lines.push(`${head} ${o.note || 'no target line in its section'} | |`);
    o.targets.forEach((t, k) => lines.push(`${k === 0 ? head : '| | | |'} ${t.line} | ${t.verdict === 'met' ? 'met' : '**missed**'} |`));
  }
  const missed = outcomes.flatMap((o) => o.targets).filter((t) => t.verdict === 'missed').length;
  const met = outcomes.flatMap((o) => o.targets).filter((t) => t.verdict === 'met').length;
  lines.push(
    '',
    `${outcomes.length} bench${outcomes.length === 1 ? '' : 'es'} in ${((performance.now() - started) / 60_000).toFixed(1)} min: ${failed.length ? `${failed.length} FAILED (${failed.map((o) => o.name).join(', ')})` : 'none failed'}${outcomes.some((o) => o.exitCode === null) ? `, ${outcomes.filter((o) => o.exitCode === null).length} skipped` : ''}; targets: ${met} met, ${missed} missed.`,
  );
  if (interrupted) lines.push(`Stopped by ${interrupted} before the end.`);
  console.log(lines.join('\n'));
  process.exitCode = interrupted ? 130 : failed.length ? 1 : 0;
}

await main();
