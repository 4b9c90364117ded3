import type { CpuUsage } from './cpu.js';
import type { SendProfile } from './dispatch-profile.js';
import type { Machine } from './report.js';
import { othersSummary, row } from './report.js';
import { fmt, median, spread } from './stats.js';
import { SERVICE_NODE_FLAGS } from '../../scripts/lib/system.js';

export const TARGET_RATIO = 0.7;

export interface DispatchRun {
  kind: 'notifications' | 'bare';
  run: number;
  /** provider calls that arrived at the fake, one per message (duplicates not counted) */
  messages: number;
  /** first to last provider call */
  seconds: number;
  /** messages per second over first → last provider call */
  rate: number;
  firstCallAfterDueMs: number;
  /** due (the resume) → provider call, ms */
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
  /** arrivals per whole second of the run */
  perSecond: { min: number; median: number; max: number };
  /** BullMQ: job picked up by a worker → provider call, and provider call → job finished, ms */
  beforeCallP50: number;
  beforeCallP99: number;
  afterCallP50: number;
  afterCallP99: number;
  duplicates: number;
  /** SMS at the fake during the run that were not this run's */
  strays: number;
  cpu: CpuUsage;
  redisCommands?: number;
  pgXacts?: number;
  pgInserted?: number;
  pgUpdated?: number;
  /** how long the PostgreSQL counters were counting (the run plus the wait for late reports) */
  pgWindowSeconds?: number;
  pendingRows?: number;
  statuses?: Record<string, number>;
  /** the service's PostgreSQL connections during the run: average number in each state */
  pgActivity?: Record<string, number>;
}

export interface IdleWindow {
  run: number;
  seconds: number;
  pendingRows: number;
  cpu: CpuUsage;
  redisCommands: number;
  /** PostgreSQL's counters per second of the window: the services' background work */
  pgPerSecond: { xacts: number; inserted: number; updated: number };
}

export interface DispatchInput {
  config: { runs: number; messages: number; clinicians: number; patientsPerClinician: number; patients: number; bookingConnections: number; profileSends: number; idleSeconds: number; vacuum?: boolean };
  machine: Machine;
  /** PostgreSQL's durability settings: what each COMMIT waits for */
  pgSettings: { synchronousCommit: string; fsync: string; walSyncMethod: string };
  /** the services' reconciler interval (RECONCILE_INTERVAL_MS, as configured for them) */
  reconcileIntervalMs: number;
  /** bookings the API answered with a 5xx while the bench made the messages, with the services' error output */
  bookingErrors: { count: number; samples: string[] };
  zone: string;
  workerOptions: { concurrency: number; lockDuration?: number; stalledInterval?: number };
  runs: DispatchRun[];
  idle: IdleWindow[];
  profile: SendProfile;
  weeksBooked: number;
  bookingSeconds: number;
  elapsedSeconds: number;
}

const med = (values: number[]) => median(values.filter(Number.isFinite));
const perMessage = (r: DispatchRun, group: string) => (r.cpu.groups[group] ?? NaN) / r.messages;

/**
 * Which side of run `run` (1, 2, …) goes first: the service in runs 1 and 4 of every four, the
 * bare worker in runs 2 and 3 (A B B A). Each side then goes first as often as the other in an
 * even number of runs, and a drift from run to run (the messages table grows by each run's
 * reminders) falls on both alike. Going first, right after the idle window, has been seen to
 * change a side's rate (the by-order lines of the section show it for each bench).
 */
export const serviceGoesFirst = (run: number): boolean => {
  const position = (run - 1) % 4;
  return position === 0 || position === 3;
};

/** Values of the runs in which the service went first, and of those in which the bare worker did (non-finite ones left out). */
function byOrder<T extends { run: number }>(rows: T[], value: (row: T) => number): { serviceFirst: number[]; bareFirst: number[] } {
  const pick = (first: boolean) => rows.filter((r) => serviceGoesFirst(r.run) === first).map(value).filter(Number.isFinite);
  return { serviceFirst: pick(true), bareFirst: pick(false) };
}

