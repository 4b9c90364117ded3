/**
 * What a send costs PostgreSQL: the three statements of MessageSenderService's hot path (load,
 * claim, record; apps/notifications/src/delivery/send-statements.ts) timed one batch after another,
 * on the notifications schema as migrated now ("as shipped") and as it was before migrations 0008
 * and 0009 ("before": a row trigger for the status history, and the two indexes of a patient's
 * messages and the provider ids' full unique index that 0009 replaced).
 *
 * Run: `npm run bench:send-statements` (builds, then runs dist/bench/send-statements.bench.js);
 * `-- --smoke` (or BENCH_SMOKE=1) for a few hundred messages. No services, no Redis: a fresh
 * database `aftercare_bench_*` per round, migrated with the service's own migrations, 300 patients,
 * BENCH_MESSAGES (20,000) due confirmations and as many reminders days ahead (pending rows, as in
 * the dispatch bench), vacuumed; then batches of BENCH_BATCH (43: what the dispatch bench's sends
 * share on average) are loaded, claimed and recorded, one statement at a time, on one connection.
 * The two schemas alternate for BENCH_ROUNDS (3) rounds each. Each figure is the statement's wall
 * time per message as the client sees it (its round trip, PostgreSQL's work, pg decoding the rows):
 * with nothing else running, that is what the statement costs the machine. The dispatch bench
 * measures the whole send path on a loaded machine; this one isolates PostgreSQL's share of it.
 *
 * Writes its section of bench/RESULTS.md (BENCH_RESULTS for another file; smoke: a temporary file).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { migrate } from '@aftercare/database';
import { NOTIFICATIONS_MIGRATIONS } from '../apps/notifications/src/database/migrations.js';
import { SendStatements, type LoadedSend, type SendRow } from '../apps/notifications/src/delivery/send-statements.js';
import { ROOT } from '../scripts/lib/system.js';
import { createBenchDatabase, type BenchDatabase } from './support/bench-system.js';
import { cleanupOnce } from './support/bench-run.js';
import { int, SMOKE } from './support/knobs.js';
import { codeVersion } from './support/machine.js';
import { writeSection } from './support/results-file.js';
import { quantile } from './support/stats.js';

const CONFIG = {
  messages: int('BENCH_MESSAGES', SMOKE ? 430 : 20_000),
  batch: int('BENCH_BATCH', 43),
  rounds: int('BENCH_ROUNDS', SMOKE ? 1 : 3),
  results: process.env.BENCH_RESULTS || (SMOKE ? path.join(os.tmpdir(), 'aftercare-bench-send-statements-smoke.md') : path.join(ROOT, 'bench', 'RESULTS.md')),
};
const started = performance.now();
const log = (line: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

/**
 * The notifications schema as it was before migrations 0008 and 0009, on top of the shipped one:
 * the row trigger, and the indexes 0009 replaced, each as the earlier migration wrote it.
 */
function statementFromMigrations(pattern: RegExp): string {
  const found = NOTIFICATIONS_MIGRATIONS.map((m) => pattern.exec(m.sql)?.[0]).find((sql) => sql !== undefined);
  if (!found) throw new Error(`no earlier migration has ${pattern}`);
  return found;
}
const BEFORE_0008_0009 = [
  'DROP TRIGGER messages_status_history_insert ON notifications.messages;',
  'DROP TRIGGER messages_status_history_update ON notifications.messages;',
  statementFromMigrations(/CREATE FUNCTION notifications\.record_message_event\(\)[\s\S]*?\$fn\$;/),
  statementFromMigrations(/CREATE TRIGGER messages_status_history AFTER[\s\S]*?;/),
  'DROP INDEX notifications.messages_patient_send;',
  statementFromMigrations(/CREATE INDEX messages_patient ON [^;]*;/),
  statementFromMigrations(/CREATE INDEX messages_patient_sms_send ON [^;]*;/),
  'DROP INDEX notifications.messages_provider_message_id;',
  'ALTER TABLE notifications.messages ADD CONSTRAINT messages_provider_message_id_key UNIQUE (provider_message_id);',
].join('\n');

type Schema = 'as shipped' | 'before 0008 and 0009';
type Part = 'load' | 'claim' | 'record';
interface Round {
  schema: Schema;
  round: number;
  /** µs per message, each statement's total over the round divided by the messages */
  perMessage: Record<Part, number>;
  historyRows: number;
  batches: number;
}

