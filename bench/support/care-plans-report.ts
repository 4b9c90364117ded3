import type { ChartPanel } from './care-plans-chart.js';
import type { ProfileSummary } from './care-plans-profile.js';
import type { CpuUsage } from './cpu.js';
import { row, type Machine } from './report.js';
import { fmt, median, quantile } from './stats.js';
import type { CarePlanRun, LatencySummary } from './workspace-report.js';

/** Each plan's send time since the run's first send and its latency (ms). */
export interface Series {
  sentOffsetMs: number[];
  latencyMs: number[];
}

/** A run at the fixed rate: followup's, or the raw addBulk baseline's (workspace-report's shape). */
export type PacedRun = CarePlanRun & { series?: Series };

export interface SustainedRun {
  run: number;
  inFlight: number;
  events: number;
  acknowledged: number;
  ranOut: boolean;
  /** first send → last acknowledgement (s) */
  spanSeconds: number;
  plansPerSecond: number;
  jobsPerSecond: number;
  /** acknowledgements in each whole second since the first send */
  perSecondPlans: number[];
  latency: LatencySummary;
  ack: LatencySummary;
  perSecondP99: number[];
  failures: number;
  failureSample: string | null;
  duplicateAcks: number;
  plans: number;
  /** plans with every step's job in Redis */
  complete: number;
  duplicatePlans: number;
  steps: number;
  stepCounts: Record<string, number>;
  jobs: number;
  missingJobs: number;
  notDelayed: number;
  delayedAdded: number;
  redisCommands: number;
  cpu: CpuUsage;
  series: Series;
}

export interface SustainedBare {
  run: number;
  inFlight: number;
  calls: number;
  spanSeconds: number;
  callsPerSecond: number;
  jobsPerSecond: number;
  perSecondCalls: number[];
  /** call → resolved */
  ack: LatencySummary;
  jobs: number;
  missingJobs: number;
  delayedAdded: number;
  failures: number;
  redisCommands: number;
  cpu: CpuUsage;
}

/** Each event sent when the one before is answered, as the outbox relay delivers. */
export interface OneAtATimeRun {
  run: number;
  events: number;
  plans: number;
  missingJobs: number;
  failures: number;
  spanSeconds: number;
  plansPerSecond: number;
  latency: LatencySummary;
  ack: LatencySummary;
  cpu: CpuUsage;
}

export interface CarePlansInput {
  config: {
    smoke: boolean;
    runs: number;
    rate: number;
    planSeconds: number;
    sustainSeconds: number;
    inFlight: number;
    relaySeconds: number;
    maxPlansPerSecond: number;
    warmupSeconds: number;
    profile: boolean;
    results: string;
    chart: string;
  };
  machine: Machine;
  pgSettings: { sharedBuffers: string; synchronousCommit: string; fsync: string };
  redisSettings: Record<string, string>;
  stepsPerPlan: number;
  stepOffsetsMs: number[];
  paced: PacedRun[];
  sustained: SustainedRun[];
  sustainedBare: SustainedBare[];
  oneAtATime: OneAtATimeRun[];
  profile: ProfileSummary | null;
  elapsedSeconds: number;
}

/**
 * Before and after the change the profile led to, measured by hand (the section is generated, so
 * the record lives here): the two builds run one after the other, twice, on the shared machine.
 */
const HISTORY = [
  '### Before and after: completions batched in followup',
  '',
  'Profiling followup during the sustained runs (`BENCH_PROFILE=1`) showed about 30 % of its busy time in socket writes: every completion was two',
  'statements (look-up; inbox row, plan and steps) and one `addBulk`, each a write to PostgreSQL or Redis and a wake-up on the other side, and one commit',
  'per plan. Now the completions that wait behind a running statement go together in the next one (apps/followup/src/care-plans/batched-calls.ts:',
  'arrays in one statement, one commit; the waiting plans\' jobs in one `addBulk`); a completion that comes alone still takes the single-row statements at once.',
  'Completions of one patient\'s plan still go one after the other. The two builds ran alternately, 1 run each (sustained: 20 s with 64 in flight;',
  'in another pair 15 s at 200/s and 10 s one at a time), other benches running meanwhile, so the rates swing with them; the CPU per plan is the steadier figure:',
  '',
  '| code | sustained plans/s | followup / PostgreSQL / Redis CPU ms per plan, sustained | at 200/s: p99 (ms) | one at a time: plans/s |',
  '|---|---|---|---|---|',
  '| fa8a9e8 (one statement per completion) | 517, 939, 860, 240 | 0.83 / 0.77 / 0.37; 0.71 / 0.50 / 0.32; 0.73 / 0.52 / 0.32; 0.91 / 0.62 / 0.38 | 10.9, 9.0 | 265, 358 |',
  '| batched (this section\'s code) | 739, 870 | 0.47 / 0.25 / 0.29; 0.49 / 0.26 / 0.30 | 5.4, 9.0 | 335, 330 |',
  '',
  'Followup\'s busy time in socket writes went from ~30 % to ~10 %. An array statement is planned anew at every execution (PostgreSQL\'s',
  '`pg_prepared_statements`: 0 generic plans, all custom), which at one completion at a time cost more than the statement: hence the single-row',
  'statements for a completion alone, which keep their generic plans (low rates unchanged: CPU per plan at 200/s 1.36–1.40 ms in followup, as before).',
];