export function renderDispatch(x: DispatchInput): string {
  const { config: c, machine: m } = x;
  const N = x.runs.filter((r) => r.kind === 'notifications').sort((a, b) => a.run - b.run);
  const B = x.runs.filter((r) => r.kind === 'bare').sort((a, b) => a.run - b.run);
  const ratios = N.map((n) => n.rate / (B.find((b) => b.run === n.run)?.rate ?? NaN));
  const ratio = spread(ratios);
  const met = ratio.median >= TARGET_RATIO;
  const list = (values: number[], digits: number) => `${values.map((v) => fmt(v, digits)).join(', ')} (median ${fmt(med(values), digits)})`;
  const ratioOrder = byOrder(N.map((n, i) => ({ run: n.run, ratio: ratios[i]! })), (r) => r.ratio);
  const nOrder = byOrder(N, (r) => r.rate);
  const bOrder = byOrder(B, (r) => r.rate);
  const serviceFirstRuns = Array.from({ length: c.runs }, (_, i) => i + 1).filter(serviceGoesFirst).length;
  const orderLine =
    ratioOrder.serviceFirst.length > 0 && ratioOrder.bareFirst.length > 0
      ? `\nBy which side went first in its run (service first in runs 1 and 4 of every four): ratio with the service first ${list(ratioOrder.serviceFirst, 2)}, with the bare worker first ${list(ratioOrder.bareFirst, 2)}. ` +
        `Messages/s — the service going first ${list(nOrder.serviceFirst, 0)}, second ${list(nOrder.bareFirst, 0)}; the bare worker going first ${list(bOrder.bareFirst, 0)}, second ${list(bOrder.serviceFirst, 0)}.` +
        (serviceFirstRuns * 2 !== c.runs ? ` With ${c.runs} runs one side went first more often than the other: the median leans towards its order.` : '')
      : '';
  const groups = [...new Set(x.runs.flatMap((r) => Object.keys(r.cpu.groups)))];
  const cpuRow = (g: string) => `| ${g} | ${fmt(med(N.map((r) => perMessage(r, g))), 2)} | ${fmt(med(B.map((r) => perMessage(r, g))), 2)} |`;
  const machinePer = (runs: DispatchRun[]) => med(runs.map((r) => r.cpu.machineBusyMs / r.messages));
  const busyPct = (runs: DispatchRun[]) => med(runs.map((r) => (100 * r.cpu.machineBusyMs) / r.cpu.machineCapacityMs));
  const sumPer = (runs: DispatchRun[]) => med(runs.map((r) => groups.reduce((a, g) => a + perMessage(r, g), 0)));
  const irqPer = (runs: DispatchRun[]) => med(runs.map((r) => r.cpu.machineIrqMs / r.messages));
  const othersOf = (runs: DispatchRun[]) => othersSummary(runs, runs.reduce((a, r) => a + r.messages, 0));
  const p = x.profile;

  return `# Benchmark: message dispatch (issue 4)

Generated by \`bench/dispatch.bench.ts\` on ${m.date.slice(0, 10)} (${m.date}); the whole run took ${fmt(x.elapsedSeconds / 60, 1)} min.
Numbers in this section are from that run; run it again to refresh them.

\`\`\`
npm run bench:dispatch       # = npm run build && node dist/bench/dispatch.bench.js
\`\`\`

Machine: ${m.nproc} cores (${m.cpu}), ${fmt(m.memoryGiB, 1)} GiB, ${m.os}, Node.js ${m.node}, PostgreSQL ${m.postgres} (synchronous_commit ${x.pgSettings.synchronousCommit},
fsync ${x.pgSettings.fsync}, wal_sync_method ${x.pgSettings.walSyncMethod}), Redis ${m.redis} (private instance); code ${m.code};
the four services, PostgreSQL, Redis, the bare worker and the bench with the Twilio fake all share these ${m.nproc} cores.

## Target

**Outbound throughput of the notifications service against the local Twilio-compatible server (${c.messages.toLocaleString('en-US')} messages), at least ${TARGET_RATIO} of a
bare BullMQ worker doing the same HTTP call in the same run.**
Ratio notifications / bare (each run's pair, median of ${c.runs}): **${fmt(ratio.median, 2)} — ${met ? 'met' : 'NOT met'}**${
    met && ratio.min < TARGET_RATIO ? ` (but not in every run: lowest ${fmt(ratio.min, 2)})` : !met && ratio.max >= TARGET_RATIO ? ` (met in the best run: ${fmt(ratio.max, 2)})` : ''
  }; runs: ${ratios.map((v) => fmt(v, 2)).join(', ')}.${orderLine}
Notifications service: **${fmt(med(N.map((r) => r.rate)), 0)} messages/s**; bare worker: **${fmt(med(B.map((r) => r.rate)), 0)} messages/s** (medians).

## How it is measured

- **The messages, the real way.** ${c.patients} patients registered through the front-desk API (SMS consent, SMS preferred, time zone ${x.zone}, where it was
  daytime, so quiet hours hold nothing back), ${c.clinicians} clinicians with a consultation room each. Per run the bench books ${c.messages.toLocaleString('en-US')} appointments through
  \`POST /api/appointments\` (${c.bookingConnections} connections; ${x.weeksBooked} weeks of half-hour slots were used in all; the bookings took ${fmt(x.bookingSeconds / 60, 1)} min);
  the notifications service gets each \`appointment.booked\` event through the outbox, composes the confirmation SMS (a row in
  \`notifications.messages\`, rendered from its template) and adds its BullMQ job (jobId = row id) to \`{outbound-messages}\`, as in production.
  It also plans the appointments' reminders (rows and delayed jobs days ahead: they are not sent during the runs, but they are pending rows).
- **Held, then let go.** While a run's bookings are made the bench pauses \`{outbound-messages}\` (BullMQ \`Queue.pause\`), so the
  ${c.messages.toLocaleString('en-US')} confirmations are all due and waiting; then it resumes the queue and the service's own worker (concurrency ${x.workerOptions.concurrency}, as
  declared on \`MessageSendProcessor\`) sends them: the row's state machine, the suppression check, the real \`twilio\` library.
${c.vacuum ? `- **Vacuumed before each timed run**, as pgbench does: the bench waits for an autovacuum already at work on its database, then runs
  \`VACUUM (ANALYZE)\` on the notifications tables, so that cleaning up after the bookings (or after the other side's run) does not start in
  the middle of a run and take a core from whichever side is running (\`BENCH_VACUUM=0\` leaves it to autovacuum).
` : ''}- **The bare worker** is a BullMQ \`Worker\` in its own process (\`bench/support/bare-worker.ts\`): the same Redis and key prefix, its own queue, the
  same worker options (${JSON.stringify(x.workerOptions)}), the same job options (\`DEFAULT_JOB_OPTIONS\`: attempts, backoff, completed jobs kept), and per job
  only \`client.messages.create({ to, from, body, statusCallback })\` of the same twilio client setup to the same fake, with the run's recipients and
  texts in the job (no database), under the services' Node flags (\`${SERVICE_NODE_FLAGS.join(' ')}\`). Its ${c.messages.toLocaleString('en-US')} jobs are added to its paused queue, then it is resumed. Which of the two goes first alternates by run (A B B A: the service in runs 1 and 4 of every four), so that each goes first, right after the idle window, as often as the other.
- **Throughput** = messages ÷ (last − first provider call), from the fake's record of each arrival. **Latency** = due (the resume) → provider
  call: with everything due at once it is mostly the wait in the queue (p50 ≈ half the run). BullMQ's timestamps of each job give the time
  from being picked up to the provider call and from the call to the job's completion.
- CPU time per process from /proc; Redis commands from \`INFO stats\`; PostgreSQL transactions and rows from \`pg_stat_database\` of the bench database
  (read ~11 s after the run, when the backends have reported, less the services' background rate measured in the idle window before).

## Results

Each figure: min / **median** / max of ${c.runs} runs, then the runs in order.

| figure | min / **median** / max | runs |
|---|---|---|
${row('**notifications service: messages/s**', N.map((r) => r.rate))}
${row('**bare BullMQ worker: messages/s**', B.map((r) => r.rate))}
${row('**ratio notifications / bare**', ratios, 2)}
${row('notifications: first → last provider call (s)', N.map((r) => r.seconds), 1)}
${row('bare: first → last provider call (s)', B.map((r) => r.seconds), 1)}
${row('notifications: arrivals per second, median of the seconds', N.map((r) => r.perSecond.median), 0)}
${row('bare: arrivals per second, median of the seconds', B.map((r) => r.perSecond.median), 0)}
${row('notifications: job latency due → provider call, p50 (s)', N.map((r) => r.latencyP50 / 1000), 2)}
${row('notifications: job latency due → provider call, p99 (s)', N.map((r) => r.latencyP99 / 1000), 2)}
${row('bare: job latency due → provider call, p50 (s)', B.map((r) => r.latencyP50 / 1000), 2)}
${row('bare: job latency due → provider call, p99 (s)', B.map((r) => r.latencyP99 / 1000), 2)}
${row('notifications: first provider call after due (ms)', N.map((r) => r.firstCallAfterDueMs), 0)}
${row('bare: first provider call after due (ms)', B.map((r) => r.firstCallAfterDueMs), 0)}
${row('notifications: job picked up → provider call, p50 (ms)', N.map((r) => r.beforeCallP50), 1)}
${row('notifications: job picked up → provider call, p99 (ms)', N.map((r) => r.beforeCallP99), 1)}
${row('notifications: provider call → job finished, p50 (ms)', N.map((r) => r.afterCallP50), 1)}
${row('notifications: provider call → job finished, p99 (ms)', N.map((r) => r.afterCallP99), 1)}
${row('bare: job picked up → provider call, p50 (ms)', B.map((r) => r.beforeCallP50), 1)}
${row('bare: job picked up → provider call, p99 (ms)', B.map((r) => r.beforeCallP99), 1)}
${row('bare: provider call → job finished, p50 (ms)', B.map((r) => r.afterCallP50), 1)}
${row('bare: provider call → job finished, p99 (ms)', B.map((r) => r.afterCallP99), 1)}
${row('notifications: Redis commands per message', N.map((r) => (r.redisCommands ?? NaN) / r.messages), 1)}
${row('bare: Redis commands per message', B.map((r) => (r.redisCommands ?? NaN) / r.messages), 1)}
${row('notifications: PostgreSQL transactions per message (net of background)', N.map((r) => (r.pgXacts ?? NaN) / r.messages), 2)}
${row('notifications: PostgreSQL rows inserted per message (net of background)', N.map((r) => (r.pgInserted ?? NaN) / r.messages), 2)}
${row('notifications: PostgreSQL rows updated per message (net of background)', N.map((r) => (r.pgUpdated ?? NaN) / r.messages), 2)}
${row('pending message rows when the run began (all kinds)', N.map((r) => r.pendingRows ?? NaN), 0)}
${row('machine busy during the notifications run (% of all cores)', N.map((r) => (100 * r.cpu.machineBusyMs) / r.cpu.machineCapacityMs), 0)}
${row('machine busy during the bare run (% of all cores)', B.map((r) => (100 * r.cpu.machineBusyMs) / r.cpu.machineCapacityMs), 0)}

Checks: provider calls per run ${x.runs.map((r) => `${r.kind} ${r.run}: ${r.messages.toLocaleString('en-US')}`).join(', ')}; duplicate sends ${x.runs.reduce((a, r) => a + r.duplicates, 0)};
other SMS at the fake during the runs ${x.runs.reduce((a, r) => a + r.strays, 0)}; the notifications runs' rows afterwards: ${N.map((r) => JSON.stringify(r.statuses ?? {})).join(', ')}.

### CPU time per message, by process (median of the runs)

| CPU ms per message | notifications runs | bare runs |
|---|---|---|
${groups.map(cpuRow).join('\n')}
| **sum of the above** | **${fmt(sumPer(N), 2)}** | **${fmt(sumPer(B), 2)}** |
| whole machine (every process, others' work included) | ${fmt(machinePer(N), 2)} | ${fmt(machinePer(B), 2)} |
| of it: interrupts (kernel, e.g. loopback networking) | ${fmt(irqPer(N), 2)} | ${fmt(irqPer(B), 2)} |
| machine busy (% of all cores) | ${fmt(busyPct(N), 0)} | ${fmt(busyPct(B), 0)} |

"postgres" is the backends connected to the bench database, "postgres server processes" the WAL writer, checkpointer, background writer and
autovacuum (they serve every database of the server). Other processes busy meanwhile (CPU ms per message, all runs) — notifications runs:
${othersOf(N)}; bare runs: ${othersOf(B)}.

### The service's PostgreSQL connections during the notifications runs

Sampled every 100 ms from \`pg_stat_activity\` (application \`aftercare-notifications\`): how many of its connections were, on average, doing what.

| state | average connections | runs |
|---|---|---|
${activityRows(N)}

### With nothing to send

Before each run, ${c.idleSeconds} s with the queue held and nothing being sent (one pass of the reconciler, every ${fmt(x.reconcileIntervalMs / 1000, 0)} s, fits in; the services' pollers run):

| run | pending message rows | notifications CPU (ms per s) | Redis commands per s | Redis commands per pending row and reconciler interval | PostgreSQL CPU (ms per s) | PostgreSQL transactions per s |
|---|---|---|---|---|---|---|
${x.idle
  .map(
    (i) =>
      `| ${i.run} | ${i.pendingRows.toLocaleString('en-US')} | ${fmt((i.cpu.groups.notifications ?? NaN) / i.seconds, 0)} | ${fmt(i.redisCommands / i.seconds, 0)} | ${fmt(((i.redisCommands / i.seconds) * (x.reconcileIntervalMs / 1000)) / Math.max(1, i.pendingRows), 2)} | ${fmt((i.cpu.groups.postgres ?? NaN) / i.seconds, 0)} | ${fmt(i.pgPerSecond.xacts, 1)} |`,
  )
  .join('\n')}

## Where the time of one send goes

\`MessageSenderService.send\` of the notifications service (from \`dist/\`), called in the bench process one send after another for ${p.sends} further
due confirmations (booked the same way, queue held), with the real twilio library against the same fake (which runs in this process here). Every
statement to PostgreSQL is timed at the pg client. Per send: **${p.statements} statements in ${p.transactions} transactions**; outcomes ${JSON.stringify(p.outcomes)}.

| part of one send | p50 (ms) | p99 (ms) |
|---|---|---|
| **whole send** | **${fmt(p.total.p50, 2)}** | ${fmt(p.total.p99, 2)} |
| provider call (twilio \`messages.create\`, HTTP to the fake) | ${fmt(p.provider.p50, 2)} | ${fmt(p.provider.p99, 2)} |
| all statements (sum of their round trips) | ${fmt(p.database.p50, 2)} | ${fmt(p.database.p99, 2)} |
| the rest (the sender's code, drizzle building queries and mapping rows) | ${fmt(p.other.p50, 2)} | ${fmt(p.other.p99, 2)} |
${p.byStatement.map((s) => `| ${describeStatement(s.label)}${s.sends < p.sends ? ` (in ${s.sends} of ${p.sends} sends)` : ''} | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} |`).join('\n')}

${analysis(x, { N, B, ratios, met, groups })}

## Caveats

- One small, shared machine (${m.nproc} cores): both workers compete with PostgreSQL, Redis, the other services and the fake, so the ratio says more
  than the absolute rates. Other people's work on the machine shows as the gap between "whole machine" and the sum of the processes.
- Everything is due at once (a burst of ${c.messages.toLocaleString('en-US')}), so latency is queueing; a steady trickle would see the per-job times instead.
- The fake answers at once; against the real Twilio API (tens to hundreds of ms per call) both workers would be bound by concurrency × call time
  and the ratio would move towards 1.
- The bare worker's job carries the recipient and the text; the service's job carries only the row id (ARCHITECTURE.md: no patient data in Redis)
  and reads the rest from PostgreSQL — that difference is part of what the ratio measures.
- Services run with \`NODE_ENV=test\` and \`LOG_LEVEL=warn\`, the virtual clock at real time (as the e2e tests and the booking bench).
${
    x.bookingErrors.count
      ? `- Found on the way: ${x.bookingErrors.count} of the bench's bookings were answered with a 5xx (they were replaced by others; the runs still had ${c.messages.toLocaleString('en-US')} messages each). The services' error output at the time:\n${x.bookingErrors.samples.map((l) => `  \`${l.replace(/`/g, "'")}\``).join('\n')}`
      : '- Every booking the bench made was answered 201.'
  }
`;
}