let postgresVersion: string | undefined;
/** The round's database, dropped also on Ctrl-C (or the suite's SIGTERM). */
let current: { database: BenchDatabase; pool: pg.Pool } | undefined;
const cleanup = cleanupOnce(log, "the round's database", async () => {
  await current?.pool.end().catch(() => undefined);
  await current?.database.drop();
});

async function round(schema: Schema, n: number): Promise<Round> {
  const database = await createBenchDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 1, application_name: 'aftercare-bench-send-statements' });
  current = { database, pool };
  try {
    postgresVersion ??= (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    await migrate(pool, 'notifications', NOTIFICATIONS_MIGRATIONS);
    if (schema === 'before 0008 and 0009') await pool.query(BEFORE_0008_0009);
    const patients = Array.from({ length: 300 }, () => randomUUID());
    await pool.query(
      `INSERT INTO notifications.recipients (id, clinic_id, first_name, phone, email, sms_consent, sms_opted_out, timezone, language, preferred_channel, updated_at)
       SELECT unnest($1::uuid[]), gen_random_uuid(), 'Pat', '+15550100' || lpad((random() * 999)::int::text, 3, '0'), 'patient@example.com', true, false, 'America/New_York', 'en', 'sms', now()`,
      [patients],
    );
    const ids = Array.from({ length: CONFIG.messages }, () => randomUUID());
    for (let i = 0; i < ids.length; i += 2000) {
      // Due booking confirmations, as the dispatch bench's: queued, an SMS of 160 characters.
      await pool.query(
        `INSERT INTO notifications.messages (id, clinic_id, patient_id, channel, direction, kind, status, body, to_address, send_at, attempts, appointment_id, dedupe_key, created_at, updated_at, timing)
         SELECT u.id, gen_random_uuid(), ($2::uuid[])[1 + (u.ord % 300)], 'sms', 'outbound', 'booking_confirmation', 'queued', repeat('x', 160), '+15550100000', now(), 0,
                gen_random_uuid(), 'bench:' || u.id || ':confirmation:sms', now(), now(), 'later'
           FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)`,
        [ids.slice(i, i + 2000), patients],
      );
    }
    // As many reminders days ahead: pending rows the sends do not touch, in the same indexes.
    await pool.query(
      `INSERT INTO notifications.messages (id, clinic_id, patient_id, channel, direction, kind, status, body, to_address, send_at, attempts, appointment_id, dedupe_key, created_at, updated_at, timing)
       SELECT gen_random_uuid(), gen_random_uuid(), ($2::uuid[])[1 + (g % 300)], 'sms', 'outbound', 'reminder', 'scheduled', repeat('y', 160), '+15550100000', now() + interval '3 days', 0,
              gen_random_uuid(), 'bench:' || g || ':reminder:sms', now(), now(), 'reminder'
         FROM generate_series(1, $1::int) g`,
      [CONFIG.messages, patients],
    );
    await pool.query('VACUUM ANALYZE notifications.messages, notifications.message_events, notifications.recipients, notifications.appointments');
    const historyBefore = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM notifications.message_events')).rows[0]!.n);

    const statements = new SendStatements(pool, 'sender');
    const total: Record<Part, number> = { load: 0, claim: 0, record: 0 };
    let batches = 0;
    for (let i = 0; i < ids.length; i += CONFIG.batch) {
      const batch = ids.slice(i, i + CONFIG.batch);
      let t0 = performance.now();
      const loaded = (await statements.load(batch)).filter((l): l is LoadedSend => l !== null);
      total.load += performance.now() - t0;
      const now = new Date();
      t0 = performance.now();
      const claimed = (await statements.claim(loaded.map((l) => l.row), now, new Date(now.getTime() - 7 * 86_400_000), new Date(now.getTime() + 45_000))).filter((c): c is SendRow => c !== null);
      total.claim += performance.now() - t0;
      t0 = performance.now();
      const recorded = await statements.recordAccepted(
        claimed.map((row) => ({ row, provider: 'twilio', providerMessageId: `SM${row.id.replace(/-/g, '')}` })),
        new Date(),
      );
      total.record += performance.now() - t0;
      if (claimed.length !== batch.length || recorded.some((r) => !r)) throw new Error(`batch ${batches}: ${claimed.length} of ${batch.length} claimed, ${recorded.filter(Boolean).length} recorded`);
      batches++;
    }
    const historyRows = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM notifications.message_events')).rows[0]!.n) - historyBefore;
    const per = (ms: number) => (ms * 1000) / ids.length;
    return { schema, round: n, perMessage: { load: per(total.load), claim: per(total.claim), record: per(total.record) }, historyRows, batches };
  } finally {
    current = undefined;
    await pool.end();
    await database.drop();
  }
}