/** The issue's targets for figure 1. */
export const TARGETS = { plansPerSecond: 1000, p99AtRateMs: 100, jobsRatio: 0.3 };

/** p50 / p99 / max of raw samples (a loop for the max: a sustained run has more samples than a call may have arguments). */
export function summary(values: number[]): LatencySummary {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  return { n: values.length, p50: quantile(values, 0.5), p99: quantile(values, 0.99), max: values.length ? max : NaN };
}

const n0 = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 0 });
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
const pct = (cpu: CpuUsage) => (100 * cpu.machineBusyMs) / cpu.machineCapacityMs;
const measured = (cpu: CpuUsage) => Object.values(cpu.groups).reduce((a, b) => a + b, 0);

/** The run whose `f` is the median (the lower middle for an even count). */
function medianRun<T>(runs: T[], f: (r: T) => number): T | undefined {
  const sorted = [...runs].sort((a, b) => f(a) - f(b));
  return sorted[(sorted.length - 1) >> 1];
}

/** The chart's panels: the median run (by p99) at the fixed rate, the median run (by plans/s) sustained. */
export function chartPanels(input: CarePlansInput): ChartPanel[] {
  const c = input.config;
  const panels: ChartPanel[] = [];
  const service = input.paced.filter((r) => r.kind === 'service' && r.series);
  const at = medianRun(service, (r) => r.latency.p99);
  if (at?.series) {
    panels.push({
      title: `${c.rate} completions/s, open loop, ${c.planSeconds} s (run ${at.run} of ${c.runs}, the median by p99): p50 ${fmt(at.latency.p50, 1)} ms, p99 ${fmt(at.latency.p99, 1)} ms`,
      ...at.series,
      target: { ms: TARGETS.p99AtRateMs, label: `target: p99 ≤ ${TARGETS.p99AtRateMs} ms at ${c.rate}/s` },
    });
  }
  const sus = medianRun(input.sustained, (r) => r.plansPerSecond);
  if (sus) {
    panels.push({
      title: `sustained, ${sus.inFlight} in flight, closed loop, ${c.sustainSeconds} s (run ${sus.run}, the median by plans/s): ${fmt(sus.plansPerSecond, 0)} plans/s, p50 ${fmt(sus.latency.p50, 0)} ms, p99 ${fmt(sus.latency.p99, 0)} ms`,
      ...sus.series,
    });
  }
  return panels;
}

function cpuTable(title: string, columns: { label: string; cpu: CpuUsage[]; per: number[] }[], unit: string): string[] {
  const groups = [...new Set(columns.flatMap((c) => c.cpu.flatMap((u) => Object.keys(u.groups))))];
  const perOf = (c: { cpu: CpuUsage[]; per: number[] }, f: (u: CpuUsage) => number) => median(c.cpu.map((u, i) => f(u) / Math.max(1, c.per[i]!)));
  const lines = [`| ${title} | ${columns.map((c) => c.label).join(' | ')} |`, `|---|${columns.map(() => '---|').join('')}`];
  for (const g of groups) lines.push(`| ${g} | ${columns.map((c) => fmt(perOf(c, (u) => u.groups[g] ?? 0), 3)).join(' | ')} |`);
  lines.push(`| **sum of the above** | ${columns.map((c) => `**${fmt(perOf(c, measured), 3)}**`).join(' | ')} |`);
  lines.push(`| whole machine (every process, others' work included) | ${columns.map((c) => fmt(perOf(c, (u) => u.machineBusyMs), 3)).join(' | ')} |`);
  lines.push(`| machine busy (% of all cores) | ${columns.map((c) => fmt(median(c.cpu.map(pct)), 0)).join(' | ')} |`);
  lines.push('', `CPU ms per ${unit}, median of the runs, from /proc.`);
  return lines;
}