/** The sampler's count of autovacuum workers busy with the bench database (not the service's connections). */
const isAutovacuum = (state: string) => state.startsWith('autovacuum');

/** Average connections per state over the runs (a state missing in a run counts 0 there). */
function activityRows(runs: DispatchRun[]): string {
  const states = [...new Set(runs.flatMap((r) => Object.keys(r.pgActivity ?? {})))];
  const total = (r: DispatchRun) => Object.entries(r.pgActivity ?? {}).reduce((a, [state, n]) => a + (isAutovacuum(state) ? 0 : n), 0);
  const lines = states
    .map((state) => ({ state, values: runs.map((r) => r.pgActivity?.[state] ?? 0) }))
    .sort((a, b) => med(b.values) - med(a.values))
    .map(({ state, values }) => `| ${state} | ${fmt(med(values), 2)} | ${values.map((v) => fmt(v, 2)).join(', ')} |`);
  lines.push(`| **all connections** | **${fmt(med(runs.map(total)), 2)}** | ${runs.map((r) => fmt(total(r), 2)).join(', ')} |`);
  return lines.join('\n');
}

/** Human names of the statements of one send. */
function describeStatement(label: string): string {
  const [kind, n] = label.split(' #');
  const known: Record<string, string> = {
    'select messages': 'read the message row',
    'select recipients': 'suppression check: read the recipient (opt-out, consent, hold, undeliverable number)',
    'select appointments': 'read the appointment the message is about (for the suppression and timing checks)',
    'select waitlist_offers': 'read the waitlist offer the message is about',
    BEGIN: 'BEGIN',
    COMMIT: 'COMMIT',
    'select set_config (status source for the history trigger)': 'set_config: who changes the status (for the history trigger)',
    'update messages': n === '1' ? 'claim: UPDATE … SET status = sending, attempts + 1 RETURNING *' : 'record: UPDATE … SET status = sent, provider id',
    'update delivery_callbacks': 're-open delivery reports that came before the provider id was known (UPDATE delivery_callbacks)',
    'notifications.send.load': 'load: the message rows with their recipient and appointment (one prepared statement for a batch of sends)',
    'notifications.send.claim': 'claim: UPDATE … SET status = sending, attempts + 1, SMS permission checked inside, RETURNING (one for a batch)',
    'notifications.send.record': "record: UPDATE … SET status = sent, provider id; early delivery reports re-opened (one for a batch; its commit doesn't wait for the disk)",
  };
  return `statement: ${known[kind!] ?? kind}${n && n !== '1' && !kind!.startsWith('update messages') ? ` (#${n})` : ''}`;
}

function analysis(x: DispatchInput, d: { N: DispatchRun[]; B: DispatchRun[]; ratios: number[]; met: boolean; groups: string[] }): string {
  const { N, B } = d;
  const p = x.profile;
  const cores = Number(x.machine.nproc) || 1;
  const C = x.workerOptions.concurrency;
  const rateN = med(N.map((r) => r.rate));
  const rateB = med(B.map((r) => r.rate));
  const ratio = med(d.ratios);
  // What each side cost the system under test: the measured processes plus the kernel's interrupt time (others' work left out).
  const attributed = (r: DispatchRun) => (Object.values(r.cpu.groups).reduce((a, b) => a + b, 0) + r.cpu.machineIrqMs) / r.messages;
  const machineN = med(N.map(attributed));
  const machineB = med(B.map(attributed));
  const wholeN = med(N.map((r) => r.cpu.machineBusyMs / r.messages));
  const wholeB = med(B.map((r) => r.cpu.machineBusyMs / r.messages));
  const per = (runs: DispatchRun[], g: string) => med(runs.map((r) => perMessage(r, g)));
  const nodeN = per(N, 'notifications');
  const nodeB = per(B, 'bare worker');
  const pgN = per(N, 'postgres') + (per(N, 'postgres server processes') || 0);
  const redisN = per(N, 'redis');
  const redisB = per(B, 'redis');
  const fakeN = per(N, 'bench (Twilio fake)');
  const fakeB = per(B, 'bench (Twilio fake)');
  const cmdsN = med(N.map((r) => (r.redisCommands ?? NaN) / r.messages));
  const cmdsB = med(B.map((r) => (r.redisCommands ?? NaN) / r.messages));
  const xactsN = med(N.map((r) => (r.pgXacts ?? NaN) / r.messages));
  const jobN = med(N.map((r) => r.beforeCallP50 + r.afterCallP50));
  const jobB = med(B.map((r) => r.beforeCallP50 + r.afterCallP50));
  const beforeN = med(N.map((r) => r.beforeCallP50));
  const afterN = med(N.map((r) => r.afterCallP50));
  const idleCpu = med(x.idle.map((i) => (i.cpu.groups.notifications ?? NaN) / i.seconds));
  const idleCmds = med(x.idle.map((i) => i.redisCommands / i.seconds));
  const idlePending = Math.max(...x.idle.map((i) => i.pendingRows));
  const perRowPass = med(x.idle.map((i) => ((i.redisCommands / i.seconds) * (x.reconcileIntervalMs / 1000)) / Math.max(1, i.pendingRows)));

  const lines: string[] = [];
  lines.push(`## Reading the numbers${d.met ? '' : ' (why the target is missed, and what would help)'}`);
  lines.push('');
  lines.push(
    `- **The ratio.** The notifications service sent ${fmt(rateN, 0)} messages/s, the bare worker ${fmt(rateB, 0)}/s in the same runs: ${fmt(ratio, 2)} of the bare worker, ` +
      `${d.met ? `at or above the ${TARGET_RATIO} target` : `below the ${TARGET_RATIO} target (the service would need ${fmt(TARGET_RATIO * rateB, 0)}/s)`}.`,
  );
  // What limits each side: a (nearly) saturated process (one core for a Node process), the machine's cores, or waiting.
  const boundOf = (runs: DispatchRun[], worker: string, jobMs: number) => {
    const busiest = Object.keys(runs[0]?.cpu.groups ?? {})
      .map((g) => ({ g, core: med(runs.map((r) => (r.cpu.groups[g] ?? 0) / r.cpu.wallMs)) }))
      .sort((a, b) => b.core - a.core)[0] ?? { g: 'n/a', core: NaN };
    const busy = med(runs.map((r) => (100 * r.cpu.machineBusyMs) / r.cpu.machineCapacityMs));
    const others = med(runs.map((r) => (100 * Math.max(0, r.cpu.machineBusyMs - r.cpu.machineIrqMs - Object.values(r.cpu.groups).reduce((a, b) => a + b, 0))) / r.cpu.machineCapacityMs));
    const workerCore = med(runs.map((r) => (r.cpu.groups[worker] ?? 0) / r.cpu.wallMs));
    const what =
      workerCore >= 0.7
        ? `its process is the bottleneck — ${fmt(100 * workerCore, 0)} % of one core (a Node process runs on one; above ~70 % its event loop keeps jobs waiting); a job took ~${fmt(jobMs, 1)} ms from being picked up to being finished`
        : busy >= 90
          ? `the machine's ${cores} cores are saturated (${fmt(busy, 0)} % busy, ${fmt(others, 0)} % of it other processes than the measured ones)`
          : `neither a process nor the machine is saturated (busiest: ${busiest.g} at ${fmt(100 * busiest.core, 0)} % of a core; machine ${fmt(busy, 0)} %): it waits — ${C} jobs in flight at ~${fmt(jobMs, 1)} ms each allow ~${fmt((C * 1000) / jobMs, 0)}/s`;
    return { what, workerCore, busy, busiest };
  };
  const boundN = boundOf(N, 'notifications', jobN);
  const boundB = boundOf(B, 'bare worker', jobB);
  lines.push(
    `- **What bounds each.** The notifications service: ${boundN.what}${boundN.workerCore >= 0.7 ? ` (one send alone takes ${fmt(p.total.p50, 1)} ms, see below)` : ''}. The bare worker: ${boundB.what}. ` +
      `Per message the service costs ${fmt(machineN, 2)} ms of CPU against ${fmt(machineB, 2)} ms bare (the measured processes and the kernel's interrupts; ` +
      `the whole machine, others' work included, ${fmt(wholeN, 2)} against ${fmt(wholeB, 2)} ms) — a ratio of ${fmt(machineB / machineN, 2)}` +
      (boundN.workerCore >= 0.7 && boundB.workerCore >= 0.7
        ? `; as each side is bound by its own process, the ratio follows theirs: ${fmt(nodeB, 2)} ms in the bare worker against ${fmt(nodeN, 2)} ms in the notifications process (${fmt(nodeB / nodeN, 2)}).`
        : '.'),
  );
  {
    // What the target asks of the service, at the bare worker's measured rate.
    const want = TARGET_RATIO * rateB;
    const processBudget = (1000 * Math.max(0.7, boundN.workerCore)) / want;
    const pgCores = (pgN * want) / 1000;
    if (!d.met) {
      lines.push(
        `- **What the target asks.** ${fmt(want, 0)} messages/s: at the notifications process's present ${fmt(100 * boundN.workerCore, 0)} % of a core that is at most ~${fmt(processBudget, 2)} ms of its CPU per message (today ${fmt(nodeN, 2)} ms, ${fmt(nodeN / processBudget, 1)}× that), ` +
          `and PostgreSQL at today's ${fmt(pgN, 2)} ms per message would need ${fmt(pgCores, 1)} of this machine's ${cores} cores on its own.`,
      );
    }
  }
  {
    const states = [...new Set(N.flatMap((r) => Object.keys(r.pgActivity ?? {})))];
    const avg = (state: string) => med(N.map((r) => r.pgActivity?.[state] ?? 0));
    const all = med(N.map((r) => Object.entries(r.pgActivity ?? {}).reduce((a, [state, n]) => a + (isAutovacuum(state) ? 0 : n), 0)));
    const running = states.filter((st) => st.startsWith('running')).reduce((a, st) => a + avg(st), 0);
    const waitingWal = states.filter((st) => /WAL|IO:/.test(st)).reduce((a, st) => a + avg(st), 0);
    const inTx = states.filter((st) => st.startsWith('idle in transaction')).reduce((a, st) => a + avg(st), 0);
    const idlePool = avg('idle in the pool');
    if (states.length) {
      lines.push(
        `- **The service's database connections** (${fmt(all, 1)} on average during the runs): ${fmt(running, 1)} running a statement (${fmt(waitingWal, 1)} of them waiting for I/O such as the WAL flush of a COMMIT), ` +
          `${fmt(inTx, 1)} idle inside a transaction — waiting for Node to send the next statement — and ${fmt(idlePool, 1)} idle in the pool. ` +
          (idlePool >= 1
            ? 'So the pool was not what held the sends back.'
            : `So the pool was used up: jobs waited for a connection (${C} jobs in flight share the service's pool).`),
      );
    }
  }
  lines.push(
    `- **Per message, by process** (CPU ms): the notifications process ${fmt(nodeN, 2)} against the bare worker's ${fmt(nodeB, 2)}; PostgreSQL ${fmt(pgN, 2)} (its backends and server processes; bare: ${fmt(per(B, 'postgres') + (per(B, 'postgres server processes') || 0), 2)}); ` +
      `Redis ${fmt(redisN, 2)} against ${fmt(redisB, 2)} (${fmt(cmdsN, 1)} against ${fmt(cmdsB, 1)} commands per message); the fake ${fmt(fakeN, 2)} against ${fmt(fakeB, 2)}. ` +
      `PostgreSQL counted ${fmt(xactsN, 2)} transactions per message, net of the services' background (the in-process profile below: ${p.transactions} per send, the rest is the statements outside a transaction, each its own).`,
  );
  lines.push(
    `- **One send** (in process, one at a time, so every statement carries one message): ${fmt(p.total.p50, 2)} ms, of which the provider call ${fmt(p.provider.p50, 2)} ms, ${p.statements} statements to PostgreSQL ${fmt(p.database.p50, 2)} ms ` +
      `(${p.byStatement.map((s) => `${s.label.replace(/^notifications\.send\./, '')} ${fmt(s.p50, 2)}`).join(', ')}) and the rest ${fmt(p.other.p50, 2)} ms; ${p.transactions} explicit transactions. ` +
      `Under load the same statements are shared by the sends under way (${fmt(xactsN, 2)} PostgreSQL transactions per message in the runs, against ${fmt(p.statements, 0)} statements per lone send). ` +
      `In the runs a job spent p50 ${fmt(beforeN, 1)} ms from being picked up to its provider call and ${fmt(afterN, 1)} ms from the call to its completion (bare: ${fmt(med(B.map((r) => r.beforeCallP50)), 1)} and ${fmt(med(B.map((r) => r.afterCallP50)), 1)} ms).`,
  );
  lines.push(
    `- **With nothing to send**, holding up to ${idlePending.toLocaleString('en-US')} pending rows, the notifications process used ${fmt(idleCpu, 0)} ms of CPU per second and Redis served ${fmt(idleCmds, 0)} commands/s ` +
      `(${fmt(perRowPass, 2)} commands per pending row and reconciler interval of ${fmt(x.reconcileIntervalMs / 1000, 0)} s): the reconciler looks only at the rows due within its horizon, a page of jobs per Redis round trip.`,
  );
  lines.push('');
  if (!d.met) {
    const ideas: string[] = [];
    ideas.push(
      `**The notifications process's own CPU** (${fmt(nodeN, 2)} ms per message against the bare worker's ${fmt(nodeB, 2)}): what is left is the job's own work in BullMQ and the twilio library (as bare), ` +
        `the three shared statements' share, the send decisions (quiet hours in the patient's zone with luxon) and the service's other work on the same event loop (outbox relay, delivery reports, reconciler). ` +
        `A second notifications process (BullMQ workers scale out as they are) uses the machine's other core, where there is one to spare.`,
    );
    ideas.push(
      `**PostgreSQL's share** (${fmt(pgN, 2)} ms per message): each send changes the row twice (sending, then sent), each change a new row version with an entry in each of the table's indexes and a history row from the trigger. ` +
        `Fewer indexes on \`messages\`, or a claim that is not a row change of its own, would make each send cheaper.`,
    );
    ideas.push(
      `On this 2-core machine every process of the test competes for the same cores: the ratio says more than the absolute rates, and a run with other work on the machine ("whole machine" above the sum of the processes) is worth repeating.`,
    );
    lines.push('What would help (for the engineers who own apps/notifications; the bench changes nothing there):');
    ideas.forEach((idea, i) => lines.push(`${i + 1}. ${idea}`));
  }
  return lines.join('\n');
}