function render(rounds: Round[], machine: string, seconds: number): string {
  const schemas: Schema[] = ['before 0008 and 0009', 'as shipped'];
  const parts: (Part | 'all three')[] = ['load', 'claim', 'record', 'all three'];
  const value = (r: Round, p: Part | 'all three') => (p === 'all three' ? r.perMessage.load + r.perMessage.claim + r.perMessage.record : r.perMessage[p]);
  const median = (schema: Schema, p: Part | 'all three') => quantile(rounds.filter((r) => r.schema === schema).map((r) => value(r, p)), 0.5);
  const cell = (schema: Schema, p: Part | 'all three') => {
    const vals = rounds.filter((r) => r.schema === schema).map((r) => value(r, p).toFixed(1));
    return `**${median(schema, p).toFixed(1)}** (${vals.join(', ')})`;
  };
  const rows = parts.map((p) => {
    const before = median('before 0008 and 0009', p);
    const after = median('as shipped', p);
    return `| ${p} | ${cell('before 0008 and 0009', p)} | ${cell('as shipped', p)} | ${(((after - before) / before) * 100).toFixed(0)} % |`;
  });
  const history = schemas.map((s) => `${s}: ${rounds.filter((r) => r.schema === s).map((r) => r.historyRows.toLocaleString('en-US')).join(', ')}`).join('; ');
  return `# Benchmark: what a send costs PostgreSQL (the send statements of issue 4's path)

Generated by \`bench/send-statements.bench.ts\` on ${new Date().toISOString().slice(0, 10)}; the whole run took ${(seconds / 60).toFixed(1)} min.

\`\`\`
npm run bench:send-statements   # = npm run build && node dist/bench/send-statements.bench.js
\`\`\`

${machine}

## How it is measured

The three statements of a send (load the rows with the patient's and appointment's copies; claim them; record the provider's answers), as
\`SendStatements\` runs them in the service, timed one after another on one connection with nothing else running: ${CONFIG.messages.toLocaleString('en-US')} due
confirmations (and as many reminders days ahead, pending too) in batches of ${CONFIG.batch} (what the dispatch bench's sends share on average). A fresh
database per round, migrated by the service's own migrations; "before 0008 and 0009" then puts back the per-row status-history trigger, the
two indexes of a patient's messages and the provider ids' full unique index. ${CONFIG.rounds} round(s) each, alternating. Figures: the statement's wall
time per message at the client (round trip, PostgreSQL's work, decoding), µs.

## Results

| statement (µs per message) | before 0008 and 0009: **median** (rounds) | as shipped: **median** (rounds) | change |
|---|---|---|---|
${rows.join('\n')}

Status-history entries written per round (two per message: sending, sent): ${history}.
`;
}

async function main(): Promise<void> {
  log(`config: ${JSON.stringify(CONFIG)}`);
  const rounds: Round[] = [];
  for (let n = 1; n <= CONFIG.rounds; n++) {
    // Alternating which goes first, so that neither always runs on a warmer server.
    const order: Schema[] = n % 2 === 1 ? ['before 0008 and 0009', 'as shipped'] : ['as shipped', 'before 0008 and 0009'];
    for (const schema of order) {
      const r = await round(schema, n);
      rounds.push(r);
      log(`round ${n}, ${schema}: µs per message load ${r.perMessage.load.toFixed(1)}, claim ${r.perMessage.claim.toFixed(1)}, record ${r.perMessage.record.toFixed(1)} (${r.batches} batches, ${r.historyRows} history entries)`);
    }
  }
  const machine = `Machine: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node.js ${process.version}, PostgreSQL ${postgresVersion ?? 'unknown'}; code ${codeVersion()}.`;
  await writeSection(CONFIG.results, 'send-statements', render(rounds, machine, (performance.now() - started) / 1000));
  log(`wrote the send-statements section of ${path.relative(process.cwd(), CONFIG.results) || CONFIG.results}`);
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