export function renderCarePlans(input: CarePlansInput): string {
  const { config: c, machine: m } = input;
  const service = input.paced.filter((r) => r.kind === 'service');
  const bare = input.paced.filter((r) => r.kind === 'bare');
  const sus = input.sustained;
  const susBare = input.sustainedBare;
  const runsText = c.runs === 1 ? '1 run' : `${c.runs} runs`;
  const rateP99 = median(service.map((r) => r.latency.p99));
  const plansPerSecond = median(sus.map((r) => r.plansPerSecond));
  const ratios = sus.map((s) => s.jobsPerSecond / (susBare.find((b) => b.run === s.run)?.jobsPerSecond ?? NaN));
  const ratio = median(ratios);
  const steady = (perSecond: number[]) => median(perSecond.slice(1, -1).length ? perSecond.slice(1, -1) : perSecond);
  const cpuPerPlan = (r: SustainedRun, group?: string) => (group ? (r.cpu.groups[group] ?? 0) : measured(r.cpu)) / Math.max(1, r.events);
  const allCpu = median(sus.map((r) => cpuPerPlan(r)));
  const followupCpu = median(sus.map((r) => cpuPerPlan(r, 'followup')));
  const cores = Number(m.nproc) || 1;
  const chartName = c.chart.split('/').at(-1)!;
  const L: string[] = [];
  L.push('# Benchmark: care plans from completed procedures — latency at 200/s and the rate sustained (issue 7, figure 1)', '');
  L.push(
    `Generated by \`bench/care-plans.bench.ts\` on ${m.date.slice(0, 10)} (${m.date})${c.smoke ? ' in **smoke mode** (small data, a few seconds per part: these numbers only show that the bench works)' : ''}${c.profile ? ' **with the services profiled** (`--cpu-prof`: the rates are lower than without)' : ''}; the whole run took ${fmt(input.elapsedSeconds / 60, 1)} min.`,
    'Numbers in this section are from that run; run it again to refresh them.',
    '',
    '```',
    'npm run bench:care-plans             # = npm run build && node dist/bench/care-plans.bench.js',
    'npm run bench:care-plans -- --smoke  # a few seconds per part, small data (for CI); writes to temp files',
    'BENCH_PROFILE=1 npm run bench:care-plans  # also profiles followup during the sustained runs (--cpu-prof)',
    '```',
    '',
    `Machine: ${m.nproc} cores (${m.cpu.split(' ').slice(0, 2).join(' ')}), ${fmt(m.memoryGiB, 1)} GiB, ${m.os}, Node.js ${m.node}, PostgreSQL ${m.postgres} (shared_buffers ${input.pgSettings.sharedBuffers},`,
    `synchronous_commit ${input.pgSettings.synchronousCommit}, fsync ${input.pgSettings.fsync}), Redis ${m.redis} (private instance started by the bench: ${Object.entries(input.redisSettings).map(([k, v]) => `${k} ${v === '' ? '""' : v}`).join(', ')}); code ${m.code}.`,
    'The four services, PostgreSQL, Redis and the bench itself (the event sender, the baselines) share these cores, which other work on the machine uses too.',
    '',
  );

  L.push('## Targets', '');
  L.push(
    `- **≥ ${n0(TARGETS.plansPerSecond)} plans/s sustained for ${c.sustainSeconds} s**: **${fmt(plansPerSecond, 0)} plans/s** (median of ${runsText}; ${fmt(median(sus.map((r) => r.jobsPerSecond)), 0)} jobs/s) — **${met(plansPerSecond >= TARGETS.plansPerSecond)}**.`,
    `- **p99 ≤ ${TARGETS.p99AtRateMs} ms at ${c.rate} plans/s** (event → the plan and all its jobs queued): p99 **${fmt(rateP99, 1)} ms**, p50 ${fmt(median(service.map((r) => r.latency.p50)), 1)} ms — **${met(rateP99 <= TARGETS.p99AtRateMs)}**.`,
    `- **jobs/s ≥ ${TARGETS.jobsRatio} × raw \`addBulk\`** of the same jobs, same options, one call per plan, same number in flight, right after: **${fmt(ratio, 2)} ×** (${fmt(median(sus.map((r) => r.jobsPerSecond)), 0)} against ${fmt(median(susBare.map((r) => r.jobsPerSecond)), 0)} jobs/s) — **${met(ratio >= TARGETS.jobsRatio)}**.`,
    `- Checks: ${n0([...service, ...sus].reduce((a, r) => a + r.plans, 0))} plans for ${n0([...service, ...sus].reduce((a, r) => a + r.events, 0))} events, ${[...service, ...sus].reduce((a, r) => a + r.duplicatePlans, 0)} created twice; ${n0([...service, ...sus].reduce((a, r) => a + r.steps, 0))} steps, ${n0([...service, ...sus].reduce((a, r) => a + r.jobs, 0))} jobs (${[...service, ...sus].reduce((a, r) => a + r.missingJobs, 0)} steps without a job, ${[...service, ...sus].reduce((a, r) => a + r.notDelayed, 0)} not in the delayed set); failed sends ${[...service, ...sus].reduce((a, r) => a + r.failures, 0)}${sus.some((r) => r.ranOut) ? '; **a sustained run ran out of seeded patients** (raise BENCH_MAX_PLANS_PER_S)' : ''}.`,
    '',
    `Latency over time (the median run of each load): [\`bench/${chartName}\`](${chartName})`,
    '',
    `![event → all jobs queued over time, at ${c.rate}/s and sustained](${chartName})`,
    '',
  );

  L.push('## How it is measured', '');
  L.push(
    `- **Events.** \`procedure.completed\` envelopes (the contracts' shape and version) sent as the outbox relay sends them: a Redis-transport ClientProxy \`send('followup.event.procedure.completed', envelope)\`,`,
    `  each for a different patient followup knows (seeded followup.patients rows, America/New_York: a patient's first procedure, so nothing is superseded), \`bmac_injection\` with the default protocol`,
    `  (${input.stepsPerPlan} steps, the first ${fmt(Math.min(...input.stepOffsetsMs) / 3_600_000, 1)} h after the procedure, so no job runs during the run). Followup records each (inbox row, plan and step rows in one statement,`,
    `  care-plan-statements.ts), adds the steps' delayed jobs with one \`addBulk\` (JobScheduler) and only then answers.`,
    `- **At ${c.rate}/s.** Open loop (each send at its slot on a fixed schedule, never waiting for an answer), ${c.planSeconds} s per run (${n0(c.rate * c.planSeconds)} events).`,
    `  **Latency per plan** = the latest BullMQ \`timestamp\` of the plan's step jobs in Redis − the send time (both wall clock of this machine); also send → acknowledgement.`,
    `  Baseline right after: raw \`Queue.addBulk\` of ${input.stepsPerPlan} jobs (name \`care-plan.step.due\`, payload \`{ id }\`, \`DEFAULT_JOB_OPTIONS\`, jobId, the plan's delays) from the bench process,`,
    `  one call per would-be plan at the same pace, to a queue of its own on the same Redis; latency = call → resolved (BullMQ stamps a job client-side, before it is sent).`,
    `- **Sustained.** For ${c.sustainSeconds} s, ${c.inFlight} events always awaiting their acknowledgement (closed loop: a new event as soon as one is answered, so followup is never idle`,
    `  and never handed more than ${c.inFlight} at once). **Plans/s** = plans with all their jobs in Redis ÷ (first send → last acknowledgement); **jobs/s** likewise. Latency as above.`,
    `  Baseline right after: raw \`addBulk\` of the same number of plans' jobs, one call per plan, ${c.inFlight} calls in flight, as fast as Redis takes them; jobs/s = jobs ÷ (first call → last resolved).`,
    `- **One at a time.** For ${c.relaySeconds} s, each event sent when the one before is answered: the outbox relay delivers a producer's events to a subscriber so, in order,`,
    '  awaiting each acknowledgement (libs/messaging OutboxRelay; it also asks `PUBSUB NUMSUB` before each, which the bench does not), so this is the rate the real pipeline reaches.',
    `- Warm-up before the runs, not recorded: ${c.warmupSeconds} s of each load and baseline. ${c.smoke ? '' : 'Two seconds of quiet between the parts. '}Afterwards the plans, steps and jobs of every event are read back:`,
    '  one plan per event, one job per step (jobId = step id), each in the delayed set.',
    '',
  );

  L.push('## Results', '', `Each figure: min / **median** / max of ${runsText}, then the runs in order.`, '');
  L.push(`### At ${c.rate} completions per second (open loop, ${c.planSeconds} s)`, '');
  L.push('| figure | min / **median** / max | runs |', '|---|---|---|');
  const p = (label: string, runs: PacedRun[], f: (r: PacedRun) => number, digits = 1) => L.push(row(label, runs.map(f), digits));
  p('**followup: event → all jobs queued, p50 (ms)**', service, (r) => r.latency.p50);
  p('**followup: event → all jobs queued, p99 (ms)**', service, (r) => r.latency.p99);
  p('followup: event → all jobs queued, max (ms)', service, (r) => r.latency.max);
  p("followup: worst second's p99 (ms)", service, (r) => Math.max(...r.perSecondP99));
  p('followup: event → acknowledged, p50 (ms)', service, (r) => r.ack.p50);
  p('followup: event → acknowledged, p99 (ms)', service, (r) => r.ack.p99);
  p('events sent per second (the schedule keeps)', service, (r) => r.sendRate);
  p('events: most behind schedule (ms)', service, (r) => r.maxSendLagMs);
  p('**raw addBulk: call → resolved, p50 (ms)**', bare, (r) => r.ack.p50);
  p('**raw addBulk: call → resolved, p99 (ms)**', bare, (r) => r.ack.p99);
  p('raw addBulk: call → resolved, max (ms)', bare, (r) => r.ack.max);
  L.push(row('ratio followup p99 (event → all jobs queued) / raw addBulk p99', service.map((s) => s.latency.p99 / (bare.find((b) => b.run === s.run)?.ack.p99 ?? NaN)), 1));
  p('followup: Redis commands per plan', service, (r) => r.redisCommands / r.events);
  p('raw addBulk: Redis commands per plan', bare, (r) => r.redisCommands / r.events);
  L.push('');

  L.push(`### Sustained: ${c.inFlight} in flight for ${c.sustainSeconds} s (closed loop), and raw addBulk of as many plans' jobs`, '');
  L.push('| figure | min / **median** / max | runs |', '|---|---|---|');
  const s = (label: string, f: (r: SustainedRun) => number, digits = 1) => L.push(row(label, sus.map(f), digits));
  const b = (label: string, f: (r: SustainedBare) => number, digits = 1) => L.push(row(label, susBare.map(f), digits));
  s('**followup: plans/s (all jobs queued)**', (r) => r.plansPerSecond);
  s('followup: plans acknowledged per second, median second (first and last left out)', (r) => steady(r.perSecondPlans), 0);
  s('followup: plans acknowledged per second, slowest second (first and last left out)', (r) => Math.min(...(r.perSecondPlans.slice(1, -1).length ? r.perSecondPlans.slice(1, -1) : r.perSecondPlans)), 0);
  s('**followup: jobs/s**', (r) => r.jobsPerSecond, 0);
  s('followup: events sent', (r) => r.events, 0);
  s('followup: first send → last acknowledgement (s)', (r) => r.spanSeconds, 1);
  s('**followup: event → all jobs queued, p50 (ms)**', (r) => r.latency.p50);
  s('**followup: event → all jobs queued, p99 (ms)**', (r) => r.latency.p99);
  s('followup: event → all jobs queued, max (ms)', (r) => r.latency.max);
  s('followup: event → acknowledged, p99 (ms)', (r) => r.ack.p99);
  b('**raw addBulk: plans/s (calls resolved per second)**', (r) => r.callsPerSecond);
  b('**raw addBulk: jobs/s**', (r) => r.jobsPerSecond, 0);
  b('raw addBulk: call → resolved, p50 (ms)', (r) => r.ack.p50);
  b('raw addBulk: call → resolved, p99 (ms)', (r) => r.ack.p99);
  b('raw addBulk: first call → last resolved (s)', (r) => r.spanSeconds, 1);
  L.push(row('**ratio followup jobs/s / raw jobs/s**', ratios, 2));
  s('followup: Redis commands per plan', (r) => r.redisCommands / r.events);
  b('raw addBulk: Redis commands per plan', (r) => r.redisCommands / r.calls);
  L.push('');
  L.push(
    `Checks per run (sustained): ${sus.map((r) => `run ${r.run}: ${n0(r.plans)} plans of ${n0(r.events)} events (${r.duplicatePlans} twice), steps per plan ${JSON.stringify(r.stepCounts)}, ${n0(r.jobs)} jobs for ${n0(r.steps)} steps, delayed set +${n0(r.delayedAdded)}, ${r.failures} failed sends${r.failureSample ? ` (${r.failureSample})` : ''}, ${r.duplicateAcks} acknowledged as duplicates${r.ranOut ? ', ran out of patients' : ''}`).join('; ')}.`,
    `Baseline: ${susBare.map((r) => `run ${r.run}: ${n0(r.jobs)} jobs of ${n0(r.calls * input.stepsPerPlan)}, ${r.failures} failed calls`).join('; ')}.`,
    '',
  );
  const one = input.oneAtATime;
  L.push(`### One at a time, as the outbox relay delivers (${c.relaySeconds} s)`, '');
  L.push('| figure | min / **median** / max | runs |', '|---|---|---|');
  L.push(row('**plans/s**', one.map((r) => r.plansPerSecond)));
  L.push(row('event → all jobs queued, p50 (ms)', one.map((r) => r.latency.p50), 2));
  L.push(row('event → all jobs queued, p99 (ms)', one.map((r) => r.latency.p99), 2));
  L.push(row('event → acknowledged, p50 (ms)', one.map((r) => r.ack.p50), 2));
  L.push(row('event → acknowledged, p99 (ms)', one.map((r) => r.ack.p99), 2));
  L.push(row('machine busy (% of all cores)', one.map((r) => pct(r.cpu)), 0));
  L.push('', `Checks: ${one.map((r) => `run ${r.run}: ${n0(r.plans)} plans of ${n0(r.events)} events, ${r.missingJobs} steps without a job, ${r.failures} failed sends`).join('; ')}.`, '');
  L.push('Plans acknowledged in each second of the sustained runs:', '');
  for (const r of sus) L.push(`- run ${r.run}: ${r.perSecondPlans.join(' ')}`);
  L.push('', 'p99 (ms) of each second of the sustained runs, by send time:', '');
  for (const r of sus) L.push(`- run ${r.run}: ${r.perSecondP99.map((v) => fmt(v, 0)).join(' ')}`);
  L.push('');
  L.push(
    ...cpuTable(
      'CPU ms per plan',
      [
        { label: `followup at ${c.rate}/s`, cpu: service.map((r) => r.cpu), per: service.map((r) => r.events) },
        { label: `raw addBulk at ${c.rate}/s`, cpu: bare.map((r) => r.cpu), per: bare.map((r) => r.events) },
        { label: 'followup sustained', cpu: sus.map((r) => r.cpu), per: sus.map((r) => r.events) },
        { label: 'raw addBulk sustained', cpu: susBare.map((r) => r.cpu), per: susBare.map((r) => r.calls) },
      ],
      'plan (per event, or per addBulk call of the baseline)',
    ),
    '',
  );

  if (input.profile) {
    const pr = input.profile;
    L.push('### Where followup\'s CPU goes in the sustained runs (`--cpu-prof`)', '');
    L.push(
      `${fmt(pr.sampledMs / 1000, 1)} s sampled ${pr.windowed ? 'during the sustained runs' : '(no sample fell in the sustained runs\' windows: the whole profile)'}, idle ${fmt((100 * pr.idleMs) / pr.sampledMs, 0)} %. Self time, % of the sampled time:`,
      '',
      '| by package or area | % | | by function | % |',
      '|---|---|---|---|---|',
    );
    for (let i = 0; i < Math.max(pr.areas.length, pr.functions.length); i++) {
      const a = pr.areas[i];
      const f = pr.functions[i];
      L.push(`| ${a ? `\`${a.label}\`` : ''} | ${a ? fmt(a.pct, 1) : ''} | | ${f ? `\`${f.label}\`` : ''} | ${f ? fmt(f.pct, 1) : ''} |`);
    }
    L.push('');
  }

  L.push(...HISTORY, '');

  L.push('## Reading the numbers', '');
  const ceiling = (cores * 1000) / allCpu;
  L.push(
    `- **The rate.** ${met(plansPerSecond >= TARGETS.plansPerSecond) === 'met' ? 'The target is met' : 'The target is not met'}: ${fmt(plansPerSecond, 0)} plans/s (${fmt(median(sus.map((r) => r.jobsPerSecond)), 0)} jobs/s) with ${c.inFlight} in flight.`,
    `  Per plan the measured processes used ${fmt(allCpu, 2)} ms of CPU in the sustained runs (followup ${fmt(followupCpu, 2)} ms, PostgreSQL ${fmt(median(sus.map((r) => cpuPerPlan(r, 'postgres'))), 2)} ms, Redis ${fmt(median(sus.map((r) => cpuPerPlan(r, 'redis'))), 2)} ms, the bench ${fmt(median(sus.map((r) => cpuPerPlan(r, 'bench'))), 2)} ms),`,
    `  so ${m.nproc} cores fully busy carry at most ~${fmt(ceiling, 0)} plans/s on this machine; the machine was ${fmt(median(sus.map((r) => pct(r.cpu))), 0)} % busy. Followup is one Node process (one core at most): ${fmt(followupCpu, 2)} ms per plan caps it at ~${fmt(1000 / followupCpu, 0)} plans/s.`,
    `- **Against raw BullMQ.** The bare \`addBulk\` of the same jobs reached ${fmt(median(susBare.map((r) => r.jobsPerSecond)), 0)} jobs/s (${fmt(median(susBare.map((r) => r.callsPerSecond)), 0)} plans' worth) using ${fmt(median(susBare.map((r) => measured(r.cpu) / Math.max(1, r.calls))), 2)} ms of CPU per plan; followup does ${fmt(ratio, 2)} × that:`,
    `  besides the same addBulk it receives and answers the event over the transport, looks up the patient and protocol, plans the steps and writes the inbox row, the plan and its steps.`,
    `- **At ${c.rate}/s.** ${rateP99 <= TARGETS.p99AtRateMs ? 'The target is met' : 'The target is not met'}: p50 ${fmt(median(service.map((r) => r.latency.p50)), 1)} ms / p99 ${fmt(rateP99, 1)} ms from the event to the last job queued, against p50 ${fmt(median(bare.map((r) => r.ack.p50)), 1)} ms / p99 ${fmt(median(bare.map((r) => r.ack.p99)), 1)} ms for the bare addBulk;`,
    `  sustained, with ${c.inFlight} in flight, each plan waits behind the others (event → acknowledged p50 ${fmt(median(sus.map((r) => r.ack.p50)), 0)} ms, about ${c.inFlight} ÷ the rate = ${fmt((1000 * c.inFlight) / plansPerSecond, 0)} ms):`,
    '  that latency is the queue the closed loop keeps full, not the cost of a plan.',
    `- **The relay.** Followup takes ${fmt(plansPerSecond, 0)} plans/s when it is handed many events at once, but the outbox relay hands it one at a time, in order, each after the`,
    `  acknowledgement of the one before: so, ${fmt(median(one.map((r) => r.plansPerSecond)), 0)} plans/s (event → acknowledged p50 ${fmt(median(one.map((r) => r.ack.p50)), 2)} ms, a round trip through Redis to followup, PostgreSQL, Redis and back),`,
    `  less with the relay's own \`PUBSUB NUMSUB\` and outbox bookkeeping. End to end from scheduling, completions become plans at about that rate, whatever followup could take;`,
    '  more needs the relay to keep several events of a subscriber in flight (ordered per patient, not per subscriber), which is libs/messaging\'s to change.',
    '',
  );

  L.push('## Caveats', '');
  L.push(
    `- One small machine (${m.nproc} cores) **shared with other work**: the event sender, four Node services, PostgreSQL and Redis compete for the same cores, and so does whatever else`,
    '  runs there (other benches included). Absolute numbers are pessimistic and vary between runs; compare each figure with its same-run baseline and look at min/median/max.',
    '- The job timestamp BullMQ records is taken in followup just before its addBulk is sent to Redis; the acknowledgement comes after addBulk returned and one more Redis hop, so the two',
    '  latency figures bracket the moment the last job is in Redis.',
    '- The bench sends each event once (no `PUBSUB NUMSUB` check and no outbox row as the relay has): the latency counts from the moment the consumer could receive the event.',
    '- The baselines add jobs from the bench process; followup adds them from its own process after its statement. The sustained baseline runs right after followup\'s run, on a delayed set',
    '  that has grown by that run\'s jobs (a sorted set: adding costs log n).',
    '- Services run with `NODE_ENV=test` and `LOG_LEVEL=warn` (as the other benches), the virtual clock at real time.',
  );
  return L.join('\n');
}
